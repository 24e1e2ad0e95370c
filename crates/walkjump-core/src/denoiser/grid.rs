//! Exact denoising of a planar density by quadrature on a fine grid, and the exact
//! distributions (p_X, p_Y and the law of x̂(Y)) the sampler is checked against.

use super::Denoiser;
use crate::analysis::histogram::{Hist2d, Range};
use crate::error::Result;
use crate::rng::WjRng;
use crate::systems::Planar;
use rand::Rng;

/// exp(−U) tabulated on a regular grid covering the system's bounds.
#[derive(Debug, Clone)]
pub struct DensityGrid {
    pub x0: f64,
    pub y0: f64,
    pub h: f64,
    pub nx: usize,
    pub ny: usize,
    /// Normalised weights (sum 1), row-major: w[i * ny + j] at (x0 + i h, y0 + j h).
    pub w: Vec<f64>,
}

/// Gaussian weights are cut at this many σ.
const CUTOFF: f64 = 6.0;

impl DensityGrid {
    pub fn new(system: &dyn Planar, h: f64) -> Self {
        let [xa, xb, ya, yb] = system.bounds();
        let nx = ((xb - xa) / h).ceil() as usize + 1;
        let ny = ((yb - ya) / h).ceil() as usize + 1;
        let mut logw = vec![0.0; nx * ny];
        for i in 0..nx {
            for j in 0..ny {
                logw[i * ny + j] = -system.energy2(xa + i as f64 * h, ya + j as f64 * h);
            }
        }
        let m = logw.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let mut w: Vec<f64> = logw.iter().map(|l| (l - m).exp()).collect();
        let z: f64 = w.iter().sum();
        w.iter_mut().for_each(|v| *v /= z);
        DensityGrid {
            x0: xa,
            y0: ya,
            h,
            nx,
            ny,
            w,
        }
    }

    pub fn x(&self, i: usize) -> f64 {
        self.x0 + i as f64 * self.h
    }
    pub fn y(&self, j: usize) -> f64 {
        self.y0 + j as f64 * self.h
    }

    fn window(&self, c: f64, origin: f64, n: usize, sigma: f64) -> (usize, usize) {
        let lo = ((c - CUTOFF * sigma - origin) / self.h).floor().max(0.0) as usize;
        let hi = (((c + CUTOFF * sigma - origin) / self.h).ceil() as isize + 1).clamp(0, n as isize)
            as usize;
        (lo.min(n), hi)
    }

    /// Unnormalised posterior weights p(x_ij | y) on the window around y.
    /// Returns None when y is so far from the mass that the window holds none.
    fn posterior_rows(&self, y: [f64; 2], sigma: f64) -> Option<PosteriorWindow> {
        let (ia, ib) = self.window(y[0], self.x0, self.nx, sigma);
        let (ja, jb) = self.window(y[1], self.y0, self.ny, sigma);
        if ia >= ib || ja >= jb {
            return None;
        }
        let inv = 0.5 / (sigma * sigma);
        let bj: Vec<f64> = (ja..jb)
            .map(|j| (-(self.y(j) - y[1]).powi(2) * inv).exp())
            .collect();
        let mut rows = Vec::with_capacity(ib - ia);
        let mut total = 0.0;
        for i in ia..ib {
            let a = (-(self.x(i) - y[0]).powi(2) * inv).exp();
            let row = &self.w[i * self.ny + ja..i * self.ny + jb];
            let r: f64 = a * row.iter().zip(&bj).map(|(w, b)| w * b).sum::<f64>();
            rows.push(r);
            total += r;
        }
        (total > 1e-300).then_some(PosteriorWindow {
            ia,
            ja,
            jb,
            bj,
            rows,
            total,
        })
    }

    /// E[x | y] by quadrature; far from all mass, a log-domain sum over the whole grid.
    pub fn posterior_mean(&self, y: [f64; 2], sigma: f64) -> [f64; 2] {
        let (ia, ib) = self.window(y[0], self.x0, self.nx, sigma);
        let (ja, jb) = self.window(y[1], self.y0, self.ny, sigma);
        if ia < ib && ja < jb {
            let inv = 0.5 / (sigma * sigma);
            let bj: Vec<f64> = (ja..jb)
                .map(|j| (-(self.y(j) - y[1]).powi(2) * inv).exp())
                .collect();
            let byj: Vec<f64> = bj
                .iter()
                .enumerate()
                .map(|(l, b)| b * self.y(ja + l))
                .collect();
            let (mut s, mut sx, mut sy) = (0.0, 0.0, 0.0);
            for i in ia..ib {
                let a = (-(self.x(i) - y[0]).powi(2) * inv).exp();
                let row = &self.w[i * self.ny + ja..i * self.ny + jb];
                let (mut r, mut ry) = (0.0, 0.0);
                for ((w, b), by) in row.iter().zip(&bj).zip(&byj) {
                    r += w * b;
                    ry += w * by;
                }
                s += a * r;
                sx += a * r * self.x(i);
                sy += a * ry;
            }
            if s > 1e-300 {
                return [sx / s, sy / s];
            }
        }
        self.log_domain_mean(y, sigma)
    }

    /// A point drawn from the tabulated density itself (cell by weight, uniform inside).
    pub fn sample_point(&self, rng: &mut WjRng) -> [f64; 2] {
        let mut u = rng.random::<f64>();
        let mut k = self.w.len() - 1;
        for (idx, w) in self.w.iter().enumerate() {
            if u < *w {
                k = idx;
                break;
            }
            u -= w;
        }
        let jit = |rng: &mut WjRng| (rng.random::<f64>() - 0.5) * self.h;
        [
            self.x(k / self.ny) + jit(rng),
            self.y(k % self.ny) + jit(rng),
        ]
    }

    /// Full-grid posterior mean in log space, for y far outside the density.
    fn log_domain_mean(&self, y: [f64; 2], sigma: f64) -> [f64; 2] {
        let inv = 0.5 / (sigma * sigma);
        let mut best = f64::NEG_INFINITY;
        let mut lw = vec![f64::NEG_INFINITY; self.w.len()];
        for i in 0..self.nx {
            for j in 0..self.ny {
                let w = self.w[i * self.ny + j];
                if w > 0.0 {
                    let l =
                        w.ln() - ((self.x(i) - y[0]).powi(2) + (self.y(j) - y[1]).powi(2)) * inv;
                    lw[i * self.ny + j] = l;
                    best = best.max(l);
                }
            }
        }
        let (mut s, mut sx, mut sy) = (0.0, 0.0, 0.0);
        for i in 0..self.nx {
            for j in 0..self.ny {
                let e = (lw[i * self.ny + j] - best).exp();
                s += e;
                sx += e * self.x(i);
                sy += e * self.y(j);
            }
        }
        [sx / s, sy / s]
    }

    /// One draw from p(x | y): a grid cell by its weight, then uniform within the cell.
    pub fn posterior_sample(&self, y: [f64; 2], sigma: f64, rng: &mut WjRng) -> [f64; 2] {
        let Some(pw) = self.posterior_rows(y, sigma) else {
            return self.log_domain_mean(y, sigma);
        };
        let mut u = rng.random::<f64>() * pw.total;
        let mut k = pw.rows.len() - 1;
        for (idx, r) in pw.rows.iter().enumerate() {
            if u < *r {
                k = idx;
                break;
            }
            u -= r;
        }
        let i = pw.ia + k;
        let row = &self.w[i * self.ny + pw.ja..i * self.ny + pw.jb];
        let cols: Vec<f64> = row.iter().zip(&pw.bj).map(|(w, b)| w * b).collect();
        let mut v = rng.random::<f64>() * cols.iter().sum::<f64>();
        let mut l = cols.len() - 1;
        for (idx, c) in cols.iter().enumerate() {
            if v < *c {
                l = idx;
                break;
            }
            v -= c;
        }
        let jit = |rng: &mut WjRng| (rng.random::<f64>() - 0.5) * self.h;
        [self.x(i) + jit(rng), self.y(pw.ja + l) + jit(rng)]
    }
}

struct PosteriorWindow {
    ia: usize,
    ja: usize,
    jb: usize,
    bj: Vec<f64>,
    rows: Vec<f64>,
    total: f64,
}

/// Grid spacing for a given σ: σ/5 resolves the Gaussian kernel so that quadrature errors
/// are far below sampling error; capped so broad kernels still see the wells' shape.
pub fn spacing_for(sigma: f64) -> f64 {
    (sigma / 5.0).min(0.04)
}

/// The exact denoiser of a planar potential.
pub struct GridDenoiser {
    system: Box<dyn Planar>,
    grid: DensityGrid,
}

impl GridDenoiser {
    pub fn new(system: Box<dyn Planar>, sigma: f64) -> Self {
        let grid = DensityGrid::new(system.as_ref(), spacing_for(sigma));
        GridDenoiser { system, grid }
    }

    fn ensure_resolution(&mut self, sigma: f64) {
        if self.grid.h > spacing_for(sigma) * 1.0001 {
            self.grid = DensityGrid::new(self.system.as_ref(), spacing_for(sigma));
        }
    }
}

impl Denoiser for GridDenoiser {
    fn name(&self) -> String {
        format!("{}-quadrature", self.system.name())
    }
    fn dim(&self) -> usize {
        2
    }
    fn can_sample(&self) -> bool {
        true
    }
    fn denoise(
        &mut self,
        y: &[f64],
        sigma: f64,
        rng: &mut WjRng,
        mean: &mut [f64],
        mut sample: Option<&mut [f64]>,
    ) -> Result<()> {
        self.ensure_resolution(sigma);
        for (k, yk) in y.chunks(2).enumerate() {
            let m = self.grid.posterior_mean([yk[0], yk[1]], sigma);
            mean[2 * k..2 * k + 2].copy_from_slice(&m);
            if let Some(s) = sample.as_deref_mut() {
                let d = self.grid.posterior_sample([yk[0], yk[1]], sigma, rng);
                s[2 * k..2 * k + 2].copy_from_slice(&d);
            }
        }
        Ok(())
    }
}

/// Exact histograms of p_X, p_Y and of the law of the mean jump x̂(Y), Y ~ p_Y.
pub struct ExactPlanar {
    pub p_x: Hist2d,
    pub p_y: Hist2d,
    pub mean_jump: Hist2d,
}

/// 1-D Gaussian convolution matrix from grid points `src` to points `dst`.
fn gauss_kernel(src: &[f64], dst: &[f64], sigma: f64) -> Vec<f64> {
    let inv = 0.5 / (sigma * sigma);
    let mut k = vec![0.0; dst.len() * src.len()];
    for (a, d) in dst.iter().enumerate() {
        for (i, s) in src.iter().enumerate() {
            let t = (d - s).powi(2) * inv;
            if t < CUTOFF * CUTOFF * 0.5 {
                k[a * src.len() + i] = (-t).exp();
            }
        }
    }
    k
}

pub fn exact_planar(system: &dyn Planar, sigma: f64, xr: Range, yr: Range) -> ExactPlanar {
    let g = DensityGrid::new(system, spacing_for(sigma));
    // Each grid weight stands for its whole cell (as in `sample_point`), so spread it
    // over sub-points; otherwise cells centred on a bin edge would land on one side only.
    const SUB: usize = 4;
    let mut p_x = Hist2d::new(xr, yr);
    for i in 0..g.nx {
        for j in 0..g.ny {
            let w = g.w[i * g.ny + j] / (SUB * SUB) as f64;
            if w == 0.0 {
                continue;
            }
            for a in 0..SUB {
                for b in 0..SUB {
                    let off = |k: usize| ((k as f64 + 0.5) / SUB as f64 - 0.5) * g.h;
                    p_x.add_weighted(g.x(i) + off(a), g.y(j) + off(b), w);
                }
            }
        }
    }
    // Evaluate p_Y and the numerators of x̂ on a y-grid spanning the histogram range,
    // by separable convolution: p_Y(a, b) = Σ_ij w_ij K(a, i) K(b, j).
    // y-points at the centres of sub-cells that tile every histogram bin exactly.
    let centres = |r: Range| -> Vec<f64> {
        // At least 12 per bin: each sub-cell is pushed through x̂ as a point mass.
        let per_bin = (r.width() / g.h).ceil().max(12.0) as usize;
        let step = r.width() / per_bin as f64;
        (0..r.bins * per_bin)
            .map(|k| r.lo + (k as f64 + 0.5) * step)
            .collect()
    };
    let ya_pts = centres(xr);
    let yb_pts = centres(yr);
    let gx: Vec<f64> = (0..g.nx).map(|i| g.x(i)).collect();
    let gy: Vec<f64> = (0..g.ny).map(|j| g.y(j)).collect();
    let kx = gauss_kernel(&gx, &ya_pts, sigma);
    let ky = gauss_kernel(&gy, &yb_pts, sigma);
    // T[i][b] = Σ_j w_ij ky(b, j), and the same weighted by y_j.
    let nb = yb_pts.len();
    let mut t = vec![0.0; g.nx * nb];
    let mut ty = vec![0.0; g.nx * nb];
    for i in 0..g.nx {
        let row = &g.w[i * g.ny..(i + 1) * g.ny];
        if row.iter().all(|w| *w == 0.0) {
            continue;
        }
        for b in 0..nb {
            let kr = &ky[b * g.ny..(b + 1) * g.ny];
            let (mut s, mut sy) = (0.0, 0.0);
            for j in 0..g.ny {
                let v = row[j] * kr[j];
                s += v;
                sy += v * gy[j];
            }
            t[i * nb + b] = s;
            ty[i * nb + b] = sy;
        }
    }
    let mut p_y = Hist2d::new(xr, yr);
    let mut mean_jump = Hist2d::new(xr, yr);
    for (a, &ya) in ya_pts.iter().enumerate() {
        let kr = &kx[a * g.nx..(a + 1) * g.nx];
        for (b, &yb) in yb_pts.iter().enumerate() {
            let (mut p, mut nx_, mut ny_) = (0.0, 0.0, 0.0);
            for i in 0..g.nx {
                let k = kr[i];
                if k == 0.0 {
                    continue;
                }
                p += k * t[i * nb + b];
                nx_ += k * gx[i] * t[i * nb + b];
                ny_ += k * ty[i * nb + b];
            }
            if p > 0.0 {
                p_y.add_weighted(ya, yb, p);
                mean_jump.add_weighted(nx_ / p, ny_ / p, p);
            }
        }
    }
    ExactPlanar {
        p_x,
        p_y,
        mean_jump,
    }
}
