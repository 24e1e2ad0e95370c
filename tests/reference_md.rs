//! A reference for an open peptide while it samples: a trajectory set by command, and
//! reference MD run by OpenMM in the background (`SamplerCommand::RunReferenceMd`).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};
use walkjump::live::{
    self, LiveConfig, LiveHandle, ReferenceMdOptions, SamplerCommand, SamplerEvent, Snapshot,
    SystemSpec, NEEDS_OPENMM,
};
use walkjump::nn::BackendKind;

fn ala2_without_reference() -> SystemSpec {
    SystemSpec::Molecule {
        pdb: common::ala2(),
        model: common::repo().join("models/ala2.wjm"),
        reference: None,
    }
}

fn start(run_dir: &Path) -> LiveHandle {
    live::spawn(
        ala2_without_reference(),
        LiveConfig {
            backend: BackendKind::Ndarray,
            chains: 2,
            run_dir: Some(run_dir.to_path_buf()),
            ..Default::default()
        },
    )
}

/// Events until `pred` holds for a snapshot (or `secs` pass); errors and notices seen.
fn until(h: &LiveHandle, secs: u64, pred: impl Fn(&Snapshot) -> bool) -> (Snapshot, Vec<String>) {
    let t0 = Instant::now();
    let mut said = vec![];
    while t0.elapsed() < Duration::from_secs(secs) {
        match h.events.recv_timeout(Duration::from_secs(5)) {
            Ok(SamplerEvent::Snapshot(s)) if pred(&s) => return (*s, said),
            Ok(SamplerEvent::Error(m)) => said.push(format!("error: {m}")),
            Ok(SamplerEvent::Notice(m)) => said.push(m),
            _ => {}
        }
    }
    panic!("condition not reached in {secs} s; messages: {said:?}");
}

fn has_jsd(s: &Snapshot) -> bool {
    s.stats.rama.first().is_some_and(|r| r.jsd.is_some()) && s.stats.rama_jsd_mean.is_some()
}

/// Processes whose command line mentions `needle` (Linux; none elsewhere).
fn processes_mentioning(needle: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    entries
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(needle))
        .collect()
}

#[test]
fn a_reference_set_while_sampling_brings_the_jsd_panels_and_keeps_the_samples() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(dir.path());
    let (before, _) = until(&h, 60, |s| s.kept >= 200);
    assert!(!has_jsd(&before), "no reference yet, no JSD");
    assert!(before.stats.tica.is_none());
    h.send(SamplerCommand::LoadReference(
        common::repo().join("tests/data/ala2_mdtraj.xtc"),
    ));
    let (after, said) = until(&h, 60, has_jsd);
    assert!(said.iter().all(|m| !m.starts_with("error")), "{said:?}");
    assert!(
        after.kept >= before.kept,
        "samples kept: {} before, {} after",
        before.kept,
        after.kept
    );
    assert_eq!(after.stats.rama[0].torsions.len(), 2);
    assert!(after.stats.rama[0].reference.is_some());
    assert!(!after.stats.jsd_history.is_empty());
    assert!(after.reference_md.is_none());
}

#[test]
fn reference_md_without_python_says_what_is_needed_and_sampling_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(dir.path());
    let (s0, _) = until(&h, 60, |s| s.kept >= 10);
    h.send(SamplerCommand::RunReferenceMd(ReferenceMdOptions {
        python: Some("/nonexistent/walkjump-python".into()),
        ..Default::default()
    }));
    let t0 = Instant::now();
    let mut error = None;
    while error.is_none() && t0.elapsed() < Duration::from_secs(30) {
        if let Ok(SamplerEvent::Error(m)) = h.events.recv_timeout(Duration::from_secs(5)) {
            error = Some(m);
        }
    }
    let error = error.expect("an error event");
    assert!(error.starts_with(NEEDS_OPENMM), "{error}");
    assert!(error.contains("/nonexistent/walkjump-python"), "{error}");
    let (s1, _) = until(&h, 60, |s| s.kept > s0.kept + 10);
    assert!(!has_jsd(&s1));
    assert!(
        std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .all(|e| !e.file_name().to_string_lossy().contains("refmd")),
        "the folder of a run that never started is removed"
    );
}

/// A Python with OpenMM, or None (skipped, except under CI, where WALKJUMP_PYTHON must
/// be set; a Python without OpenMM there is skipped as tests/build.rs does).
fn openmm_python() -> Option<String> {
    let python = common::mdtraj_python()?;
    let ok = std::process::Command::new(&python)
        .args(["-c", "import openmm"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: no openmm in WALKJUMP_PYTHON");
        return None;
    }
    Some(python)
}

#[test]
fn reference_md_runs_openmm_and_the_jsd_panels_appear_and_its_process_ends_with_the_run() {
    let Some(python) = openmm_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let needle = dir.path().to_string_lossy().to_string();
    let h = start(dir.path());
    until(&h, 60, |s| s.kept >= 10);
    h.send(SamplerCommand::RunReferenceMd(ReferenceMdOptions {
        python: Some(python),
        ns: 1.0,
        equilibrate_ps: 2.0,
        reload_every: Duration::from_secs(2),
    }));
    let (s, said) = until(&h, 180, |s| {
        has_jsd(s)
            && s.reference_md
                .as_deref()
                .is_some_and(|m| m.contains("frames (OpenMM, amber14 + GBn2)"))
    });
    eprintln!("{:?}; messages {said:?}", s.reference_md);
    assert!(said.iter().all(|m| !m.starts_with("error")), "{said:?}");
    assert!(
        !processes_mentioning(&needle).is_empty(),
        "OpenMM runs while the reference grows"
    );
    // The reference sharpens: more frames at a later reload.
    let frames = |s: &Snapshot| -> usize {
        s.reference_md
            .as_deref()
            .and_then(|m| m.split_whitespace().nth(2))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let n0 = frames(&s);
    let (s2, _) = until(&h, 60, |x| frames(x) > n0);
    assert!(has_jsd(&s2));
    // Another system stops it: no process left, its folder removed.
    h.send(SamplerCommand::Load(ala2_without_reference()));
    until(&h, 60, |x| x.reference_md.is_none());
    let t0 = Instant::now();
    while !processes_mentioning(&needle).is_empty() && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        processes_mentioning(&needle).is_empty(),
        "{:?}",
        processes_mentioning(&needle)
    );
    assert!(std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .all(|e| !e.file_name().to_string_lossy().contains("refmd")));
}

/// A Python that starts but has no OpenMM gets the same clear message, with what it said.
#[cfg(unix)]
#[test]
fn reference_md_with_a_python_without_openmm_says_what_is_needed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let fake = common::write(
        dir.path(),
        "python-without-openmm",
        "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'openmm'\" >&2\nexit 1\n",
    );
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let runs = dir.path().join("runs");
    let h = start(&runs);
    until(&h, 60, |s| s.kept >= 10);
    h.send(SamplerCommand::RunReferenceMd(ReferenceMdOptions {
        python: Some(fake.to_string_lossy().into()),
        reload_every: Duration::from_millis(200),
        ..Default::default()
    }));
    let t0 = Instant::now();
    let mut error = None;
    while error.is_none() && t0.elapsed() < Duration::from_secs(30) {
        if let Ok(SamplerEvent::Error(m)) = h.events.recv_timeout(Duration::from_secs(5)) {
            error = Some(m);
        }
    }
    let error = error.expect("an error event");
    assert!(error.starts_with(NEEDS_OPENMM), "{error}");
    assert!(error.contains("No module named 'openmm'"), "{error}");
    let (s, _) = until(&h, 30, |s| {
        s.reference_md
            .as_deref()
            .is_some_and(|m| m.starts_with("reference MD failed"))
    });
    assert!(!has_jsd(&s));
}
