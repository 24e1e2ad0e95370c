//! The walk on a molecule, with an exact score: `EmpiricalDenoiser` gives the exact
//! score of a set of alanine dipeptide frames (smoothed at σ, over rotations), so the
//! walk's equilibrium is known. This is the control that tells a faulty walk from a
//! wrong learned score.

mod common;

use common::topology_and_frames;
use walkjump::analysis::basin::residue_basins;
use walkjump::denoiser::EmpiricalDenoiser;
use walkjump::molecule::Topology;
use walkjump::sampler::{spread_starts, ChiralityGuard, Walk, WalkJump, WalkParams};

/// αR share (φ, ψ core) of alanine dipeptide over `frames`.
fn alpha_share(top: &Topology, frames: &[Vec<f64>]) -> f64 {
    residue_basins(top, frames)[0].fractions[1]
}

/// The jumps of 16 chains × 600 steps at σ = 0.3 Å (every fifth kept) with the exact
/// score of `frames`, from `starts`, with the chirality guard on as in `sample`.
fn walk(top: &Topology, frames: &[Vec<f64>], starts: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let den = EmpiricalDenoiser::new(frames, "ala2-train").unwrap();
    let params = WalkParams {
        jump_every: 5,
        ..WalkParams::defaults(0.3)
    };
    let mut w = WalkJump::new(params, Box::new(den), starts.to_vec(), 16, 11).unwrap();
    Walk::set_guard(&mut w, ChiralityGuard::for_starts(top, starts));
    let mut jumps = Vec::new();
    for _ in 0..600 {
        if w.step().unwrap().jumped {
            jumps.extend((0..16).map(|c| w.jump_of(c).to_vec()));
        }
    }
    jumps
}

#[test]
fn with_the_exact_score_the_walk_keeps_the_frames_alpha_helical_share() {
    // Claim: started in equilibrium, a walk whose score is exact stays there. With the
    // exact score of 1,500 frames of OpenMM's alanine dipeptide, at σ = 0.3 Å, Δt = σ
    // and γ = 1 (the transferable model's walk), the jumps keep the frames' αR share;
    // the learned σ = 0.3 models' walks lose most of it in the same protocol
    // (models/README.md), so it is their score, not the walk, that moves it.
    // Negative control: the same starts with the score of the frames outside αR lose
    // the αR share, so the share measured here does follow the score's density.
    let (top, all) =
        topology_and_frames("assets/alanine-dipeptide.pdb", "assets/data/ala2-train.dcd");
    let frames: Vec<Vec<f64>> = all.into_iter().step_by(4).collect();
    let starts = spread_starts(&frames, 16);
    let share = alpha_share(&top, &frames);
    let walked = alpha_share(&top, &walk(&top, &frames, &starts));
    let outside: Vec<Vec<f64>> = frames
        .iter()
        .filter(|x| alpha_share(&top, std::slice::from_ref(*x)) == 0.0)
        .cloned()
        .collect();
    let control = alpha_share(&top, &walk(&top, &outside, &starts));
    eprintln!("αR: frames {share:.3}, walk {walked:.3}, walk with the score of the frames outside αR {control:.3}");
    assert!(share > 0.2, "the frames have {share:.3} αR");
    assert!(
        (walked - share).abs() < 0.08,
        "the walk's αR share {walked:.3} is not the frames' {share:.3}"
    );
    assert!(
        control < 0.05,
        "without αR frames the walk kept {control:.3} αR"
    );
}
