//! The teaching lab's science: reverse diffusion and a learned denoiser on planar
//! densities against exact laws, and the DynamicsDiffusion trajectory model against
//! Brownian dynamics.

use walkjump::analysis::{histogram_tvd, Hist2d};
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
        histogram_tvd(&h, &exact.p_x),
        histogram_tvd(&iid, &exact.p_x),
        d.calls,
    )
}

#[test]
fn reverse_diffusion_with_the_exact_denoiser_reaches_p_x() {
    let n = 20_000;
    for sys in [&DoubleWell as &dyn Planar, &MullerBrown::default()] {
        let t0 = std::time::Instant::now();
        let (t, chance, calls) = diffusion_tvd(sys, n, 80);
        eprintln!(
            "{}: diffusion TVD {t:.4} (i.i.d. {chance:.4}), {:.1} calls per sample, {:.1} s",
            sys.name(),
            calls as f64 / n as f64,
            t0.elapsed().as_secs_f64()
        );
        assert!(t < 0.05, "{}: TVD {t} (chance {chance})", sys.name());
        // Many denoiser calls per sample, where walk-jump needs one.
        assert!(calls as f64 / n as f64 >= 79.0);
    }
}

#[test]
fn a_learned_planar_denoiser_approaches_the_exact_one() {
    let sigma = 0.3;
    let mut cfg = PlanarTrainConfig::new(sigma);
    cfg.steps = 800;
    let model = train(&DoubleWell, &cfg, |_| std::ops::ControlFlow::Continue(())).unwrap();
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

fn shipped_model() -> DynamicsModel<Cpu> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/dynamics-double-well.wjd");
    DynamicsModel::load(&path, &Default::default()).unwrap()
}

#[test]
fn generated_trajectories_match_brownian_dynamics() {
    let model = shipped_model();
    let r = compare_at(&model, 1.0, 384, 100, 21);
    eprintln!(
        "kT 1: F gap max {:.3} mean {:.3} (simulated vs exact {:.3}); ACF x {:.3} y {:.3}",
        r.free_energy_max_gap_wells,
        r.free_energy_mean_gap_wells,
        r.simulated_vs_exact_max_gap,
        r.acf_x_max_diff,
        r.acf_y_max_diff
    );
    assert!(r.free_energy_max_gap_wells < 0.5, "{r:?}");
    assert!(r.acf_x_max_diff < 0.15 && r.acf_y_max_diff < 0.15, "{r:?}");
    // The temperature condition is used: at k_BT 1.5 the generated frames spread
    // further in y than at 0.5.
    let mut rng = seeded(4);
    let spread = |kt: f64, rng: &mut walkjump::rng::WjRng| {
        let g = model.generate(64, kt, 60, rng);
        let ys: Vec<f64> = g.iter().flatten().map(|p| p[1]).collect();
        (ys.iter().map(|y| y * y).sum::<f64>() / ys.len() as f64).sqrt()
    };
    let (cold, hot) = (spread(0.5, &mut rng), spread(1.5, &mut rng));
    // Exact: sd(y) = √(k_BT / 6): 0.29 and 0.50.
    eprintln!("sd(y): {cold:.3} at 0.5, {hot:.3} at 1.5");
    assert!((cold - 0.289).abs() < 0.05 && (hot - 0.5).abs() < 0.07);
}

#[test]
fn inpainted_paths_keep_their_ends_and_cross_the_barrier() {
    let model = shipped_model();
    let r = inpaint_report(&model, 64, 100, 8);
    eprintln!("{r:?}");
    assert!(r.max_endpoint_error < 1e-9, "{r:?}");
    assert_eq!(r.crossing_fraction, 1.0);
    // Variations of a path stay near it for small noise and move away for large.
    let path = walkjump::lab::evaluate::transition_paths(&model, 1, 100, 3).remove(0);
    let mut rng = seeded(6);
    let rmsd = |noise: f64, rng: &mut walkjump::rng::WjRng| {
        let v = model.variations(&path, 8, 1.0, noise, 60, rng);
        let n = (v.len() * path.len()) as f64;
        (v.iter()
            .flat_map(|q| q.iter().zip(&path))
            .map(|(a, b)| (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2))
            .sum::<f64>()
            / n)
            .sqrt()
    };
    let (near, far) = (rmsd(0.1, &mut rng), rmsd(2.0, &mut rng));
    eprintln!("variation RMSD: {near:.3} at noise 0.1, {far:.3} at 2.0");
    assert!(near < far && near < 0.3, "{near} {far}");
}

#[test]
fn a_trajectory_model_file_round_trips_and_damage_is_reported() {
    let model = shipped_model();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.wjd");
    model.save(&p).unwrap();
    let back = DynamicsModel::<Cpu>::load(&p, &Default::default()).unwrap();
    let a = model.generate(2, 1.0, 10, &mut seeded(1));
    let b = back.generate(2, 1.0, 10, &mut seeded(1));
    assert_eq!(a, b);
    let mut bytes = std::fs::read(&p).unwrap();
    let n = bytes.len();
    bytes[n - 10] ^= 0xff;
    std::fs::write(&p, &bytes).unwrap();
    let e = DynamicsModel::<Cpu>::load(&p, &Default::default())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("damaged"), "{e}");
    let e = DynamicsModel::<Cpu>::load(&dir.path().join("none.wjd"), &Default::default())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("none.wjd"), "{e}");
}

#[test]
fn a_trajectory_model_trains_stops_when_asked_and_saves() {
    let cfg = walkjump::lab::DynamicsTrainConfig {
        hidden: 16,
        blocks: 1,
        steps: 1000,
        batch: 8,
        ..Default::default()
    };
    let mut reported = vec![];
    let model = walkjump::lab::trajdiff::train(&cfg, |p| {
        reported.push(p.step);
        if p.step > 50 {
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(())
        }
    })
    .unwrap();
    // Reports every 50 steps: after steps 1 and 51, where it was stopped.
    assert_eq!(reported, [1, 51]);
    assert_eq!(model.meta.steps_trained, 51);
    assert!(model.meta.final_loss.is_finite());
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.wjd");
    model.save(&p).unwrap();
    let back = DynamicsModel::<Cpu>::load(&p, &Default::default()).unwrap();
    // serde_json's default float parser may land one ulp off; everything else is exact.
    let (a, b) = (back.meta.final_loss, model.meta.final_loss);
    assert!((a - b).abs() <= 1e-12 * b.abs(), "{a} vs {b}");
    let mut back_meta = back.meta.clone();
    back_meta.final_loss = model.meta.final_loss;
    assert_eq!(back_meta, model.meta);
}
