//! Energy histograms of samples against a reference: one implementation for
//! `walkjump analyze`, the app's energy panel and the figure export.
//!
//! The range is fixed by the reference (its finite min..max, padded by
//! [`ENERGY_PAD`] of the span on each side) and everything outside it lands in the
//! under/overflow bins, which count in every distance. So one clash with a huge
//! energy moves 1/n of the mass into the overflow bin instead of squeezing all other
//! samples into one bin (which made the TVD fall toward 0 when the range was the
//! min..max of both sets). Without a reference the samples' own range is used
//! (there is nothing to compare with).

use super::divergence::histogram_tvd;
use super::histogram::{Hist1d, Range};

/// Bins over the (padded) reference range.
pub const ENERGY_BINS: usize = 50;
/// Padding on each side of the reference's min..max, as a fraction of its span.
pub const ENERGY_PAD: f64 = 0.05;

/// The binning for energies: the finite min..max of `values`, padded by
/// [`ENERGY_PAD`] of the span on each side, in [`ENERGY_BINS`] bins; None when no
/// value is finite.
pub fn energy_range(values: &[f64]) -> Option<Range> {
    let (lo, hi) = values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &u| {
            (a.min(u), b.max(u))
        });
    if lo > hi {
        return None;
    }
    let pad = if hi > lo {
        ENERGY_PAD * (hi - lo)
    } else {
        0.5 * lo.abs().max(1.0)
    };
    Some(Range::new(lo - pad, hi + pad, ENERGY_BINS))
}

/// Energy histograms of the samples and (where there is one) the reference, on one
/// range fixed by the reference.
#[derive(Debug, Clone)]
pub struct EnergyHistograms {
    pub samples: Hist1d,
    pub reference: Option<Hist1d>,
}

impl EnergyHistograms {
    /// TVD over all the mass (under/overflow included), when there is a reference.
    pub fn tvd(&self) -> Option<f64> {
        self.reference
            .as_ref()
            .map(|r| histogram_tvd(&self.samples, r))
    }
}

/// Histograms of `samples` and `reference` energies: the range comes from the
/// reference when it has a finite value, else from the samples (else 0..1).
pub fn energy_histograms(samples: &[f64], reference: &[f64]) -> EnergyHistograms {
    let range = energy_range(reference)
        .or_else(|| energy_range(samples))
        .unwrap_or_else(|| Range::new(0.0, 1.0, ENERGY_BINS));
    EnergyHistograms {
        samples: Hist1d::of(range, samples),
        reference: (!reference.is_empty()).then(|| Hist1d::of(range, reference)),
    }
}

/// Energies kept before the samples fix their own range (no reference yet): an LJ
/// cluster's reference MD comes within seconds, long before this many.
pub const ENERGY_WARMUP: usize = 50_000;

/// The energy histogram of a live run at O(1) cost per sample: once its range is
/// fixed, each energy goes straight into the bins and is not kept.
///
/// The range is the one [`energy_histograms`] would choose: the reference's when there
/// is one. Until a reference comes the energies are held (at most
/// [`ENERGY_WARMUP`]) and binned on their own range, as the batch code does; past
/// that the samples' range is fixed for good, and a reference that arrives later is
/// binned on it (so its own extremes may land in the under/overflow bins, where they
/// count like any sample's).
#[derive(Debug, Clone, Default)]
pub struct EnergyAccumulator {
    held: Vec<f64>,
    samples: Option<Hist1d>,
    reference: Option<Hist1d>,
    /// The reference's energies, so a cleared run bins on the reference's own range.
    reference_values: Vec<f64>,
}

impl EnergyAccumulator {
    pub fn add(&mut self, u: f64) {
        match self.samples.as_mut() {
            Some(h) => h.add(u),
            None => {
                self.held.push(u);
                if self.held.len() >= ENERGY_WARMUP {
                    let range = energy_range(&self.held)
                        .unwrap_or_else(|| Range::new(0.0, 1.0, ENERGY_BINS));
                    self.samples = Some(Hist1d::of(range, &std::mem::take(&mut self.held)));
                }
            }
        }
    }

    /// The reference's energies: they fix the range unless the samples already did.
    pub fn set_reference(&mut self, reference: &[f64]) {
        if reference.is_empty() {
            return;
        }
        let range = match &self.samples {
            Some(h) => h.range,
            None => energy_range(reference)
                .or_else(|| energy_range(&self.held))
                .unwrap_or_else(|| Range::new(0.0, 1.0, ENERGY_BINS)),
        };
        if self.samples.is_none() {
            self.samples = Some(Hist1d::of(range, &std::mem::take(&mut self.held)));
        }
        self.reference = Some(Hist1d::of(range, reference));
        self.reference_values = reference.to_vec();
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
            && self
                .samples
                .as_ref()
                .is_none_or(|h| h.total() + h.outside() == 0.0)
    }

    /// The histograms as [`energy_histograms`] gives them for the same energies.
    pub fn histograms(&self) -> EnergyHistograms {
        match &self.samples {
            Some(h) => EnergyHistograms {
                samples: h.clone(),
                reference: self.reference.clone(),
            },
            None => energy_histograms(&self.held, &[]),
        }
    }

    /// A fresh accumulator that keeps the reference (and its range).
    pub fn cleared(&self) -> Self {
        let mut fresh = Self::default();
        fresh.set_reference(&self.reference_values);
        fresh
    }
}
