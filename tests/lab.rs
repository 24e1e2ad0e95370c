//! The teaching lab's science: reverse diffusion and a learned denoiser on planar
//! densities against exact laws, and the DynamicsDiffusion trajectory model against
//! Brownian dynamics.

use walkjump::analysis::{tvd, Hist2d};
use walkjump::denoiser::grid::{exact_planar, spacing_for, DensityGrid};
use walkjump::lab::evaluate::{compare_at, inpaint_report};
use walkjump::lab::mlp2d::{train, PlanarTrainConfig};
use walkjump::lab::{DynamicsModel, PlanarDiffusion};
use walkjump::nn::Cpu;
use walkjump::rng::seeded;
use walkjump::systems::{DoubleWell, MullerBrown, Planar};
use walkjump::toy::ranges;

const BINS: usize = 20;

/// TVD of `n` diffusion samples against the exact p_X, and of `n` i.i.d. exact draws
/// (the chance level for that many samples).
fn diffusion_tvd(sys: &dyn Planar, n: usize, steps: usize) -> (f64, f64, u64) {
    let mut rng = seeded(5);
    let mut d = PlanarDiffusion::new(sys, steps, 256, &mut rng);
    let samples = d.sample(n, &mut rng);
    let (xr, yr) = ranges(sys, 0.05, BINS);
    let exact = exact_planar(sys, 0.05, xr, yr);
    let mut h = Hist2d::new(xr, yr);
    samples.iter().for_each(|p| h.add(p[0], p[1]));
    let grid = DensityGrid::new(sys, spacing_for(0.05));
    let mut iid = Hist2d::new(xr, yr);
    for _ in 0..n {
        let p = grid.sample_point(&mut rng);
        iid.add(p[0], p[1]);
    }
    (
        tvd(&h.counts, &exact.p_x.counts),
        tvd(&iid.counts, &exact.p_x.counts),
        d.calls,
    )
}

#[test]
fn reverse_diffusion_with_the_exact_denoiser_reaches_p_x() {
    let n = 20_000;
    for sys in [&DoubleWell as &dyn Planar, &MullerBrown::default()] {
        let t0 = std::time::Instant::now();
        let (t, chance, calls) = diffusion_tvd(sys, n, 60);
        eprintln!(
            "{}: diffusion TVD {t:.4} (i.i.d. {chance:.4}), {:.1} calls per sample, {:.1} s",
            sys.name(),
            calls as f64 / n as f64,
            t0.elapsed().as_secs_f64()
        );
        assert!(t < 0.05, "{}: TVD {t} (chance {chance})", sys.name());
        // Many denoiser calls per sample, where walk-jump needs one.
        assert!(calls as f64 / n as f64 >= 59.0);
    }
}

#[test]
fn a_learned_planar_denoiser_approaches_the_exact_one() {
    let sigma = 0.3;
    let mut cfg = PlanarTrainConfig::new(sigma);
    cfg.steps = 800;
    let model = train(&DoubleWell, &cfg, |_, _, _| true).unwrap();
    let grid = DensityGrid::new(&DoubleWell, spacing_for(sigma));
    let mut rng = seeded(9);
    let ys: Vec<f64> = (0..2000)
        .flat_map(|_| {
            let x = grid.sample_point(&mut rng);
            [
                x[0] + sigma * walkjump::rng::normal(&mut rng),
                x[1] + sigma * walkjump::rng::normal(&mut rng),
            ]
        })
        .collect();
    let learned = model.posterior_means(&ys);
    let (mut err, mut base) = (0.0, 0.0);
    for (k, y) in ys.chunks(2).enumerate() {
        let exact = grid.posterior_mean([y[0], y[1]], sigma);
        for d in 0..2 {
            err += (learned[2 * k + d] - exact[d]).powi(2);
            base += (y[d] - exact[d]).powi(2);
        }
    }
    let (err, base) = ((err / 2000.0).sqrt(), (base / 2000.0).sqrt());
    eprintln!("learned vs exact x̂: RMSE {err:.4}; y itself: {base:.4}");
    assert!(err < 0.25 * base, "learned {err} vs identity {base}");
}
