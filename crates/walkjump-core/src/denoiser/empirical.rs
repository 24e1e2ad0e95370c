//! The exact denoiser of a set of frames: E[x | y] when x is drawn from the frames
//! (an MD trajectory, say), rotated and translated at random, and y = x + σε.
//!
//! This is a control for the walk on molecules, not a model: with it the walk's score
//! is the gradient of a known density (the frames' smoothed empirical distribution),
//! so a walk that drifts away from the frames' populations with this denoiser has a
//! fault of its own (step, friction, guard), and one that keeps them says a learned
//! model that drifts has a wrong score. That holds only where the frames are dense
//! enough at σ for the walk to cross between basins: with alanine dipeptide's 6,000
//! frames at σ ≤ 0.4 Å its chains rarely do, so there it keeps its starts' basins
//! whatever the walk does (models/README.md, December 8). It needs the molecule's own
//! frames, so it transfers to nothing.
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
//!
//! The volume factor is taken on the frame's own orbit, where it makes every frame's
//! mass the same (tested against the rotation integral done by brute force). At a y
//! between two overlapping frames of different size the Hessian of the true integral
//! is y's, not the frames', so there the weights lean by O(σ/size) toward the
//! smaller frame: drawn from a five-atom frame and its 1.15× copy, the first takes
//! 0.52 of the posterior weight on average rather than 0.50.

use super::Denoiser;
use crate::error::{Error, Result};
use crate::geometry::{centre, chain_slice, kabsch_overlap};
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
            let i = inertia(&c);
            let det = i.determinant();
            // A (nearly) linear frame has a vanishing moment about its axis: Laplace's
            // step over the rotations does not hold for it.
            let scale = (i.trace() / 3.0).powi(3);
            if det.is_nan() || det <= 1e-9 * scale {
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
        log_sum_exp(self.align_all(&yc, sigma).iter().map(|a| a.log_w))
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
                let (rotation, overlap) = kabsch_overlap(self.frame(i), y);
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

/// ln Σ exp(l), without overflow.
fn log_sum_exp(log_w: impl Iterator<Item = f64> + Clone) -> f64 {
    let m = log_w.clone().fold(f64::NEG_INFINITY, f64::max);
    m + log_w.map(|l| (l - m).exp()).sum::<f64>().ln()
}

/// Normalised posterior weights from log weights.
fn softmax(log_w: impl Iterator<Item = f64> + Clone) -> Vec<f64> {
    let z = log_sum_exp(log_w.clone());
    log_w.map(|l| (l - z).exp()).collect()
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

    /// A rotation drawn uniformly: a normalised Gaussian quaternion.
    fn random_rotation(rng: &mut WjRng) -> Matrix3<f64> {
        let q = nalgebra::Quaternion::new(normal(rng), normal(rng), normal(rng), normal(rng));
        nalgebra::UnitQuaternion::from_quaternion(q)
            .to_rotation_matrix()
            .into_inner()
    }

    #[test]
    fn the_alignment_is_the_best_proper_rotation_and_reports_its_overlap() {
        // Its overlap tr(R H) is R's, and no other rotation does better; a reflection
        // is never returned.
        let mut rng = seeded(4);
        let f = frames(2, &mut rng);
        let (mut x, mut y) = (f[0].clone(), f[1].clone());
        centre(&mut x);
        centre(&mut y);
        for mirror in [false, true] {
            let y: Vec<f64> = y
                .iter()
                .enumerate()
                .map(|(k, v)| if mirror && k % 3 == 0 { -v } else { *v })
                .collect();
            let (r, overlap) = kabsch_overlap(&x, &y);
            assert!((r.determinant() - 1.0).abs() < 1e-9);
            let tr = |r: &Matrix3<f64>| {
                let mut q = x.clone();
                rotate(&mut q, r);
                q.iter().zip(&y).map(|(a, b)| a * b).sum::<f64>()
            };
            assert!(
                (tr(&r) - overlap).abs() < 1e-9,
                "{} against {overlap}",
                tr(&r)
            );
            for _ in 0..2000 {
                let other = tr(&random_rotation(&mut rng));
                assert!(other <= overlap + 1e-9, "{other} beats {overlap}");
            }
        }
    }

    /// ln of the rotation integral ∫ exp(−|y − R x|²/2σ²) dR over the Haar measure,
    /// by brute force: the mean over `n` uniform rotations. For centred x and y.
    fn brute_log_q(x: &[f64], y: &[f64], sigma: f64, n: usize, rng: &mut WjRng) -> f64 {
        let e: Vec<f64> = (0..n)
            .map(|_| {
                let mut q = x.to_vec();
                rotate(&mut q, &random_rotation(rng));
                let d2: f64 = q.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum();
                -d2 / (2.0 * sigma * sigma)
            })
            .collect();
        log_sum_exp(e.iter().copied()) - (n as f64).ln()
    }

    #[test]
    fn every_frame_carries_the_same_mass() {
        // The smoothed density of a frame integrates over its rotations, so every frame
        // carries mass 1 however large it is. Laplace's step gives its weight as
        // exp(−d²/2σ²)·det(I)^−1/2 up to one constant: so ln p̃ − ln q, q the rotation
        // integral done by brute force at y drawn from the frame, is the same for a
        // frame and for the frame scaled by 1.15, whose rotations sweep 2.3× the
        // volume. Without the det(I) factor the two would differ by ½ ln 2.3 = 0.42.
        let mut rng = seeded(8);
        let mut a = frames(1, &mut rng).remove(0);
        centre(&mut a);
        let b: Vec<f64> = a.iter().map(|v| 1.15 * v).collect();
        let sigma = 0.3;
        let offset = |x: &Vec<f64>, rng: &mut WjRng| {
            let d = EmpiricalDenoiser::new(std::slice::from_ref(x), "test").unwrap();
            let draws = 24;
            (0..draws)
                .map(|_| {
                    let mut y = x.clone();
                    rotate(&mut y, &random_rotation(rng));
                    for v in y.iter_mut() {
                        *v += sigma * normal(rng);
                    }
                    centre(&mut y);
                    d.log_density(&y, sigma) - brute_log_q(x, &y, sigma, 100_000, rng)
                })
                .sum::<f64>()
                / draws as f64
        };
        let (oa, ob) = (offset(&a, &mut rng), offset(&b, &mut rng));
        assert!(
            (oa - ob).abs() < 0.1,
            "ln p̃ − ln q: {oa:.3} for a frame, {ob:.3} scaled"
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
