//! The learned denoiser: symmetries of the network, model files, backends, training.

mod common;

use burn::tensor::backend::Backend;
use nalgebra::{Matrix3, Rotation3, Vector3};
use std::ops::ControlFlow::{Break, Continue};
use walkjump::molecule::{load_structure, LoadOptions, Topology};
use walkjump::nn::features::Vocabulary;
use walkjump::nn::train::{train, TrainConfig, TrainData};
use walkjump::nn::{
    load_denoiser, wgpu_available, BackendKind, Cpu, CpuTrain, FlexCpu, Gpu, LearnedDenoiser,
    LearnedModel, ModelMeta, NetConfig,
};
use walkjump::rng::{fill_normal, seeded};

fn ala2() -> (Topology, Vec<f64>) {
    let s = load_structure(&common::ala2(), LoadOptions::default()).unwrap();
    (s.topology, s.positions)
}

fn meta(t: &Topology, sigma: f64) -> ModelMeta {
    ModelMeta {
        // Unit message scale, so an untrained network's output is not tiny.
        net: NetConfig {
            message_scale: 1.0,
            ..NetConfig::small(6.0)
        },
        sigma,
        c_data: 1.5,
        vocabulary: Vocabulary::from_topology(t),
        molecule: "ala2-test".into(),
        n_atoms: t.n_atoms(),
        cluster: t.bonds.is_empty(),
        length_unit: "angstrom".into(),
        training: serde_json::Value::Null,
    }
}

/// An untrained network: its weights are random, so any symmetry it shows comes from
/// its construction, not from what it learned.
fn random_denoiser<B: Backend>(device: B::Device) -> LearnedDenoiser<B> {
    let (t, _) = ala2();
    // Seeded, so the weights are those the margins below were measured on; burn's
    // ndarray RNG is shared with the tests running beside this one, so the bounds,
    // not the seed, are what keep a test from being flaky.
    B::seed(&device, 5);
    let m = LearnedModel::<B>::new(meta(&t, 0.4), &device);
    LearnedDenoiser::new(m, &t, device, "test").unwrap()
}

/// A few noisy ala2 configurations, flat.
fn noisy_batch(chains: usize, seed: u64) -> Vec<f64> {
    let (_, x) = ala2();
    let mut rng = seeded(seed);
    let mut out = vec![];
    for _ in 0..chains {
        let mut e = vec![0.0; x.len()];
        fill_normal(&mut rng, &mut e);
        out.extend(x.iter().zip(&e).map(|(a, b)| a + 0.4 * b));
    }
    out
}

fn transform(p: &[f64], m: &Matrix3<f64>, t: [f64; 3]) -> Vec<f64> {
    p.chunks(3)
        .flat_map(|a| {
            let v = m * Vector3::new(a[0], a[1], a[2]);
            [v.x + t[0], v.y + t[1], v.z + t[2]]
        })
        .collect()
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn xhat<B: Backend>(d: &LearnedDenoiser<B>, y: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; y.len()];
    d.denoise_batch(y, &mut out).unwrap();
    out
}

#[test]
fn rotating_the_input_rotates_the_output() {
    let d = random_denoiser::<Cpu>(Default::default());
    let y = noisy_batch(4, 1);
    let r = Rotation3::from_euler_angles(0.7, -1.3, 2.2).into_inner();
    let a = transform(&xhat(&d, &y), &r, [0.0; 3]);
    let b = xhat(&d, &transform(&y, &r, [0.0; 3]));
    let net = network_term(&d, &y);
    // f32 arithmetic: small against the network's own contribution.
    assert!(
        max_abs_diff(&a, &b) < 1e-3 * net,
        "{} vs network term {net}",
        max_abs_diff(&a, &b)
    );
}

/// Largest |x̂ − c_skip·y| over the (centred) batch: what the network itself adds.
fn network_term<B: Backend>(d: &LearnedDenoiser<B>, y: &[f64]) -> f64 {
    let c_skip = d.model().scalings().c_skip;
    let mut yc = y.to_vec();
    let mut out = xhat(d, y);
    for (a, b) in yc.chunks_mut(66).zip(out.chunks_mut(66)) {
        walkjump::geometry::centre(a);
        walkjump::geometry::centre(b);
    }
    let trivial: Vec<f64> = yc.iter().map(|v| v * c_skip).collect();
    let net = max_abs_diff(&out, &trivial);
    assert!(net > 1e-2, "the network adds almost nothing ({net})");
    net
}

#[test]
fn translating_the_input_translates_the_output() {
    let d = random_denoiser::<Cpu>(Default::default());
    let y = noisy_batch(3, 2);
    let t = [3.5, -12.0, 40.0];
    let a = transform(&xhat(&d, &y), &Matrix3::identity(), t);
    let b = xhat(&d, &transform(&y, &Matrix3::identity(), t));
    let net = network_term(&d, &y);
    assert!(
        max_abs_diff(&a, &b) < 1e-3 * net,
        "{}",
        max_abs_diff(&a, &b)
    );
}

#[test]
fn a_mirror_image_is_not_forced_to_give_the_mirrored_output() {
    let d = random_denoiser::<Cpu>(Default::default());
    let y = noisy_batch(3, 3);
    let m = Matrix3::from_diagonal(&Vector3::new(1.0, 1.0, -1.0));
    let mirrored_out = transform(&xhat(&d, &y), &m, [0.0; 3]);
    let out_of_mirror = xhat(&d, &transform(&y, &m, [0.0; 3]));
    // An E(3)-equivariant network would make these equal, up to the f32 rounding a
    // proper rotation shows (the control, same weights and inputs); the cross
    // products do not. At random weights the mirror difference is 5-28 % of the
    // network's term over seeds 0-15 (4.9 % in one unseeded run, which failed the
    // old 5 % bound), the rotation's rounding 3e-6-4e-5 of it.
    let diff = max_abs_diff(&mirrored_out, &out_of_mirror);
    let r = Rotation3::from_euler_angles(0.7, -1.3, 2.2).into_inner();
    let rounding = max_abs_diff(
        &transform(&xhat(&d, &y), &r, [0.0; 3]),
        &xhat(&d, &transform(&y, &r, [0.0; 3])),
    );
    let net = network_term(&d, &y);
    assert!(
        diff > 0.01 * net && diff > 100.0 * rounding,
        "mirror-symmetric output (max diff {diff}, network term {net}, rotation rounding {rounding})"
    );
}

#[test]
fn save_and_load_give_identical_outputs_on_the_cpu() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.wjm");
    let (t, _) = ala2();
    let m = LearnedModel::<Cpu>::new(meta(&t, 0.4), &Default::default());
    m.save(&path).unwrap();
    let a = LearnedDenoiser::new(m, &t, Default::default(), "ndarray").unwrap();
    let mut b = load_denoiser(BackendKind::Ndarray, &path, &t).unwrap();
    let y = noisy_batch(2, 4);
    let mut out = vec![0.0; y.len()];
    b.denoise(&y, 0.4, &mut seeded(0), &mut out, None).unwrap();
    // Equal to f32 rounding: ndarray's kernels are not bit-reproducible from one call
    // to the next (1-ulp differences were seen in CI), while a weight lost or changed
    // by the file moves the output by far more, as the negative control shows.
    let same = max_abs_diff(&xhat(&a, &y), &out);
    assert!(same < 1e-5, "saved and loaded outputs differ by {same}");
    let other = LearnedModel::<Cpu>::new(meta(&t, 0.4), &Default::default());
    let fresh = LearnedDenoiser::new(other, &t, Default::default(), "ndarray").unwrap();
    let apart = max_abs_diff(&xhat(&fresh, &y), &out);
    assert!(
        apart > 1e3 * same.max(1e-7),
        "other weights went unseen: {apart}"
    );
}

#[test]
fn the_two_cpu_backends_agree_on_the_shipped_model() {
    // Claim: flex (selectable) computes what ndarray (the default, on which the shipped
    // alanine-dipeptide model was evaluated) computes: x̂ agrees to 1e-4 Å.
    // Negative control: another noisy batch gives visibly other jumps.
    let (t, _) = ala2();
    let path = std::path::Path::new("models/ala2.wjm");
    let flex = LearnedModel::<FlexCpu>::load(path, &Default::default()).unwrap();
    let flex = LearnedDenoiser::new(flex, &t, Default::default(), "flex").unwrap();
    let nd = LearnedModel::<Cpu>::load(path, &Default::default()).unwrap();
    let nd = LearnedDenoiser::new(nd, &t, Default::default(), "ndarray").unwrap();
    let y = noisy_batch(8, 6);
    let (a, b) = (xhat(&flex, &y), xhat(&nd, &y));
    assert!(max_abs_diff(&a, &b) < 1e-4, "{}", max_abs_diff(&a, &b));
    let other = xhat(&nd, &noisy_batch(8, 7));
    assert!(max_abs_diff(&a, &other) > 1e-2);
}

/// wgpu needs a Vulkan driver (lavapipe on a CPU machine). CI installs one and must
/// run these; elsewhere they say why they skip.
fn wgpu_or_skip() -> bool {
    match wgpu_available() {
        Ok(()) => true,
        Err(e) => {
            assert!(std::env::var("CI").is_err(), "CI needs wgpu: {e}");
            eprintln!("skipped: {e}");
            false
        }
    }
}

#[test]
fn wgpu_agrees_with_ndarray_and_round_trips() {
    if !wgpu_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.wjm");
    let (t, _) = ala2();
    let m = LearnedModel::<Cpu>::new(meta(&t, 0.4), &Default::default());
    m.save(&path).unwrap();
    let cpu = LearnedDenoiser::new(m, &t, Default::default(), "ndarray").unwrap();
    let gpu_model = LearnedModel::<Gpu>::load(&path, &Default::default()).unwrap();
    gpu_model.save(&dir.path().join("again.wjm")).unwrap();
    let gpu = LearnedDenoiser::new(gpu_model, &t, Default::default(), "wgpu").unwrap();
    let y = noisy_batch(8, 5);
    let (a, b) = (xhat(&cpu, &y), xhat(&gpu, &y));
    assert!(max_abs_diff(&a, &b) < 1e-3, "{}", max_abs_diff(&a, &b));
    // Saved from wgpu, loaded on wgpu: bit-identical weights give identical outputs.
    let again =
        LearnedModel::<Gpu>::load(&dir.path().join("again.wjm"), &Default::default()).unwrap();
    let again = LearnedDenoiser::new(again, &t, Default::default(), "wgpu").unwrap();
    assert_eq!(xhat(&gpu, &y), xhat(&again, &y));
}

#[test]
fn a_model_that_does_not_fit_the_molecule_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (t, _) = ala2();
    let ala = dir.path().join("ala.wjm");
    LearnedModel::<Cpu>::new(meta(&t, 0.4), &Default::default())
        .save(&ala)
        .unwrap();
    let lj = Topology::lj_cluster(13);
    let err = load_denoiser(BackendKind::Ndarray, &ala, &lj)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("does not know these atom types"), "{err}");

    let mut lj_meta = meta(&lj, 0.05);
    lj_meta.molecule = "lj13".into();
    let ljm = dir.path().join("lj13.wjm");
    LearnedModel::<Cpu>::new(lj_meta, &Default::default())
        .save(&ljm)
        .unwrap();
    let err = load_denoiser(BackendKind::Ndarray, &ljm, &Topology::lj_cluster(55))
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("13 atoms") && err.contains("55 atoms"),
        "{err}"
    );

    // A damaged file: a clear error, not a panic inside the decoder.
    let bytes = std::fs::read(&ala).unwrap();
    let broken = dir.path().join("broken.wjm");
    std::fs::write(&broken, &bytes[..bytes.len() - 100]).unwrap();
    let err = load_denoiser(BackendKind::Ndarray, &broken, &t)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("truncated or damaged"), "{err}");
    std::fs::write(&broken, b"ATOM      1  N   ALA").unwrap();
    let err = load_denoiser(BackendKind::Ndarray, &broken, &t)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("not a Walk-Jump Studio model"), "{err}");
}

fn lj_data(frames: usize) -> TrainData {
    use walkjump::md::{Langevin, LangevinParams};
    use walkjump::systems::{LjCluster, System};
    let sys = LjCluster::new(13);
    let mut rng = seeded(9);
    let mut md = Langevin::new(&sys, LangevinParams::default(), sys.initial(&mut rng)).unwrap();
    let (mut xs, mut fs) = (vec![], vec![]);
    for _ in 0..2000 {
        md.step(&mut rng).unwrap();
    }
    for _ in 0..frames {
        for _ in 0..20 {
            md.step(&mut rng).unwrap();
        }
        xs.push(md.x.clone());
        fs.push(md.force.clone());
    }
    TrainData {
        topology: sys.topology(),
        molecule: "lj13".into(),
        length_unit: "reduced".into(),
        frames: xs,
        forces: Some(fs),
    }
}

fn cfg(steps: usize, psm_weight: f64) -> TrainConfig {
    TrainConfig {
        sigma: 0.1,
        steps,
        batch: 16,
        learning_rate: 3e-3,
        psm_weight,
        validation_fraction: 0.2,
        validate_every: steps,
        checkpoint_every: 0,
        seed: 3,
        net: NetConfig {
            hidden: 16,
            layers: 2,
            ..NetConfig::small(2.5)
        },
        init_from: None,
        max_seconds: None,
        c_radius: None,
        warm_start: None,
        torsion_weight: 0.0,
        ema: 0.0,
        // Two groups a step, on two threads: the path `walkjump train` takes on a
        // multi-core CPU.
        threads: 2,
    }
}

#[test]
fn training_beats_the_trivial_denoiser_on_held_out_frames() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lj.wjm");
    let data = lj_data(400);
    let s = train::<CpuTrain>(
        std::slice::from_ref(&data),
        &cfg(150, 0.5),
        &out,
        false,
        &Default::default(),
        |_| Continue(()),
    )
    .unwrap();
    assert!(
        s.final_validation_rmsd < 0.95 * s.baseline_validation_rmsd,
        "validation RMSD {} vs c_skip·y {}",
        s.final_validation_rmsd,
        s.baseline_validation_rmsd
    );
    // The written model carries its summary and loads.
    let m = LearnedModel::<Cpu>::load(&out, &Default::default()).unwrap();
    assert_eq!(m.meta.training["frames_train"], 320);
}

#[test]
fn resuming_from_a_checkpoint_continues_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lj.wjm");
    let data = lj_data(100);
    let mut c = cfg(20, 0.0);
    c.checkpoint_every = 10;
    // Interrupt the run after its checkpoint at step 10: a panic in the progress
    // callback stands in for a killed process.
    let mut steps_seen = vec![];
    let ck = dir.path().join("lj.wjm.ckpt.json");
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        train::<CpuTrain>(
            std::slice::from_ref(&data),
            &c,
            &out,
            false,
            &Default::default(),
            |p| {
                steps_seen.push(p.step);
                if p.step == 12 {
                    panic!("interrupted");
                }
                Continue(())
            },
        )
    }));
    assert!(r.is_err());
    assert!(ck.exists(), "no checkpoint written");
    let mut resumed = vec![];
    let s = train::<CpuTrain>(
        std::slice::from_ref(&data),
        &c,
        &out,
        true,
        &Default::default(),
        |p| {
            resumed.push(p.step);
            Continue(())
        },
    )
    .unwrap();
    assert_eq!(s.resumed_from_step, 10);
    assert_eq!(resumed.first(), Some(&11));
    assert_eq!(resumed.last(), Some(&20));
    assert!(!ck.exists(), "checkpoint left behind after finishing");
}

/// Train `c` into `out`, killed two steps after its first checkpoint and resumed;
/// `before_resume` runs in between.
fn interrupted_and_resumed(
    data: &TrainData,
    c: &TrainConfig,
    out: &std::path::Path,
    before_resume: impl FnOnce(),
) -> walkjump::nn::train::TrainSummary {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        train::<CpuTrain>(
            std::slice::from_ref(data),
            c,
            out,
            false,
            &Default::default(),
            |p| {
                if p.step == c.checkpoint_every + 2 {
                    panic!("interrupted");
                }
                Continue(())
            },
        )
    }));
    assert!(r.is_err());
    before_resume();
    train::<CpuTrain>(
        std::slice::from_ref(data),
        c,
        out,
        true,
        &Default::default(),
        |_| Continue(()),
    )
    .unwrap()
}

/// A model's weights seen through what they do: x̂ on a fixed noisy LJ-13 frame.
fn weights_of(path: &std::path::Path, data: &TrainData) -> Vec<f64> {
    let m = LearnedModel::<Cpu>::load(path, &Default::default()).unwrap();
    let d = LearnedDenoiser::new(m, &data.topology, Default::default(), "ndarray").unwrap();
    let y: Vec<f64> = data.frames[0].iter().map(|v| v + 0.05).collect();
    xhat(&d, &y)
}

#[test]
fn a_run_with_weight_averaging_writes_the_average_and_resumes_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = lj_data(100);
    let init = dir.path().join("init.wjm");
    // Both runs start from the same weights (initialisation is not seeded).
    train::<CpuTrain>(
        std::slice::from_ref(&data),
        &cfg(1, 0.0),
        &init,
        false,
        &Default::default(),
        |_| Continue(()),
    )
    .unwrap();
    // Resumed late enough that the average's warm-up no longer forgets where it was.
    let mut c = cfg(60, 0.0);
    c.checkpoint_every = 50;
    c.validate_every = 60;
    c.init_from = Some(init);
    let plain_out = dir.path().join("plain.wjm");
    let plain = interrupted_and_resumed(&data, &c, &plain_out, || {});
    c.ema = 0.95;
    let avg_out = dir.path().join("avg.wjm");
    let avg = interrupted_and_resumed(&data, &c, &avg_out, || {});
    let last = avg.curve.last().unwrap();
    // Averaging does not touch the optimiser's path: the averaged run's last step is
    // the plain run's model, to rounding.
    let last_step = last
        .last_step_rmsd
        .expect("an averaged run reports its last step");
    assert!(
        (last_step / plain.final_validation_rmsd - 1.0).abs() < 1e-4,
        "last step {last_step} against the plain run's {}",
        plain.final_validation_rmsd
    );
    assert!(plain.curve.last().unwrap().last_step_rmsd.is_none());
    // What it writes and reports is the average, not the last step.
    assert_eq!(avg.final_validation_rmsd, last.validation_rmsd);
    assert!((last.validation_rmsd - last_step).abs() > 1e-6);
    let (w_plain, w_avg) = (weights_of(&plain_out, &data), weights_of(&avg_out, &data));
    assert!(max_abs_diff(&w_plain, &w_avg) > 1e-4);
    assert!(
        !dir.path().join("avg.wjm.ckpt-ema").exists(),
        "checkpoint left behind"
    );
    // The resumed run went on from the checkpoint's average. Control: resumed without
    // it, the average restarts from the checkpoint's weights and ends elsewhere.
    let lost_out = dir.path().join("lost.wjm");
    let ema_file = dir.path().join("lost.wjm.ckpt-ema");
    interrupted_and_resumed(&data, &c, &lost_out, || {
        std::fs::remove_file(&ema_file).unwrap()
    });
    let w_lost = weights_of(&lost_out, &data);
    let again_out = dir.path().join("again.wjm");
    interrupted_and_resumed(&data, &c, &again_out, || {});
    assert!(
        max_abs_diff(&w_avg, &weights_of(&again_out, &data)) < 1e-5,
        "not reproducible"
    );
    assert!(max_abs_diff(&w_avg, &w_lost) > 1e-5);
}

/// Why `train` refuses `data` under `c`.
fn refusal(data: &[TrainData], c: &TrainConfig, out: &std::path::Path) -> String {
    train::<CpuTrain>(data, c, out, false, &Default::default(), |_| Continue(()))
        .expect_err("refused")
        .to_string()
}

#[test]
fn bad_training_data_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.wjm");
    let mut d = lj_data(20);
    d.frames[5][7] = f64::NAN;
    let e = refusal(std::slice::from_ref(&d), &cfg(5, 0.0), &out);
    assert!(e.contains("frame 5") && e.contains("non-finite"), "{e}");

    let mut d = lj_data(20);
    d.frames[3].truncate(30);
    let e = refusal(std::slice::from_ref(&d), &cfg(5, 0.0), &out);
    assert!(
        e.contains("frame 3 has 10 atoms") && e.contains("13"),
        "{e}"
    );

    let mut d = lj_data(20);
    d.forces = None;
    let e = refusal(std::slice::from_ref(&d), &cfg(5, 1.0), &out);
    assert!(e.contains("needs forces"), "{e}");

    let mut c = cfg(5, 0.0);
    c.ema = 1.5;
    let e = refusal(std::slice::from_ref(&lj_data(20)), &c, &out);
    assert!(e.contains("decay must lie in [0, 1)"), "{e}");
    assert!(!out.exists());
}

#[test]
fn train_cli_refuses_a_trajectory_of_another_molecule() {
    let dir = tempfile::tempdir().unwrap();
    let traj = dir.path().join("lj.dcd");
    let o = common::walkjump(&[
        "md",
        "--system",
        "lj13",
        "--steps",
        "2000",
        "--out",
        traj.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let o = common::walkjump(&[
        "train",
        "--top",
        common::ala2().to_str().unwrap(),
        "--traj",
        traj.to_str().unwrap(),
        "--out",
        dir.path().join("m.wjm").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let e = common::stderr(&o);
    assert!(e.contains("13") && e.contains("22"), "{e}");
    assert!(!e.contains("panicked"), "{e}");
}

/// 4 chains × 60 steps of walk-jump with `model` on alanine dipeptide.
fn longer_run(model: &std::path::Path) -> Vec<Vec<f64>> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.dcd");
    let o = common::walkjump(&[
        "sample",
        "--pdb",
        common::ala2().to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--backend",
        "ndarray",
        "--chains",
        "4",
        "--steps",
        "60",
        "--burn-in",
        "20",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    walkjump::io::read_trajectory(&out, 22).unwrap().frames
}

#[test]
fn a_model_saved_before_pseudoscalar_inputs_still_loads_and_denoises() {
    // models/lj13.wjm was written before NetConfig had `vector_dots`.
    let path = common::repo().join("models/lj13.wjm");
    let m = LearnedModel::<Cpu>::load(&path, &Default::default()).unwrap();
    assert!(!m.meta.net.vector_dots);
    let sys = walkjump::systems::by_name("lj13").unwrap();
    let mut rng = walkjump::rng::seeded(5);
    let x = sys.as_system().initial(&mut rng);
    let mut den = walkjump::nn::load_denoiser(
        walkjump::nn::BackendKind::Ndarray,
        &path,
        &sys.as_system().topology(),
    )
    .unwrap();
    let y: Vec<f64> = x
        .iter()
        .map(|v| v + 0.05 * walkjump::rng::normal(&mut rng))
        .collect();
    let mut out = vec![0.0; y.len()];
    den.denoise(&y, 0.05, &mut rng, &mut out, None).unwrap();
    assert!(out.iter().all(|v| v.is_finite()));
    // A denoiser moves the noisy point: the output is not the input.
    let moved: f64 = out.iter().zip(&y).map(|(a, b)| (a - b).abs()).sum();
    assert!(moved > 1e-3, "{moved}");
}

#[test]
fn a_time_budget_stops_training_early_with_a_usable_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lj.wjm");
    let data = lj_data(100);
    let mut c = cfg(1000, 0.0);
    c.max_seconds = Some(0.0);
    let s = train::<CpuTrain>(
        std::slice::from_ref(&data),
        &c,
        &out,
        false,
        &Default::default(),
        |_| Continue(()),
    )
    .unwrap();
    assert_eq!(s.steps_done, 1);
    assert_eq!(s.curve.len(), 1, "the stopping step is validated");
    assert!(LearnedModel::<Cpu>::load(&out, &Default::default()).is_ok());
}

#[test]
fn a_stop_from_the_progress_callback_ends_training_with_a_usable_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lj.wjm");
    let data = lj_data(100);
    let mut c = cfg(1000, 0.0);
    c.checkpoint_every = 2;
    let s = train::<CpuTrain>(
        std::slice::from_ref(&data),
        &c,
        &out,
        false,
        &Default::default(),
        |p| {
            if p.step == 3 {
                Break(())
            } else {
                Continue(())
            }
        },
    )
    .unwrap();
    assert_eq!(s.steps_done, 3);
    assert_eq!(s.curve.len(), 1, "the stopping step is validated");
    assert_eq!(s.curve[0].step, 3);
    assert!(s.final_validation_rmsd.is_finite());
    assert!(LearnedModel::<Cpu>::load(&out, &Default::default()).is_ok());
    assert!(
        !dir.path().join("lj.wjm.ckpt.json").exists(),
        "checkpoint left behind"
    );
}

#[test]
fn sample_cli_runs_the_shipped_model_on_its_molecule_and_refuses_another() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ala2.dcd");
    let y_out = dir.path().join("ala2_y.dcd");
    let model = common::repo().join("models/ala2.wjm");
    let o = common::walkjump(&[
        "sample",
        "--pdb",
        common::ala2().to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--backend",
        "ndarray",
        "--chains",
        "3",
        "--steps",
        "5",
        "--burn-in",
        "2",
        "--out",
        out.to_str().unwrap(),
        "--y-out",
        y_out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let jumps = walkjump::io::read_trajectory(&out, 22).unwrap();
    let walk = walkjump::io::read_trajectory(&y_out, 22).unwrap();
    assert_eq!(jumps.frames.len(), 15);
    // Jumps are denoised: their bond lengths are far closer to the real ones than
    // those of the noisy walk they came from.
    let (top, x0) = ala2();
    let bond_error = |frames: &[Vec<f64>]| {
        let len = |f: &[f64], a: usize, b: usize| {
            (0..3)
                .map(|k| (f[3 * a + k] - f[3 * b + k]).powi(2))
                .sum::<f64>()
                .sqrt()
        };
        let mut sum = 0.0;
        for f in frames {
            for &(a, b) in &top.bonds {
                sum += (len(f, a, b) - len(&x0, a, b)).abs();
            }
        }
        sum / (frames.len() * top.bonds.len()) as f64
    };
    let (ej, ey) = (bond_error(&jumps.frames), bond_error(&walk.frames));
    assert!(
        ej < 0.5 * ey,
        "bond error of jumps {ej:.3} Å vs walk {ey:.3} Å"
    );
    // The shipped model keeps alanine an L-residue: the model before the pseudoscalar
    // inputs turned 7.7 % of its jumps into D-alanine.
    let centres = walkjump::analysis::chirality::chiral_residues(&top, &x0);
    assert_eq!(centres.len(), 1);
    let inverted =
        walkjump::analysis::chirality::inverted_fractions(&centres, &longer_run(&model))[0];
    assert_eq!(inverted, 0.0, "{:.1} % D-alanine jumps", 100.0 * inverted);
    let o = common::walkjump(&[
        "sample",
        "--system",
        "lj13",
        "--model",
        model.to_str().unwrap(),
        "--out",
        dir.path().join("x.dcd").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let e = common::stderr(&o);
    assert!(e.contains("does not know these atom types"), "{e}");
}
