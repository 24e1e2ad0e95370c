//! A live run that goes on for hours costs per sample, and in memory, what it cost in
//! its first minute: every live statistic is incremental or windowed, and gives the
//! numbers the batch code gives on the same data (the samples the window holds).

mod common;

use walkjump::analysis::acf::{torsion_acf, AngleWindow};
use walkjump::analysis::energy::{energy_histograms, EnergyAccumulator, ENERGY_WARMUP};
use walkjump::analysis::peptide::PeptideEnsemble;
use walkjump::analysis::tica::{fit_on_ensemble, histogram_of, project_angles, projection_bins};
use walkjump::analysis::Hist1d;
use walkjump::live::{LiveStats, WINDOW_PER_CHAIN};
use walkjump::molecule::Topology;
use walkjump::rng::{normal, seeded};

fn ala2() -> (Topology, Vec<Vec<f64>>) {
    common::topology_and_frames(
        "assets/alanine-dipeptide.pdb",
        "assets/data/ala2-reference.dcd",
    )
}

/// Frame k of a long run of `chains` chains: the MD frames walked through again and
/// again (the statistics only see angles, so a repeat is as good as a new frame).
fn frame(md: &[Vec<f64>], k: usize) -> &[f64] {
    &md[(k * 7) % md.len()]
}

#[test]
fn the_autocorrelations_are_those_of_the_latest_window_and_its_size_is_bounded() {
    let (top, md) = ala2();
    let chains = 2;
    let n = 2 * chains * WINDOW_PER_CHAIN + 1234;
    let mut live = LiveStats::peptide(PeptideEnsemble::new(&top), None);
    for k in 0..n {
        live.add(k % chains, frame(&md, k), None);
    }
    live.update_acf();
    assert_eq!(live.kept, n);
    assert_eq!(
        live.held_frames(),
        chains * WINDOW_PER_CHAIN,
        "the window is bounded"
    );
    // The batch code on the frames the window holds: the last WINDOW_PER_CHAIN of
    // each chain.
    let mut tail = PeptideEnsemble::new(&top);
    let mut all = PeptideEnsemble::new(&top);
    for k in 0..n {
        let c = k % chains;
        // Frames chain c gets in all: those k < n with k % chains == c.
        let per_chain_total = (n - c).div_ceil(chains);
        if k / chains + WINDOW_PER_CHAIN >= per_chain_total {
            tail.add(c, frame(&md, k));
        }
        all.add(c, frame(&md, k));
    }
    let view = live.view();
    assert_eq!(view.acf.len(), 2, "φ and ψ");
    let backbone = tail.backbone();
    for ((label, acf), &t) in view.acf.iter().zip(&backbone) {
        let want = torsion_acf(&tail.torsion_series(t), 200);
        assert_eq!(acf.len(), want.len(), "{label}");
        for (a, b) in acf.iter().zip(&want) {
            assert!((a - b).abs() < 1e-12, "{label}: {a} against {b}");
        }
    }
    // Negative control: the window is not the whole run. Over every frame the
    // frames' order differs (k·7 mod n), so the autocorrelation differs too.
    let whole = torsion_acf(&all.torsion_series(backbone[0]), 200);
    let dev = view.acf[0]
        .1
        .iter()
        .zip(&whole)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(dev > 1e-6, "the window's ACF equals the whole run's: {dev}");
    // The Ramachandran histograms still count every sample, not only the window.
    let mass: f64 = view.rama[0].counts.iter().sum();
    assert!((mass - n as f64).abs() < 1e-9, "{mass} of {n}");
}

#[test]
fn without_a_reference_tica_is_fitted_on_every_sample_and_shows_the_window() {
    let (top, md) = ala2();
    let chains = 3;
    let n = chains * WINDOW_PER_CHAIN + 500;
    let mut live = LiveStats::peptide(PeptideEnsemble::new(&top), None);
    let mut all = PeptideEnsemble::new(&top);
    let mut window = AngleWindow::new(WINDOW_PER_CHAIN);
    for k in 0..n {
        let c = k % chains;
        live.add(c, frame(&md, k), None);
        let a = all.add(c, frame(&md, k));
        window.add(c, &a);
    }
    live.update_acf();
    let v = live.view();
    let own = v.tica_samples.as_ref().expect("fitted");
    assert_eq!(own.fitted_on, n);
    assert_eq!(own.samples, chains * WINDOW_PER_CHAIN);
    // The batch fit on all samples, then the window projected: the same density.
    let tica = fit_on_ensemble(&all, 10).unwrap();
    let p: Vec<[f64; 2]> = window
        .frames()
        .map(|a| project_angles(&tica, &all, a))
        .collect();
    let (xr, yr) = projection_bins(&p);
    let want = histogram_of(&p, xr, yr);
    let diff: f64 = own
        .counts
        .iter()
        .zip(&want.counts)
        .map(|(a, b)| (a - b).abs())
        .sum();
    // Sums of the same products in another order may move a sample on a bin edge.
    assert!(diff <= 2.0, "{diff} samples binned differently");
    let mass: f64 = own.counts.iter().sum();
    assert!((mass - own.samples as f64).abs() < 1e-9);
}

#[test]
fn the_energy_histogram_is_built_sample_by_sample_with_the_batch_numbers() {
    let mut rng = seeded(3);
    let reference: Vec<f64> = (0..5_000).map(|_| normal(&mut rng)).collect();
    // Samples a little wider than the reference, some of them far outside.
    let samples: Vec<f64> = (0..ENERGY_WARMUP + 20_000)
        .map(|k| {
            if k % 97 == 0 {
                40.0
            } else {
                1.2 * normal(&mut rng) + 0.3
            }
        })
        .collect();
    // The reference first (as an LJ cluster's MD usually comes): binned on its range.
    let mut acc = EnergyAccumulator::default();
    acc.set_reference(&reference);
    samples.iter().for_each(|&u| acc.add(u));
    let got = acc.histograms();
    let want = energy_histograms(&samples, &reference);
    assert_eq!(got.samples.range, want.samples.range);
    assert_eq!(got.samples.counts, want.samples.counts);
    assert_eq!(
        (got.samples.under, got.samples.over),
        (want.samples.under, want.samples.over)
    );
    assert!((got.tvd().unwrap() - want.tvd().unwrap()).abs() < 1e-15);
    assert!(
        got.samples.above_fraction() > 0.01,
        "the far samples count as mass above"
    );
    // The reference after some samples, within the warm-up: the same again.
    let mut late = EnergyAccumulator::default();
    samples[..3_000].iter().for_each(|&u| late.add(u));
    late.set_reference(&reference);
    samples[3_000..].iter().for_each(|&u| late.add(u));
    assert_eq!(late.histograms().samples.counts, want.samples.counts);
    // No reference, within the warm-up: the samples' own range, as the batch code.
    let mut own = EnergyAccumulator::default();
    samples[..2_000].iter().for_each(|&u| own.add(u));
    let batch = energy_histograms(&samples[..2_000], &[]);
    assert_eq!(own.histograms().samples.counts, batch.samples.counts);
    // No reference past the warm-up: the range the warm-up fixed, then every sample
    // binned on it (none kept).
    let mut fixed = EnergyAccumulator::default();
    samples.iter().for_each(|&u| fixed.add(u));
    let range = energy_histograms(&samples[..ENERGY_WARMUP], &[])
        .samples
        .range;
    let h = fixed.histograms().samples;
    assert_eq!(h.range, range);
    assert_eq!(h.counts, Hist1d::of(range, &samples).counts);
    // Negative control: the whole run's own range is another binning.
    assert_ne!(energy_histograms(&samples, &[]).samples.range, range);
}

#[test]
fn many_chains_share_one_bounded_window() {
    use walkjump::analysis::acf::{WINDOW_MIN_PER_CHAIN, WINDOW_TOTAL};
    let chains = 64;
    let mut w = AngleWindow::new(WINDOW_PER_CHAIN);
    for k in 0..chains * 3_000 {
        w.add(k % chains, &[k as f64]);
    }
    let per_chain = WINDOW_TOTAL / chains;
    assert!((WINDOW_MIN_PER_CHAIN..WINDOW_PER_CHAIN).contains(&per_chain));
    assert_eq!(w.len(), WINDOW_TOTAL, "64 chains share the total");
    // Each chain holds its latest frames, in order.
    let s = &w.torsion_series(0)[0];
    assert_eq!(s.len(), per_chain);
    assert_eq!(*s.last().unwrap(), (chains * 2_999) as f64);
    assert!(s.windows(2).all(|p| p[1] - p[0] == chains as f64));
    // Negative control: two chains are held to the per-chain bound, not the total.
    let mut few = AngleWindow::new(WINDOW_PER_CHAIN);
    for k in 0..2 * 10_000 {
        few.add(k % 2, &[k as f64]);
    }
    assert_eq!(few.len(), 2 * WINDOW_PER_CHAIN);
}
