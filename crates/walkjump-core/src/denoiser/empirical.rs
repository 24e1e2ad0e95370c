//! The exact denoiser of a set of frames: E[x | y] when x is drawn from the frames
//! (an MD trajectory, say), rotated and translated at random, and y = x + σε.
//!
//! This is a control for the walk on molecules, not a model: with it the walk's score
//! is the gradient of a known density (the frames' smoothed empirical distribution),
//! so a walk that drifts away from the frames' populations with this denoiser has a
//! fault of its own (step, friction, guard), and one that keeps them says a learned
//! model that drifts has a wrong score. It needs the molecule's own frames, so it
//! transfers to nothing.
//!
//! The density of y under frame i integrates over rotations R and translations t:
//! ∫∫ N(y; R x_i + t, σ²) dR dt. The translation integral is exact after centring
//! both sides. The rotation integral is taken by Laplace's method around the
//! Kabsch rotation R_i: exp(−d_i²/2σ²) · (2πσ²)^{3/2} · det(I_i)^{−1/2}, where d_i is
//! the aligned distance and I_i frame i's inertia tensor (the Hessian of d_i²/2 in the
//! rotation angles, to leading order in σ over the molecule's size). The score of that
//! density is Σ_i w_i (R_i x_i − y)/σ² with w_i the posterior weights (the gradient of
//! d_i²/2 at the optimal rotation is y − R_i x_i), so x̂ = Σ_i w_i R_i x_i + centroid(y)
//! is the exact Tweedie mean of that density and the walk's force is a gradient.

use super::Denoiser;
use crate::error::{Error, Result};
use crate::geometry::{centre, chain_slice};
use crate::rng::WjRng;
use nalgebra::{Matrix3, Vector3};

pub struct EmpiricalDenoiser {
    /// Frames, each centred, back to back.
    frames: Vec<f64>,
    /// |x_i|² of each centred frame.
    norms: Vec<f64>,
    /// −½ ln det(I_i): the rotation integral's volume factor for each frame.
    log_volume: Vec<f64>,
    dim: usize,
    label: String,
}

/// One frame's share of the posterior for one y: its log weight and its proper
/// rotation onto y.
struct Aligned {
    log_w: f64,
    rotation: Matrix3<f64>,
}

impl EmpiricalDenoiser {
    /// `frames`: each of `dim` coordinates (x0 y0 z0 x1 …). `label` names them in the
    /// denoiser's name (a file, say).
    pub fn new(frames: &[Vec<f64>], label: impl Into<String>) -> Result<Self> {
        let dim = frames.first().map_or(0, Vec::len);
        if dim == 0 || !dim.is_multiple_of(3) || frames.iter().any(|f| f.len() != dim) {
            return Err(Error::Parameter(
                "the empirical denoiser needs at least one frame, all with the same atoms".into(),
            ));
        }
        let mut flat = Vec::with_capacity(dim * frames.len());
        let mut norms = Vec::with_capacity(frames.len());
        let mut log_volume = Vec::with_capacity(frames.len());
        for f in frames {
            let mut c = f.clone();
            centre(&mut c);
            norms.push(c.iter().map(|v| v * v).sum());
            let det = inertia(&c).determinant();
            if det.is_nan() || det <= 0.0 {
                return Err(Error::Parameter(
                    "a frame of the empirical denoiser is linear or a point: its rotations are degenerate".into(),
                ));
            }
            log_volume.push(-0.5 * det.ln());
            flat.extend_from_slice(&c);
        }
        Ok(EmpiricalDenoiser {
            frames: flat,
            norms,
            log_volume,
            dim,
            label: label.into(),
        })
    }

    pub fn frames(&self) -> usize {
        self.norms.len()
    }

    /// Frame `i`, centred.
    fn frame(&self, i: usize) -> &[f64] {
        chain_slice(&self.frames, self.dim, i)
    }

    /// ln of the smoothed density at `y` up to a constant: the log-sum of the frames'
    /// weights. Its gradient is the score the walk follows.
    pub fn log_density(&self, y: &[f64], sigma: f64) -> f64 {
        let mut yc = y.to_vec();
        centre(&mut yc);
        let a = self.align_all(&yc, sigma);
        let m = a.iter().map(|a| a.log_w).fold(f64::NEG_INFINITY, f64::max);
        m + a.iter().map(|a| (a.log_w - m).exp()).sum::<f64>().ln()
    }

    /// x̂(y) for one configuration.
    fn denoise_one(&self, y: &[f64], sigma: f64, out: &mut [f64]) {
        let mut yc = y.to_vec();
        let centroid = centre(&mut yc);
        let aligned = self.align_all(&yc, sigma);
        let w = softmax(aligned.iter().map(|a| a.log_w));
        out.fill(0.0);
        for (i, (a, &wi)) in aligned.iter().zip(&w).enumerate() {
            // Frames far from y carry weights below f64's resolution of the sum.
            if wi < 1e-12 {
                continue;
            }
            add_rotated(out, self.frame(i), &a.rotation, wi);
        }
        for p in out.chunks_mut(3) {
            for k in 0..3 {
                p[k] += centroid[k];
            }
        }
    }

    /// Every frame's log weight and rotation for the centred `y`.
    fn align_all(&self, y: &[f64], sigma: f64) -> Vec<Aligned> {
        let y2: f64 = y.iter().map(|v| v * v).sum();
        (0..self.frames())
            .map(|i| {
                let (rotation, overlap) = best_rotation(self.frame(i), y);
                // |y − R x|² = |y|² + |x|² − 2 tr(R H), H = Σ x yᵀ.
                let d2 = (y2 + self.norms[i] - 2.0 * overlap).max(0.0);
                Aligned {
                    log_w: -d2 / (2.0 * sigma * sigma) + self.log_volume[i],
                    rotation,
                }
            })
            .collect()
    }
}

/// Normalised posterior weights from log weights.
fn softmax(log_w: impl Iterator<Item = f64> + Clone) -> Vec<f64> {
    let m = log_w.clone().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = log_w.map(|l| (l - m).exp()).collect();
    let z: f64 = w.iter().sum();
    w.into_iter().map(|v| v / z).collect()
}

/// The inertia tensor Σ (|r|² I − r rᵀ) of centred points.
fn inertia(p: &[f64]) -> Matrix3<f64> {
    let mut m = Matrix3::zeros();
    for a in p.chunks(3) {
        let r = Vector3::new(a[0], a[1], a[2]);
        m += Matrix3::identity() * r.norm_squared() - r * r.transpose();
    }
    m
}

/// The proper rotation R maximising Σ (R x_a)·y_a for centred x and y, and that maximum
/// tr(R H) (Kabsch, with the weakest axis flipped where a reflection would fit better).
fn best_rotation(x: &[f64], y: &[f64]) -> (Matrix3<f64>, f64) {
    let mut h = Matrix3::zeros();
    for (m, t) in x.chunks(3).zip(y.chunks(3)) {
        h += Vector3::new(m[0], m[1], m[2]) * Vector3::new(t[0], t[1], t[2]).transpose();
    }
    let svd = h.svd(true, true);
    let (u, v_t) = (svd.u.expect("u requested"), svd.v_t.expect("v requested"));
    let v = v_t.transpose();
    let d = (v * u.transpose()).determinant();
    let s = svd.singular_values;
    // Singular values come unsorted from nalgebra: flip the smallest.
    let k = s.imin();
    let mut fix = Vector3::new(1.0, 1.0, 1.0);
    if d < 0.0 {
        fix[k] = -1.0;
    }
    let r = v * Matrix3::from_diagonal(&fix) * u.transpose();
    (r, s.dot(&fix))
}

impl Denoiser for EmpiricalDenoiser {
    fn name(&self) -> String {
        format!("empirical ({} frames of {})", self.frames(), self.label)
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn denoise(
        &mut self,
        y: &[f64],
        sigma: f64,
        _rng: &mut WjRng,
        mean: &mut [f64],
        _sample: Option<&mut [f64]>,
    ) -> Result<()> {
        let dim = self.dim;
        let chains = y.len() / dim;
        // Chains are independent: split them over the cores.
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, chains.max(1));
        let per = chains.div_ceil(threads).max(1);
        let this = &*self;
        std::thread::scope(|s| {
            for (ys, ms) in y.chunks(per * dim).zip(mean.chunks_mut(per * dim)) {
                s.spawn(move || {
                    for (yc, m) in ys.chunks(dim).zip(ms.chunks_mut(dim)) {
                        this.denoise_one(yc, sigma, m);
                    }
                });
            }
        });
        Ok(())
    }
}

/// out += w · R x, point by point.
fn add_rotated(out: &mut [f64], x: &[f64], r: &Matrix3<f64>, w: f64) {
    for (o, a) in out.chunks_mut(3).zip(x.chunks(3)) {
        let v = r * Vector3::new(a[0], a[1], a[2]);
        for k in 0..3 {
            o[k] += w * v[k];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::rotate;
    use crate::rng::{normal, seeded};
    use nalgebra::Rotation3;

    /// Frames of a bent, twisted five-atom chain with some jitter: chiral, not planar.
    fn frames(n: usize, rng: &mut WjRng) -> Vec<Vec<f64>> {
        (0..n)
            .map(|i| {
                let t = 0.3 + 2.5 * i as f64 / n as f64;
                let base = [
                    0.0,
                    0.0,
                    0.0,
                    1.5,
                    0.0,
                    0.0,
                    2.0,
                    1.4,
                    0.0,
                    3.5,
                    1.4 + t.cos(),
                    t.sin(),
                    4.0,
                    0.2,
                    1.1,
                ];
                base.iter().map(|v| v + 0.1 * normal(rng)).collect()
            })
            .collect()
    }

    fn denoise(d: &mut EmpiricalDenoiser, y: &[f64], sigma: f64) -> Vec<f64> {
        let mut out = vec![0.0; y.len()];
        d.denoise(y, sigma, &mut seeded(0), &mut out, None).unwrap();
        out
    }

    #[test]
    fn the_jump_commutes_with_rotations_and_translations() {
        let mut rng = seeded(3);
        let mut d = EmpiricalDenoiser::new(&frames(40, &mut rng), "test").unwrap();
        let y: Vec<f64> = frames(1, &mut rng)[0]
            .iter()
            .map(|v| v + 0.4 * normal(&mut rng))
            .collect();
        let r = Rotation3::from_euler_angles(0.7, -1.1, 2.3).into_inner();
        let shift = [3.0, -2.0, 5.0];
        let moved = |p: &[f64]| {
            let mut q = p.to_vec();
            rotate(&mut q, &r);
            q.iter()
                .enumerate()
                .map(|(k, v)| v + shift[k % 3])
                .collect::<Vec<_>>()
        };
        let a = moved(&denoise(&mut d, &y, 0.4));
        let b = denoise(&mut d, &moved(&y), 0.4);
        let err = a
            .iter()
            .zip(&b)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max);
        assert!(err < 1e-9, "x̂(Ry + t) differs from R x̂(y) + t by {err}");
    }

    #[test]
    fn the_score_is_the_gradient_of_the_smoothed_density() {
        // The walk's force must be a gradient for the walk to have this density as
        // its equilibrium: (x̂ − y)/σ² against finite differences of ln p̃.
        let mut rng = seeded(5);
        let mut d = EmpiricalDenoiser::new(&frames(30, &mut rng), "test").unwrap();
        let sigma = 0.5;
        let y: Vec<f64> = frames(1, &mut rng)[0]
            .iter()
            .map(|v| v + sigma * normal(&mut rng))
            .collect();
        let xhat = denoise(&mut d, &y, sigma);
        let h = 1e-5;
        let mut worst: f64 = 0.0;
        for k in 0..y.len() {
            let (mut up, mut down) = (y.clone(), y.clone());
            up[k] += h;
            down[k] -= h;
            let fd = (d.log_density(&up, sigma) - d.log_density(&down, sigma)) / (2.0 * h);
            let score = (xhat[k] - y[k]) / (sigma * sigma);
            worst = worst.max((fd - score).abs() / (1.0 + score.abs()));
        }
        assert!(
            worst < 1e-4,
            "score and ∇ ln p̃ differ by {worst} (relative)"
        );
    }

    #[test]
    fn the_jump_never_mirrors_a_chiral_frame() {
        // One frame and its mirror image as y: a reflection would fit exactly, but
        // only a rotation is allowed, so x̂ stays the frame's hand and |x̂ − y| > 0.
        let mut rng = seeded(9);
        let f = frames(1, &mut rng);
        let mut d = EmpiricalDenoiser::new(&f, "test").unwrap();
        let mirror: Vec<f64> = f[0]
            .iter()
            .enumerate()
            .map(|(k, v)| if k % 3 == 2 { -v } else { *v })
            .collect();
        let xhat = denoise(&mut d, &mirror, 0.3);
        let gap = crate::geometry::rmsd(&xhat, &mirror);
        assert!(gap > 0.1, "x̂ matched the mirror image to {gap} Å");
        let same = denoise(&mut d, &f[0], 0.3);
        assert!(crate::geometry::rmsd(&same, &f[0]) < 1e-9);
    }
}
