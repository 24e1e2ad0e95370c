use super::common::md_starts;
use super::sample::{build_denoiser, DenoiserChoice};
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;
use walkjump::denoiser::energy::InnerChainParams;
use walkjump::md::{Langevin, LangevinParams};
use walkjump::molecule::{load_structure, LoadOptions};
use walkjump::nn::{load_denoiser, wgpu_available, BackendKind};
use walkjump::rng::normal;
use walkjump::rng::seeded;
use walkjump::sampler::{WalkJump, WalkParams};
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
    /// Learned model to time on ndarray and wgpu (alanine dipeptide by default).
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

pub fn run(a: BenchArgs) -> anyhow::Result<()> {
    if a.versus.versus_md {
        let v = super::bench_md::run(&a.versus, &a.model, &a.pdb)?;
        if let Some(j) = &a.json {
            walkjump::io::write_atomically(j, serde_json::to_string_pretty(&v)?.as_bytes())?;
        }
        return Ok(());
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
    if let Some(j) = &a.json {
        let all = serde_json::json!({"exact_and_energy": rows, "learned": learned});
        walkjump::io::write_atomically(j, serde_json::to_string_pretty(&all)?.as_bytes())?;
    }
    Ok(())
}

/// Denoiser calls per second of the learned network on each backend, for 1, 16 and
/// 128 chains batched into one call; wgpu is reported as a ratio against ndarray.
fn bench_learned(a: &BenchArgs) -> anyhow::Result<Vec<serde_json::Value>> {
    let st = load_structure(&a.pdb, LoadOptions::default())
        .with_context(|| format!("loading {}", a.pdb.display()))?;
    let mut backends = vec![BackendKind::Ndarray];
    match wgpu_available() {
        Ok(()) => backends.push(BackendKind::Wgpu),
        Err(e) => println!("wgpu skipped: {e}"),
    }
    println!();
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
    Ok(rows)
}
