//! Distances between histograms, exactly as DESIGN.md defines them.

fn normalize(p: &[f64]) -> Vec<f64> {
    let t: f64 = p.iter().sum();
    p.iter()
        .map(|v| if t > 0.0 { v / t } else { 0.0 })
        .collect()
}

/// Jensen–Shannon distance √JSD, log base 2, on normalised histograms floored at 1e-10:
/// 0 for identical, 1 for disjoint.
pub fn jensen_shannon_distance(p: &[f64], q: &[f64]) -> f64 {
    assert_eq!(p.len(), q.len(), "histograms must share bins");
    let floor = |v: Vec<f64>| normalize(&v.into_iter().map(|x| x.max(1e-10)).collect::<Vec<_>>());
    let p = floor(normalize(p));
    let q = floor(normalize(q));
    let mut jsd = 0.0;
    for (a, b) in p.iter().zip(&q) {
        let m = 0.5 * (a + b);
        jsd += 0.5 * a * (a / m).log2() + 0.5 * b * (b / m).log2();
    }
    jsd.max(0.0).sqrt()
}

/// Total variation distance ½ Σ |p − q| of the normalised histograms.
pub fn tvd(p: &[f64], q: &[f64]) -> f64 {
    assert_eq!(p.len(), q.len(), "histograms must share bins");
    let (p, q) = (normalize(p), normalize(q));
    0.5 * p.iter().zip(&q).map(|(a, b)| (a - b).abs()).sum::<f64>()
}

/// Mean absolute error between the normalised densities (per unit width `w`).
pub fn mae(p: &[f64], q: &[f64], w: f64) -> f64 {
    assert_eq!(p.len(), q.len(), "histograms must share bins");
    let (p, q) = (normalize(p), normalize(q));
    p.iter()
        .zip(&q)
        .map(|(a, b)| (a - b).abs() / w)
        .sum::<f64>()
        / p.len() as f64
}
