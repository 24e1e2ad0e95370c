use super::common::md_starts;
use super::sample::{build_denoiser, DenoiserChoice};
use anyhow::Context;
use burn::tensor::{backend::Backend, Tensor, TensorData};
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;
use walkjump::denoiser::energy::InnerChainParams;
use walkjump::md::{Langevin, LangevinParams};
use walkjump::molecule::{load_structure, LoadOptions};
use walkjump::nn::{
    load_denoiser, load_device_walk, on_backend, wgpu_available, BackendKind, DeviceIdentity,
    DeviceWalk, OnBackend, TensorDenoiser, WalkStart,
};
use walkjump::rng::normal;
use walkjump::rng::seeded;
use walkjump::sampler::{Walk, WalkJump, WalkParams};
use walkjump::systems;

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Seconds spent on each measurement.
    #[arg(long, default_value_t = 2.0)]
    pub seconds: f64,
    /// Walk-jump chains batched together.
    #[arg(long, default_value_t = 16)]
    pub chains: usize,
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Learned model to time on ndarray, flex and wgpu (alanine dipeptide by default).
    #[arg(long, default_value = "models/ala2.wjm")]
    pub model: PathBuf,
    /// Its molecule.
    #[arg(long, default_value = "assets/alanine-dipeptide.pdb")]
    pub pdb: PathBuf,
    /// Skip the learned-denoiser timings.
    #[arg(long)]
    pub no_learned: bool,
    #[command(flatten)]
    pub versus: super::bench_md::VersusMdArgs,
    #[command(flatten)]
    pub scaling: super::bench_scaling::ScalingArgs,
    #[command(flatten)]
    pub pairs: super::bench_pairs::PairsArgs,
}

/// Run `f` in rounds until `secs` have passed; returns units per second.
fn rate(
    secs: f64,
    units_per_call: f64,
    mut f: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<f64> {
    let t0 = Instant::now();
    let mut n = 0.0;
    while t0.elapsed().as_secs_f64() < secs {
        f()?;
        n += units_per_call;
    }
    Ok(n / t0.elapsed().as_secs_f64())
}

/// The bench's results as pretty JSON, where `--json` asked for them.
fn save_json(path: Option<&std::path::Path>, v: &serde_json::Value) -> anyhow::Result<()> {
    if let Some(j) = path {
        walkjump::io::write_atomically(j, serde_json::to_string_pretty(v)?.as_bytes())?;
    }
    Ok(())
}

pub fn run(a: BenchArgs) -> anyhow::Result<()> {
    let json = a.json.as_deref();
    if a.versus.versus_md {
        let v = super::bench_md::run(&a.versus, &a.model, &a.pdb)?;
        return save_json(json, &v);
    }
    if a.pairs.pairs_crossover {
        let rows = super::bench_pairs::run(&a.pairs, a.seconds)?;
        return save_json(json, &serde_json::json!({ "pairs_crossover": rows }));
    }
    if a.scaling.scaling {
        let rows = super::bench_scaling::run(
            &a.scaling,
            a.seconds,
            &a.versus.python,
            &a.versus.openmm_platform,
            &a.model,
            &a.pdb,
        )?;
        return save_json(json, &serde_json::json!({ "scaling": rows }));
    }
    let cases = [
        ("lj13", DenoiserChoice::Energy, 0.05),
        ("double-well", DenoiserChoice::Exact, 0.2),
        ("gmm", DenoiserChoice::Exact, 0.2),
        ("muller-brown", DenoiserChoice::Exact, 0.05),
    ];
    println!(
        "walk-jump steps/s are chain-steps (one denoiser evaluation per chain each); one core each"
    );
    println!("'time ratio' weighs each step by its length: walk Δt = σ against MD dt");
    println!(
        "{:<14} {:>12} {:>7} {:>18} {:>6} {:>10} {:>11}",
        "system", "MD steps/s", "MD dt", "walk-jump steps/s", "Δt", "WJ / MD", "time ratio"
    );
    let mut rows = vec![];
    for (name, choice, sigma) in cases {
        let any = systems::by_name(name)?;
        let sys = any.as_system();
        let mut rng = seeded(7);
        let dt = if sys.dim() == 2 { 0.002 } else { 0.005 };
        let mut md = Langevin::new(
            sys,
            LangevinParams {
                dt,
                ..Default::default()
            },
            sys.initial(&mut rng),
        )?;
        let md_rate = rate(a.seconds, 100.0, || {
            for _ in 0..100 {
                md.step(&mut rng)?;
            }
            Ok(())
        })?;
        let den = build_denoiser(name, choice, sigma, InnerChainParams::default())?;
        let starts = md_starts(sys, a.chains, &mut rng)?;
        let params = WalkParams {
            clip: Some(WalkParams::auto_clip(sys.dim(), sigma)),
            ..WalkParams::defaults(sigma)
        };
        let mut wj = WalkJump::new(params, den, starts, a.chains, 7)?;
        let wj_rate = rate(a.seconds, a.chains as f64, || {
            wj.step()?;
            Ok(())
        })?;
        let time_ratio = wj_rate * sigma / (md_rate * dt);
        println!(
            "{:<14} {:>12.0} {:>7} {:>18.0} {:>6} {:>10.4} {:>11.4}",
            name,
            md_rate,
            dt,
            wj_rate,
            sigma,
            wj_rate / md_rate,
            time_ratio
        );
        rows.push(serde_json::json!({"system": name, "denoiser": wj.denoiser_name(), "sigma": sigma,
            "md_steps_per_s": md_rate, "md_dt": dt, "walkjump_steps_per_s": wj_rate, "walk_dt": sigma,
            "ratio": wj_rate / md_rate, "time_ratio": time_ratio, "chains": a.chains}));
    }
    let learned = if a.no_learned {
        vec![]
    } else {
        bench_learned(&a)?
    };
    save_json(
        json,
        &serde_json::json!({"exact_and_energy": rows, "learned": learned}),
    )
}

/// Denoiser calls per second of the learned network on each backend, for 1, 16 and
/// 128 chains batched into one call; flex and wgpu are reported as ratios against
/// ndarray, the CPU backend earlier versions ran on.
fn bench_learned(a: &BenchArgs) -> anyhow::Result<Vec<serde_json::Value>> {
    let st = load_structure(&a.pdb, LoadOptions::default())
        .with_context(|| format!("loading {}", a.pdb.display()))?;
    let mut backends = vec![BackendKind::Ndarray, BackendKind::Flex];
    match wgpu_available() {
        Ok(()) => backends.push(BackendKind::Wgpu),
        Err(e) => println!("wgpu skipped: {e}"),
    }
    println!();
    println!(
        "burn kernel fusion and autotune on wgpu: {} (cargo feature `fusion`)",
        if walkjump::nn::backend::WGPU_FUSION {
            "on"
        } else {
            "off"
        }
    );
    println!(
        "learned denoiser {} on {} ({} atoms)",
        a.model.display(),
        a.pdb.display(),
        st.topology.n_atoms()
    );
    println!(
        "{:<8} {:>7} {:>12} {:>14} {:>14}",
        "backend", "chains", "calls/s", "chain-jumps/s", "vs ndarray"
    );
    let mut rows = vec![];
    let mut cpu_rates = std::collections::HashMap::new();
    for kind in backends {
        let mut den = load_denoiser(kind, &a.model, &st.topology)
            .with_context(|| format!("loading {}", a.model.display()))?;
        let sigma = den.trained_sigma().unwrap_or(0.4);
        let mut rng = seeded(3);
        for chains in [1usize, 16, 128] {
            let mut y = Vec::with_capacity(chains * st.positions.len());
            for _ in 0..chains {
                y.extend(st.positions.iter().map(|p| p + sigma * normal(&mut rng)));
            }
            let mut out = vec![0.0; y.len()];
            // The first call compiles kernels (wgpu) and allocates: not timed.
            den.denoise(&y, sigma, &mut rng, &mut out, None)?;
            let calls = rate(a.seconds, 1.0, || {
                den.denoise(&y, sigma, &mut rng, &mut out, None)?;
                Ok(())
            })?;
            if kind == BackendKind::Ndarray {
                cpu_rates.insert(chains, calls);
            }
            let vs = calls / cpu_rates.get(&chains).copied().unwrap_or(calls);
            println!(
                "{:<8} {:>7} {:>12.1} {:>14.0} {:>14.2}",
                kind.name(),
                chains,
                calls,
                calls * chains as f64,
                vs
            );
            rows.push(serde_json::json!({"backend": kind.name(), "chains": chains,
                "calls_per_s": calls, "chain_jumps_per_s": calls * chains as f64,
                "ratio_vs_ndarray": vs}));
        }
    }
    rows.extend(step_breakdown(a, &st)?);
    Ok(rows)
}

/// Where a walk-jump step's time goes, per backend and batch: the denoiser call
/// (the network and, inside it, the host↔device copies of y and x̂, timed on their
/// own as a round trip of a tensor of the same shape), the walk's own arithmetic
/// (the rest of `WalkJump::step`), and what the live sampler does with each jump
/// (statistics and the run file).
fn step_breakdown(
    a: &BenchArgs,
    st: &walkjump::molecule::Structure,
) -> anyhow::Result<Vec<serde_json::Value>> {
    let top = &st.topology;
    let n = top.n_atoms();
    let mut backends = vec![BackendKind::Ndarray, BackendKind::Flex];
    if wgpu_available().is_ok() {
        backends.push(BackendKind::Wgpu);
    }
    println!();
    println!(
        "time per walk-jump step (ms), BAOAB, one jump recorded per step; the parts are timed apart"
    );
    println!(
        "{:<8} {:>7} {:>9} {:>9} {:>10} {:>9} {:>10} {:>10} {:>10} {:>10}",
        "backend",
        "chains",
        "step",
        "network",
        "transfers",
        "walk",
        "recording",
        "samples/s",
        "dev step",
        "dev walk"
    );
    println!(
        "(dev: the walk's state on the network's device; dev step is its whole step, dev walk the same with a denoiser that costs nothing)"
    );
    let mut rows = vec![];
    for kind in backends {
        for chains in [1usize, 16, 128] {
            let den = load_denoiser(kind, &a.model, top)?;
            let sigma = den.trained_sigma().unwrap_or(0.4);
            let mut fwd = load_denoiser(kind, &a.model, top)?;
            let mut rng = seeded(5);
            let y: Vec<f64> = (0..chains)
                .flat_map(|_| st.positions.clone())
                .map(|p| p + sigma * normal(&mut rng))
                .collect();
            let mut out = vec![0.0; y.len()];
            fwd.denoise(&y, sigma, &mut rng, &mut out, None)?;
            let secs = (a.seconds / 2.0).max(0.5);
            let forward_s = 1.0
                / rate(secs, 1.0, || {
                    fwd.denoise(&y, sigma, &mut rng, &mut out, None)?;
                    Ok(())
                })?;
            round_trip(kind, chains, n)?; // kernels compiled, buffers allocated: not timed
            let transfer_s = 1.0 / rate(secs, 1.0, || round_trip(kind, chains, n))?;
            let params = WalkParams {
                clip: Some(WalkParams::auto_clip(3 * n, sigma)),
                ..WalkParams::defaults(sigma)
            };
            let starts = vec![st.positions.clone()];
            let mut wj = WalkJump::new(params, den, starts.clone(), chains, 11)?;
            wj.step()?;
            let step_s = 1.0 / rate(secs, 1.0, || wj.step().map(|_| ()).map_err(Into::into))?;
            // The walk alone: the same step with a denoiser that costs nothing.
            let identity = Box::new(walkjump::denoiser::Identity { dim: 3 * n });
            let mut walk = WalkJump::new(params, identity, starts.clone(), chains, 11)?;
            let walk_s = 1.0 / rate(secs, 1.0, || walk.step().map(|_| ()).map_err(Into::into))?;
            let dev_step_s = device_step_seconds(
                kind,
                DeviceDen::Model(&a.model, top),
                params,
                starts.clone(),
                chains,
                secs,
            )?;
            let dev_walk_s = device_step_seconds(
                kind,
                DeviceDen::Identity(3 * n),
                params,
                starts,
                chains,
                secs,
            )?;
            // What the live sampler does with each jump: statistics, then the run file.
            let mut stats = walkjump::live::LiveStats::peptide(
                walkjump::analysis::peptide::PeptideEnsemble::new(top),
                None,
            );
            let dir = tempfile::tempdir()?;
            let mut file = std::io::BufWriter::new(std::fs::File::create(dir.path().join("r"))?);
            let record_s = 1.0
                / rate(secs, 1.0, || {
                    use std::io::Write;
                    for c in 0..chains {
                        let x = wj.jump_of(c);
                        stats.add(c, x, None);
                        for v in x {
                            file.write_all(&(*v as f32).to_le_bytes())?;
                        }
                    }
                    Ok(())
                })?;
            let ms = |s: f64| 1e3 * s;
            let total = step_s + record_s;
            // Each part is timed on its own, so they add up to the step only roughly.
            let network_s = (forward_s - transfer_s).max(0.0);
            println!(
                "{:<8} {:>7} {:>9.2} {:>9.2} {:>10.3} {:>9.3} {:>10.3} {:>10.0} {:>10.2} {:>10.3}",
                kind.name(),
                chains,
                ms(total),
                ms(network_s),
                ms(transfer_s),
                ms(walk_s),
                ms(record_s),
                chains as f64 / total,
                ms(dev_step_s),
                ms(dev_walk_s)
            );
            rows.push(
                serde_json::json!({"breakdown": true, "backend": kind.name(),
                "chains": chains, "step_ms": ms(total), "network_ms": ms(network_s),
                "transfers_ms": ms(transfer_s), "walk_ms": ms(walk_s),
                "recording_ms": ms(record_s), "samples_per_s": chains as f64 / total,
                "device_step_ms": ms(dev_step_s), "device_walk_ms": ms(dev_walk_s),
                "device_samples_per_s": chains as f64 / (dev_step_s + record_s)}),
            );
        }
    }
    Ok(rows)
}

/// y up to the backend and x̂ back, as the learned denoiser moves them (f32).
fn round_trip(kind: BackendKind, chains: usize, n: usize) -> anyhow::Result<()> {
    struct RoundTrip(usize, usize);
    impl OnBackend for RoundTrip {
        type Out = ();
        fn run<B: Backend>(self, device: B::Device, _: &'static str) -> walkjump::Result<()>
        where
            B::Device: Send,
        {
            let RoundTrip(chains, n) = self;
            let flat = vec![0.5f32; chains * n * 3];
            let t = Tensor::<B, 3>::from_data(TensorData::new(flat, [chains, n, 3]), &device);
            let back = walkjump::nn::device_walk::to_host(t + 1.0)?;
            if back.len() != chains * n * 3 {
                return Err(walkjump::Error::Denoiser("round trip lost values".into()));
            }
            Ok(())
        }
    }
    Ok(on_backend(kind, RoundTrip(chains, n))?)
}

/// The device walk's step time with `den` (its whole step: the updates, the denoiser
/// call, and the read-back of the recorded jumps every step).
fn device_step_seconds(
    kind: BackendKind,
    den: DeviceDen<'_>,
    params: WalkParams,
    starts: Vec<Vec<f64>>,
    chains: usize,
    secs: f64,
) -> anyhow::Result<f64> {
    let start = WalkStart {
        params,
        starts,
        chains,
        seed: 11,
    };
    let mut walk = match den {
        DeviceDen::Model(path, top) => load_device_walk(kind, path, top, start)?,
        DeviceDen::Identity(dim) => on_backend(kind, IdentityWalk(dim, start))?,
    };
    walk.step()?;
    Ok(1.0 / rate(secs, 1.0, || walk.step().map(|_| ()).map_err(Into::into))?)
}

enum DeviceDen<'a> {
    Model(&'a std::path::Path, &'a walkjump::molecule::Topology),
    Identity(usize),
}

/// A device walk whose denoiser costs nothing.
struct IdentityWalk(usize, WalkStart);
impl OnBackend for IdentityWalk {
    type Out = Box<dyn Walk>;
    fn run<B: Backend>(self, device: B::Device, _: &'static str) -> walkjump::Result<Self::Out>
    where
        B::Device: Send,
    {
        let IdentityWalk(dim, s) = self;
        let den: Box<dyn TensorDenoiser<B>> = Box::new(DeviceIdentity { dim });
        Ok(Box::new(DeviceWalk::new(
            s.params, den, device, s.starts, s.chains, s.seed,
        )?))
    }
}
