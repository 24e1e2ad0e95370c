//! Dihedral angles in degrees, in (−180, 180].

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// The IUPAC dihedral of four points: positive when, looking along p1→p2, p0 must turn
/// clockwise to eclipse p3.
pub fn dihedral(p0: [f64; 3], p1: [f64; 3], p2: [f64; 3], p3: [f64; 3]) -> f64 {
    let b0 = sub(p1, p0);
    let b1 = sub(p2, p1);
    let b2 = sub(p3, p2);
    let n1 = cross(b0, b1);
    let n2 = cross(b1, b2);
    let b1n = {
        let l = dot(b1, b1).sqrt();
        [b1[0] / l, b1[1] / l, b1[2] / l]
    };
    let x = dot(n1, n2);
    let y = dot(cross(n1, n2), b1n);
    let mut deg = y.atan2(x).to_degrees();
    if deg <= -180.0 {
        deg += 360.0;
    }
    deg
}

/// Dihedral of atoms `a` in a flat coordinate array.
pub fn dihedral_of(x: &[f64], a: [usize; 4]) -> f64 {
    let p = |i: usize| [x[3 * i], x[3 * i + 1], x[3 * i + 2]];
    dihedral(p(a[0]), p(a[1]), p(a[2]), p(a[3]))
}
