//! Reverse diffusion on a planar density with the exact denoiser at every noise level:
//! the teaching peer of walk-jump. Diffusion anneals σ from wide to small, many
//! denoiser calls per sample; walk-jump keeps one σ and yields a sample per call.

use super::anneal::{ancestral_step, geometric_levels};
use walkjump_core::denoiser::grid::{spacing_for, DensityGrid};
use walkjump_core::rng::{normal, WjRng};
use walkjump_core::systems::Planar;

/// A batch of particles all walking down the same ladder of noise levels.
pub struct PlanarDiffusion {
    /// Grids at the spacings the levels need (coarse for wide σ, fine for small).
    grids: Vec<DensityGrid>,
    levels: Vec<f64>,
    /// Which grid each level uses.
    grid_of: Vec<usize>,
    mean: [f64; 2],
    spread: f64,
    pub batch: usize,
    x: Vec<f64>,
    level: usize,
    /// Denoiser calls made (one per particle per level).
    pub calls: u64,
    /// The first particle's path down the ladder, for drawing.
    pub path: Vec<[f64; 2]>,
}

impl PlanarDiffusion {
    pub fn new(system: &dyn Planar, steps: usize, batch: usize, rng: &mut WjRng) -> Self {
        let [x0, x1, y0, y1] = system.bounds();
        let extent = (x1 - x0).max(y1 - y0);
        let levels = geometric_levels(extent, 0.01, steps);
        let mut spacings: Vec<f64> = vec![];
        let grid_of = levels
            .iter()
            .map(|&s| {
                let h = spacing_for(s);
                match spacings.iter().position(|&g| (g - h).abs() < 1e-12) {
                    Some(i) => i,
                    None => {
                        spacings.push(h);
                        spacings.len() - 1
                    }
                }
            })
            .collect();
        let grids: Vec<DensityGrid> = spacings
            .iter()
            .map(|&h| DensityGrid::new(system, h))
            .collect();
        // Moment-matched start: the data's mean and variance plus the widest noise.
        let g = &grids[0];
        let (mut m, mut m2) = ([0.0; 2], 0.0);
        for i in 0..g.nx {
            for j in 0..g.ny {
                let w = g.w[i * g.ny + j];
                m[0] += w * g.x(i);
                m[1] += w * g.y(j);
                m2 += w * (g.x(i).powi(2) + g.y(j).powi(2)) / 2.0;
            }
        }
        let var = (m2 - (m[0] * m[0] + m[1] * m[1]) / 2.0).max(0.0);
        let spread = (levels[0].powi(2) + var).sqrt();
        let mut d = PlanarDiffusion {
            grids,
            levels,
            grid_of,
            mean: m,
            spread,
            batch,
            x: vec![],
            level: 0,
            calls: 0,
            path: vec![],
        };
        d.restart(rng);
        d
    }

    pub fn steps(&self) -> usize {
        self.levels.len()
    }

    fn restart(&mut self, rng: &mut WjRng) {
        self.x = (0..self.batch)
            .flat_map(|_| {
                [
                    self.mean[0] + self.spread * normal(rng),
                    self.mean[1] + self.spread * normal(rng),
                ]
            })
            .collect();
        self.level = 0;
        self.path = vec![[self.x[0], self.x[1]]];
    }

    /// Advance the batch by one level; returns the finished samples when the ladder
    /// ends (the batch then restarts from noise).
    pub fn advance(&mut self, rng: &mut WjRng) -> Option<Vec<[f64; 2]>> {
        let s = self.levels[self.level];
        let g = &self.grids[self.grid_of[self.level]];
        let xhat: Vec<f64> = self
            .x
            .chunks(2)
            .flat_map(|p| g.posterior_mean([p[0], p[1]], s))
            .collect();
        self.calls += self.batch as u64;
        if self.level + 1 < self.levels.len() {
            ancestral_step(&mut self.x, &xhat, s, self.levels[self.level + 1], rng);
            self.level += 1;
            self.path.push([self.x[0], self.x[1]]);
            None
        } else {
            let out = xhat.chunks(2).map(|p| [p[0], p[1]]).collect();
            self.restart(rng);
            Some(out)
        }
    }

    /// Run until `n` samples are finished.
    pub fn sample(&mut self, n: usize, rng: &mut WjRng) -> Vec<[f64; 2]> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            if let Some(s) = self.advance(rng) {
                out.extend(s);
            }
        }
        out.truncate(n);
        out
    }
}
