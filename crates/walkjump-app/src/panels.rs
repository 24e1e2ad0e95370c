//! The egui panels: menus, sampler controls, live statistics, status bar.

use super::link::{Live, SamplerProblem};
use super::paint::{self, Series};
use super::palette;
use super::view3d::CentralRect;
use super::{asset, Bundled};
use bevy::diagnostic::{DiagnosticsStore, FrameTimeDiagnosticsPlugin};
use bevy::prelude::*;
use bevy::render::renderer::RenderAdapterInfo;
use bevy::tasks::{block_on, futures_lite::future::poll_once, AsyncComputeTaskPool, Task};
use bevy_egui::egui::{self, Color32, Vec2};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use std::path::PathBuf;
use walkjump_nn::live::{
    percent, HistogramView, LiveParams, ReferenceMdOptions, SamplerCommand, StatsView, SystemSpec,
};

#[derive(Clone, Copy, Debug)]
enum Purpose {
    OpenPdb,
    OpenModel,
    OpenReference,
    SaveEnsemble,
    SaveMetrics,
    ExportPng,
    ExportSvg,
}

/// Dialog in flight and the path box.
#[derive(Resource, Default)]
pub struct Ui {
    dialog: Option<(Purpose, Task<Option<PathBuf>>)>,
    path_text: String,
    show_log: bool,
    /// The newest problem and when it came; shown for a while, the log keeps all.
    problem: Option<(std::time::Instant, String)>,
    /// Which residue's Ramachandran the statistics panel shows.
    rama_residue: usize,
    /// The sequence typed into the "New peptide" window, while it is open.
    new_peptide: Option<String>,
}

pub struct PanelsPlugin;

impl Plugin for PanelsPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Ui>()
            .add_systems(EguiPrimaryContextPass, draw);
    }
}

/// Open or save through the desktop's file dialog, off the GUI thread.
fn start_dialog(ui: &mut Ui, purpose: Purpose) {
    if ui.dialog.is_some() {
        return;
    }
    let mut d = rfd::AsyncFileDialog::new();
    d = match purpose {
        Purpose::OpenPdb => d.add_filter("PDB", &["pdb", "cif"]),
        Purpose::OpenModel => d.add_filter("walk-jump model", &["wjm"]),
        Purpose::OpenReference => d.add_filter("trajectory", &["dcd", "xtc", "pdb"]),
        Purpose::SaveEnsemble => d
            .add_filter("trajectory", &["dcd", "xtc", "pdb"])
            .set_file_name("ensemble.dcd"),
        Purpose::SaveMetrics => d
            .add_filter("JSON", &["json"])
            .set_file_name("metrics.json"),
        Purpose::ExportPng | Purpose::ExportSvg => d,
    };
    let task = AsyncComputeTaskPool::get().spawn(async move {
        let h = match purpose {
            Purpose::SaveEnsemble | Purpose::SaveMetrics => d.save_file().await,
            Purpose::ExportPng | Purpose::ExportSvg => d.pick_folder().await,
            _ => d.pick_file().await,
        };
        h.map(|h| h.path().to_path_buf())
    });
    ui.dialog = Some((purpose, task));
}

/// Act on a path the user chose, from a dialog or typed into the path box.
fn act(live: &mut Live, purpose_path: (Purpose, PathBuf)) {
    let (purpose, path) = purpose_path;
    match purpose {
        Purpose::OpenPdb => {
            // The sampler picks from the bundled models: the molecule's own, else the
            // transferable peptide model (the status line says which and why).
            open(
                live,
                SystemSpec::Molecule {
                    pdb: path,
                    model: asset("models"),
                    reference: None,
                },
            );
        }
        Purpose::OpenModel => match live.info.as_ref().map(|i| i.spec.clone()) {
            Some(SystemSpec::Molecule { pdb, reference, .. }) => open(
                live,
                SystemSpec::Molecule {
                    pdb,
                    model: path,
                    reference,
                },
            ),
            Some(SystemSpec::Cluster { name, .. }) => {
                open(live, SystemSpec::Cluster { name, model: path })
            }
            None => live.say("open a molecule first", true),
        },
        Purpose::OpenReference => live.send(SamplerCommand::LoadReference(path)),
        Purpose::SaveEnsemble => live.send(SamplerCommand::SaveEnsemble(path)),
        Purpose::SaveMetrics => live.send(SamplerCommand::SaveMetrics(path)),
        Purpose::ExportPng | Purpose::ExportSvg => live.send(SamplerCommand::ExportPlots {
            dir: path,
            ext: if matches!(purpose, Purpose::ExportPng) {
                "png"
            } else {
                "svg"
            }
            .into(),
        }),
    }
}

/// Open a PDB with the current model, as the menu does.
pub fn act_open_pdb(live: &mut Live, path: PathBuf) {
    act(live, (Purpose::OpenPdb, path));
}

pub fn open(live: &mut Live, spec: SystemSpec) {
    live.say(format!("opening {} …", spec.label()), false);
    live.send(SamplerCommand::Load(spec));
}

fn draw(
    mut contexts: EguiContexts,
    mut live: ResMut<Live>,
    mut ui_state: ResMut<Ui>,
    mut central: ResMut<CentralRect>,
    diagnostics: Res<DiagnosticsStore>,
    adapter: Option<Res<RenderAdapterInfo>>,
    mut problems: MessageReader<SamplerProblem>,
) -> Result {
    if let Some(p) = problems.read().last() {
        ui_state.problem = Some((std::time::Instant::now(), p.0.clone()));
    }
    if let Some((purpose, task)) = ui_state.dialog.as_mut() {
        if let Some(result) = block_on(poll_once(task)) {
            let purpose = *purpose;
            ui_state.dialog = None;
            if let Some(path) = result {
                act(&mut live, (purpose, path));
            }
        }
    }
    let ctx = contexts.ctx_mut()?.clone();
    let mut root = egui::Ui::new(
        ctx.clone(),
        "root".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(ctx.viewport_rect()),
    );
    let fps = diagnostics
        .get(&FrameTimeDiagnosticsPlugin::FPS)
        .and_then(|d| d.smoothed())
        .unwrap_or(0.0);
    // A software rasteriser (lavapipe, llvmpipe) works, but the user should know why
    // the frame rate is what it is.
    let fps = match adapter.as_deref() {
        Some(a) if a.device_type == wgpu::DeviceType::Cpu => {
            format!("{fps:.0} fps (rendering in software: {})", a.name)
        }
        _ => format!("{fps:.0} fps"),
    };

    egui::Panel::top("menu").show(&mut root, |ui| menu_bar_ui(ui, &mut live, &mut ui_state));
    egui::Panel::bottom("status").show(&mut root, |ui| {
        status_bar_ui(ui, &mut live, &mut ui_state, &fps)
    });
    egui::Panel::left("controls")
        .default_size(270.0)
        .show(&mut root, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| controls_ui(ui, &mut live));
        });
    egui::Panel::right("stats")
        .default_size(470.0)
        .show(&mut root, |ui| {
            egui::ScrollArea::vertical()
                .show(ui, |ui| stats_ui(ui, &live, &mut ui_state.rama_residue));
        });
    let rest = root.available_rect_before_wrap();
    // Captions over the two viewports.
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Foreground,
        "captions".into(),
    ));
    let sigma = live.snap.as_ref().map(|s| s.params.sigma).unwrap_or(0.0);
    let chain = live.snap.as_ref().map(|s| s.chain).unwrap_or(0);
    painter.text(
        rest.left_top() + Vec2::new(8.0, 6.0),
        egui::Align2::LEFT_TOP,
        format!("walk  y = x + noise   (σ = {sigma:.3}, chain {chain})"),
        egui::FontId::proportional(14.0),
        palette::TEXT,
    );
    painter.text(
        egui::pos2(rest.center().x + 8.0, rest.top() + 6.0),
        egui::Align2::LEFT_TOP,
        "jump  x̂(y), trail of earlier jumps",
        egui::FontId::proportional(14.0),
        palette::TEXT,
    );
    painter.line_segment(
        [
            egui::pos2(rest.center().x, rest.top()),
            egui::pos2(rest.center().x, rest.bottom()),
        ],
        egui::Stroke::new(1.0, Color32::from_gray(70)),
    );
    central.0 = Some(Rect::new(rest.min.x, rest.min.y, rest.max.x, rest.max.y));
    // A recent problem stays in view for a while; the log keeps all of them.
    if let Some((at, text)) = &ui_state.problem {
        if at.elapsed().as_secs_f32() < 20.0 {
            egui::Window::new("Problem")
                .collapsible(false)
                .resizable(false)
                .anchor(egui::Align2::CENTER_TOP, Vec2::new(0.0, 40.0))
                .show(&ctx, |ui| {
                    ui.colored_label(palette::ERROR, text);
                });
        }
    }
    new_peptide_window(&ctx, &mut live, &mut ui_state);
    Ok(())
}

/// The "New peptide" window: a sequence in, the built peptide opened as a PDB would be.
fn new_peptide_window(ctx: &egui::Context, live: &mut Live, st: &mut Ui) {
    let Some(seq) = st.new_peptide.as_mut() else {
        return;
    };
    let (mut open, mut go) = (true, false);
    egui::Window::new("New peptide")
        .collapsible(false)
        .resizable(false)
        .open(&mut open)
        .show(ctx, |ui| {
            ui.label("Sequence, one-letter (KW) or three-letter (LYS-TRP), 1–4 residues.");
            ui.label("The ACE and NME caps are added; the backbone starts extended (PPII).");
            let r = ui.add(egui::TextEdit::singleline(seq).hint_text("KW"));
            let entered = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            go = ui.button("Build and open").clicked() || entered;
        });
    if go {
        match new_peptide_file(seq) {
            Ok(path) => {
                st.new_peptide = None;
                act_open_pdb(live, path);
            }
            Err(e) => live.say(format!("cannot build the peptide: {e}"), true),
        }
    } else if !open {
        st.new_peptide = None;
    }
}

/// Build `sequence` and write it where the sampler can open it like any PDB (what
/// System ▸ New peptide… opens).
pub fn new_peptide_file(sequence: &str) -> walkjump_core::Result<PathBuf> {
    let s = walkjump_core::molecule::build_peptide(sequence)?;
    let names: Vec<&str> = s
        .topology
        .residues
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    let dir = std::env::temp_dir().join("walkjump-peptides");
    std::fs::create_dir_all(&dir).map_err(|e| walkjump_core::Error::write(&dir, e))?;
    let path = dir.join(format!("{}.pdb", names.join("-")));
    walkjump_core::io::write_trajectory(&path, &s.topology, std::slice::from_ref(&s.positions))?;
    Ok(path)
}

fn menu_bar_ui(ui: &mut egui::Ui, live: &mut Live, st: &mut Ui) {
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("System", |ui| {
            if ui.button("Alanine dipeptide").clicked() {
                open(live, Bundled::ala2());
            }
            if ui.button("LJ-13 cluster").clicked() {
                open(live, Bundled::cluster("lj13"));
            }
            if ui.button("LJ-55 cluster").clicked() {
                open(live, Bundled::cluster("lj55"));
            }
            ui.separator();
            if ui.button("Open PDB…").clicked() {
                start_dialog(st, Purpose::OpenPdb);
            }
            if ui
                .button("New peptide…")
                .on_hover_text("build a capped peptide ACE-…-NME of 1–4 residues from its sequence")
                .clicked()
            {
                st.new_peptide.get_or_insert_with(String::new);
            }
            if ui.button("Open model…").clicked() {
                start_dialog(st, Purpose::OpenModel);
            }
            if ui.button("Open reference trajectory…").clicked() {
                start_dialog(st, Purpose::OpenReference);
            }
            if ui
                .add_enabled(
                    can_run_reference_md(live),
                    egui::Button::new("Run reference MD"),
                )
                .on_hover_text(
                    "OpenMM (amber14 + GBn2, 300 K) on the open peptide in the background; \
                     the JSD panels appear from its frames and sharpen while it runs",
                )
                .clicked()
            {
                run_reference_md(live);
            }
            ui.separator();
            if ui
                .button("Open the Lab (new window)")
                .on_hover_text("2-D walk-jump, diffusion and trajectory diffusion, for teaching")
                .clicked()
            {
                // Its own process: the lab has its own window and no 3-D view.
                let r = std::env::current_exe()
                    .and_then(|exe| std::process::Command::new(exe).arg("lab").spawn());
                match r {
                    Ok(_) => live.say("the Lab opens in a new window", false),
                    Err(e) => live.say(format!("could not start the Lab: {e}"), true),
                }
            }
        });
        ui.menu_button("Save", |ui| {
            ui.weak(save_holds(live));
            if ui.button("Ensemble (DCD or PDB)…").clicked() {
                start_dialog(st, Purpose::SaveEnsemble);
            }
            if ui.button("Metrics (JSON)…").clicked() {
                start_dialog(st, Purpose::SaveMetrics);
            }
            if ui.button("Panels as PNG (folder)…").clicked() {
                start_dialog(st, Purpose::ExportPng);
            }
            if ui.button("Panels as SVG (folder)…").clicked() {
                start_dialog(st, Purpose::ExportSvg);
            }
        });
        ui.separator();
        ui.label("path:");
        ui.add(egui::TextEdit::singleline(&mut st.path_text).desired_width(260.0));
        let path = PathBuf::from(st.path_text.trim());
        let has = !st.path_text.trim().is_empty();
        for (label, purpose) in [
            ("open PDB", Purpose::OpenPdb),
            ("open model", Purpose::OpenModel),
            ("open reference", Purpose::OpenReference),
            ("save ensemble", Purpose::SaveEnsemble),
            ("save metrics", Purpose::SaveMetrics),
            ("export png", Purpose::ExportPng),
            ("export svg", Purpose::ExportSvg),
        ] {
            if ui.add_enabled(has, egui::Button::new(label)).clicked() {
                act(live, (purpose, path.clone()));
            }
        }
    });
}

fn controls_ui(ui: &mut egui::Ui, live: &mut Live) {
    let Some(info) = live.info.clone() else {
        ui.label("loading…");
        return;
    };
    ui.heading(&info.name);
    ui.label(format!(
        "{} atoms · {}",
        info.topology.n_atoms(),
        info.denoiser
    ));
    if let Some(ts) = info.trained_sigma {
        ui.label(format!("model trained at σ = {ts}"));
    }
    ui.separator();
    // The sampler may pause itself (after an error): its word counts.
    let paused = live.snap.as_ref().map_or(live.paused, |s| s.paused);
    ui.horizontal(|ui| {
        if ui
            .button(if paused { "▶ Play" } else { "⏸ Pause" })
            .clicked()
        {
            live.set_paused(!paused);
        }
        if ui.button("Step").clicked() {
            live.set_paused(true);
            live.send(SamplerCommand::Step);
        }
        if ui.button("Reset run").clicked() {
            live.send(SamplerCommand::Reset);
        }
        // Peptides only: a cluster's reference is h(r) and energies, not frames.
        if info.is_peptide
            && info.has_reference
            && ui
                .button("Reset from reference")
                .on_hover_text(
                    "Start every chain from a frame of the reference MD, spread over it, \
                     and clear the statistics. A model whose density is right keeps the \
                     reference's ensemble; one whose density is wrong walks away from it \
                     within a few hundred steps, as the residue table will show.",
                )
                .clicked()
        {
            live.send(SamplerCommand::ResetFromReference);
        }
    });
    ui.separator();
    let Some(mut p) = live.params else {
        return;
    };
    let before = p;
    let s0 = info.trained_sigma.unwrap_or(p.sigma);
    ui.label("Walk (BAOAB in y) and jump");
    ui.add(
        egui::Slider::new(&mut p.sigma, s0 * 0.1..=s0 * 4.0)
            .logarithmic(true)
            .text("σ noise"),
    );
    ui.add(
        egui::Slider::new(&mut p.gamma, 0.01..=20.0)
            .logarithmic(true)
            .text("γ friction"),
    );
    ui.add(
        egui::Slider::new(&mut p.dt, p.sigma * 0.02..=p.sigma * 3.0)
            .logarithmic(true)
            .text("Δt step"),
    );
    ui.add(
        egui::Slider::new(&mut p.mass, 0.1..=10.0)
            .logarithmic(true)
            .text("M mass"),
    );
    ui.add(
        egui::Slider::new(&mut p.chains, 1..=256)
            .logarithmic(true)
            .text("chains"),
    );
    ui.add(egui::Slider::new(&mut p.jump_every, 1..=50).text("jump every"));
    if ui
        .button("Defaults (σ from the model, γ = 1, Δt = σ, M = 1)")
        .clicked()
    {
        p = LiveParams {
            chains: p.chains,
            ..info.defaults
        };
    }
    if p.sigma != before.sigma {
        // Keep the step in proportion to the noise (JAMUN's Δt = σ): a step sized for a
        // larger σ would throw the walk far outside the smoothed density.
        p.dt = before.dt * p.sigma / before.sigma;
    }
    if p != before {
        live.params = Some(p);
        live.send(SamplerCommand::SetParams(p));
    }
    if let Some(snap) = &live.snap {
        ui.separator();
        let mut chain = snap.chain;
        if ui
            .add(egui::Slider::new(&mut chain, 0..=p.chains.saturating_sub(1)).text("shown chain"))
            .changed()
        {
            live.send(SamplerCommand::SelectChain(chain));
        }
    }
}

fn stats_ui(ui: &mut egui::Ui, live: &Live, rama_residue: &mut usize) {
    let Some(snap) = &live.snap else {
        ui.label("waiting for the first samples…");
        return;
    };
    let st = &snap.stats;
    if let Some(md) = &snap.reference_md {
        ui.weak(md);
    }
    if can_run_reference_md(live) {
        ui.horizontal(|ui| {
            ui.label("no reference:");
            if ui
                .button("Run reference MD")
                .on_hover_text("OpenMM (amber14 + GBn2) on this peptide, in the background")
                .clicked()
            {
                run_reference_md(live);
            }
        });
    }
    peptide_stats_ui(ui, st, snap.kept, rama_residue);
    let w = ui.available_width().max(300.0);
    if let Some(h) = &st.h_r {
        against_md_ui(ui, Vec2::new(w, 160.0), "h(r), pair distances", h);
    }
    if let Some(e) = &st.energy {
        against_md_ui(ui, Vec2::new(w, 140.0), "energy / k_BT", e);
    }
    if !st.acf.is_empty() {
        let colors = palette::SERIES;
        let series: Vec<Series> = st
            .acf
            .iter()
            .enumerate()
            .map(|(k, (label, a))| Series {
                label,
                points: a.iter().enumerate().map(|(i, v)| [i as f64, *v]).collect(),
                color: colors[k % colors.len()],
            })
            .collect();
        paint::lines_ui(
            ui,
            Vec2::new(w, 140.0),
            "torsion autocorrelation by lag (jumps)",
            &series,
            true,
        );
    }
}

/// An open peptide without a reference and no reference MD running for it.
fn can_run_reference_md(live: &Live) -> bool {
    let Some(info) = &live.info else {
        return false;
    };
    let running = live
        .snap
        .as_ref()
        .and_then(|s| s.reference_md.as_deref())
        .is_some_and(|m| m.starts_with("reference MD: "));
    info.is_peptide && !info.has_reference && !running
}

fn run_reference_md(live: &Live) {
    live.send(SamplerCommand::RunReferenceMd(ReferenceMdOptions::default()));
}

/// "52 · 31 · 1 %", and the reference's "(MD 40 · 50 · 2)" beside it when there is one.
fn basin_cell(b: [f64; 3], reference: Option<[f64; 3]>) -> String {
    let pc = |b: [f64; 3]| b.map(|f| format!("{:.0}", 100.0 * f)).join(" · ");
    match reference {
        Some(r) => format!("{} % (MD {})", pc(b), pc(r)),
        None => format!("{} %", pc(b)),
    }
}

/// "0.123", or "–" where there is no distance.
fn jsd_cell(j: Option<f64>) -> String {
    j.map(|j| format!("{j:.3}")).unwrap_or_else(|| "–".into())
}

/// The peptide panels, a plain function of the view (tested headlessly in
/// tests/app_panels.rs): a table of every residue (Ramachandran and torsion JSD to the
/// reference, D fraction), whose residue buttons choose the Ramachandran shown below it,
/// the mean JSD over the run, and TIC 0/1 on all φ/ψ/χ1 torsions. Without a reference the
/// ensemble is shown alone: no JSD columns, TICA fitted on the samples.
pub fn peptide_stats_ui(ui: &mut egui::Ui, st: &StatsView, kept: usize, selected: &mut usize) {
    if st.rama.is_empty() {
        return;
    }
    let w = ui.available_width().max(300.0);
    let side = (w / 2.0 - 44.0).clamp(120.0, 260.0);
    *selected = (*selected).min(st.rama.len() - 1);
    let with_reference = st.rama.iter().any(|r| r.jsd.is_some());
    if st.rama.len() > 1 {
        ui.label("Residues (choose one for its Ramachandran)");
    }
    egui::Grid::new("residues")
        .striped(true)
        .spacing([14.0, 2.0])
        .show(ui, |ui| {
            ui.strong("residue");
            if with_reference {
                ui.strong("Rama JSD");
                ui.strong("φ JSD");
                ui.strong("ψ JSD");
                ui.strong("χ1 JSD");
            }
            ui.strong("D/allo").on_hover_text(
                "Share of the samples in which the residue has a wrong hand: a D Cα, or the \
                 allo form of the Cβ of Ile and Thr",
            );
            ui.strong("β/PII · αR · αL")
                .on_hover_text("Shares of the samples in the three basin cores (the rest lie between them); the reference's in brackets");
            ui.end_row();
            for (k, r) in st.rama.iter().enumerate() {
                ui.selectable_value(selected, k, &r.residue);
                if with_reference {
                    ui.label(jsd_cell(r.jsd));
                    for kind in ["φ", "ψ", "χ1"] {
                        let t = r.torsions.iter().find(|t| t.symbol() == kind);
                        ui.label(t.map(|t| jsd_cell(t.jsd)).unwrap_or_else(|| "–".into()));
                    }
                }
                // A D- or allo-residue in an L-peptide means the denoiser mirrored a
                // centre; with the chirality guard on, the moves it turned back say so.
                match (r.d_fraction, r.guard_rejections) {
                    (Some(d), _) if d > 0.0 => ui.colored_label(palette::ERROR, percent(d)),
                    (Some(d), Some(n)) => ui
                        .label(format!("{} · {n} rejected", percent(d)))
                        .on_hover_text(format!(
                            "The chirality guard rejected {n} walk moves whose jump turned \
                             {} D or allo, so none of its samples is: the count, not the \
                             share, shows how near the model's mirror basin is",
                            r.residue
                        )),
                    (Some(d), None) => ui.label(percent(d)),
                    (None, _) => ui.label("–"),
                };
                ui.label(basin_cell(r.basins, r.reference_basins));
                ui.end_row();
            }
        });
    if let (Some(m), true) = (st.rama_jsd_mean, st.rama.len() > 1) {
        ui.label(format!(
            "mean Ramachandran JSD over {} residues: {m:.3} (18 × 18 bins)",
            st.rama.len()
        ));
    }
    let r = &st.rama[*selected];
    let jsd = r
        .jsd
        .map(|j| format!("   JSD to reference {j:.3}"))
        .unwrap_or_default();
    ui.label(format!("Ramachandran {}{jsd}", r.residue));
    ui.horizontal(|ui| {
        paint::heatmap_ui(
            ui,
            &r.counts,
            r.bins,
            side,
            &format!("walk-jump {} (n = {kept})", r.residue),
            true,
        );
        if let Some(reference) = &r.reference {
            paint::heatmap_ui(
                ui,
                reference,
                r.bins,
                side,
                &format!("reference MD {}", r.residue),
                true,
            );
        }
    });
    if !st.jsd_history.is_empty() {
        let title = if st.rama.len() > 1 {
            "mean Ramachandran JSD over residues against the reference, by samples"
        } else {
            "Ramachandran JSD against the reference, by samples"
        };
        paint::lines_ui(
            ui,
            Vec2::new(w, 120.0),
            title,
            &[Series {
                label: "JSD",
                points: st.jsd_history.iter().map(|&(n, j)| [n as f64, j]).collect(),
                color: palette::METRIC,
            }],
            true,
        );
    }
    if let Some(t) = &st.tica {
        ui.label(format!(
            "TICA 0/1 on φ/ψ/χ1 (fitted on the reference)   {}",
            t.summary()
        ));
        ui.horizontal(|ui| {
            // After a new reference only the recent window was re-projected: say so.
            let title = if t.samples < kept {
                format!("TICA walk-jump (latest {})", grouped(t.samples))
            } else {
                "TICA walk-jump".to_string()
            };
            paint::heatmap_ui(ui, &t.counts, t.bins, side, &title, false);
            paint::heatmap_ui(ui, &t.reference, t.bins, side, "TICA reference MD", false);
        });
    } else if let Some(t) = &st.tica_samples {
        ui.label(format!(
            "TICA 0/1 on φ/ψ/χ1 (fitted on all {} samples: no reference)",
            grouped(t.fitted_on)
        ));
        paint::heatmap_ui(
            ui,
            &t.counts,
            t.bins,
            side,
            &format!("TICA walk-jump (latest {})", grouped(t.samples)),
            false,
        );
    }
}

/// A histogram of the samples as a density, with the MD reference where there is one;
/// the title gives the TVD and the share of samples outside the range.
/// A histogram of the samples against MD's, its distance and out-of-range share in
/// the title: a plain function of the view, tested headlessly (tests/app_panels.rs).
pub fn against_md_ui(ui: &mut egui::Ui, size: Vec2, title: &str, h: &HistogramView) {
    let mut series = vec![Series {
        label: "walk-jump",
        points: h.samples.density(),
        color: palette::SAMPLES,
    }];
    if let Some(r) = &h.reference {
        series.push(Series {
            label: "MD",
            points: r.density(),
            color: palette::REFERENCE,
        });
    }
    let summary = h.summary();
    let title = if summary.is_empty() {
        title.to_string()
    } else {
        format!("{title}  ({summary})")
    };
    paint::lines_ui(ui, size, &title, &series, true);
}

/// What a save of the ensemble holds: every jump of the run, from the run file.
fn save_holds(live: &Live) -> String {
    let Some(s) = live.snap.as_ref() else {
        return "ensemble: no jumps yet".into();
    };
    if s.saveable == s.kept {
        format!("ensemble: {} jumps (all of this run)", grouped(s.saveable))
    } else {
        format!(
            "ensemble: {} of {} jumps (the run file could not be written)",
            grouped(s.saveable),
            grouped(s.kept)
        )
    }
}

/// 12345 as "12,345".
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn status_bar_ui(ui: &mut egui::Ui, live: &mut Live, st: &mut Ui, fps: &str) {
    ui.horizontal(|ui| {
        if let Some(s) = &live.snap {
            ui.label(format!(
                "{:.0} samples/s · {fps} · step {} · {} samples · {} chains · {} restarts{}{}",
                s.samples_per_second,
                s.step,
                s.kept,
                s.params.chains,
                s.restarts,
                s.rejections
                    .map(|n| format!(" · {n} chirality rejections"))
                    .unwrap_or_default(),
                if s.paused { " · paused" } else { "" }
            ))
            .on_hover_text(
                "A chirality rejection is a walk move whose jump turned a Cα (or the Cβ \
                 of an Ile or Thr) over: the \
                 chain went back to its last jump with its velocity reversed (the last \
                 sample repeats). Many mean the model is near its mirror basin.",
            );
            if let Some(md) = &s.reference_md {
                ui.separator();
                ui.label(md);
            }
        } else {
            ui.label(fps);
        }
        ui.separator();
        if let Some(m) = live.log.last() {
            let color = if m.error {
                palette::ERROR
            } else {
                palette::TEXT_DIM
            };
            ui.colored_label(color, &m.text);
        }
        if ui
            .small_button(if st.show_log { "hide log" } else { "log" })
            .clicked()
        {
            st.show_log = !st.show_log;
        }
    });
    if st.show_log {
        egui::ScrollArea::vertical()
            .max_height(120.0)
            .stick_to_bottom(true)
            .show(ui, |ui| {
                for m in &live.log {
                    let color = if m.error {
                        palette::ERROR
                    } else {
                        palette::TEXT_DIM
                    };
                    ui.colored_label(color, &m.text);
                }
            });
    }
}
