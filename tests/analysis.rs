//! Metrics and estimators on processes whose answers are known.

use walkjump::analysis::acf::{decorrelation_time, vector_acf};
use walkjump::analysis::energy::energy_histograms;
use walkjump::analysis::rdf::PairDistanceHistogram;
use walkjump::analysis::tica::{histogram_of, projection_bins, TicaAccumulator};
use walkjump::analysis::{
    histogram_jsd, histogram_mae, histogram_tvd, jensen_shannon_distance, mae, tvd, AllMass,
    Hist1d, Hist2d, Range,
};
use walkjump::live::LiveStats;
use walkjump::rng::{normal, seeded};
use walkjump::systems::{LjCluster, System};

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

#[test]
fn one_dimensional_histograms_keep_under_and_overflow() {
    let mut h = Hist1d::new(Range::new(0.0, 1.0, 4));
    for v in [
        -0.5,
        0.1,
        0.6,
        1.0,
        1.5,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ] {
        h.add(v);
    }
    // 1.0 is the upper edge and lands in the last bin; NaN counts as overflow.
    assert_eq!(h.counts, vec![1.0, 0.0, 1.0, 1.0]);
    assert_eq!((h.under, h.over), (2.0, 3.0));
    assert_eq!(h.all_mass(), vec![2.0, 1.0, 0.0, 1.0, 1.0, 3.0]);
    assert!((h.outside_fraction() - 5.0 / 8.0).abs() < 1e-12);
    // The density is normalised by all samples: its area is the in-range fraction.
    let area: f64 = h.density().iter().map(|p| p[1] * h.range.width()).sum();
    assert!((area - 3.0 / 8.0).abs() < 1e-12, "{area}");
    let mut g = Hist2d::new(Range::new(0.0, 1.0, 2), Range::new(0.0, 1.0, 2));
    g.add(0.2, 0.2);
    g.add(0.2, 3.0);
    g.add(f64::NAN, 0.5);
    assert_eq!(g.all_mass(), vec![1.0, 0.0, 0.0, 0.0, 2.0]);
}

/// 2-D standard normal draws centred at `c` with spread `s`.
fn blob(rng: &mut walkjump::rng::WjRng, n: usize, c: f64, s: f64) -> Vec<[f64; 2]> {
    (0..n)
        .map(|_| [c + s * normal(rng), c + s * normal(rng)])
        .collect()
}

#[test]
fn samples_outside_the_reference_range_raise_the_tica_jsd() {
    // Claim: an ensemble that puts 10 % of its samples in a basin the reference never
    // visits is further from the reference than the same ensemble without them.
    // Reference: 20,000 draws of a 2-D standard normal (a stand-in for TIC 0/1 of MD),
    // binned 20 × 20 over its own range, as `analyze` and the app bin TICA. Ensemble A:
    // 9,000 fresh draws of the same law; ensemble B: A plus 1,000 draws around (8, 8),
    // so that 10 % of B lies in a basin the reference never visits.
    let mut rng = seeded(11);
    let reference = blob(&mut rng, 20_000, 0.0, 1.0);
    let inside = blob(&mut rng, 9_000, 0.0, 1.0);
    let basin = blob(&mut rng, 1_000, 8.0, 0.3);
    let (xr, yr) = projection_bins(&reference);
    let hr = histogram_of(&reference, xr, yr);
    let ha = histogram_of(&inside, xr, yr);
    let hb = histogram_of(&[inside.clone(), basin].concat(), xr, yr);
    assert_eq!(hr.outside, 0.0, "the reference lies in its own range");
    // Every basin draw lies outside (a few of A's own tail draws may too).
    assert_eq!(hb.outside - ha.outside, 1_000.0);
    assert!(hb.outside_fraction() >= 0.1);
    let (ja, jb) = (histogram_jsd(&ha, &hr), histogram_jsd(&hb, &hr));
    eprintln!("TICA JSD without the basin {ja:.4}, with 10 % in it {jb:.4}");
    // The basin's bin alone adds ½·0.1·log₂(0.1/0.05) = 0.05 bits (and the in-range
    // bins, by the log-sum inequality, at least 0.002 more), so √JSD ≥ √0.05 ≈ 0.224
    // whatever the sampling noise of the rest.
    // Measured (seed 11): 0.105 without the basin, 0.250 with it.
    assert!(jb >= 0.05f64.sqrt(), "JSD with 10 % outside: {jb}");
    assert!(jb > ja + 0.1, "JSD {jb} with the basin vs {ja} without");
    // Negative control: the old measure took the in-range counts only, so it sees B
    // exactly as A (the test above would have failed on it).
    let old = |h: &Hist2d| jensen_shannon_distance(&h.counts, &hr.counts);
    assert!(
        (old(&hb) - old(&ha)).abs() < 1e-12,
        "old JSD {} vs {}",
        old(&hb),
        old(&ha)
    );
}

#[test]
fn one_outlier_energy_does_not_lower_the_energy_tvd() {
    // Claim: one clash with a huge energy cannot make a sampled energy distribution look
    // closer to the reference. Reference: 20,000 energies ~ N(−40, 3²); samples: 5,000
    // from N(−38, 3²), a real shift (population TVD 2Φ(1/3) − 1 ≈ 0.26), then the same
    // 5,000 plus one energy of 10⁶.
    let mut rng = seeded(12);
    let reference: Vec<f64> = (0..20_000)
        .map(|_| -40.0 + 3.0 * normal(&mut rng))
        .collect();
    let without: Vec<f64> = (0..5_000).map(|_| -38.0 + 3.0 * normal(&mut rng)).collect();
    let mut with = without.clone();
    with.push(1.0e6);
    let new = |s: &[f64]| energy_histograms(s, &reference).tvd().unwrap();
    let (t0, t1) = (new(&without), new(&with));
    eprintln!("energy TVD without the clash {t0:.4}, with it {t1:.4}");
    assert!(t0 > 0.15, "the shift is seen: TVD {t0}");
    // Adding a sample outside the range moves 1/(n+1) of the mass to the overflow bin:
    // TVD_new ≥ TVD_old exactly, and by at most 1/(n+1).
    assert!(t1 >= t0 - 1e-12, "TVD fell from {t0} to {t1}");
    assert!(t1 - t0 <= 1.0 / 5_001.0 + 1e-12);
    let h = energy_histograms(&with, &reference);
    assert_eq!(h.reference.as_ref().unwrap().outside(), 0.0);
    assert_eq!(h.samples.over, 1.0);
    // Negative control: the old binning (50 bins over min..max of both sets) puts
    // everything but the clash into the first bin, and the TVD collapses toward 0.
    let old = |s: &[f64]| {
        let all = || s.iter().chain(&reference).cloned();
        let lo = all().fold(f64::INFINITY, f64::min);
        let hi = all().fold(f64::NEG_INFINITY, f64::max);
        let r = Range::new(lo, hi, 50);
        tvd(&Hist1d::of(r, s).counts, &Hist1d::of(r, &reference).counts)
    };
    let (o0, o1) = (old(&without), old(&with));
    eprintln!("old energy TVD without the clash {o0:.4}, with it {o1:.4}");
    // Measured (seed 12): new 0.2656 → 0.2657 with the clash; old 0.2641 → 0.0002.
    assert!(o1 < 0.01 && o0 > 0.15, "old binning: {o0} → {o1}");
}

/// 13 atoms on a line 6 apart: every pair lies beyond LJ-13's h(r) range (0..5).
fn exploded() -> Vec<f64> {
    (0..13).flat_map(|k| [6.0 * k as f64, 0.0, 0.0]).collect()
}

#[test]
fn h_r_counts_pairs_beyond_its_range() {
    // Claim: pairs beyond the h(r) range count against the samples. Reference: 400
    // compact LJ-13 configurations (every pair within 0..5). Samples: the same 400 plus
    // 100 frames blown apart (every pair beyond 5), i.e. 20 % of the pairs outside.
    let lj = LjCluster::new(13);
    let mut rng = seeded(13);
    let frames: Vec<Vec<f64>> = (0..400).map(|_| lj.initial(&mut rng)).collect();
    let (mut hr, mut hs) = (
        PairDistanceHistogram::new(13),
        PairDistanceHistogram::new(13),
    );
    for f in &frames {
        hr.add_frame(f);
        hs.add_frame(f);
    }
    assert_eq!(hr.hist.outside(), 0.0, "compact frames lie in range");
    for _ in 0..100 {
        hs.add_frame(&exploded());
    }
    assert_eq!(hs.hist.over, 100.0 * 78.0);
    let t = histogram_tvd(&hs.hist, &hr.hist);
    assert!((t - 0.2).abs() < 1e-12, "h(r) TVD {t}");
    // MAE of densities normalised by all pairs: the in-range density is 0.8 of the
    // reference's, so the MAE is 0.2 × the reference's mean density over the bins.
    let mean_ref: f64 = hr.hist.density().iter().map(|p| p[1]).sum::<f64>() / 250.0;
    let m = histogram_mae(&hs.hist, &hr.hist);
    assert!(
        (m - 0.2 * mean_ref).abs() < 1e-9,
        "MAE {m} vs {}",
        0.2 * mean_ref
    );
    // A frame with NaN coordinates counts as overflow, never as nothing.
    let mut nan = PairDistanceHistogram::new(13);
    nan.add_frame(&vec![f64::NAN; 39]);
    assert_eq!(nan.hist.over, 78.0);
    // Negative control: on the in-range counts (the old way) the two are identical.
    let w = hs.hist.range.width();
    assert_eq!(tvd(&hs.hist.counts, &hr.hist.counts), 0.0);
    assert_eq!(mae(&hs.hist.counts, &hr.hist.counts, w), 0.0);
}

#[test]
fn the_live_panels_count_the_same_mass() {
    // The app's h(r) and energy panels (and the figure export, which draws the same
    // view) use the same histograms and distances as `analyze`.
    let lj = LjCluster::new(13);
    let mut rng = seeded(14);
    let frames: Vec<Vec<f64>> = (0..200).map(|_| lj.initial(&mut rng)).collect();
    let mut reference = PairDistanceHistogram::new(13);
    frames.iter().for_each(|f| reference.add_frame(f));
    let ref_energies: Vec<f64> = frames.iter().map(|f| lj.energy(f)).collect();
    let mut live = LiveStats::cluster(13);
    live.set_cluster_reference(reference.hist.clone(), ref_energies.clone());
    let mut energies = vec![];
    for f in frames.iter().take(150) {
        let e = lj.energy(f);
        live.add(0, f, Some(e));
        energies.push(e);
    }
    // Then 50 frames blown apart: a quarter of the 200 samples.
    for _ in 0..50 {
        let x = exploded();
        let e = lj.energy(&x);
        live.add(0, &x, Some(e));
        energies.push(e);
    }
    let v = live.view();
    let h_r = v.h_r.as_ref().unwrap();
    let mut hs = PairDistanceHistogram::new(13);
    frames.iter().take(150).for_each(|f| hs.add_frame(f));
    (0..50).for_each(|_| hs.add_frame(&exploded()));
    assert!((h_r.tvd.unwrap() - histogram_tvd(&hs.hist, &reference.hist)).abs() < 1e-12);
    assert!((h_r.samples.above_fraction() - 0.25).abs() < 1e-12);
    assert_eq!(h_r.outside_note().as_deref(), Some("25.0 % above range"));
    let e = v.energy.as_ref().unwrap();
    let want = energy_histograms(&energies, &ref_energies);
    assert!((e.tvd.unwrap() - want.tvd().unwrap()).abs() < 1e-12);
    assert_eq!(e.samples.range, want.samples.range);
    // The exploded frames' energies (tether-dominated, far above MD's) lie above the
    // reference's range, and the title says so.
    assert!((e.samples.above_fraction() - 0.25).abs() < 1e-12);
    assert!(
        e.summary().contains("25.0 % above range"),
        "{}",
        e.summary()
    );
}
