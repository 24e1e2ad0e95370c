//! The chirality guard, on both walks: a move whose jump turns a stereocentre over is rejected
//! (the chain goes back to its last jump, velocity reversed), so every recorded jump
//! keeps the start's hand; without the guard the same walk records D-residues.
//!
//! The denoiser here is the identity, x̂ = y: the score is zero and every atom
//! diffuses freely, so the hands of the jumps turn over often and at random. That is
//! the hardest case for the guard; it does not stand in for a model (the shipped
//! model's D-jumps are measured in models/README.md).

mod common;

use walkjump::analysis::chirality::{inverted_fractions, l_residues};
use walkjump::denoiser::Identity;
use walkjump::molecule::build::build_peptide;
use walkjump::nn::{Cpu, DeviceIdentity, DeviceWalk};
use walkjump::sampler::{ChiralityGuard, Walk, WalkJump, WalkParams};

const CHAINS: usize = 6;
const STEPS: usize = 400;

/// Every recorded jump of `walk` (jump_every 2), the rejections per step, and, for
/// each rejection, whether the chain's jump and y are its previous ones exactly.
fn run(mut walk: Box<dyn Walk>) -> (Vec<Vec<f64>>, usize, bool) {
    let (mut frames, mut rejected, mut repeats) = (vec![], 0, true);
    let mut last: Vec<(Vec<f64>, Vec<f64>)> = (0..CHAINS)
        .map(|c| (walk.jump_of(c).to_vec(), walk.y_of(c).to_vec()))
        .collect();
    for _ in 0..STEPS {
        let r = walk.step().unwrap();
        if !r.jumped {
            assert!(r.rejected.is_empty(), "checked at jump steps only");
            continue;
        }
        for &c in &r.rejected {
            repeats &= walk.jump_of(c) == last[c].0.as_slice();
            repeats &= walk.y_of(c) == last[c].1.as_slice();
        }
        rejected += r.rejected.len();
        for (c, l) in last.iter_mut().enumerate() {
            frames.push(walk.jump_of(c).to_vec());
            *l = (walk.jump_of(c).to_vec(), walk.y_of(c).to_vec());
        }
    }
    // The guard counts what the reports said (a walk without one counts nothing).
    assert_eq!(walk.chirality_rejections().unwrap_or(0), rejected);
    (frames, rejected, repeats)
}

/// A small σ: the chains' first jumps (x̂ = y = start + σε) keep the start's hand,
/// so the guard has an L state to send every chain back to from the first check on.
fn params() -> WalkParams {
    WalkParams {
        jump_every: 2,
        dt: 0.1,
        ..WalkParams::defaults(0.05)
    }
}

fn max_d(frames: &[Vec<f64>]) -> f64 {
    let s = build_peptide("AKV").unwrap();
    inverted_fractions(&l_residues(&s.topology), frames)
        .into_iter()
        .fold(0.0, f64::max)
}

#[test]
fn with_the_guard_no_recorded_jump_turns_over_and_without_it_many_do() {
    let s = build_peptide("AKV").unwrap();
    let dim = s.positions.len();
    let host = |guard: bool| -> Box<dyn Walk> {
        let mut w = WalkJump::new(
            params(),
            Box::new(Identity { dim }),
            vec![s.positions.clone()],
            CHAINS,
            3,
        )
        .unwrap();
        w.set_guard(guard.then(|| ChiralityGuard::new(&s.topology, &s.positions).unwrap()));
        Box::new(w)
    };
    let device = |guard: bool| -> Box<dyn Walk> {
        let mut w = DeviceWalk::<Cpu>::new(
            params(),
            Box::new(DeviceIdentity { dim }),
            Default::default(),
            vec![s.positions.clone()],
            CHAINS,
            3,
        )
        .unwrap();
        w.set_guard(guard.then(|| ChiralityGuard::new(&s.topology, &s.positions).unwrap()));
        Box::new(w)
    };
    for (name, make) in [
        ("host", &host as &dyn Fn(bool) -> Box<dyn Walk>),
        ("device", &device),
    ] {
        // Negative control: the free walk turns centres over in many jumps.
        let (free, none, _) = run(make(false));
        assert_eq!(none, 0);
        assert!(max_d(&free) > 0.2, "{name}: free walk D {}", max_d(&free));
        let (held, rejected, repeats) = run(make(true));
        eprintln!(
            "{name}: free walk max D {:.3}; guarded: {rejected} of {} moves rejected",
            max_d(&free),
            CHAINS * STEPS / 2
        );
        assert_eq!(max_d(&held), 0.0, "{name}: a recorded jump turned over");
        assert!(rejected > 10, "{name}: only {rejected} rejections");
        assert!(
            repeats,
            "{name}: a rejected chain did not repeat its last jump"
        );
        // It is a wall, not a trap: most moves still go through.
        let moves = CHAINS * STEPS / 2;
        assert!(
            rejected < moves / 2,
            "{name}: {rejected} of {moves} rejected"
        );
    }
}

#[test]
fn sample_guards_a_peptide_by_default_counts_it_and_can_be_told_not_to() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        let text = common::sample_ala2(&out, "6", extra);
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.with_extension("xtc.json")).unwrap())
                .unwrap();
        (text, summary, out)
    };
    // `evaluate` says when samples come from guarded walks (their D is 0 by design).
    let reference = common::repo().join("assets/data/ala2-reference.dcd");
    let evaluate =
        |samples: &std::path::Path| common::evaluate(&common::ala2(), samples, &reference, &[]);
    let (text, on, on_file) = run("on.xtc", &[]);
    assert!(on["chirality_rejections"].is_u64(), "{on}");
    assert!(
        text.contains("chirality guard:") && text.contains("of 12 jump moves rejected"),
        "{text}"
    );
    let report = evaluate(&on_file);
    assert!(report.contains("Chirality guard") && report.contains("0 by construction"));
    // Negative control: off, the summary has no count and no output mentions a guard.
    let (text, off, off_file) = run("off.xtc", &["--chirality-guard", "off"]);
    assert!(off.get("chirality_rejections").is_none(), "{off}");
    assert!(!text.contains("chirality guard"), "{text}");
    assert!(!evaluate(&off_file).contains("Chirality guard"));
}
