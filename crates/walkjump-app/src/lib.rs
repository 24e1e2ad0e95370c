//! The desktop app: a thin layer of bevy plugins over the live sampler
//! (`walkjump_nn::live`), which runs on its own thread.

mod impostor;
pub mod lab;
mod link;
pub mod offscreen;
mod paint;
pub mod palette;
pub mod panels;
mod shot;
mod view3d;

use bevy::prelude::*;
use bevy_egui::EguiPlugin;
use clap::Args;
use std::path::PathBuf;
use walkjump_nn::live::SystemSpec;

#[derive(Args, Debug, Clone)]
pub struct GuiArgs {
    /// Molecule to open (PDB); the bundled alanine dipeptide when absent.
    #[arg(long)]
    pub pdb: Option<PathBuf>,
    /// Learned model for it (.wjm).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Reference MD trajectory (.dcd, .xtc or multi-model .pdb) to compare against.
    #[arg(long)]
    pub reference: Option<PathBuf>,
    /// Open a built-in system instead: ala2, lj13 or lj55.
    #[arg(long, conflicts_with = "pdb")]
    pub system: Option<String>,
    /// Network backend: auto (wgpu on a hardware GPU, else ndarray), wgpu or ndarray.
    #[arg(long, default_value = "auto")]
    pub backend: String,
    /// Walk-jump chains at the start.
    #[arg(long, default_value_t = 8)]
    pub chains: usize,
    // Test mode (hidden from --help; README "The app" lists it).
    /// Write a screenshot here after --exit-after seconds, then exit (test mode).
    #[arg(long, hide = true)]
    pub screenshot: Option<PathBuf>,
    /// Run this many seconds, then exit 0.
    #[arg(long, hide = true)]
    pub exit_after: Option<f64>,
    /// Measure frames per second with sampling on, then paused (half the run each),
    /// and print both; needs --exit-after.
    #[arg(long, hide = true)]
    pub fps_report: bool,
    /// Apply this σ after the first quarter of the run (to check σ reaches the sampler).
    #[arg(long, hide = true)]
    pub set_sigma_at_quarter: Option<f64>,
    /// Open this PDB (with the current model) at 40 % of the run, as a user would.
    #[arg(long, hide = true)]
    pub then_open: Option<PathBuf>,
    /// Press "Reset from reference" after the first quarter of the run.
    #[arg(long, hide = true)]
    pub reset_from_reference_at_quarter: bool,
    /// Window size in logical pixels, WIDTHxHEIGHT (the image size offscreen).
    #[arg(long, default_value = "1600x900")]
    pub size: String,
    /// Benchmark without a window: draw the same scene and panels into an offscreen
    /// image for SECONDS (sampling for the first half, paused for the second) and
    /// print frames per second of both as JSON. Needs a GPU adapter (or lavapipe),
    /// no display.
    #[arg(long, value_name = "SECONDS", conflicts_with_all = ["exit_after", "soak"])]
    pub offscreen_bench: Option<f64>,
    /// Soak test: sample for MINUTES and print the resident memory and the frame
    /// rate 30 times over the run (at most once a minute), then a JSON summary (is
    /// the app as smooth and as small at the end as after its warm-up?).
    #[arg(long, value_name = "MINUTES", conflicts_with = "exit_after")]
    pub soak: Option<f64>,
}

impl Default for GuiArgs {
    /// What `walkjump` with no arguments opens: the same as the flags' defaults.
    fn default() -> Self {
        GuiArgs {
            pdb: None,
            model: None,
            reference: None,
            system: None,
            backend: "auto".into(),
            chains: 8,
            screenshot: None,
            exit_after: None,
            fps_report: false,
            set_sigma_at_quarter: None,
            then_open: None,
            reset_from_reference_at_quarter: false,
            size: "1600x900".into(),
            offscreen_bench: None,
            soak: None,
        }
    }
}

/// Files bundled with the app, relative to the repository (or working) directory.
pub struct Bundled;

impl Bundled {
    pub fn ala2() -> SystemSpec {
        SystemSpec::Molecule {
            pdb: asset("assets/alanine-dipeptide.pdb"),
            model: asset("models/ala2.wjm"),
            reference: Some(asset("assets/data/ala2-reference.dcd")),
        }
    }
    pub fn cluster(name: &str) -> SystemSpec {
        SystemSpec::Cluster {
            name: name.into(),
            model: asset(&format!("models/{name}.wjm")),
        }
    }
}

/// A bundled file: next to the working directory, else next to the executable's
/// build tree (so `target/release/walkjump` finds them from anywhere in the repo).
pub fn asset(rel: &str) -> PathBuf {
    let here = PathBuf::from(rel);
    if here.exists() {
        return here;
    }
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(rel);
    if root.exists() {
        root
    } else {
        here
    }
}

fn initial_spec(a: &GuiArgs) -> anyhow::Result<SystemSpec> {
    Ok(match (&a.pdb, a.system.as_deref()) {
        (Some(pdb), _) => SystemSpec::Molecule {
            pdb: pdb.clone(),
            // Without --model the sampler chooses among the bundled models.
            model: a.model.clone().unwrap_or_else(|| asset("models")),
            reference: a.reference.clone(),
        },
        (None, None | Some("ala2") | Some("alanine-dipeptide")) => {
            let mut s = Bundled::ala2();
            if let SystemSpec::Molecule {
                model, reference, ..
            } = &mut s
            {
                if let Some(m) = &a.model {
                    *model = m.clone();
                }
                if let Some(r) = &a.reference {
                    *reference = Some(r.clone());
                }
            }
            s
        }
        (None, Some(name @ ("lj13" | "lj55"))) => match &a.model {
            Some(m) => SystemSpec::Cluster {
                name: name.into(),
                model: m.clone(),
            },
            None => Bundled::cluster(name),
        },
        (None, Some(other)) => anyhow::bail!("unknown system {other}: ala2, lj13 or lj55"),
    })
}

/// `--size WIDTHxHEIGHT` in logical pixels.
pub fn parse_size(size: &str) -> anyhow::Result<(u32, u32)> {
    size.split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .ok_or_else(|| anyhow::anyhow!("--size wants WIDTHxHEIGHT, e.g. 1600x900"))
}

/// Refuse to start a window where there is no display to put it on. winit would
/// panic deep inside bevy's start-up with a backtrace; a user on a server or in a
/// container should instead learn what is missing and what works there.
pub fn require_display() -> anyhow::Result<()> {
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        let set = |v: &str| std::env::var_os(v).is_some_and(|s| !s.is_empty());
        if !set("DISPLAY") && !set("WAYLAND_DISPLAY") {
            anyhow::bail!(
                "no display: neither DISPLAY nor WAYLAND_DISPLAY is set, so the window cannot open.\n\
                 Start Walk-Jump Studio from a desktop session, or give it a virtual one with \
                 `xvfb-run -a walkjump` (Debian: apt-get install xvfb). Without a window, the \
                 headless commands do the same work: `walkjump sample` grows an ensemble, \
                 `walkjump analyze` compares it with a reference, `walkjump bench` times it."
            );
        }
    }
    Ok(())
}

/// What to say where the renderer finds no adapter at all: no GPU and no software
/// driver either.
const NO_ADAPTER: &str = "no graphics adapter: wgpu found neither a GPU nor a software \
     driver, so nothing can be drawn. Install a GPU driver, or Mesa's software one \
     (Debian: apt-get install mesa-vulkan-drivers, which brings lavapipe; the app runs on \
     it, slowly). Without drawing, the headless commands do the same work: `walkjump \
     sample` grows an ensemble, `walkjump analyze` compares it with a reference, \
     `walkjump bench` times it.";

/// bevy panics where it finds no adapter (deep in its start-up, with a backtrace);
/// turn that one panic into the message above and a failing exit code.
pub(crate) fn explain_renderer_panics() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        // Without any driver bevy fails either finding an adapter or, with a
        // window, already creating the surface.
        if msg.contains("Unable to find a GPU") || msg.contains("Failed to create wgpu surface") {
            eprintln!("error: {NO_ADAPTER}");
            std::process::exit(1);
        }
        default_hook(info)
    }));
}

/// The studio's background colour.
pub const BACKGROUND: Color = Color::srgb(0.06, 0.07, 0.09);

/// A bevy app with one window of `w` × `h` logical pixels and the studio's
/// background, for the app and the lab alike.
pub fn window_app(title: &str, w: u32, h: u32) -> App {
    let mut app = App::new();
    app.insert_resource(ClearColor(BACKGROUND)).add_plugins(
        DefaultPlugins
            .build()
            // The command line already installed a tracing subscriber.
            .disable::<bevy::log::LogPlugin>()
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title: title.into(),
                    resolution: (w, h).into(),
                    ..default()
                }),
                ..default()
            }),
    );
    app
}

pub fn run(mut a: GuiArgs) -> anyhow::Result<()> {
    explain_renderer_panics();
    // The sampler's network may spread a batch over the cores; leave one of them to
    // bevy, whose drawing (on lavapipe, the CPU) keeps the window responsive.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    walkjump_nn::denoiser::set_cpu_threads((cores - 1).max(1));
    let spec = initial_spec(&a)?;
    let backend = a.backend.parse::<walkjump_nn::BackendKind>()?;
    let (w, h) = parse_size(&a.size)?;
    let mut app = match a.offscreen_bench {
        Some(seconds) => {
            anyhow::ensure!(
                seconds.is_finite() && seconds > 0.0,
                "--offscreen-bench wants a positive number of seconds"
            );
            a.exit_after = Some(seconds);
            a.fps_report = true;
            // No surface to ask for one: what wgpu lists is what bevy can get.
            anyhow::ensure!(
                !walkjump_nn::backend::render_adapters().is_empty(),
                NO_ADAPTER
            );
            offscreen::offscreen_app(w, h)
        }
        None => {
            require_display()?;
            window_app("Walk-Jump Studio", w, h)
        }
    };
    if let Some(minutes) = a.soak {
        anyhow::ensure!(
            minutes.is_finite() && minutes > 0.0,
            "--soak wants a positive number of minutes"
        );
        a.exit_after = Some(minutes * 60.0);
    }
    let live = link::Live::start(spec, backend, a.chains.max(1));
    let image = app
        .world()
        .get_resource::<offscreen::Offscreen>()
        .map(|o| o.image.clone());
    app.add_plugins(bevy::diagnostic::FrameTimeDiagnosticsPlugin::default())
        .add_plugins(EguiPlugin::default())
        .insert_resource(live)
        .add_plugins((
            link::LinkPlugin,
            impostor::ImpostorPlugin,
            view3d::ViewPlugin,
            panels::PanelsPlugin,
            shot::ShotPlugin::from_args(&a).offscreen(image),
        ))
        .run();
    Ok(())
}
