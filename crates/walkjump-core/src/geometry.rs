//! Rigid-body helpers on flat 3-D coordinates (x0 y0 z0 x1 ...), and the slicing of
//! many chains' coordinates laid end to end.

/// Chain `c`'s `dim` coordinates in a flat array of all chains.
pub fn chain_slice(all: &[f64], dim: usize, c: usize) -> &[f64] {
    &all[c * dim..(c + 1) * dim]
}

/// As [`chain_slice`], mutable.
pub fn chain_slice_mut(all: &mut [f64], dim: usize, c: usize) -> &mut [f64] {
    &mut all[c * dim..(c + 1) * dim]
}

use nalgebra::{Matrix3, Vector3};

/// Subtract the centroid in place; returns it.
pub fn centre(p: &mut [f64]) -> [f64; 3] {
    let n = (p.len() / 3).max(1) as f64;
    let mut c = [0.0; 3];
    for a in p.chunks(3) {
        for k in 0..3 {
            c[k] += a[k] / n;
        }
    }
    for a in p.chunks_mut(3) {
        for k in 0..3 {
            a[k] -= c[k];
        }
    }
    c
}

/// The proper rotation R minimising Σ |R mobile_i − target_i|² for two centred sets (Kabsch).
pub fn kabsch(mobile: &[f64], target: &[f64]) -> Matrix3<f64> {
    kabsch_overlap(mobile, target).0
}

/// [`kabsch`]'s rotation R and the overlap it reaches, Σ (R mobile_i)·target_i, so that
/// the aligned squared distance is |mobile|² + |target|² − 2·overlap.
pub fn kabsch_overlap(mobile: &[f64], target: &[f64]) -> (Matrix3<f64>, f64) {
    let mut h = Matrix3::zeros();
    for (m, t) in mobile.chunks(3).zip(target.chunks(3)) {
        h += Vector3::new(m[0], m[1], m[2]) * Vector3::new(t[0], t[1], t[2]).transpose();
    }
    let svd = h.svd(true, true);
    let (u, v_t) = (svd.u.expect("u requested"), svd.v_t.expect("v requested"));
    let v = v_t.transpose();
    // Flip the weakest axis (wherever the SVD puts it) if needed, so that R is a
    // rotation, never a reflection.
    let s = svd.singular_values;
    let mut fix = Vector3::new(1.0, 1.0, 1.0);
    if (v * u.transpose()).determinant() < 0.0 {
        fix[s.imin()] = -1.0;
    }
    (
        v * Matrix3::from_diagonal(&fix) * u.transpose(),
        s.dot(&fix),
    )
}

/// Apply a 3×3 matrix to every point in place.
pub fn rotate(p: &mut [f64], r: &Matrix3<f64>) {
    for a in p.chunks_mut(3) {
        let v = r * Vector3::new(a[0], a[1], a[2]);
        a.copy_from_slice(v.as_slice());
    }
}

/// Root-mean-square deviation between two sets of points (no alignment).
pub fn rmsd(a: &[f64], b: &[f64]) -> f64 {
    let n = (a.len() / 3).max(1) as f64;
    (a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>() / n).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::Rotation3;

    #[test]
    fn kabsch_recovers_a_rotation() {
        let mut x = vec![0.0, 0.0, 0.0, 1.5, 0.0, 0.0, 1.8, 1.2, 0.0, 2.9, 1.4, 0.9];
        centre(&mut x);
        let r = Rotation3::from_euler_angles(0.3, -1.1, 2.0).into_inner();
        let mut y = x.clone();
        rotate(&mut y, &r);
        let est = kabsch(&y, &x);
        rotate(&mut y, &est);
        assert!(rmsd(&x, &y) < 1e-10);
        assert!((est.determinant() - 1.0).abs() < 1e-10);
    }
}
