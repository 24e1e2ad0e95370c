//! Sampler mechanics: divergence is reported and restarted, never NaN; parameter checks.

use walkjump::denoiser::{Denoiser, GmmDenoiser};
use walkjump::error::Result;
use walkjump::rng::WjRng;
use walkjump::sampler::{JumpKind, WalkJump, WalkParams};
use walkjump::systems::GaussianMixture2d;

/// Wraps the exact GMM denoiser but returns NaN for chain 1 on its 10th call.
struct Faulty {
    inner: GmmDenoiser,
    calls: usize,
}

impl Denoiser for Faulty {
    fn name(&self) -> String {
        "faulty".into()
    }
    fn dim(&self) -> usize {
        2
    }
    fn denoise(
        &mut self,
        y: &[f64],
        s: f64,
        rng: &mut WjRng,
        mean: &mut [f64],
        sample: Option<&mut [f64]>,
    ) -> Result<()> {
        self.inner.denoise(y, s, rng, mean, sample)?;
        self.calls += 1;
        if self.calls == 10 {
            mean[2] = f64::NAN;
        }
        Ok(())
    }
}

#[test]
fn a_diverging_chain_is_reported_and_restarted() {
    let den = Faulty {
        inner: GmmDenoiser::new(GaussianMixture2d::default_mixture()),
        calls: 0,
    };
    let mut wj = WalkJump::new(
        WalkParams::defaults(0.2),
        Box::new(den),
        vec![vec![-1.0, -0.5]],
        3,
        1,
    )
    .unwrap();
    let mut restarted = vec![];
    for _ in 0..50 {
        let r = wj.step().unwrap();
        restarted.extend(r.restarted);
        assert!(wj.y().iter().chain(wj.jumps()).all(|v| v.is_finite()));
    }
    assert_eq!(restarted, vec![1]);
    assert_eq!(wj.restarts, 1);
}

#[test]
fn invalid_parameters_are_refused() {
    let mk = |p: WalkParams| {
        WalkJump::new(
            p,
            Box::new(GmmDenoiser::new(GaussianMixture2d::default_mixture())),
            vec![vec![0.0, 0.0]],
            1,
            1,
        )
    };
    assert!(mk(WalkParams {
        sigma: 0.0,
        ..WalkParams::defaults(0.2)
    })
    .is_err());
    assert!(mk(WalkParams {
        dt: f64::NAN,
        ..WalkParams::defaults(0.2)
    })
    .is_err());
    assert!(mk(WalkParams {
        jump_every: 0,
        ..WalkParams::defaults(0.2)
    })
    .is_err());
    assert!(mk(WalkParams {
        jump: JumpKind::Sample,
        ..WalkParams::defaults(0.2)
    })
    .is_ok());
}

#[test]
fn score_clipping_bounds_the_kick() {
    // Far from the mixture the exact score is huge; with a clip of 1 a single step from
    // rest moves y by at most dt²/2 · 1 per BAOAB half-kick plus noise.
    let p = WalkParams {
        clip: Some(1.0),
        gamma: 0.0,
        ..WalkParams::defaults(0.2)
    };
    let mut wj = WalkJump::new(
        p,
        Box::new(GmmDenoiser::new(GaussianMixture2d::default_mixture())),
        vec![vec![30.0, 30.0]],
        1,
        1,
    )
    .unwrap();
    let y0 = wj.y().to_vec();
    wj.step().unwrap();
    let moved = ((wj.y()[0] - y0[0]).powi(2) + (wj.y()[1] - y0[1]).powi(2)).sqrt();
    assert!(moved <= 0.5 * 0.2 * 0.2 + 1e-12, "moved {moved}");
}

#[test]
fn changing_sigma_while_running_takes_effect() {
    let mut wj = WalkJump::new(
        WalkParams::defaults(0.2),
        Box::new(GmmDenoiser::new(GaussianMixture2d::default_mixture())),
        vec![vec![-1.0, -0.5]],
        4,
        1,
    )
    .unwrap();
    wj.step().unwrap();
    wj.set_params(WalkParams::defaults(0.5)).unwrap();
    assert_eq!(wj.params.sigma, 0.5);
    assert!(wj.set_params(WalkParams::defaults(-1.0)).is_err());
    assert_eq!(wj.params.sigma, 0.5);
}
