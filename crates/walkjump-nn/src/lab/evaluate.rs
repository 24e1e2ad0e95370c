//! The numbers a trajectory model is judged by, against Brownian dynamics run in the
//! same call: free energy along x in the wells, autocorrelation of x and y, and
//! inpainted transition paths.

use super::brownian;
use super::compare::{
    acf_xy, crosses_barrier, exact_free_energy, free_energy_gap, free_energy_x, max_abs_diff,
    max_step,
};
use super::trajdiff::DynamicsModel;
use burn::tensor::backend::Backend;
use walkjump_core::rng::seeded;

/// Left and right well minima of the double well.
pub const LEFT_WELL: [f64; 2] = [-1.09, 0.0];
pub const RIGHT_WELL: [f64; 2] = [0.92, 0.0];

#[derive(Debug, Clone, serde::Serialize)]
pub struct TemperatureReport {
    pub kt: f64,
    pub generated: usize,
    pub simulated: usize,
    /// Largest / mean |F_generated − F_simulated| over bins within 2 k_BT of the minimum.
    pub free_energy_max_gap_wells: f64,
    pub free_energy_mean_gap_wells: f64,
    /// The same for the simulated snippets against the exact free energy (chance level).
    pub simulated_vs_exact_max_gap: f64,
    pub acf_x_max_diff: f64,
    pub acf_y_max_diff: f64,
    pub free_energy_generated: Vec<f64>,
    pub free_energy_simulated: Vec<f64>,
    pub acf_x_generated: Vec<f64>,
    pub acf_x_simulated: Vec<f64>,
    pub acf_y_generated: Vec<f64>,
    pub acf_y_simulated: Vec<f64>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct InpaintReport {
    pub paths: usize,
    pub max_endpoint_error: f64,
    pub crossing_fraction: f64,
    /// Largest frame-to-frame step in the inpainted paths against the largest in
    /// simulated snippets of the same count.
    pub max_step_inpainted: f64,
    pub max_step_simulated: f64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DynamicsReport {
    pub frames: usize,
    pub diffusion_steps: usize,
    pub temperatures: Vec<TemperatureReport>,
    pub inpaint: InpaintReport,
}

pub fn compare_at<B: Backend>(
    model: &DynamicsModel<B>,
    kt: f64,
    n: usize,
    steps: usize,
    seed: u64,
) -> TemperatureReport {
    let mut rng = seeded(seed);
    let frames = model.meta.frames;
    let generated = model.generate(n, kt, steps, &mut rng);
    let simulated = brownian::snippets(kt, 8 * n, frames, &mut rng);
    compare_snippets(&generated, &simulated, kt)
}

/// Compare generated with simulated snippets at temperature `kt`.
pub fn compare_snippets(
    generated: &[Vec<[f64; 2]>],
    simulated: &[Vec<[f64; 2]>],
    kt: f64,
) -> TemperatureReport {
    let (fg, fs) = (free_energy_x(generated), free_energy_x(simulated));
    let exact = exact_free_energy(kt);
    let (gmax, gmean) = free_energy_gap(&fg, &fs, 2.0);
    let (smax, _) = free_energy_gap(&fs, &exact, 2.0);
    let lag = generated.first().map_or(1, |g| g.len() / 2);
    let (axg, ayg) = acf_xy(generated, lag);
    let (axs, ays) = acf_xy(simulated, lag);
    TemperatureReport {
        kt,
        generated: generated.len(),
        simulated: simulated.len(),
        free_energy_max_gap_wells: gmax,
        free_energy_mean_gap_wells: gmean,
        simulated_vs_exact_max_gap: smax,
        acf_x_max_diff: max_abs_diff(&axg, &axs),
        acf_y_max_diff: max_abs_diff(&ayg, &ays),
        free_energy_generated: fg,
        free_energy_simulated: fs,
        acf_x_generated: axg,
        acf_x_simulated: axs,
        acf_y_generated: ayg,
        acf_y_simulated: ays,
    }
}

/// Paths with the first frame fixed in the left well and the last in the right one.
pub fn transition_paths<B: Backend>(
    model: &DynamicsModel<B>,
    n: usize,
    steps: usize,
    seed: u64,
) -> Vec<Vec<[f64; 2]>> {
    let last = model.meta.frames - 1;
    let fixed = [(0, LEFT_WELL), (last, RIGHT_WELL)];
    model.inpaint(n, 1.0, steps, &fixed, &mut seeded(seed))
}

pub fn inpaint_report<B: Backend>(
    model: &DynamicsModel<B>,
    n: usize,
    steps: usize,
    seed: u64,
) -> InpaintReport {
    let paths = transition_paths(model, n, steps, seed);
    let last = model.meta.frames - 1;
    let dist = |a: [f64; 2], b: [f64; 2]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
    let max_endpoint_error = paths
        .iter()
        .map(|p| dist(p[0], LEFT_WELL).max(dist(p[last], RIGHT_WELL)))
        .fold(0.0, f64::max);
    let crossing = paths.iter().filter(|p| crosses_barrier(p)).count();
    let sim = brownian::snippets(1.0, n, model.meta.frames, &mut seeded(seed ^ 0x55));
    InpaintReport {
        paths: paths.len(),
        max_endpoint_error,
        crossing_fraction: crossing as f64 / paths.len().max(1) as f64,
        max_step_inpainted: paths.iter().map(|p| max_step(p)).fold(0.0, f64::max),
        max_step_simulated: sim.iter().map(|p| max_step(p)).fold(0.0, f64::max),
    }
}

pub fn evaluate<B: Backend>(
    model: &DynamicsModel<B>,
    n: usize,
    steps: usize,
    temperatures: &[f64],
    seed: u64,
) -> DynamicsReport {
    DynamicsReport {
        frames: model.meta.frames,
        diffusion_steps: steps,
        temperatures: temperatures
            .iter()
            .enumerate()
            .map(|(i, &kt)| compare_at(model, kt, n, steps, seed + i as u64))
            .collect(),
        inpaint: inpaint_report(model, n.min(128), steps, seed ^ 0xbeef),
    }
}
