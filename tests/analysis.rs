//! Metrics and estimators on processes whose answers are known.

use walkjump::analysis::acf::{decorrelation_time, vector_acf};
use walkjump::analysis::tica::TicaAccumulator;
use walkjump::analysis::{jensen_shannon_distance, tvd};
use walkjump::rng::{normal, seeded};

#[test]
fn distances_have_their_defined_extremes() {
    let p = [1.0, 2.0, 3.0, 0.0];
    assert!(jensen_shannon_distance(&p, &p) < 1e-6);
    assert!(tvd(&p, &[2.0, 4.0, 6.0, 0.0]) < 1e-12);
    let d = jensen_shannon_distance(&[1.0, 0.0], &[0.0, 1.0]);
    assert!((d - 1.0).abs() < 1e-6, "{d}");
    assert!((tvd(&[1.0, 0.0], &[0.0, 1.0]) - 1.0).abs() < 1e-12);
    // Two-point example worked by hand: p = (1/2, 1/2), q = (1, 0):
    // JSD = ½·KL(p‖m) + ½·KL(q‖m), m = (3/4, 1/4).
    let m = [0.75, 0.25];
    let kl = |a: [f64; 2]| {
        a.iter()
            .zip(&m)
            .filter(|(x, _)| **x > 0.0)
            .map(|(x, y)| x * (x / y).log2())
            .sum::<f64>()
    };
    let want = (0.5 * kl([0.5, 0.5]) + 0.5 * kl([1.0, 0.0])).sqrt();
    let got = jensen_shannon_distance(&[0.5, 0.5], &[1.0, 0.0]);
    assert!((got - want).abs() < 1e-6, "{got} vs {want}");
}

#[test]
fn decorrelation_time_of_ar1() {
    // x_t = a x_{t-1} + noise has autocorrelation a^k: below 1/e first at k > -1/ln a.
    let a: f64 = 0.95;
    let mut rng = seeded(5);
    let chains: Vec<Vec<[f64; 1]>> = (0..20)
        .map(|_| {
            let mut x = 0.0;
            (0..20_000)
                .map(|_| {
                    x = a * x + normal(&mut rng);
                    [x]
                })
                .collect()
        })
        .collect();
    let acf = vector_acf(&chains, 100);
    let want = (-1.0 / a.ln()).ceil() as usize; // 20
    let got = decorrelation_time(&acf).unwrap();
    assert!(got.abs_diff(want) <= 1, "decorrelation {got} vs {want}");
    for k in [1, 5, 10] {
        assert!(
            (acf[k] - a.powi(k as i32)).abs() < 0.02,
            "lag {k}: {} vs {}",
            acf[k],
            a.powi(k as i32)
        );
    }
}

#[test]
fn tica_recovers_the_slow_mode_of_a_mixed_process() {
    // Latent slow AR(1) (a = 0.99) and fast AR(1) (a = 0.5), mixed into 3 features by a
    // fixed non-orthogonal matrix, plus a white-noise feature.
    let mut rng = seeded(9);
    let mix = [[0.8, 0.6, 0.0], [-0.3, 1.0, 0.5], [0.2, -0.4, 1.0]];
    let lag = 5;
    let mut acc = TicaAccumulator::new(3, lag);
    let mut series = vec![];
    for chain in 0..4 {
        let (mut s, mut f) = (0.0, 0.0);
        for _ in 0..50_000 {
            s = 0.99 * s + 0.14 * normal(&mut rng);
            f = 0.5 * f + 0.87 * normal(&mut rng);
            let w = normal(&mut rng);
            let z = [s, f, w];
            let x: Vec<f64> = (0..3)
                .map(|r| (0..3).map(|c| mix[c][r] * z[c]).sum())
                .collect();
            acc.add(chain, &x);
            series.push((s, x));
        }
    }
    let tica = acc.fit().unwrap();
    let want = 0.99f64.powi(lag as i32);
    assert!(
        (tica.eigenvalues[0] - want).abs() < 0.02,
        "eigenvalue {} vs {want}",
        tica.eigenvalues[0]
    );
    assert!(
        tica.eigenvalues[1] < 0.1,
        "second eigenvalue {}",
        tica.eigenvalues[1]
    );
    // The first component reproduces the slow latent up to sign and scale.
    let proj: Vec<(f64, f64)> = series
        .iter()
        .map(|(s, x)| (*s, tica.project(x, 1)[0]))
        .collect();
    let n = proj.len() as f64;
    let (ms, mp) = (
        proj.iter().map(|p| p.0).sum::<f64>() / n,
        proj.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let cov = proj.iter().map(|(s, p)| (s - ms) * (p - mp)).sum::<f64>();
    let vs = proj.iter().map(|(s, _)| (s - ms).powi(2)).sum::<f64>();
    let vp = proj.iter().map(|(_, p)| (p - mp).powi(2)).sum::<f64>();
    let corr = (cov / (vs * vp).sqrt()).abs();
    assert!(corr > 0.99, "correlation with the slow latent {corr}");
    assert!(
        tica.timescale(0) > 50.0,
        "implied timescale {}",
        tica.timescale(0)
    );
}
