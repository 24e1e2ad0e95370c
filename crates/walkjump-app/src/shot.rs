//! Test mode: run for a while (optionally doing what a user would: change σ, open
//! a file), measure frame rates, write a screenshot, exit 0.

use super::link::Live;
use super::panels::act_open_pdb;
use super::GuiArgs;
use bevy::prelude::*;
use bevy::render::view::screenshot::{save_to_disk, Screenshot};
use std::path::PathBuf;
use walkjump_nn::live::SamplerCommand;

#[derive(Resource, Clone)]
pub struct ShotPlugin {
    screenshot: Option<PathBuf>,
    exit_after: Option<f64>,
    fps_report: bool,
    sigma_at_quarter: Option<f64>,
    then_open: Option<PathBuf>,
    reset_from_reference_at_quarter: bool,
    /// Soak: seconds between two rows of the memory and frame-rate series.
    soak_every: Option<f64>,
    /// Offscreen: the screenshot is taken of this image, not of a window.
    offscreen: Option<Handle<Image>>,
}

impl ShotPlugin {
    pub fn from_args(a: &GuiArgs) -> Self {
        ShotPlugin {
            screenshot: a.screenshot.clone(),
            exit_after: a.exit_after.or(a.screenshot.as_ref().map(|_| 30.0)),
            fps_report: a.fps_report,
            sigma_at_quarter: a.set_sigma_at_quarter,
            then_open: a.then_open.clone(),
            reset_from_reference_at_quarter: a.reset_from_reference_at_quarter,
            soak_every: a.soak.map(|m| (m * 60.0 / 30.0).clamp(1.0, 60.0)),
            offscreen: None,
        }
    }

    /// Screenshots of the offscreen image instead of the window.
    pub fn offscreen(mut self, image: Option<Handle<Image>>) -> Self {
        self.offscreen = image;
        self
    }
}

impl Plugin for ShotPlugin {
    fn build(&self, app: &mut App) {
        if self.exit_after.is_some() {
            app.insert_resource(self.clone())
                .init_resource::<Progress>()
                .add_systems(Update, drive);
        }
    }
}

#[derive(Resource, Default)]
struct Progress {
    sigma_done: bool,
    reset_done: bool,
    open_done: bool,
    paused: bool,
    shot_at: Option<f64>,
    /// Frames counted while sampling and while paused, with their time spans.
    frames_running: (u64, f64),
    frames_paused: (u64, f64),
    /// Soak series: (seconds, resident MB, fps since the row before, samples).
    soak: Vec<(f64, f64, f64, usize)>,
    soak_frames: (u64, f64),
}

/// Resident memory of this process in MB (Linux: VmRSS), None where unknown.
pub fn resident_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// The soak verdict (README's targets): after the warm-up (the second row) the
/// resident memory grows by less than 50 MB, and the last row's frame rate is within
/// `fps_tolerance` of the warm-up's.
fn soak_summary(rows: &[(f64, f64, f64, usize)], fps_tolerance: f64) -> serde_json::Value {
    let warm = rows.get(1).or(rows.first());
    let last = rows.last();
    match (warm, last) {
        (Some(w), Some(l)) => {
            let growth = l.1 - w.1;
            let fps_ratio = if w.2 > 0.0 { l.2 / w.2 } else { 0.0 };
            serde_json::json!({
                "soak_rows": rows.len(),
                "rss_mb_after_warmup": w.1, "rss_mb_at_end": l.1,
                "rss_growth_mb": growth,
                "fps_after_warmup": w.2, "fps_at_end": l.2, "fps_ratio": fps_ratio,
                "samples": l.3,
                "rss_ok": growth < 50.0,
                "fps_ok": fps_ratio >= 1.0 - fps_tolerance,
            })
        }
        _ => serde_json::json!({"soak_rows": 0}),
    }
}

fn drive(
    mut commands: Commands,
    cfg: Res<ShotPlugin>,
    mut p: ResMut<Progress>,
    time: Res<Time<Real>>,
    mut live: ResMut<Live>,
    mut exit: MessageWriter<AppExit>,
) {
    let total = cfg.exit_after.unwrap_or(30.0);
    let t = time.elapsed_secs_f64();
    let dt = time.delta_secs_f64();
    if let (Some(s), false) = (cfg.sigma_at_quarter, p.sigma_done) {
        if t >= total * 0.25 {
            p.sigma_done = true;
            if let Some(mut params) = live.params {
                params.dt *= s / params.sigma;
                params.sigma = s;
                live.params = Some(params);
                live.send(SamplerCommand::SetParams(params));
                live.say(format!("test mode: σ set to {s}"), false);
            }
        }
    }
    if cfg.reset_from_reference_at_quarter && !p.reset_done && t >= total * 0.25 {
        p.reset_done = true;
        live.send(SamplerCommand::ResetFromReference);
        live.say("test mode: reset from reference".to_string(), false);
    }
    if let (Some(path), false) = (&cfg.then_open, p.open_done) {
        if t >= total * 0.4 {
            p.open_done = true;
            act_open_pdb(&mut live, path.clone());
        }
    }
    if let Some(every) = cfg.soak_every {
        p.soak_frames.0 += 1;
        p.soak_frames.1 += dt;
        if p.soak_frames.1 >= every {
            let fps = p.soak_frames.0 as f64 / p.soak_frames.1;
            let rss = resident_mb().unwrap_or(f64::NAN);
            let samples = live.snap.as_ref().map(|s| s.kept).unwrap_or(0);
            p.soak.push((t, rss, fps, samples));
            p.soak_frames = (0, 0.0);
            // One row a line as it comes: a soak is watched while it runs.
            println!(
                "{}",
                serde_json::json!({"t_s": t.round(), "rss_mb": rss, "fps": fps, "samples": samples})
            );
        }
    }
    if cfg.fps_report {
        // Sampling from 20 % to 50 % of the run, paused from 60 % to 90 %.
        if (0.2..0.5).contains(&(t / total)) {
            p.frames_running.0 += 1;
            p.frames_running.1 += dt;
        }
        if t / total >= 0.5 && !p.paused {
            p.paused = true;
            live.set_paused(true);
        }
        if (0.6..0.9).contains(&(t / total)) {
            p.frames_paused.0 += 1;
            p.frames_paused.1 += dt;
        }
    }
    if t < total {
        return;
    }
    if p.shot_at.is_none() && cfg.fps_report {
        let fps = |(n, s): (u64, f64)| if s > 0.0 { n as f64 / s } else { 0.0 };
        let (run, pause) = (fps(p.frames_running), fps(p.frames_paused));
        println!(
            "{}",
            serde_json::json!({"fps_sampling": run, "fps_paused": pause,
                "ratio": if pause > 0.0 { run / pause } else { 0.0 },
                "samples_per_second_at_end": live.snap.as_ref().map(|s| s.samples_per_second),
                "samples": live.snap.as_ref().map(|s| s.kept)})
        );
    }
    if p.shot_at.is_none() && cfg.soak_every.is_some() {
        println!("{}", soak_summary(&p.soak, 0.10));
    }
    screenshot_then_exit(
        &mut commands,
        cfg.offscreen.as_ref(),
        cfg.screenshot.as_ref(),
        &mut p.shot_at,
        t,
        &mut exit,
    );
}

/// Once the run time is over: ask for a screenshot (if wanted), then exit when it is
/// on disk (or with an error if it never comes).
pub fn screenshot_then_exit(
    commands: &mut Commands,
    offscreen: Option<&Handle<Image>>,
    screenshot: Option<&PathBuf>,
    shot_at: &mut Option<f64>,
    t: f64,
    exit: &mut MessageWriter<AppExit>,
) {
    if shot_at.is_none() {
        *shot_at = Some(t);
        if let Some(path) = screenshot {
            let shot = match offscreen {
                Some(image) => Screenshot::image(image.clone()),
                None => Screenshot::primary_window(),
            };
            commands.spawn(shot).observe(save_to_disk(path.clone()));
            return;
        }
    }
    let written = screenshot
        .map(|s| std::fs::metadata(s).map(|m| m.len() > 0).unwrap_or(false))
        .unwrap_or(true);
    let waited = t - shot_at.unwrap_or(t);
    if (written && waited > 0.5) || waited > 20.0 {
        if !written {
            eprintln!("error: the screenshot was not written within 20 s");
        }
        exit.write(if written {
            AppExit::Success
        } else {
            AppExit::error()
        });
    }
}
