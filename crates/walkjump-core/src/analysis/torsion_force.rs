//! The mean force of a score along a torsion.
//!
//! Turning the atoms on one side of a torsion's bond about it moves y along
//! g(y) = ∂y/∂θ; the force along θ is s(y)·g(y), in k_BT per radian when s is a score
//! (∇ log p, or F/k_BT). The field g is divergence-free (each moving atom turns about
//! an axis set by two atoms that do not move), so for the exact score of any density p
//! the mean of s·g over p is zero: ∫ ∇p·g = −∫ p ∇·g = 0. Over frames of an
//! equilibrium run, noised at σ, the learned score should therefore average to zero
//! along every torsion; a mean that is not zero is a bias of the score along that
//! soft direction, which the walk integrates between basins (a bias b over a path of
//! Δθ radians tilts the basins by about b·Δθ k_BT) and which the jump, judged frame by
//! frame, cannot show. OpenMM's forces on the clean frames are the control.
//!
//! A mean over all frames can cancel between basins (a score too steep into αR and
//! as steep out of it reads zero), and per basin the mean of s·g is not zero even for
//! the exact score. What is zero per basin is the score's excess over an unbiased
//! target on the same noisy frames: the smoothed score is E[t | y] for t = (x − y)/σ²
//! (DSM's target) and for t = f(x), the clean frame's forces, so (s(y) − t)·g(y)
//! averages to zero over the frames whose y lies in any region, a basin of y
//! included ([`TorsionGenerator::excess`], [`ResidueCores`]). DSM's target is the
//! quieter of the two here: on alanine dipeptide at σ = 0.3 and 0.4 Å its standard
//! error per basin is 2–3× smaller than the forces' (their stiff bond and angle terms
//! become large torques about the noisy frame's axis, not the clean one's).

use crate::analysis::basin::Basin;
use crate::analysis::dihedral::dihedral_of;
use crate::molecule::Topology;

/// How one torsion turns the molecule: the bond it turns about and the atoms that move.
#[derive(Debug, Clone)]
pub struct TorsionGenerator {
    /// The torsion's label ("psi ALA2").
    pub label: String,
    /// The bond's atoms: the axis runs from `axis.0` to `axis.1`.
    pub axis: (usize, usize),
    /// The atoms on `axis.1`'s side of the bond (the side of the torsion's last atom).
    pub moving: Vec<usize>,
    /// The torsion's residue (an index into `Topology::residues`).
    pub residue: usize,
}

/// One generator per torsion of `t` whose bond is not in a ring (proline's φ is: no
/// rigid turn of one side exists).
pub fn generators(t: &Topology) -> Vec<TorsionGenerator> {
    t.torsions
        .iter()
        .filter_map(|tor| {
            let (a, b) = (tor.atoms[1], tor.atoms[2]);
            Some(TorsionGenerator {
                label: tor.label.clone(),
                axis: (a, b),
                moving: t.beyond(a, b)?,
                residue: tor.residue,
            })
        })
        .collect()
}

impl TorsionGenerator {
    /// ∂y/∂θ at `y` (flat Å) into `out` (same length, zero where atoms do not move):
    /// the moving atoms turned about the bond, in the sense that increases the
    /// torsion's dihedral angle (this crate's and MDTraj's convention).
    pub fn direction(&self, y: &[f64], out: &mut [f64]) {
        out.fill(0.0);
        let p = |i: usize| [y[3 * i], y[3 * i + 1], y[3 * i + 2]];
        let (a, b) = (p(self.axis.0), p(self.axis.1));
        let d = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
        let len = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt().max(1e-12);
        let u = [d[0] / len, d[1] / len, d[2] / len];
        for &i in &self.moving {
            let r = p(i);
            let r = [r[0] - b[0], r[1] - b[1], r[2] - b[2]];
            out[3 * i] = u[1] * r[2] - u[2] * r[1];
            out[3 * i + 1] = u[2] * r[0] - u[0] * r[2];
            out[3 * i + 2] = u[0] * r[1] - u[1] * r[0];
        }
    }

    /// The force of `s` along this torsion at `y`: s·∂y/∂θ (k_BT per radian for a score).
    pub fn force(&self, y: &[f64], s: &[f64]) -> f64 {
        let mut g = vec![0.0; y.len()];
        self.direction(y, &mut g);
        g.iter().zip(s).map(|(a, b)| a * b).sum()
    }

    /// The excess of score `s` at `y`, a noisy copy of a clean frame, over a target
    /// `t` whose mean given y is the exact score (DSM's (x − y)/σ², or the clean
    /// frame's forces over k_BT), along this torsion: (s(y) − t)·∂y/∂θ at y. Zero on
    /// average over the frames of any region of y for the exact score.
    pub fn excess(&self, y: &[f64], s: &[f64], t: &[f64]) -> f64 {
        let mut g = vec![0.0; y.len()];
        self.direction(y, &mut g);
        g.iter()
            .zip(s.iter().zip(t))
            .map(|(g, (s, t))| g * (s - t))
            .sum()
    }
}

/// Per residue, the atoms of its φ and ψ where it has both
/// ([`Topology::ramachandran_pairs`]): which basin core each residue is in, frame
/// after frame.
pub struct ResidueCores(Vec<Option<([usize; 4], [usize; 4])>>);

impl ResidueCores {
    pub fn new(t: &Topology) -> Self {
        let mut atoms = vec![None; t.residues.len()];
        for (phi, psi, _) in t.ramachandran_pairs() {
            let (phi, psi) = (&t.torsions[phi], &t.torsions[psi]);
            atoms[phi.residue] = Some((phi.atoms, psi.atoms));
        }
        Self(atoms)
    }

    /// Per residue, the Ramachandran core it lies in at `y`; None for a residue
    /// without both φ and ψ, or between cores.
    pub fn at(&self, y: &[f64]) -> Vec<Option<Basin>> {
        self.0
            .iter()
            .map(|a| {
                let (phi, psi) = (*a)?;
                Basin::core_of(dihedral_of(y, phi), dihedral_of(y, psi))
            })
            .collect()
    }
}

/// Mean and standard error of `values`.
pub fn mean_and_error(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, (var / n).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::dihedral::dihedral_of;
    use crate::molecule::build::build_peptide;

    #[test]
    fn the_direction_turns_its_torsion_and_no_other_bond() {
        // Claim: a small step along ∂y/∂θ raises that torsion's angle by the step (in
        // radians) and keeps every bond length. Proline's φ, in its ring, has none.
        let s = build_peptide("AKP").unwrap();
        let t = &s.topology;
        let gens = generators(t);
        let labels: Vec<&str> = gens.iter().map(|g| g.label.as_str()).collect();
        assert!(labels.contains(&"psi ALA2") && labels.contains(&"phi LYS3"));
        assert!(!labels.contains(&"phi PRO4"), "{labels:?}");
        let h = 1e-5;
        for g in &gens {
            let tor = t.torsions.iter().find(|x| x.label == g.label).unwrap();
            let mut dir = vec![0.0; s.positions.len()];
            g.direction(&s.positions, &mut dir);
            let moved: Vec<f64> = (s.positions.iter().zip(&dir))
                .map(|(a, d)| a + h * d)
                .collect();
            let mut turned = dihedral_of(&moved, tor.atoms) - dihedral_of(&s.positions, tor.atoms);
            if turned.abs() > 180.0 {
                turned -= 360.0 * turned.signum();
            }
            let turned = turned.to_radians();
            assert!(
                (turned / h - 1.0).abs() < 1e-3,
                "{}: {}",
                g.label,
                turned / h
            );
            for &(i, j) in &t.bonds {
                let d = |x: &[f64]| {
                    ((0..3).map(|k| (x[3 * i + k] - x[3 * j + k]).powi(2))).sum::<f64>()
                };
                assert!((d(&moved) - d(&s.positions)).abs() < 1e-8);
            }
        }
    }

    #[test]
    fn the_excess_over_dsm_targets_is_zero_in_every_region_for_the_exact_score_only() {
        // Claim: for p(x) = N(x0, τ²) the smoothed density is N(x0, τ² + σ²), and the
        // exact score's excess over DSM's target (x − y)/σ² along φ averages to zero on
        // either side of x0 along φ's direction (a region of y, as a basin is).
        // Negative control: the score of a point mass at x0 smoothed by σ,
        // −(y − x0)/σ², 1.44× too steep here: its excess pulls back towards x0 on both
        // sides, yet over all frames it averages to zero, as the plain mean force of
        // any score does.
        use crate::rng::{fill_normal, seeded};
        let st = build_peptide("AK").unwrap();
        let (t, x0) = (&st.topology, &st.positions);
        let (tau, sigma) = (0.2f64, 0.3f64);
        let g = generators(t)
            .into_iter()
            .find(|g| g.label == "phi ALA2")
            .unwrap();
        let mut dir = vec![0.0; x0.len()];
        g.direction(x0, &mut dir);
        let mut rng = seeded(5);
        let (mut exact, mut steep): ([Vec<f64>; 2], [Vec<f64>; 2]) = Default::default();
        let (mut e1, mut e2) = (vec![0.0; x0.len()], vec![0.0; x0.len()]);
        for _ in 0..16_000 {
            fill_normal(&mut rng, &mut e1);
            fill_normal(&mut rng, &mut e2);
            let x: Vec<f64> = x0.iter().zip(&e1).map(|(a, e)| a + tau * e).collect();
            let y: Vec<f64> = x.iter().zip(&e2).map(|(a, e)| a + sigma * e).collect();
            let along: f64 = (y.iter().zip(x0).zip(&dir))
                .map(|((y, a), d)| (y - a) * d)
                .sum();
            let side = usize::from(along > 0.0);
            let target: Vec<f64> = x
                .iter()
                .zip(&y)
                .map(|(x, y)| (x - y) / (sigma * sigma))
                .collect();
            let score =
                |v: f64| -> Vec<f64> { y.iter().zip(x0).map(|(y, a)| -(y - a) / v).collect() };
            exact[side].push(g.excess(&y, &score(tau * tau + sigma * sigma), &target));
            steep[side].push(g.excess(&y, &score(sigma * sigma), &target));
        }
        for side in 0..2 {
            let (m, e) = mean_and_error(&exact[side]);
            assert!(m.abs() < 4.0 * e, "exact score, side {side}: {m} ± {e}");
            let (m, e) = mean_and_error(&steep[side]);
            let towards_x0 = if side == 1 { -m } else { m };
            assert!(towards_x0 > 6.0 * e, "steep score, side {side}: {m} ± {e}");
        }
        let all: Vec<f64> = steep.concat();
        let (m, e) = mean_and_error(&all);
        assert!(m.abs() < 4.0 * e, "the all-frame mean cancels: {m} ± {e}");
    }

    #[test]
    fn a_score_of_bond_lengths_has_no_force_along_a_torsion_and_one_along_it_has() {
        // Control: the score of a density of bond lengths alone (harmonic bonds about
        // 1.5 Å) is blind to torsions, so its force along each is zero; the direction
        // itself, taken as a score, has force |g|² along it.
        let s = build_peptide("AK").unwrap();
        let (t, x) = (&s.topology, &s.positions);
        let mut bonds = vec![0.0; x.len()];
        for &(i, j) in &t.bonds {
            let r: Vec<f64> = (0..3).map(|k| x[3 * i + k] - x[3 * j + k]).collect();
            let d = r.iter().map(|v| v * v).sum::<f64>().sqrt();
            for k in 0..3 {
                let f = -2.0 * (d - 1.5) * r[k] / d;
                bonds[3 * i + k] += f;
                bonds[3 * j + k] -= f;
            }
        }
        for g in generators(t) {
            assert!(g.force(x, &bonds).abs() < 1e-9, "{}", g.label);
            let mut dir = vec![0.0; x.len()];
            g.direction(x, &mut dir);
            let norm2: f64 = dir.iter().map(|v| v * v).sum();
            assert!((g.force(x, &dir) - norm2).abs() < 1e-9 && norm2 > 1.0);
        }
    }
}
