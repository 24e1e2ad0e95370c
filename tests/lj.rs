//! Lennard-Jones clusters: forces, reference MD, and walk-jump h(r) from the command line.

mod common;
use common::*;
use walkjump::md::{Langevin, LangevinParams};
use walkjump::rng::seeded;
use walkjump::systems::{DoubleWell, GaussianMixture2d, LjCluster, MullerBrown, System};

fn check_forces(sys: &dyn System, x: &[f64]) {
    let mut f = vec![0.0; x.len()];
    sys.energy_and_forces(x, &mut f);
    let h = 1e-6;
    for i in 0..x.len() {
        let (mut a, mut b) = (x.to_vec(), x.to_vec());
        a[i] += h;
        b[i] -= h;
        let fd = -(sys.energy(&a) - sys.energy(&b)) / (2.0 * h);
        assert!(
            (fd - f[i]).abs() < 1e-4 * (1.0 + fd.abs()),
            "{} coordinate {i}: {} vs {fd}",
            sys.name(),
            f[i]
        );
    }
}

#[test]
fn forces_are_minus_energy_gradients() {
    let mut rng = seeded(2);
    let lj = LjCluster::new(13);
    check_forces(&lj, &lj.initial(&mut rng));
    for p in [[-0.7, 0.3], [0.4, -0.2], [1.1, 0.5]] {
        check_forces(&DoubleWell, &p);
        check_forces(&MullerBrown::default(), &p);
        check_forces(&GaussianMixture2d::default_mixture(), &p);
    }
}

#[test]
fn lj_pair_minimum_is_at_r_m() {
    let lj = LjCluster::new(2);
    // Two particles at distance 1: LJ = -1, tether = 2 * (1/2)^2 / 2 = 0.25.
    let e = lj.energy(&[0.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
    assert!((e - (-1.0 + 0.25)).abs() < 1e-12, "{e}");
}

#[test]
fn md_kinetic_temperature_is_one() {
    let lj = LjCluster::new(13);
    let mut rng = seeded(3);
    let mut md = Langevin::new(&lj, LangevinParams::default(), lj.initial(&mut rng)).unwrap();
    for _ in 0..5000 {
        md.step(&mut rng).unwrap();
    }
    let (mut ke, mut n) = (0.0, 0.0);
    for _ in 0..100_000 {
        md.step(&mut rng).unwrap();
        ke += md.v.iter().map(|v| v * v).sum::<f64>();
        n += 39.0;
    }
    let t = ke / n;
    assert!((t - 1.0).abs() < 0.03, "kinetic temperature {t}");
}

/// `walkjump analyze --top lj13` of `traj` against `reference`: the metrics JSON.
fn analyze_lj13(traj: &std::path::Path, reference: &std::path::Path) -> serde_json::Value {
    let js = traj.with_extension("metrics.json");
    let o = walkjump(&[
        "analyze",
        "--top",
        "lj13",
        "--traj",
        traj.to_str().unwrap(),
        "--reference",
        reference.to_str().unwrap(),
        "--json",
        js.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&std::fs::read_to_string(&js).unwrap()).unwrap()
}

/// Reference MD of LJ-13 with `seed`: 8,000 frames, one every 40 steps of 0.005.
fn md_lj13(out: &std::path::Path, seed: u64) {
    let o = walkjump(&[
        "md",
        "--system",
        "lj13",
        "--steps",
        "320000",
        "--save-every",
        "40",
        "--seed",
        &seed.to_string(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn lj13_walk_jump_h_r_matches_md_from_the_command_line() {
    // Claim: walk-jump (energy denoiser, σ = 0.05) reproduces MD's h(r) and energy
    // histogram to within a stated multiple of the MD-vs-MD floor at the same sample
    // count (8,000 frames each): two independent MD runs (seeds 1 and 2) give the floor.
    let d = tempfile::tempdir().unwrap();
    let (md, md2, wj) = (
        d.path().join("md.dcd"),
        d.path().join("md2.dcd"),
        d.path().join("wj.dcd"),
    );
    md_lj13(&md, 1);
    md_lj13(&md2, 2);
    let o = walkjump(&[
        "sample",
        "--system",
        "lj13",
        "--sigma",
        "0.05",
        "--chains",
        "8",
        "--steps",
        "1000",
        "--burn-in",
        "200",
        "--out",
        wj.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m = analyze_lj13(&wj, &md);
    let floor = analyze_lj13(&md2, &md);
    assert_eq!(m["frames"], 8000);
    assert_eq!(floor["frames"], 8000);
    let get = |v: &serde_json::Value, k: &str| v[k].as_f64().unwrap();
    let (tvd, tvd_floor) = (get(&m, "h_r_tvd"), get(&floor, "h_r_tvd"));
    let (etvd, etvd_floor) = (get(&m, "energy_tvd"), get(&floor, "energy_tvd"));
    eprintln!(
        "LJ-13 at 8,000 frames: h(r) TVD walk-jump {tvd:.4} vs MD-vs-MD floor {tvd_floor:.4} \
         ({:.2}x); MAE {:.4} vs {:.4}; energy TVD {etvd:.4} vs {etvd_floor:.4} ({:.2}x)",
        tvd / tvd_floor,
        get(&m, "h_r_mae"),
        get(&floor, "h_r_mae"),
        etvd / etvd_floor
    );
    // Measured (seeds as above, 8,000 frames each): h(r) TVD MD-vs-MD floor 0.0156,
    // walk-jump 0.0376 (2.4x the floor; MAE 0.0147 vs 0.0061); energy TVD (50 bins over
    // the reference's range, under/overflow counted) floor 0.069, walk-jump 0.112
    // (1.6x). Walk-jump stays above the floor: mean jumps are sharper than p_X and
    // the energy denoiser is slightly biased. The old fixed threshold (h(r) TVD < 0.1)
    // sat 6x above the floor.
    const K_HR: f64 = 3.5;
    const K_E: f64 = 2.5;
    assert!(
        tvd < K_HR * tvd_floor,
        "h(r) TVD {tvd} is not within {K_HR}x the MD-vs-MD floor {tvd_floor}"
    );
    assert!(
        etvd < K_E * etvd_floor,
        "energy TVD {etvd} is not within {K_E}x the MD-vs-MD floor {etvd_floor}"
    );
    // The sidecar records the run.
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("wj.dcd.json")).unwrap())
            .unwrap();
    assert_eq!(info["chains"], 8);
    assert_eq!(info["params"]["walk"]["sigma"], 0.05);
}
