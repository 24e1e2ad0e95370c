//! Fixed-range histograms that accumulate incrementally.

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Range {
    pub lo: f64,
    pub hi: f64,
    pub bins: usize,
}

impl Range {
    pub fn new(lo: f64, hi: f64, bins: usize) -> Self {
        assert!(hi > lo && bins > 0, "histogram range must be non-empty");
        Range { lo, hi, bins }
    }
    /// Bins of a fixed width starting at `lo`.
    pub fn with_width(lo: f64, hi: f64, width: f64) -> Self {
        Range::new(lo, hi, ((hi - lo) / width).round() as usize)
    }
    pub fn width(&self) -> f64 {
        (self.hi - self.lo) / self.bins as f64
    }
    /// Bin of v, or None outside [lo, hi] (and for NaN); hi maps to the last bin, so
    /// angles in (−180, 180] all land in range.
    pub fn bin(&self, v: f64) -> Option<usize> {
        if !(v >= self.lo && v <= self.hi) {
            return None;
        }
        let b = ((v - self.lo) / self.width()) as usize;
        Some(b.min(self.bins - 1))
    }
    pub fn center(&self, b: usize) -> f64 {
        self.lo + (b as f64 + 0.5) * self.width()
    }
}

/// Every count of a histogram, the out-of-range ones included, so that a distance
/// between two histograms accounts for all the mass (DESIGN.md, "All the mass
/// counts"): a sample outside the range lands in a bin of its own and raises the
/// distance instead of vanishing.
pub trait AllMass {
    /// The in-range bins and the out-of-range bins, in a fixed order.
    fn all_mass(&self) -> Vec<f64>;
    /// Whether `other` has the same bins (a distance needs that).
    fn same_bins(&self, other: &Self) -> bool;
    /// Every sample, in range or not.
    fn mass(&self) -> f64 {
        self.all_mass().iter().sum()
    }
    /// The fraction of all samples outside the range (0 if empty).
    fn outside_fraction(&self) -> f64;
}

/// A 1-D histogram with explicit underflow (below `lo`) and overflow (above `hi`,
/// and NaN) counts.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Hist1d {
    pub range: Range,
    pub counts: Vec<f64>,
    /// Samples below the range.
    pub under: f64,
    /// Samples above the range, and NaN.
    pub over: f64,
}

impl Hist1d {
    pub fn new(range: Range) -> Self {
        Hist1d {
            range,
            counts: vec![0.0; range.bins],
            under: 0.0,
            over: 0.0,
        }
    }
    pub fn add(&mut self, v: f64) {
        self.add_weighted(v, 1.0)
    }
    pub fn add_weighted(&mut self, v: f64, w: f64) {
        match self.range.bin(v) {
            Some(b) => self.counts[b] += w,
            None if v < self.range.lo => self.under += w,
            None => self.over += w,
        }
    }
    /// A histogram of `values` on `range`.
    pub fn of(range: Range, values: &[f64]) -> Self {
        let mut h = Hist1d::new(range);
        values.iter().for_each(|&v| h.add(v));
        h
    }
    /// Samples outside the range (under + over).
    pub fn outside(&self) -> f64 {
        self.under + self.over
    }
    /// The in-range samples.
    pub fn total(&self) -> f64 {
        self.counts.iter().sum()
    }
    /// Probabilities over the in-range bins (sum 1; all zero if empty). For pictures;
    /// distances use [`AllMass`].
    pub fn normalized(&self) -> Vec<f64> {
        super::divergence::normalize(&self.counts)
    }
    /// (bin centre, density) with the density normalised by all samples, those out of
    /// range included, so the curve's area is the fraction in range.
    pub fn density(&self) -> Vec<[f64; 2]> {
        let m = self.mass();
        let w = self.range.width();
        self.counts
            .iter()
            .enumerate()
            .map(|(b, c)| {
                let y = if m > 0.0 { c / (m * w) } else { 0.0 };
                [self.range.center(b), y]
            })
            .collect()
    }
    /// Fraction of all samples below the range.
    pub fn below_fraction(&self) -> f64 {
        fraction(self.under, self.mass())
    }
    /// Fraction of all samples above the range (NaN included).
    pub fn above_fraction(&self) -> f64 {
        fraction(self.over, self.mass())
    }
    pub fn merge(&mut self, other: &Hist1d) {
        assert!(self.same_bins(other), "histograms must share bins");
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.under += other.under;
        self.over += other.over;
    }
}

fn fraction(part: f64, all: f64) -> f64 {
    if all > 0.0 {
        part / all
    } else {
        0.0
    }
}

impl AllMass for Hist1d {
    /// [under, bins…, over].
    fn all_mass(&self) -> Vec<f64> {
        let mut v = Vec::with_capacity(self.counts.len() + 2);
        v.push(self.under);
        v.extend_from_slice(&self.counts);
        v.push(self.over);
        v
    }
    fn same_bins(&self, other: &Self) -> bool {
        self.range == other.range
    }
    fn outside_fraction(&self) -> f64 {
        fraction(self.outside(), self.mass())
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Hist2d {
    pub x: Range,
    pub y: Range,
    /// Row-major: counts[i * y.bins + j] for x-bin i, y-bin j.
    pub counts: Vec<f64>,
    /// Samples outside the range on either axis, and NaN.
    pub outside: f64,
}

impl Hist2d {
    pub fn new(x: Range, y: Range) -> Self {
        Hist2d {
            x,
            y,
            counts: vec![0.0; x.bins * y.bins],
            outside: 0.0,
        }
    }
    pub fn add(&mut self, a: f64, b: f64) {
        self.add_weighted(a, b, 1.0)
    }
    pub fn add_weighted(&mut self, a: f64, b: f64, w: f64) {
        match (self.x.bin(a), self.y.bin(b)) {
            (Some(i), Some(j)) => self.counts[i * self.y.bins + j] += w,
            _ => self.outside += w,
        }
    }
    /// The in-range samples.
    pub fn total(&self) -> f64 {
        self.counts.iter().sum()
    }
    /// Probabilities over the in-range bins. For pictures; distances use [`AllMass`].
    pub fn normalized(&self) -> Vec<f64> {
        super::divergence::normalize(&self.counts)
    }
    pub fn merge(&mut self, other: &Hist2d) {
        assert!(self.same_bins(other), "histograms must share bins");
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.outside += other.outside;
    }
}

impl AllMass for Hist2d {
    /// [bins…, outside].
    fn all_mass(&self) -> Vec<f64> {
        let mut v = self.counts.clone();
        v.push(self.outside);
        v
    }
    fn same_bins(&self, other: &Self) -> bool {
        self.x == other.x && self.y == other.y
    }
    fn outside_fraction(&self) -> f64 {
        fraction(self.outside, self.mass())
    }
}
