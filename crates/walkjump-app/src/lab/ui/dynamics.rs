//! "Trajectory diffusion": the DynamicsDiffusion model generates, inpaints and
//! varies 64-frame snippets on the double well. The tab owns its controls, a queue
//! of jobs, the job running on a worker, and the results.

use super::plot::{density_plot_ui, to_screen};
use super::worker::{Polled, Worker};
use super::{LabShared, LabTab, Tab};
use crate::paint::{lines_ui, Series};
use crate::palette;
use bevy_egui::egui::{self, Color32, Stroke, Vec2};
use std::collections::VecDeque;
use std::path::PathBuf;
use walkjump_core::analysis::{Hist2d, Range};
use walkjump_core::rng::seeded;
use walkjump_nn::lab::brownian;
use walkjump_nn::lab::evaluate::{compare_snippets, TemperatureReport, LEFT_WELL, RIGHT_WELL};
use walkjump_nn::lab::DynamicsModel;
use walkjump_nn::Cpu;

type Path2 = Vec<[f64; 2]>;

enum Job {
    Generate,
    Inpaint,
    Variations,
}

enum Outcome {
    Generated {
        generated: Vec<Path2>,
        simulated: Vec<Path2>,
        report: Box<TemperatureReport>,
        seconds: f64,
    },
    Inpainted(Vec<Path2>, f64),
    Variations(Path2, Vec<Path2>, f64),
    Failed(String),
}

/// What the jobs have made, as the plots draw it.
#[derive(Default)]
pub struct DynamicsResults {
    pub generated: Vec<Path2>,
    pub simulated: Vec<Path2>,
    pub report: Option<TemperatureReport>,
    pub inpainted: Vec<Path2>,
    pub base: Option<Path2>,
    pub variations: Vec<Path2>,
}

pub struct DynamicsTab {
    pub model: PathBuf,
    pub kt: f64,
    pub steps: usize,
    pub noise: f64,
    queue: VecDeque<Job>,
    job: Option<Worker<(), Outcome>>,
    pub results: DynamicsResults,
    pub status: String,
    seed: u64,
}

impl DynamicsTab {
    pub fn new(model: PathBuf) -> Self {
        DynamicsTab {
            model,
            kt: 1.0,
            steps: 100,
            noise: 0.6,
            queue: VecDeque::new(),
            job: None,
            results: DynamicsResults::default(),
            status: "nothing generated yet".into(),
            seed: 1,
        }
    }

    /// Generate, inpaint and make variations, one after the other.
    pub fn queue_all(&mut self) {
        self.queue = [Job::Generate, Job::Inpaint, Job::Variations].into();
    }

    #[allow(dead_code)] // for tests/lab_ui.rs
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    fn start(&mut self, job: Job) {
        let (path, kt, steps, noise) = (self.model.clone(), self.kt, self.steps, self.noise);
        self.seed += 1;
        let seed = self.seed;
        self.status = match job {
            Job::Generate => "generating trajectories …",
            Job::Inpaint => "inpainting transition paths …",
            Job::Variations => "making variations …",
        }
        .into();
        self.job = Some(Worker::job("trajectories", move |out| {
            let _ = out.send(run(job, &path, kt, steps, noise, seed));
        }));
    }

    fn finished(&mut self, out: Outcome, shared: &mut LabShared) {
        let r = &mut self.results;
        match out {
            Outcome::Generated {
                generated,
                simulated,
                report,
                seconds,
            } => {
                self.status = format!(
                    "{} trajectories at k_BT = {:.2} in {seconds:.1} s",
                    generated.len(),
                    self.kt
                );
                r.generated = generated;
                r.simulated = simulated;
                r.report = Some(*report);
            }
            Outcome::Inpainted(p, s) => {
                self.status = format!("{} transition paths inpainted in {s:.1} s", p.len());
                r.inpainted = p;
            }
            Outcome::Variations(b, v, s) => {
                self.status = format!("{} variations in {s:.1} s", v.len());
                r.base = Some(b);
                r.variations = v;
            }
            Outcome::Failed(e) => {
                self.status = "failed (see log)".into();
                self.queue.clear();
                shared.log.say(e, true);
            }
        }
    }
}

/// One job, on the worker's thread.
fn run(job: Job, path: &std::path::Path, kt: f64, steps: usize, noise: f64, seed: u64) -> Outcome {
    let t0 = std::time::Instant::now();
    let model = match DynamicsModel::<Cpu>::load(path, &Default::default()) {
        Ok(m) => m,
        Err(e) => return Outcome::Failed(format!("trajectory model: {e}")),
    };
    let mut rng = seeded(seed);
    let frames = model.meta.frames;
    match job {
        Job::Generate => {
            let generated = model.generate(256, kt, steps, &mut rng);
            let simulated = brownian::snippets(kt, 2048, frames, &mut rng);
            let report = Box::new(compare_snippets(&generated, &simulated, kt));
            Outcome::Generated {
                generated,
                simulated,
                report,
                seconds: t0.elapsed().as_secs_f64(),
            }
        }
        Job::Inpaint => {
            let fixed = [(0, LEFT_WELL), (frames - 1, RIGHT_WELL)];
            let paths = model.inpaint(16, kt, steps, &fixed, &mut rng);
            Outcome::Inpainted(paths, t0.elapsed().as_secs_f64())
        }
        Job::Variations => {
            let runs = brownian::runs(kt.max(1.0), 8, 20_000, &mut rng);
            match brownian::find_transition(&runs, frames) {
                Some(base) => {
                    let v = model.variations(&base, 8, kt, noise, steps, &mut rng);
                    Outcome::Variations(base, v, t0.elapsed().as_secs_f64())
                }
                None => {
                    Outcome::Failed("no simulated transition found to make variations of".into())
                }
            }
        }
    }
}

impl LabTab for DynamicsTab {
    fn tab(&self) -> Tab {
        Tab::Dynamics
    }

    fn name(&self) -> &'static str {
        "Trajectory diffusion"
    }

    fn controls_ui(&mut self, ui: &mut egui::Ui, _shared: &mut LabShared) {
        ui.heading("Trajectory diffusion");
        ui.label("A diffusion model over whole 64-frame snippets of Brownian dynamics on the double well, conditioned on temperature.");
        ui.add(egui::Slider::new(&mut self.kt, 0.5..=1.5).text("k_BT"));
        ui.add(egui::Slider::new(&mut self.steps, 10..=300).text("noise levels"));
        let idle = self.job.is_none();
        ui.add_enabled_ui(idle, |ui| {
            if ui.button("Generate trajectories").clicked() {
                self.queue.push_back(Job::Generate);
            }
            if ui
                .button("Inpaint: left well to right well")
                .on_hover_text("Fix the first frame in the left well and the last in the right; the model fills in the path.")
                .clicked()
            {
                self.queue.push_back(Job::Inpaint);
            }
            ui.add(egui::Slider::new(&mut self.noise, 0.05..=3.0).text("variation noise"));
            if ui
                .button("Variations of a simulated transition")
                .on_hover_text("Noise a simulated transition path to this level and denoise it.")
                .clicked()
            {
                self.queue.push_back(Job::Variations);
            }
        });
        ui.label(&self.status);
        if let Some(r) = &self.results.report {
            ui.separator();
            ui.label(format!(
                "free energy along x, generated vs simulated, in the wells: max {:.2} k_BT, mean {:.2} k_BT (simulated vs exact: {:.2})",
                r.free_energy_max_gap_wells, r.free_energy_mean_gap_wells, r.simulated_vs_exact_max_gap
            ));
            ui.label(format!(
                "autocorrelation, largest difference: x {:.3}, y {:.3}",
                r.acf_x_max_diff, r.acf_y_max_diff
            ));
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _shared: &mut LabShared) {
        dynamics_ui(ui, &self.results);
    }

    /// Collect a finished job, then start the next queued one.
    fn poll(&mut self, shared: &mut LabShared) {
        if let Some(job) = &self.job {
            let mut outcome = None;
            for p in job.poll() {
                match p {
                    Polled::Message(out) => outcome = Some(out),
                    Polled::Ended => {
                        outcome = outcome.or(Some(Outcome::Failed(
                            "the trajectory job stopped without a result".into(),
                        )))
                    }
                }
            }
            let Some(out) = outcome else {
                return;
            };
            self.job = None;
            self.finished(out, shared);
        }
        if self.job.is_none() {
            if let Some(job) = self.queue.pop_front() {
                self.start(job);
            }
        }
    }
}

/// The trajectory tab's plots: paths over the simulated density, x(t), the free
/// energy along x and the autocorrelations, generated against simulated.
pub fn dynamics_ui(ui: &mut egui::Ui, d: &DynamicsResults) {
    let xr = Range::new(-2.0, 1.8, 60);
    let yr = Range::new(-1.8, 1.8, 60);
    let mut dens = Hist2d::new(xr, yr);
    for s in &d.simulated {
        for p in s {
            dens.add(p[0], p[1]);
        }
    }
    let avail = ui.available_size();
    let side = (avail.y * 0.55).min(avail.x * 0.5).max(200.0);
    ui.horizontal(|ui| {
        let (painter, plot) = density_plot_ui(
            ui,
            &dens,
            Vec2::new(side * 1.05, side),
            "paths over the simulated density: generated (orange), inpainted (magenta), variations (cyan) of a simulated path (white)",
        );
        let map = |p: &[f64; 2]| to_screen(plot, xr, yr, *p);
        let draw = |paths: &[Path2], color: Color32, n: usize| {
            for path in paths.iter().take(n) {
                let pts: Vec<_> = path.iter().map(map).collect();
                painter.add(egui::Shape::line(pts, Stroke::new(1.2, color)));
            }
        };
        draw(&d.generated, palette::JUMPS, 6);
        draw(&d.variations, Color32::from_rgb(90, 220, 240), 8);
        if let Some(b) = &d.base {
            draw(std::slice::from_ref(b), Color32::WHITE, 1);
        }
        draw(&d.inpainted, Color32::from_rgb(235, 80, 235), 16);
        for p in [LEFT_WELL, RIGHT_WELL] {
            painter.circle_stroke(map(&p), 5.0, Stroke::new(2.0, Color32::WHITE));
        }
        ui.vertical(|ui| {
            let w = (ui.available_width() - 8.0).max(200.0);
            let traces = |paths: &[Path2], color: Color32, label: &'static str| -> Vec<Series<'static>> {
                paths
                    .iter()
                    .take(3)
                    .enumerate()
                    .map(|(k, p)| Series {
                        label: if k == 0 { label } else { "" },
                        points: p.iter().enumerate().map(|(t, q)| [t as f64, q[0]]).collect(),
                        color,
                    })
                    .collect()
            };
            let mut s = traces(&d.generated, palette::JUMPS, "generated");
            s.extend(traces(&d.simulated, Color32::from_rgb(140, 200, 255), "simulated"));
            s.extend(traces(&d.inpainted, Color32::from_rgb(235, 80, 235), "inpainted"));
            lines_ui(ui, Vec2::new(w, side * 0.5), "x(t) by frame", &s, false);
            if let Some(r) = &d.report {
                let fe = |v: &[f64]| -> Vec<[f64; 2]> {
                    let min = v.iter().cloned().filter(|f| f.is_finite()).fold(f64::INFINITY, f64::min);
                    let rr = walkjump_nn::lab::compare::x_range();
                    v.iter()
                        .enumerate()
                        .filter(|(_, f)| f.is_finite() && **f - min < 8.0)
                        .map(|(b, f)| [rr.center(b), f - min])
                        .collect()
                };
                lines_ui(
                    ui,
                    Vec2::new(w, side * 0.5),
                    "free energy along x (k_BT)",
                    &[
                        Series {
                            label: "generated",
                            points: fe(&r.free_energy_generated),
                            color: palette::JUMPS,
                        },
                        Series {
                            label: "simulated",
                            points: fe(&r.free_energy_simulated),
                            color: Color32::from_rgb(140, 200, 255),
                        },
                    ],
                    true,
                );
            }
        });
    });
    if let Some(r) = &d.report {
        let w = (ui.available_width() - 8.0).max(200.0);
        let acf = |v: &[f64]| v.iter().enumerate().map(|(k, a)| [k as f64, *a]).collect();
        lines_ui(
            ui,
            Vec2::new(w, (ui.available_height() - 4.0).max(120.0)),
            "autocorrelation by lag (frames)",
            &[
                Series {
                    label: "x generated",
                    points: acf(&r.acf_x_generated),
                    color: palette::JUMPS,
                },
                Series {
                    label: "x simulated",
                    points: acf(&r.acf_x_simulated),
                    color: Color32::from_rgb(140, 200, 255),
                },
                Series {
                    label: "y generated",
                    points: acf(&r.acf_y_generated),
                    color: Color32::from_rgb(250, 220, 120),
                },
                Series {
                    label: "y simulated",
                    points: acf(&r.acf_y_simulated),
                    color: Color32::from_rgb(120, 240, 170),
                },
            ],
            true,
        );
    }
}
