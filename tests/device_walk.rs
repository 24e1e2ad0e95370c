//! The walk held on the device (f32 tensors, noise drawn there) against the host walk
//! (f64): the same laws on an exact planar system, and the same path where the walk
//! has no noise.

mod common;

use walkjump::analysis::{histogram_tvd, Hist2d};
use walkjump::denoiser::grid::{exact_planar, spacing_for, DensityGrid};
use walkjump::denoiser::{Denoiser, GmmDenoiser};
use walkjump::error::Result;
use walkjump::molecule::{load_structure, LoadOptions};
use walkjump::nn::{
    load_denoiser, load_device_walk, BackendKind, Cpu, DeviceWalk, OnHost, WalkStart,
};
use walkjump::rng::{seeded, WjRng};
use walkjump::sampler::{Splitting, Walk, WalkJump, WalkParams};
use walkjump::systems::GaussianMixture2d;
use walkjump::toy::ranges;

const CHAINS: usize = 2048;
const STEPS: usize = 150;

/// TVD of the device walk's y against p_Y and of its mean jumps against the exact law
/// of x̂(Y), for the Gaussian mixture with `den`, chains started from exact draws.
fn device_tvds(den: Box<dyn Denoiser>, params: WalkParams) -> (f64, f64, usize) {
    let gmm = GaussianMixture2d::default_mixture();
    let sigma = params.sigma;
    let (xr, yr) = ranges(&gmm, sigma, 30);
    let grid = DensityGrid::new(&gmm, spacing_for(sigma));
    let mut rng = seeded(11 ^ 0xabcdef);
    let starts: Vec<Vec<f64>> = (0..CHAINS)
        .map(|_| grid.sample_point(&mut rng).to_vec())
        .collect();
    let device = Default::default();
    let on_host = Box::new(OnHost::<Cpu>::new(den, device, 3));
    let mut walk = DeviceWalk::<Cpu>::new(params, on_host, device, starts, CHAINS, 11).unwrap();
    let (mut hy, mut hx) = (Hist2d::new(xr, yr), Hist2d::new(xr, yr));
    for _ in 0..STEPS {
        let r = walk.step().unwrap();
        assert!(r.jumped);
        for c in 0..CHAINS {
            let (y, x) = (walk.y_of(c), walk.jump_of(c));
            hy.add(y[0], y[1]);
            hx.add(x[0], x[1]);
        }
    }
    let exact = exact_planar(&gmm, sigma, xr, yr);
    (
        histogram_tvd(&hy, &exact.p_y),
        histogram_tvd(&hx, &exact.mean_jump),
        walk.restarts(),
    )
}

#[test]
fn the_device_walk_samples_the_exact_smoothed_law_with_both_splittings() {
    // Claim: with its state in f32 on the device and its noise drawn there, the walk
    // still samples p_Y, and its mean jumps the law of x̂(Y), within the bounds the
    // host walk meets in tests/exact_planar.rs (2048 chains x 150 steps, 30x30 bins).
    let gmm = GaussianMixture2d::default_mixture();
    for splitting in [Splitting::Baoab, Splitting::Aboba] {
        let params = WalkParams {
            splitting,
            ..WalkParams::defaults(0.2)
        };
        let (walk, jumps, restarts) = device_tvds(Box::new(GmmDenoiser::new(gmm.clone())), params);
        eprintln!("{splitting:?}: TVD walk vs p_Y {walk:.4}, mean jumps vs law {jumps:.4}");
        assert_eq!(restarts, 0);
        assert!(walk < 0.05, "{splitting:?}: walk vs p_Y {walk}");
        assert!(jumps < 0.05, "{splitting:?}: mean jumps vs law {jumps}");
    }
}

#[test]
fn a_wrong_score_moves_the_device_walk_off_the_exact_law() {
    // Negative control of the test above: the same statistic sees a wrong score.
    let gmm = GaussianMixture2d::default_mixture();
    let (walk, _, _) = device_tvds(
        Box::new(common::WrongSigma(GmmDenoiser::new(gmm))),
        WalkParams::defaults(0.2),
    );
    assert!(walk > 0.05, "a wrong score should be seen: TVD {walk}");
}

/// y and the jumps of `walk` after `steps` steps, all chains.
fn after(walk: &mut dyn Walk, steps: usize) -> (Vec<f64>, Vec<f64>) {
    for _ in 0..steps {
        walk.step().unwrap();
    }
    let all = |f: &dyn Fn(usize) -> Vec<f64>| (0..walk.chains()).flat_map(f).collect();
    (
        all(&|c| walk.y_of(c).to_vec()),
        all(&|c| walk.jump_of(c).to_vec()),
    )
}

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}

#[test]
fn without_noise_the_device_and_host_walks_take_the_same_path_on_alanine_dipeptide() {
    // Claim: with γ = 0 the walk is deterministic given its start, and both walks draw
    // the same start for one seed; the device walk (f32, centring and batching on the
    // device) then follows the host walk (f64) with the shipped model to f32 rounding.
    // Negative control: a 10 % longer step, on the device, leaves that path.
    let st = load_structure(&common::ala2(), LoadOptions::default()).unwrap();
    let model = common::repo().join("models/ala2.wjm");
    let sigma = walkjump::nn::read_model_meta(&model).unwrap().sigma;
    let params = WalkParams {
        gamma: 0.0,
        clip: Some(WalkParams::auto_clip(66, sigma)),
        ..WalkParams::defaults(sigma)
    };
    let (chains, steps, seed) = (3, 8usize, 21);
    let starts = vec![st.positions.clone()];
    let device_walk = |params: WalkParams| {
        let start = WalkStart {
            params,
            starts: starts.clone(),
            chains,
            seed,
        };
        load_device_walk(BackendKind::Ndarray, &model, &st.topology, start).unwrap()
    };
    // BAOAB recording every step; ABOBA (force mid-step) recording every 3rd step
    // with a clip small enough to act on every chain.
    let aboba = WalkParams {
        splitting: Splitting::Aboba,
        jump_every: 3,
        clip: Some(5.0),
        ..params
    };
    for p in [params, aboba] {
        let n_steps = steps.next_multiple_of(p.jump_every);
        let den = load_denoiser(BackendKind::Ndarray, &model, &st.topology).unwrap();
        let mut host = WalkJump::new(p, den, starts.clone(), chains, seed).unwrap();
        let (hy, hx) = after(&mut host, n_steps);
        let (dy, dx) = after(device_walk(p).as_mut(), n_steps);
        let (ey, ex) = (max_diff(&hy, &dy), max_diff(&hx, &dx));
        let longer = WalkParams {
            dt: 1.1 * p.dt,
            ..p
        };
        let (ly, _) = after(device_walk(longer).as_mut(), n_steps);
        let control = max_diff(&hy, &ly);
        eprintln!(
            "{:?}, jump every {}: |Δy| {ey:.2e} Å, |Δx̂| {ex:.2e} Å; 10 % longer step: {control:.2e} Å",
            p.splitting, p.jump_every
        );
        assert!(
            ey < 2e-3 && ex < 2e-3,
            "device and host walks part: {ey} {ex}"
        );
        assert!(
            control > 20.0 * ey.max(1e-4),
            "the control should part: {control}"
        );
    }
}

#[test]
fn the_device_walk_restarts_a_chain_that_runs_away() {
    // Claim: a chain that runs off beyond the divergence bound is put back near its
    // start (v = 0) at the next jump step, and reported; the other is left alone.
    // Chain 1's x̂ is always 1 ahead of its y, a push the clip holds to a terminal
    // speed of 20 (< the bound of 50), so it drifts off over ~13 steps, not at once.
    let gmm = GaussianMixture2d::default_mixture();
    let params = WalkParams {
        divergence_bound: 50.0,
        clip: Some(20.0),
        ..WalkParams::defaults(0.2)
    };
    let device = Default::default();
    let den = Box::new(OnHost::<Cpu>::new(
        Box::new(RunAway(GmmDenoiser::new(gmm))),
        device,
        1,
    ));
    let starts = vec![vec![0.0, 0.0], vec![0.5, 0.5]];
    let mut walk = DeviceWalk::<Cpu>::new(params, den, device, starts, 2, 5).unwrap();
    let steps = 40;
    let mut restarted = vec![];
    for _ in 0..steps {
        let r = walk.step().unwrap();
        if r.restarted.contains(&1) {
            // Back at its start with fresh noise of size σ.
            let y = walk.y_of(1);
            assert!(
                (y[0] - 0.5).abs() < 1.0 && (y[1] - 0.5).abs() < 1.0,
                "{y:?}"
            );
        }
        restarted.extend(r.restarted);
    }
    assert!(
        !restarted.is_empty() && restarted.iter().all(|&c| c == 1),
        "{restarted:?}"
    );
    assert!(
        restarted.len() < steps,
        "restarted at every step: {restarted:?}"
    );
    assert_eq!(walk.restarts(), restarted.len());
}

/// Chain 1's x̂ always 1 ahead of its y in both coordinates: a constant push outwards.
struct RunAway(GmmDenoiser);
impl Denoiser for RunAway {
    fn name(&self) -> String {
        "run-away".into()
    }
    fn dim(&self) -> usize {
        2
    }
    fn denoise(
        &mut self,
        y: &[f64],
        sigma: f64,
        rng: &mut WjRng,
        mean: &mut [f64],
        _s: Option<&mut [f64]>,
    ) -> Result<()> {
        self.0.denoise(y, sigma, rng, mean, None)?;
        if mean.len() >= 4 {
            mean[2] = y[2] + 1.0;
            mean[3] = y[3] + 1.0;
        }
        Ok(())
    }
}
