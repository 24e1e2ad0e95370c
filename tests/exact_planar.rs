//! On planar systems the walk, the mean jumps and the posterior-draw jumps are checked
//! against exact distributions (TVD on 30x30 histograms).

mod common;

use walkjump::denoiser::{Denoiser, GmmDenoiser, GridDenoiser};
use walkjump::sampler::{Splitting, WalkParams};
use walkjump::systems::{DoubleWell, GaussianMixture2d, Planar};
use walkjump::toy::{run, PlanarReport};

// Many short chains started from exact draws: the well populations are then set by
// 2048 independent draws, not by rare barrier crossings of a few long chains.
const CHAINS: usize = 2048;
const STEPS: usize = 150;

fn check(sys: &dyn Planar, den: Box<dyn Denoiser>, params: WalkParams) -> PlanarReport {
    let (r, _) = run(sys, den, params, CHAINS, STEPS, 30, 11).unwrap();
    eprintln!("{} {r:?}", sys.name());
    assert_eq!(r.restarts, 0);
    r
}

#[test]
fn double_well_walk_and_jumps_match_exact_laws() {
    for sigma in [0.1, 0.3] {
        let r = check(
            &DoubleWell,
            Box::new(GridDenoiser::new(Box::new(DoubleWell), sigma)),
            WalkParams::defaults(sigma),
        );
        assert!(r.tvd_walk_vs_p_y < 0.05, "walk vs p_Y: {r:?}");
        assert!(
            r.tvd_mean_jump_vs_exact_law < 0.05,
            "mean jumps vs law of x̂(Y): {r:?}"
        );
        assert!(
            r.tvd_sample_jump_vs_p_x < 0.05,
            "posterior draws vs p_X: {r:?}"
        );
    }
}

#[test]
fn mean_jumps_depart_from_p_x_as_sigma_grows_but_draws_do_not() {
    let tv = |sigma: f64| {
        check(
            &DoubleWell,
            Box::new(GridDenoiser::new(Box::new(DoubleWell), sigma)),
            WalkParams::defaults(sigma),
        )
    };
    let (small, large) = (tv(0.1), tv(0.6));
    assert!(
        large.tvd_mean_jump_vs_p_x > small.tvd_mean_jump_vs_p_x + 0.1,
        "{small:?} {large:?}"
    );
    assert!(large.tvd_sample_jump_vs_p_x < 0.05 && small.tvd_sample_jump_vs_p_x < 0.05);
}

#[test]
fn gaussian_mixture_closed_form_baoab_and_aboba() {
    let gmm = GaussianMixture2d::default_mixture();
    for splitting in [Splitting::Baoab, Splitting::Aboba] {
        let params = WalkParams {
            splitting,
            ..WalkParams::defaults(0.2)
        };
        let r = check(&gmm, Box::new(GmmDenoiser::new(gmm.clone())), params);
        assert!(r.tvd_walk_vs_p_y < 0.05, "{splitting:?} {r:?}");
        assert!(r.tvd_mean_jump_vs_exact_law < 0.05, "{splitting:?} {r:?}");
        assert!(r.tvd_sample_jump_vs_p_x < 0.05, "{splitting:?} {r:?}");
    }
}

#[test]
fn closed_form_and_quadrature_denoisers_agree() {
    let gmm = GaussianMixture2d::default_mixture();
    let mut exact = GmmDenoiser::new(gmm.clone());
    let mut quad = GridDenoiser::new(Box::new(gmm), 0.2);
    let mut rng = walkjump::rng::seeded(1);
    for y in [
        [-1.0, -0.5],
        [0.0, 0.3],
        [1.2, -0.1],
        [0.4, 1.4],
        [2.0, 2.0],
    ] {
        let (mut a, mut b) = ([0.0; 2], [0.0; 2]);
        exact.denoise(&y, 0.2, &mut rng, &mut a, None).unwrap();
        quad.denoise(&y, 0.2, &mut rng, &mut b, None).unwrap();
        assert!(
            (a[0] - b[0]).abs() < 2e-3 && (a[1] - b[1]).abs() < 2e-3,
            "{y:?}: {a:?} vs {b:?}"
        );
    }
}

/// Negative control: a denoiser that believes σ is 40% larger than it is gives the
/// walk the wrong score, and the test statistic must notice.
#[test]
fn a_wrong_score_is_detected() {
    let sigma = 0.3;
    let den = common::WrongSigma(GridDenoiser::new(Box::new(DoubleWell), sigma));
    let (r, _) = run(
        &DoubleWell,
        Box::new(den),
        WalkParams::defaults(sigma),
        CHAINS,
        STEPS,
        30,
        11,
    )
    .unwrap();
    assert!(
        r.tvd_walk_vs_p_y > 0.05,
        "the check should fail for a wrong score: {r:?}"
    );
}
