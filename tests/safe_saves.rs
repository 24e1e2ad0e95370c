//! Saves that cannot lose data: a killed save, a read-only directory or a full disk
//! leave the previous file whole and say what went wrong; the live sampler keeps
//! running through a failed save, and a save holds every jump of a long run.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use walkjump::io::{read_trajectory, write_atomically, write_trajectory};
use walkjump::live::{self, LiveConfig, LiveHandle, SamplerEvent, Snapshot, SystemSpec};
use walkjump::molecule::{load_structure, LoadOptions};
use walkjump::nn::BackendKind;

fn walkjump_cmd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_walkjump"));
    c.env("RUST_LOG", "warn");
    c
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A small valid trajectory of ala2 at `p`: "the previous file".
fn previous_file(p: &Path) -> Vec<u8> {
    let s = load_structure(&common::ala2(), LoadOptions::default()).unwrap();
    write_trajectory(p, &s.topology, &[s.positions.clone(), s.positions]).unwrap();
    std::fs::read(p).unwrap()
}

/// A tmpfs mounted on a fresh temporary directory (needs root and a kernel that lets
/// this process mount), unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount_read_only(&self) -> bool {
        Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(self.path())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// A read-only directory holding a previous trajectory `prev.dcd`: permission bits
/// where they bind, a read-only tmpfs for root; None (with a message) if neither works.
struct ReadOnlyDir {
    _mount: Option<Tmpfs>,
    _dir: Option<tempfile::TempDir>,
    path: PathBuf,
    previous: Vec<u8>,
}

impl ReadOnlyDir {
    fn new() -> Option<ReadOnlyDir> {
        if is_root() {
            let m = Tmpfs::mount("1m")?;
            let previous = previous_file(&m.path().join("prev.dcd"));
            if !m.remount_read_only() {
                return None;
            }
            let path = m.path().to_path_buf();
            Some(ReadOnlyDir {
                _mount: Some(m),
                _dir: None,
                path,
                previous,
            })
        } else {
            use std::os::unix::fs::PermissionsExt;
            let d = tempfile::tempdir().ok()?;
            let previous = previous_file(&d.path().join("prev.dcd"));
            std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o555)).ok()?;
            let path = d.path().to_path_buf();
            Some(ReadOnlyDir {
                _mount: None,
                _dir: Some(d),
                path,
                previous,
            })
        }
    }
}

impl Drop for ReadOnlyDir {
    fn drop(&mut self) {
        if self._dir.is_some() {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(0o755));
        }
    }
}

#[test]
fn a_save_killed_mid_write_leaves_the_previous_file_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("traj.dcd");
    let previous = previous_file(&out);
    // An MD run that would write a frame every step for a very long time.
    let mut child = walkjump_cmd()
        .args(["md", "--system", "lj13", "--steps", "1000000000"])
        .args(["--save-every", "1", "--equilibrate", "0", "--out"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("walkjump runs");
    // Wait until it is well into writing (a partial file beside the destination).
    let t0 = Instant::now();
    let part = loop {
        let part = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().ends_with(".part"));
        if let Some(p) = part {
            if std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0) > 256 * 1024 {
                break p;
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "no partial file grew in 120 s: {:?}",
            names_in(dir.path())
        );
        assert!(child.try_wait().unwrap().is_none(), "md ended early");
        std::thread::sleep(Duration::from_millis(20));
    };
    // SIGKILL: nothing of the writer's own clean-up runs.
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        std::fs::read(&out).unwrap(),
        previous,
        "the previous file changed"
    );
    assert_eq!(read_trajectory(&out, 22).unwrap().frames.len(), 2);
    // The frames of the killed run are in the partial file, not in the destination.
    assert!(part.exists());
    assert!(part
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with(".traj.dcd."));
}

#[test]
fn an_unwritable_path_is_an_error_that_names_it() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where a directory should be: unwritable for root too.
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, b"not a directory").unwrap();
    let s = load_structure(&common::ala2(), LoadOptions::default()).unwrap();
    let frames = vec![s.positions.clone(); 3];
    for name in ["x.dcd", "x.pdb", "x.json"] {
        let p = blocker.join(name);
        let e = if name.ends_with("json") {
            write_atomically(&p, b"{}").unwrap_err()
        } else {
            write_trajectory(&p, &s.topology, &frames).unwrap_err()
        };
        assert!(
            e.to_string().contains(&p.display().to_string()),
            "{name}: {e}"
        );
    }
    let fig = blocker.join("h.png");
    let series = vec![("a".to_string(), vec![(0.0, 1.0), (1.0, 2.0)])];
    let e = walkjump::plots::lines(&fig, "t", "x", "y", &series).unwrap_err();
    assert!(e.to_string().contains("h.png"), "{e}");
    assert_eq!(std::fs::read(&blocker).unwrap(), b"not a directory");
    // The command line says so and exits non-zero.
    let o = walkjump_cmd()
        .args([
            "md",
            "--system",
            "lj13",
            "--steps",
            "100",
            "--equilibrate",
            "0",
        ])
        .arg("--out")
        .arg(blocker.join("md.dcd"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = common::stderr(&o);
    assert!(err.contains("blocker/md.dcd"), "{err}");
}

#[test]
fn a_read_only_directory_keeps_the_previous_file_and_says_so() {
    let Some(ro) = ReadOnlyDir::new() else {
        eprintln!("skipped: no read-only directory could be made here (mount failed)");
        return;
    };
    let prev = ro.path.join("prev.dcd");
    let s = load_structure(&common::ala2(), LoadOptions::default()).unwrap();
    let e = write_trajectory(&prev, &s.topology, &vec![s.positions.clone(); 5]).unwrap_err();
    assert!(e.to_string().contains("prev.dcd"), "{e}");
    assert_eq!(std::fs::read(&prev).unwrap(), ro.previous);
    let o = walkjump_cmd()
        .args([
            "md",
            "--system",
            "lj13",
            "--steps",
            "100",
            "--equilibrate",
            "0",
        ])
        .arg("--out")
        .arg(&prev)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = common::stderr(&o);
    assert!(err.contains("prev.dcd"), "{err}");
    assert_eq!(std::fs::read(&prev).unwrap(), ro.previous);
    assert_eq!(names_in(&ro.path), ["prev.dcd"]);
}

#[test]
fn a_full_disk_keeps_the_previous_file_and_says_so() {
    let Some(fs) = Tmpfs::mount("64k") else {
        eprintln!("skipped: cannot mount a tiny tmpfs here (needs root)");
        return;
    };
    let prev = fs.path().join("prev.dcd");
    let previous = previous_file(&prev);
    // About 3 MB of frames into 64 kB.
    let o = walkjump_cmd()
        .args([
            "md",
            "--system",
            "lj13",
            "--steps",
            "20000",
            "--save-every",
            "1",
        ])
        .args(["--equilibrate", "0", "--out"])
        .arg(&prev)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = common::stderr(&o);
    assert!(
        err.contains("prev.dcd") && err.contains("No space left"),
        "{err}"
    );
    assert_eq!(std::fs::read(&prev).unwrap(), previous);
    assert_eq!(
        names_in(fs.path()),
        ["prev.dcd"],
        "the partial file is gone"
    );
    let e = write_atomically(&prev, &vec![7u8; 1 << 20]).unwrap_err();
    assert!(e.to_string().contains("prev.dcd"), "{e}");
    assert_eq!(std::fs::read(&prev).unwrap(), previous);
    assert_eq!(names_in(fs.path()), ["prev.dcd"]);
}

// ---- the live sampler ----

fn lj13() -> SystemSpec {
    SystemSpec::Cluster {
        name: "lj13".into(),
        model: common::repo().join("models/lj13.wjm"),
    }
}

fn start(chains: usize, run_dir: Option<PathBuf>) -> LiveHandle {
    live::spawn(
        lj13(),
        LiveConfig {
            backend: BackendKind::Ndarray,
            chains,
            run_dir,
            ..Default::default()
        },
    )
}

/// Events until `pred` holds for a snapshot; the errors and notices seen on the way.
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

/// Events until a notice or error satisfies `pred`; returns it.
fn message(h: &LiveHandle, secs: u64, pred: impl Fn(&str) -> bool) -> String {
    let t0 = Instant::now();
    let mut said = vec![];
    while t0.elapsed() < Duration::from_secs(secs) {
        let m = match h.events.recv_timeout(Duration::from_secs(5)) {
            Ok(SamplerEvent::Error(m)) => format!("error: {m}"),
            Ok(SamplerEvent::Notice(m)) => m,
            _ => continue,
        };
        if pred(&m) {
            return m;
        }
        said.push(m);
    }
    panic!("no such message in {secs} s; messages: {said:?}");
}

#[test]
fn the_live_sampler_keeps_running_after_a_failed_save() {
    let h = start(4, None);
    let (s, _) = until(&h, 120, |s| s.kept >= 40);
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, b"x").unwrap();
    let bad = blocker.join("run.dcd");
    h.send(live::SamplerCommand::SaveEnsemble(bad.clone()));
    let e = message(&h, 60, |m| m.starts_with("error:"));
    assert!(e.contains("blocker/run.dcd"), "{e}");
    h.send(live::SamplerCommand::SaveMetrics(blocker.join("m.json")));
    let e = message(&h, 60, |m| m.starts_with("error:"));
    assert!(e.contains("blocker/m.json"), "{e}");
    // More samples arrive, and it is not paused.
    let (later, _) = until(&h, 120, |x| x.kept >= s.kept + 40);
    assert!(!later.paused);
    assert_eq!(later.saveable, later.kept);
    // A save to a good path works afterwards.
    let good = dir.path().join("run.dcd");
    h.send(live::SamplerCommand::SaveEnsemble(good.clone()));
    let m = message(&h, 60, |m| m.starts_with("saved") || m.starts_with("error"));
    assert!(m.contains("jumps of this run"), "{m}");
    assert!(read_trajectory(&good, 13).unwrap().frames.len() >= later.kept);
}

#[test]
fn a_save_holds_every_jump_of_a_run_longer_than_the_old_50000_limit() {
    let runs = tempfile::tempdir().unwrap();
    // 500 chains: 60,000 jumps in 120 walk steps.
    let h = start(500, Some(runs.path().to_path_buf()));
    let _ = until(&h, 600, |s| s.kept >= 60_000);
    h.send(live::SamplerCommand::Pause(true));
    let (s, said) = until(&h, 60, |s| s.paused);
    assert!(said.iter().all(|m| !m.starts_with("error")), "{said:?}");
    assert!(s.kept >= 60_000);
    assert_eq!(s.saveable, s.kept, "a save holds every jump");
    // The run file lives under the configured directory while the run does.
    let run_dirs = names_in(runs.path());
    assert_eq!(run_dirs.len(), 1, "{run_dirs:?}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("all.dcd");
    h.send(live::SamplerCommand::SaveEnsemble(out.clone()));
    let m = message(&h, 120, |m| {
        m.starts_with("saved") || m.starts_with("error")
    });
    assert!(
        m.contains(&format!("saved {} frames (all {} jumps", s.kept, s.kept)),
        "{m}"
    );
    let frames = read_trajectory(&out, 13).unwrap().frames;
    assert_eq!(frames.len(), s.kept);
    assert!(frames.iter().all(|f| f.iter().all(|v| v.is_finite())));
    let info = walkjump::io::run_info::RunInfo::load_for(&out)
        .unwrap()
        .unwrap();
    assert_eq!(info.chains, 500);
    assert_eq!(info.chains * info.frames_per_chain, s.kept);
    // The run file goes with the run.
    drop(h);
    assert!(names_in(runs.path()).is_empty());
}

#[test]
fn a_full_disk_under_the_run_file_is_reported_once_and_sampling_goes_on() {
    let Some(fs) = Tmpfs::mount("64k") else {
        eprintln!("skipped: cannot mount a tiny tmpfs here (needs root)");
        return;
    };
    // 13 atoms: 156 bytes a jump, so 64 kB hold about 400 jumps.
    let h = start(8, Some(fs.path().to_path_buf()));
    let (s, said) = until(&h, 300, |s| s.kept >= 2_000);
    let errors: Vec<&String> = said.iter().filter(|m| m.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{said:?}");
    assert!(errors[0].contains("run file"), "{}", errors[0]);
    assert!(s.saveable > 0 && s.saveable < 500, "{}", s.saveable);
    let (later, said) = until(&h, 300, |x| x.kept >= s.kept + 400);
    assert!(!later.paused);
    assert_eq!(later.saveable, s.saveable);
    assert!(
        said.iter().all(|m| !m.starts_with("error")),
        "reported once: {said:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("part.dcd");
    h.send(live::SamplerCommand::SaveEnsemble(out.clone()));
    let m = message(&h, 60, |m| m.starts_with("saved") || m.starts_with("error"));
    assert!(
        m.contains("of the") && m.contains("could not be written"),
        "{m}"
    );
    let n = read_trajectory(&out, 13).unwrap().frames.len();
    assert_eq!(n, s.saveable / 8 * 8);
    assert!(m.starts_with(&format!("saved {n} frames")), "{m}");
}
