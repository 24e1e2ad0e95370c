//! Walk-jump on planar systems, where every distribution involved is known exactly:
//! the y-walk against p_Y, mean jumps against the law of x̂(Y), posterior-draw jumps
//! against p_X.

use crate::analysis::{histogram_tvd, Hist2d, Range};
use crate::denoiser::grid::{exact_planar, spacing_for, DensityGrid};
use crate::denoiser::Denoiser;
use crate::error::Result;
use crate::rng::seeded;
use crate::sampler::{JumpKind, WalkJump, WalkParams};
use crate::systems::Planar;

/// Histogram ranges for a planar system at noise σ: its bounds padded by 3σ so that
/// p_Y's mass lies inside too.
pub fn ranges(sys: &dyn Planar, sigma: f64, bins: usize) -> (Range, Range) {
    let [x0, x1, y0, y1] = sys.bounds();
    let p = 3.0 * sigma;
    (
        Range::new(x0 - p, x1 + p, bins),
        Range::new(y0 - p, y1 + p, bins),
    )
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PlanarReport {
    pub sigma: f64,
    pub samples: usize,
    pub tvd_walk_vs_p_y: f64,
    pub tvd_mean_jump_vs_exact_law: f64,
    pub tvd_mean_jump_vs_p_x: f64,
    pub tvd_sample_jump_vs_p_x: f64,
    /// Chance level: TVD between the exact p_X and an i.i.d. sample of the same size.
    pub tvd_iid_vs_p_x: f64,
    pub restarts: usize,
}

pub struct PlanarHistograms {
    pub walk: Hist2d,
    pub mean_jump: Hist2d,
    pub sample_jump: Hist2d,
    pub iid: Hist2d,
}

/// Run `chains` walkers for `steps` recorded steps, starting from exact draws of p_X
/// (so no burn-in is needed), recording y, x̂(y) and a posterior draw at every step.
pub fn run(
    sys: &dyn Planar,
    denoiser: Box<dyn Denoiser>,
    params: WalkParams,
    chains: usize,
    steps: usize,
    bins: usize,
    seed: u64,
) -> Result<(PlanarReport, PlanarHistograms)> {
    let sigma = params.sigma;
    let (xr, yr) = ranges(sys, sigma, bins);
    let grid = DensityGrid::new(sys, spacing_for(sigma));
    let mut rng = seeded(seed ^ 0xabcdef);
    let starts: Vec<Vec<f64>> = (0..chains)
        .map(|_| grid.sample_point(&mut rng).to_vec())
        .collect();
    let mut iid = Hist2d::new(xr, yr);
    for _ in 0..chains * steps {
        let p = grid.sample_point(&mut rng);
        iid.add(p[0], p[1]);
    }
    let params = WalkParams {
        jump: JumpKind::Sample,
        ..params
    };
    let mut wj = WalkJump::new(params, denoiser, starts, chains, seed)?;
    let mut h = PlanarHistograms {
        walk: Hist2d::new(xr, yr),
        mean_jump: Hist2d::new(xr, yr),
        sample_jump: Hist2d::new(xr, yr),
        iid,
    };
    for _ in 0..steps {
        wj.step()?;
        for c in 0..chains {
            let (y, m, s) = (
                &wj.y()[2 * c..],
                &wj.mean_jumps()[2 * c..],
                &wj.jumps()[2 * c..],
            );
            h.walk.add(y[0], y[1]);
            h.mean_jump.add(m[0], m[1]);
            h.sample_jump.add(s[0], s[1]);
        }
    }
    let exact = exact_planar(sys, sigma, xr, yr);
    let report = PlanarReport {
        sigma,
        samples: chains * steps,
        tvd_walk_vs_p_y: histogram_tvd(&h.walk, &exact.p_y),
        tvd_mean_jump_vs_exact_law: histogram_tvd(&h.mean_jump, &exact.mean_jump),
        tvd_mean_jump_vs_p_x: histogram_tvd(&h.mean_jump, &exact.p_x),
        tvd_sample_jump_vs_p_x: histogram_tvd(&h.sample_jump, &exact.p_x),
        tvd_iid_vs_p_x: histogram_tvd(&h.iid, &exact.p_x),
        restarts: wj.restarts,
    };
    Ok((report, h))
}
