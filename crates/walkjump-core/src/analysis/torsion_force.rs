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
