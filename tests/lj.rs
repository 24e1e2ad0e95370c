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

#[test]
fn lj13_walk_jump_h_r_matches_md_from_the_command_line() {
    let d = tempfile::tempdir().unwrap();
    let (md, wj, js) = (
        d.path().join("md.dcd"),
        d.path().join("wj.dcd"),
        d.path().join("m.json"),
    );
    let o = walkjump(&[
        "md",
        "--system",
        "lj13",
        "--steps",
        "400000",
        "--save-every",
        "40",
        "--out",
        md.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
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
    let o = walkjump(&[
        "analyze",
        "--top",
        "lj13",
        "--traj",
        wj.to_str().unwrap(),
        "--reference",
        md.to_str().unwrap(),
        "--json",
        js.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&js).unwrap()).unwrap();
    let tvd = m["h_r_tvd"].as_f64().unwrap();
    eprintln!("LJ-13 h(r) TVD walk-jump vs MD: {tvd}");
    assert_eq!(m["frames"], 8000);
    assert!(tvd < 0.1, "h(r) TVD {tvd}");
    // The sidecar records the run.
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("wj.dcd.json")).unwrap())
            .unwrap();
    assert_eq!(info["chains"], 8);
    assert_eq!(info["params"]["walk"]["sigma"], 0.05);
}
