//! Normalised autocorrelation of a torsion's (cos, sin) and its decorrelation time.

/// C(k) = <(u_t − ū)·(u_{t+k} − ū)> / <|u_t − ū|²> for k = 0..=max_lag, averaged over
/// chains (each chain is a separate series of angles in degrees).
pub fn torsion_acf(chains: &[Vec<f64>], max_lag: usize) -> Vec<f64> {
    let vec_series: Vec<Vec<[f64; 2]>> = chains
        .iter()
        .map(|c| {
            c.iter()
                .map(|a| {
                    let r = a.to_radians();
                    [r.cos(), r.sin()]
                })
                .collect()
        })
        .collect();
    vector_acf(&vec_series, max_lag)
}

/// Autocorrelation of vector-valued series with a common mean over all chains.
pub fn vector_acf<const D: usize>(chains: &[Vec<[f64; D]>], max_lag: usize) -> Vec<f64> {
    let n: usize = chains.iter().map(|c| c.len()).sum();
    if n == 0 {
        return vec![];
    }
    let mut mean = [0.0; D];
    for c in chains {
        for u in c {
            for k in 0..D {
                mean[k] += u[k] / n as f64;
            }
        }
    }
    let dot = |a: &[f64; D], b: &[f64; D]| -> f64 {
        (0..D).map(|k| (a[k] - mean[k]) * (b[k] - mean[k])).sum()
    };
    let longest = chains.iter().map(|c| c.len()).max().unwrap_or(0);
    let max_lag = max_lag.min(longest.saturating_sub(1));
    let mut out = Vec::with_capacity(max_lag + 1);
    let mut c0 = 0.0;
    for lag in 0..=max_lag {
        let (mut s, mut cnt) = (0.0, 0usize);
        for c in chains {
            for t in 0..c.len().saturating_sub(lag) {
                s += dot(&c[t], &c[t + lag]);
                cnt += 1;
            }
        }
        let v = if cnt > 0 { s / cnt as f64 } else { 0.0 };
        if lag == 0 {
            c0 = v;
        }
        out.push(if c0 > 0.0 { v / c0 } else { 0.0 });
    }
    out
}

/// First lag at which the autocorrelation drops below 1/e; None if it never does.
pub fn decorrelation_time(acf: &[f64]) -> Option<usize> {
    let thr = (-1.0f64).exp();
    acf.iter().position(|&c| c < thr)
}

/// The most recent frames of each chain's torsion angles, at most `per_chain` of
/// them (fewer when many chains share [`WINDOW_TOTAL`]): what a live run keeps for its autocorrelations, so their cost and the memory
/// stay bounded however long it runs (the run file holds every frame).
/// Frames an [`AngleWindow`] holds over all chains, at most (beyond
/// [`WINDOW_MIN_PER_CHAIN`] a chain each, for runs of very many chains).
pub const WINDOW_TOTAL: usize = 65_536;
/// Frames each chain keeps however many chains share the window.
pub const WINDOW_MIN_PER_CHAIN: usize = 512;

#[derive(Debug, Clone)]
pub struct AngleWindow {
    per_chain: usize,
    /// chains[c] = angle frames of chain c, oldest first.
    chains: Vec<std::collections::VecDeque<Vec<f64>>>,
}

impl AngleWindow {
    pub fn new(per_chain: usize) -> Self {
        AngleWindow {
            per_chain: per_chain.max(1),
            chains: vec![],
        }
    }

    /// The next frame of `chain` (its torsion angles); drops that chain's oldest
    /// frame when the window is full.
    pub fn add(&mut self, chain: usize, angles: &[f64]) {
        if self.chains.len() <= chain {
            self.chains.resize(chain + 1, Default::default());
        }
        // Many chains share the total: each keeps at least enough for the lags.
        let limit = (WINDOW_TOTAL / self.chains.len())
            .clamp(WINDOW_MIN_PER_CHAIN.min(self.per_chain), self.per_chain);
        let c = &mut self.chains[chain];
        while c.len() >= limit {
            c.pop_front();
        }
        c.push_back(angles.to_vec());
    }

    /// Frames held, over all chains.
    pub fn len(&self) -> usize {
        self.chains.iter().map(|c| c.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The held series of torsion `t`, one per chain (the shape [`torsion_acf`] takes).
    pub fn torsion_series(&self, t: usize) -> Vec<Vec<f64>> {
        self.chains
            .iter()
            .map(|c| c.iter().map(|f| f[t]).collect())
            .collect()
    }

    /// Every held frame, chain by chain, oldest first.
    pub fn frames(&self) -> impl Iterator<Item = &[f64]> + '_ {
        self.chains.iter().flatten().map(|f| f.as_slice())
    }
}
