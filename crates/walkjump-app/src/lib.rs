//! The desktop app: a thin layer of bevy plugins over the live sampler
//! (`walkjump_nn::live`), which runs on its own thread.

mod impostor;
pub mod lab;
mod link;
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
    /// Window size in logical pixels, WIDTHxHEIGHT.
    #[arg(long, default_value = "1600x900")]
    pub size: String,
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
            size: "1600x900".into(),
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

/// A bevy app with one window of `w` × `h` logical pixels and the studio's
/// background, for the app and the lab alike.
pub fn window_app(title: &str, w: u32, h: u32) -> App {
    let mut app = App::new();
    app.insert_resource(ClearColor(Color::srgb(0.06, 0.07, 0.09)))
        .add_plugins(
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

pub fn run(a: GuiArgs) -> anyhow::Result<()> {
    require_display()?;
    let spec = initial_spec(&a)?;
    let backend = a.backend.parse::<walkjump_nn::BackendKind>()?;
    let (w, h) = parse_size(&a.size)?;
    let live = link::Live::start(spec, backend, a.chains.max(1));
    window_app("Walk-Jump Studio", w, h)
        .add_plugins(bevy::diagnostic::FrameTimeDiagnosticsPlugin::default())
        .add_plugins(EguiPlugin::default())
        .insert_resource(live)
        .add_plugins((
            link::LinkPlugin,
            impostor::ImpostorPlugin,
            view3d::ViewPlugin,
            panels::PanelsPlugin,
            shot::ShotPlugin::from_args(&a),
        ))
        .run();
    Ok(())
}
