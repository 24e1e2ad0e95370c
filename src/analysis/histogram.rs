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
    /// Bin of v, or None outside [lo, hi). For angles use (−180, 180]: 180 maps to the last bin.
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

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Hist1d {
    pub range: Range,
    pub counts: Vec<f64>,
    /// Samples that fell outside the range.
    pub outside: f64,
}

impl Hist1d {
    pub fn new(range: Range) -> Self {
        Hist1d {
            range,
            counts: vec![0.0; range.bins],
            outside: 0.0,
        }
    }
    pub fn add(&mut self, v: f64) {
        self.add_weighted(v, 1.0)
    }
    pub fn add_weighted(&mut self, v: f64, w: f64) {
        match self.range.bin(v) {
            Some(b) => self.counts[b] += w,
            None => self.outside += w,
        }
    }
    pub fn total(&self) -> f64 {
        self.counts.iter().sum()
    }
    /// Probabilities over the in-range bins (sum 1; all zero if empty).
    pub fn normalized(&self) -> Vec<f64> {
        let t = self.total();
        self.counts
            .iter()
            .map(|c| if t > 0.0 { c / t } else { 0.0 })
            .collect()
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Hist2d {
    pub x: Range,
    pub y: Range,
    /// Row-major: counts[i * y.bins + j] for x-bin i, y-bin j.
    pub counts: Vec<f64>,
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
    pub fn total(&self) -> f64 {
        self.counts.iter().sum()
    }
    pub fn normalized(&self) -> Vec<f64> {
        let t = self.total();
        self.counts
            .iter()
            .map(|c| if t > 0.0 { c / t } else { 0.0 })
            .collect()
    }
    pub fn merge(&mut self, other: &Hist2d) {
        assert_eq!(
            self.counts.len(),
            other.counts.len(),
            "histograms must share bins"
        );
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.outside += other.outside;
    }
}
