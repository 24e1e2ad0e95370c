//! One planar lab session: walk-jump chains on a 2-D density (exact or learned
//! denoiser) beside reverse diffusion on the same density, with every histogram the
//! lab draws and the exact laws they are judged against. Whoever owns it (the lab's
//! sampling thread) calls `advance` with a time budget, applies the controls'
//! `SessionCommand`s between slices, and hands the GUI a `PlanarView` to paint.

use super::diffusion::PlanarDiffusion;
use super::mlp2d::PlanarMlp;
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use walkjump_core::analysis::{histogram_tvd, Hist2d, Range};
use walkjump_core::denoiser::grid::{exact_planar, spacing_for, DensityGrid, ExactPlanar};
use walkjump_core::denoiser::{Denoiser, GridDenoiser};
use walkjump_core::error::Result;
use walkjump_core::rng::{seeded, WjRng};
use walkjump_core::sampler::{JumpKind, WalkJump, WalkParams};
use walkjump_core::systems::{DoubleWell, GaussianMixture2d, MullerBrown, Planar};
use walkjump_core::toy::ranges;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabSystem {
    DoubleWell,
    MullerBrown,
    Mixture,
}

impl LabSystem {
    pub const ALL: [LabSystem; 3] = [
        LabSystem::DoubleWell,
        LabSystem::MullerBrown,
        LabSystem::Mixture,
    ];
    pub fn label(self) -> &'static str {
        match self {
            LabSystem::DoubleWell => "double well",
            LabSystem::MullerBrown => "Müller–Brown",
            LabSystem::Mixture => "Gaussian mixture",
        }
    }
    pub fn make(self) -> Box<dyn Planar> {
        match self {
            LabSystem::DoubleWell => Box::new(DoubleWell),
            LabSystem::MullerBrown => Box::new(MullerBrown::default()),
            LabSystem::Mixture => Box::new(GaussianMixture2d::default_mixture()),
        }
    }
}

pub const BINS: usize = 40;
const TRAIL: usize = 250;
const KEEP_DIFFUSION: usize = 400_000;
/// The score field a view carries: this many arrows on each side.
pub const SCORE_LATTICE: usize = 15;

/// A change to a session, as the lab's controls ask for it.
pub enum SessionCommand {
    /// Another density, with the session's σ, chains, walk and diffusion ladder
    /// (the histograms restart).
    System(LabSystem),
    Sigma(f64),
    Dynamics {
        gamma: f64,
        dt: f64,
        jump: JumpKind,
    },
    Chains(usize),
    /// A learned denoiser to use from now on (trained at the session's σ).
    Learned(Box<PlanarMlp>),
    UseLearned(bool),
    DiffusionSteps(usize),
}

/// What the lab paints of a session at one moment: a copy, so that the session can
/// sample on a thread of its own while the GUI draws the last view it was sent.
#[derive(Debug, Clone)]
pub struct PlanarView {
    pub kind: LabSystem,
    pub system_name: String,
    pub params: WalkParams,
    pub chains: usize,
    pub using_learned: bool,
    pub learned_sigma: Option<f64>,
    pub xr: Range,
    pub yr: Range,
    pub p_x: Hist2d,
    pub p_y: Hist2d,
    pub mean_jump: Hist2d,
    pub walk: Hist2d,
    pub jumps: Hist2d,
    pub diffused: Hist2d,
    /// Chain 0's walk and jumps, oldest first.
    pub trail_y: Vec<[f64; 2]>,
    pub trail_x: Vec<[f64; 2]>,
    /// `score_field(SCORE_LATTICE)`.
    pub score: Vec<([f64; 2], [f64; 2])>,
    /// One diffusion particle's way down the noise ladder.
    pub diffusion_path: Vec<[f64; 2]>,
    pub diffusion_steps: usize,
    pub diffusion_samples: usize,
    pub diffusion_rate: f64,
    pub wj_samples: u64,
    pub wj_rate: f64,
    pub restarts: usize,
    pub tvd_jumps_vs_target: f64,
    pub tvd_jumps_vs_p_x: f64,
    pub tvd_walk_vs_p_y: f64,
    pub tvd_diffusion_vs_p_x: f64,
}

impl PlanarView {
    /// The law the jumps should follow (see `PlanarLab::jump_target`).
    pub fn jump_target(&self) -> &Hist2d {
        if self.params.jump == JumpKind::Sample {
            &self.p_x
        } else {
            &self.mean_jump
        }
    }
}

pub struct PlanarLab {
    pub kind: LabSystem,
    system: Box<dyn Planar>,
    pub params: WalkParams,
    pub chains: usize,
    learned: Option<PlanarMlp>,
    pub using_learned: bool,
    wj: WalkJump,
    grid: DensityGrid,
    pub xr: Range,
    pub yr: Range,
    pub exact: ExactPlanar,
    pub walk: Hist2d,
    pub jumps: Hist2d,
    pub diffused: Hist2d,
    diffusion_samples: Vec<[f64; 2]>,
    pub trail_y: VecDeque<[f64; 2]>,
    pub trail_x: VecDeque<[f64; 2]>,
    pub diffusion: PlanarDiffusion,
    pub wj_samples: u64,
    pub wj_seconds: f64,
    pub diffusion_seconds: f64,
    pub restarts: usize,
    rng: WjRng,
}

impl PlanarLab {
    pub fn new(kind: LabSystem, sigma: f64, chains: usize) -> Result<Self> {
        let system = kind.make();
        let params = WalkParams {
            jump: JumpKind::Mean,
            ..WalkParams::defaults(sigma)
        };
        let mut rng = seeded(17);
        let grid = DensityGrid::new(system.as_ref(), spacing_for(sigma));
        let (xr, yr) = ranges(system.as_ref(), sigma, BINS);
        let exact = exact_planar(system.as_ref(), sigma, xr, yr);
        let diffusion = PlanarDiffusion::new(system.as_ref(), 60, 64, &mut rng);
        let wj = Self::walker(kind, &grid, params, chains, None, &mut rng)?;
        Ok(PlanarLab {
            kind,
            system,
            params,
            chains,
            learned: None,
            using_learned: false,
            wj,
            grid,
            xr,
            yr,
            exact,
            walk: Hist2d::new(xr, yr),
            jumps: Hist2d::new(xr, yr),
            diffused: Hist2d::new(xr, yr),
            diffusion_samples: vec![],
            trail_y: VecDeque::new(),
            trail_x: VecDeque::new(),
            diffusion,
            wj_samples: 0,
            wj_seconds: 0.0,
            diffusion_seconds: 0.0,
            restarts: 0,
            rng,
        })
    }

    fn walker(
        kind: LabSystem,
        grid: &DensityGrid,
        params: WalkParams,
        chains: usize,
        learned: Option<&PlanarMlp>,
        rng: &mut WjRng,
    ) -> Result<WalkJump> {
        let den: Box<dyn Denoiser> = match learned {
            Some(m) => Box::new(m.clone()),
            None => Box::new(GridDenoiser::new(kind.make(), params.sigma)),
        };
        // Learned denoisers give no posterior draws: mean jumps then.
        let params = if learned.is_some() {
            WalkParams {
                jump: JumpKind::Mean,
                ..params
            }
        } else {
            params
        };
        let starts = (0..chains.max(1))
            .map(|_| grid.sample_point(rng).to_vec())
            .collect();
        WalkJump::new(params, den, starts, chains.max(1), rng_seed(rng))
    }

    fn rebuild_walker(&mut self) -> Result<()> {
        let learned = self.learned.as_ref().filter(|_| self.using_learned);
        self.wj = Self::walker(
            self.kind,
            &self.grid,
            self.params,
            self.chains,
            learned,
            &mut self.rng,
        )?;
        self.clear_walk();
        Ok(())
    }

    fn clear_walk(&mut self) {
        self.walk = Hist2d::new(self.xr, self.yr);
        self.jumps = Hist2d::new(self.xr, self.yr);
        self.trail_x.clear();
        self.trail_y.clear();
        self.wj_samples = 0;
        self.wj_seconds = 0.0;
    }

    pub fn system_name(&self) -> String {
        self.system.name()
    }

    pub fn learned_sigma(&self) -> Option<f64> {
        self.learned.as_ref().map(|m| m.sigma())
    }

    /// A new noise level: new exact laws, new ranges, chains restarted.
    pub fn set_sigma(&mut self, sigma: f64) -> Result<()> {
        self.params.sigma = sigma;
        self.params.dt = sigma;
        self.grid = DensityGrid::new(self.system.as_ref(), spacing_for(sigma));
        let (xr, yr) = ranges(self.system.as_ref(), sigma, BINS);
        self.xr = xr;
        self.yr = yr;
        self.exact = exact_planar(self.system.as_ref(), sigma, xr, yr);
        self.diffused = Hist2d::new(xr, yr);
        for p in &self.diffusion_samples {
            self.diffused.add(p[0], p[1]);
        }
        if self
            .learned_sigma()
            .is_some_and(|s| (s - sigma).abs() > 1e-9)
        {
            self.using_learned = false;
        }
        self.rebuild_walker()
    }

    /// Friction, step, jump kind: the chains go on from where they are; the
    /// histograms restart because the jump kind changes what they hold.
    pub fn set_dynamics(&mut self, gamma: f64, dt: f64, jump: JumpKind) -> Result<()> {
        let jump_changed = jump != self.params.jump;
        self.params.gamma = gamma;
        self.params.dt = dt;
        self.params.jump = jump;
        if jump_changed {
            return self.rebuild_walker();
        }
        self.wj.set_params(self.params)
    }

    pub fn set_chains(&mut self, chains: usize) -> Result<()> {
        self.chains = chains.max(1);
        self.rebuild_walker()
    }

    pub fn set_learned(&mut self, model: PlanarMlp) -> Result<()> {
        self.learned = Some(model);
        self.use_learned(true)
    }

    /// Switch between the exact and the learned denoiser (the learned one only at
    /// the σ it was trained at).
    pub fn use_learned(&mut self, on: bool) -> Result<()> {
        let fits = self
            .learned_sigma()
            .is_some_and(|s| (s - self.params.sigma).abs() < 1e-9);
        self.using_learned = on && fits;
        if self.using_learned {
            self.params.jump = JumpKind::Mean;
        }
        self.rebuild_walker()
    }

    pub fn set_diffusion_steps(&mut self, steps: usize) {
        self.diffusion = PlanarDiffusion::new(self.system.as_ref(), steps, 64, &mut self.rng);
        self.diffusion_samples.clear();
        self.diffused = Hist2d::new(self.xr, self.yr);
        self.diffusion_seconds = 0.0;
    }

    /// Apply one of the controls' changes.
    pub fn apply(&mut self, command: SessionCommand) -> Result<()> {
        match command {
            SessionCommand::System(kind) => {
                // The new density keeps the walk's settings and the diffusion ladder
                // (the sliders still show them); a learned denoiser does not carry over.
                let mut next = PlanarLab::new(kind, self.params.sigma, self.chains)?;
                next.set_dynamics(self.params.gamma, self.params.dt, self.params.jump)?;
                if next.diffusion.steps() != self.diffusion.steps() {
                    next.set_diffusion_steps(self.diffusion.steps());
                }
                *self = next;
                Ok(())
            }
            SessionCommand::Sigma(sigma) => self.set_sigma(sigma),
            SessionCommand::Dynamics { gamma, dt, jump } => self.set_dynamics(gamma, dt, jump),
            SessionCommand::Chains(n) => self.set_chains(n),
            SessionCommand::Learned(model) => self.set_learned(*model),
            SessionCommand::UseLearned(on) => self.use_learned(on),
            SessionCommand::DiffusionSteps(n) => {
                self.set_diffusion_steps(n);
                Ok(())
            }
        }
    }

    /// A copy of everything the lab draws, the score field included.
    pub fn view(&self) -> PlanarView {
        PlanarView {
            kind: self.kind,
            system_name: self.system_name(),
            params: self.params,
            chains: self.chains,
            using_learned: self.using_learned,
            learned_sigma: self.learned_sigma(),
            xr: self.xr,
            yr: self.yr,
            p_x: self.exact.p_x.clone(),
            p_y: self.exact.p_y.clone(),
            mean_jump: self.exact.mean_jump.clone(),
            walk: self.walk.clone(),
            jumps: self.jumps.clone(),
            diffused: self.diffused.clone(),
            trail_y: self.trail_y.iter().copied().collect(),
            trail_x: self.trail_x.iter().copied().collect(),
            score: self.score_field(SCORE_LATTICE),
            diffusion_path: self.diffusion.path.clone(),
            diffusion_steps: self.diffusion.steps(),
            diffusion_samples: self.diffusion_samples(),
            diffusion_rate: self.diffusion_rate(),
            wj_samples: self.wj_samples,
            wj_rate: self.wj_rate(),
            restarts: self.restarts,
            tvd_jumps_vs_target: self.tvd_jumps_vs_target(),
            tvd_jumps_vs_p_x: self.tvd_jumps_vs_p_x(),
            tvd_walk_vs_p_y: self.tvd_walk_vs_p_y(),
            tvd_diffusion_vs_p_x: self.tvd_diffusion_vs_p_x(),
        }
    }

    /// Run walk-jump and diffusion for about `budget`, half each.
    pub fn advance(&mut self, budget: Duration) -> Result<()> {
        let half = budget / 2;
        let t0 = Instant::now();
        while t0.elapsed() < half {
            let r = self.wj.step()?;
            self.restarts += r.restarted.len();
            let (y, m, s) = (self.wj.y(), self.wj.mean_jumps(), self.wj.jumps());
            let jumps = if self.params.jump == JumpKind::Sample {
                s
            } else {
                m
            };
            for k in 0..self.wj.chains() {
                self.walk.add(y[2 * k], y[2 * k + 1]);
                self.jumps.add(jumps[2 * k], jumps[2 * k + 1]);
            }
            // Chain 0 is the one drawn.
            push_capped(&mut self.trail_y, [y[0], y[1]]);
            push_capped(&mut self.trail_x, [jumps[0], jumps[1]]);
            self.wj_samples += self.wj.chains() as u64;
        }
        self.wj_seconds += t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        while t1.elapsed() < half {
            if let Some(done) = self.diffusion.advance(&mut self.rng) {
                for p in done {
                    self.diffused.add(p[0], p[1]);
                    if self.diffusion_samples.len() < KEEP_DIFFUSION {
                        self.diffusion_samples.push(p);
                    }
                }
            }
        }
        self.diffusion_seconds += t1.elapsed().as_secs_f64();
        Ok(())
    }

    /// The law the jumps should follow: p_X for posterior draws, the exact law of
    /// x̂(Y) for mean jumps.
    pub fn jump_target(&self) -> &Hist2d {
        if self.params.jump == JumpKind::Sample {
            &self.exact.p_x
        } else {
            &self.exact.mean_jump
        }
    }

    pub fn tvd_jumps_vs_target(&self) -> f64 {
        histogram_tvd(&self.jumps, self.jump_target())
    }
    pub fn tvd_jumps_vs_p_x(&self) -> f64 {
        histogram_tvd(&self.jumps, &self.exact.p_x)
    }
    pub fn tvd_walk_vs_p_y(&self) -> f64 {
        histogram_tvd(&self.walk, &self.exact.p_y)
    }
    pub fn tvd_diffusion_vs_p_x(&self) -> f64 {
        histogram_tvd(&self.diffused, &self.exact.p_x)
    }
    pub fn diffusion_samples(&self) -> usize {
        self.diffusion_samples.len()
    }
    pub fn wj_rate(&self) -> f64 {
        self.wj_samples as f64 / self.wj_seconds.max(1e-9)
    }
    pub fn diffusion_rate(&self) -> f64 {
        self.diffusion_samples.len() as f64 / self.diffusion_seconds.max(1e-9)
    }

    /// The smoothed score ∇log p_Y = (x̂ − y)/σ² on an n × n lattice over the ranges,
    /// from the denoiser in use.
    pub fn score_field(&self, n: usize) -> Vec<([f64; 2], [f64; 2])> {
        let s = self.params.sigma;
        let pts: Vec<[f64; 2]> = (0..n)
            .flat_map(|i| {
                (0..n).map(move |j| {
                    [
                        self.xr.lo + (i as f64 + 0.5) / n as f64 * (self.xr.hi - self.xr.lo),
                        self.yr.lo + (j as f64 + 0.5) / n as f64 * (self.yr.hi - self.yr.lo),
                    ]
                })
            })
            .collect();
        let xhat: Vec<[f64; 2]> = match self.learned.as_ref().filter(|_| self.using_learned) {
            Some(m) => {
                let flat: Vec<f64> = pts.iter().flat_map(|p| *p).collect();
                m.posterior_means(&flat)
                    .chunks(2)
                    .map(|c| [c[0], c[1]])
                    .collect()
            }
            None => pts
                .iter()
                .map(|p| self.grid.posterior_mean(*p, s))
                .collect(),
        };
        pts.iter()
            .zip(xhat)
            .map(|(p, h)| (*p, [(h[0] - p[0]) / (s * s), (h[1] - p[1]) / (s * s)]))
            .collect()
    }

    /// The planar system itself (for training a learned denoiser on it).
    pub fn system(&self) -> &dyn Planar {
        self.system.as_ref()
    }
}

fn push_capped(q: &mut VecDeque<[f64; 2]>, p: [f64; 2]) {
    if q.len() == TRAIL {
        q.pop_front();
    }
    q.push_back(p);
}

fn rng_seed(rng: &mut WjRng) -> u64 {
    use rand::Rng;
    rng.random()
}
