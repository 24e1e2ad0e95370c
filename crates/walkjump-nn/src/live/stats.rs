//! Statistics of a live run, accumulated on the sampler thread as jumps arrive, and
//! the plain-data views of them that are sent to the GUI.

use std::path::{Path, PathBuf};
use walkjump_core::analysis::acf::{torsion_acf, AngleWindow};
use walkjump_core::analysis::basin::hist_core_fractions;
use walkjump_core::analysis::divergence::{histogram_jsd, histogram_tvd};
use walkjump_core::analysis::energy::EnergyAccumulator;
use walkjump_core::analysis::histogram::{AllMass, Hist1d, Hist2d};
use walkjump_core::analysis::peptide::{PeptideEnsemble, RAMA_PLOT_BINS};
use walkjump_core::analysis::rdf::PairDistanceHistogram;
use walkjump_core::analysis::tica::{
    fit_on_ensemble, histogram_of, project_angles, project_ensemble, projection_bins, Tica,
    TicaAccumulator, TICA_BINS,
};
use walkjump_core::error::Result;
use walkjump_core::molecule::TorsionKind;
use walkjump_core::plots::{self, Heatmap};

/// Ramachandran of one residue: 72 × 72 plot bins (row-major, φ rows, ψ columns).
#[derive(Debug, Clone, serde::Serialize)]
pub struct RamaView {
    pub residue: String,
    pub bins: usize,
    pub counts: Vec<f64>,
    pub reference: Option<Vec<f64>>,
    /// Current Jensen–Shannon distance on the 18 × 18 metric bins.
    pub jsd: Option<f64>,
    /// This residue's torsions (φ, ψ and χ1 where the side chain has one).
    pub torsions: Vec<TorsionStat>,
    /// Share of the samples in which this residue has a wrong hand: a D Cα, or an
    /// allo Cβ (Ile, Thr); None for GLY.
    pub d_fraction: Option<f64>,
    /// Walk moves the chirality guard rejected because this residue's jump turned
    /// D or allo (the walk fills it in; None without a guard or for GLY). With a guard the D
    /// share is 0 by construction, and this is where the model's mirror basin shows.
    pub guard_rejections: Option<usize>,
    /// Shares of the samples in the β/PII, αR and αL cores (`analysis::basin`), and
    /// the reference's: where a JSD says "different", these say which way.
    pub basins: [f64; 3],
    pub reference_basins: Option<[f64; 3]>,
}

/// One torsion of a residue and its 36-bin Jensen–Shannon distance to the reference
/// (over all the mass; None without a reference).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TorsionStat {
    pub kind: TorsionKind,
    pub jsd: Option<f64>,
}

impl TorsionStat {
    /// "φ", "ψ" or "χ1".
    pub fn symbol(&self) -> &'static str {
        match self.kind {
            TorsionKind::Phi => "φ",
            TorsionKind::Psi => "ψ",
            TorsionKind::Chi1 => "χ1",
        }
    }
}

/// TIC 0/1 density of the samples alone, TICA fitted on the samples: what the TICA
/// panel shows while there is no reference (DESIGN.md: fit on the reference when there
/// is one, else on the samples). Refitted now and then, so its axes may change.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SampleTicaView {
    pub bins: usize,
    pub counts: Vec<f64>,
    /// Samples the density is from: the most recent ones ([`WINDOW_PER_CHAIN`] per chain).
    pub samples: usize,
    /// Samples the fit is from: all of them.
    pub fitted_on: usize,
}

/// A 1-D histogram of the samples, with under/overflow, and the reference on the
/// same bins where there is one. Densities come from [`Hist1d::density`], normalised
/// by all samples, so mass outside the range shows as a lower curve.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HistogramView {
    pub samples: Hist1d,
    pub reference: Option<Hist1d>,
    /// TVD to the reference over all the mass (out-of-range bins included).
    pub tvd: Option<f64>,
}

/// TIC 0/1 density (20 × 20, row-major by TIC 0) of the samples and the reference,
/// with TICA fitted on the reference and the bins over the reference's range.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TicaView {
    pub bins: usize,
    pub counts: Vec<f64>,
    pub reference: Vec<f64>,
    /// Jensen–Shannon distance over all the mass (samples outside the range included).
    pub jsd: f64,
    /// Fraction of the samples outside the reference's TIC 0/1 range.
    pub outside: f64,
    /// Samples in the density. Every kept one while the reference stays the same;
    /// after a new reference (a growing reference MD) the density restarts from the
    /// recent window ([`WINDOW_PER_CHAIN`] per chain) and every sample since.
    pub samples: usize,
}

/// A fraction as a percentage for a title: two decimals below 1 %, else one.
pub fn percent(f: f64) -> String {
    if 100.0 * f < 1.0 {
        format!("{:.2} %", 100.0 * f)
    } else {
        format!("{:.1} %", 100.0 * f)
    }
}

impl HistogramView {
    pub fn lo(&self) -> f64 {
        self.samples.range.lo
    }
    pub fn hi(&self) -> f64 {
        self.samples.range.hi
    }
    /// How many samples lie outside the range, e.g. "3.1 % above range" or
    /// "0.20 % below range, 3.1 % above range"; None when all are in range.
    pub fn outside_note(&self) -> Option<String> {
        let (b, a) = (self.samples.below_fraction(), self.samples.above_fraction());
        let mut parts = vec![];
        if b > 0.0 {
            parts.push(format!("{} below range", percent(b)));
        }
        if a > 0.0 {
            parts.push(format!("{} above range", percent(a)));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
    /// "TVD 0.123, 3.1 % above range", the parts that apply, or "".
    pub fn summary(&self) -> String {
        let mut parts = vec![];
        if let Some(t) = self.tvd {
            parts.push(format!("TVD {t:.3}"));
        }
        parts.extend(self.outside_note());
        parts.join(", ")
    }
}

impl TicaView {
    /// "JSD 0.123, 4.0 % outside the reference's range" (the range part when non-zero).
    pub fn summary(&self) -> String {
        let mut s = format!("JSD {:.3}", self.jsd);
        if self.outside > 0.0 {
            s.push_str(&format!(
                ", {} outside the reference's range",
                percent(self.outside)
            ));
        }
        s
    }
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct StatsView {
    pub rama: Vec<RamaView>,
    /// Mean over residues of the Ramachandran JSD (DESIGN.md), with a reference.
    pub rama_jsd_mean: Option<f64>,
    pub tica: Option<TicaView>,
    /// Without a reference: TICA of the samples on themselves.
    pub tica_samples: Option<SampleTicaView>,
    /// (kept samples, mean Ramachandran JSD over residues) as the run went on.
    pub jsd_history: Vec<(usize, f64)>,
    pub h_r: Option<HistogramView>,
    pub energy: Option<HistogramView>,
    /// (label, autocorrelation by lag in jump steps).
    pub acf: Vec<(String, Vec<f64>)>,
}

const ACF_MAX_LAG: usize = 200;
/// Frames per chain the live run keeps for the autocorrelations, the samples' own
/// TICA density and re-projection onto a new reference: bounded, so neither the
/// memory nor the cost of a refresh grows with the run (the run file has them all).
pub const WINDOW_PER_CHAIN: usize = 4096;
/// TICA lag in frames, as `walkjump analyze` uses by default.
const TICA_LAG: usize = 10;

#[derive(Clone)]
struct LiveTica {
    tica: Tica,
    sample: Hist2d,
    reference: Hist2d,
}

impl LiveTica {
    fn fit(reference: &PeptideEnsemble) -> Option<Self> {
        let tica = fit_on_ensemble(reference, TICA_LAG).ok()?;
        let pr = project_ensemble(reference, &tica);
        let (xr, yr) = projection_bins(&pr);
        Some(LiveTica {
            reference: histogram_of(&pr, xr, yr),
            sample: Hist2d::new(xr, yr),
            tica,
        })
    }
}

/// Every statistic of a live run, each updated in O(1) per kept jump (histograms,
/// the TICA accumulator) or over a bounded window (autocorrelations): a run that
/// goes on for hours costs per jump and in memory what it cost in its first minute.
pub struct LiveStats {
    /// The samples' ensemble (histograms only: no per-frame series) and the reference.
    peptide: Option<(PeptideEnsemble, Option<PeptideEnsemble>)>,
    /// The latest torsion angles of each chain.
    window: AngleWindow,
    tica: Option<LiveTica>,
    /// Without a reference: TICA fitted on every sample so far, incrementally.
    sample_tica: Option<TicaAccumulator>,
    /// Without a reference: TIC 0/1 of the recent samples under that fit (refitted
    /// with the autocorrelations, see [`Self::update_acf`]).
    tica_samples: Option<Hist2d>,
    h_r: Option<(PairDistanceHistogram, Option<Hist1d>)>,
    energy: EnergyAccumulator,
    jsd_history: Vec<(usize, f64)>,
    next_jsd_at: usize,
    acf: Vec<(String, Vec<f64>)>,
    pub kept: usize,
}

impl LiveStats {
    /// Statistics of a peptide's samples (`ensemble` should be empty; its per-frame
    /// series is switched off) against an optional reference.
    pub fn peptide(ensemble: PeptideEnsemble, reference: Option<PeptideEnsemble>) -> Self {
        Self::empty(Some((ensemble.without_series(), reference)), None)
    }

    pub fn cluster(n_atoms: usize) -> Self {
        Self::empty(None, Some((PairDistanceHistogram::new(n_atoms), None)))
    }

    fn empty(
        peptide: Option<(PeptideEnsemble, Option<PeptideEnsemble>)>,
        h_r: Option<(PairDistanceHistogram, Option<Hist1d>)>,
    ) -> Self {
        let tica = peptide
            .as_ref()
            .and_then(|(_, r)| r.as_ref())
            .and_then(LiveTica::fit);
        let sample_tica = peptide
            .as_ref()
            .map(|(e, _)| TicaAccumulator::new(e.tica_dim(), TICA_LAG));
        LiveStats {
            peptide,
            window: AngleWindow::new(WINDOW_PER_CHAIN),
            tica,
            sample_tica,
            tica_samples: None,
            h_r,
            energy: EnergyAccumulator::default(),
            jsd_history: vec![],
            next_jsd_at: 64,
            acf: vec![],
            kept: 0,
        }
    }

    /// A fresh accumulator for the same system, keeping the reference.
    pub fn cleared(&self) -> Self {
        let peptide = self.peptide.as_ref().map(|(e, r)| {
            let top = &e.topology;
            (PeptideEnsemble::new(top).without_series(), r.clone())
        });
        let h_r = self.h_r.as_ref().map(|(h, r)| {
            let mut fresh = h.clone();
            fresh.hist = Hist1d::new(h.hist.range);
            (fresh, r.clone())
        });
        let mut s = Self::empty(peptide, h_r);
        s.energy = self.energy.cleared();
        s
    }

    /// A new reference (a file, or a reference MD that grew): the samples so far are
    /// kept and compared against it, TICA is refitted on it and the recent window of
    /// samples projected anew (every later sample joins it); the JSD history restarts
    /// from the samples now kept.
    pub fn set_peptide_reference(&mut self, reference: PeptideEnsemble) {
        self.tica = LiveTica::fit(&reference);
        self.tica_samples = None;
        if let (Some(t), Some((e, _))) = (self.tica.as_mut(), self.peptide.as_ref()) {
            for angles in self.window.frames() {
                let p = project_angles(&t.tica, e, angles);
                t.sample.add(p[0], p[1]);
            }
        }
        if let Some((_, r)) = self.peptide.as_mut() {
            *r = Some(reference);
        }
        self.jsd_history.clear();
        self.next_jsd_at = 64.max(self.kept + 1);
        if self.kept > 0 {
            if let Some(j) = self.rama_jsd() {
                self.jsd_history.push((self.kept, j));
            }
        }
    }

    /// The MD reference of a cluster: its h(r) histogram (with its under/overflow, on
    /// the same bins as the samples') and its energies.
    pub fn set_cluster_reference(&mut self, h_r: Hist1d, energies: Vec<f64>) {
        if let Some((_, r)) = self.h_r.as_mut() {
            *r = Some(h_r);
        }
        self.energy.set_reference(&energies);
    }

    pub fn has_reference(&self) -> bool {
        match (&self.peptide, &self.h_r) {
            (Some((_, r)), _) => r.is_some(),
            (_, Some((_, r))) => r.is_some(),
            _ => false,
        }
    }

    /// One kept jump of chain `chain`, with its energy where the energy is known.
    pub fn add(&mut self, chain: usize, x: &[f64], energy: Option<f64>) {
        if let Some((e, _)) = self.peptide.as_mut() {
            let angles = e.add(chain, x);
            if let Some(t) = self.tica.as_mut() {
                let p = project_angles(&t.tica, e, &angles);
                t.sample.add(p[0], p[1]);
            }
            // The samples' own TICA is only shown without a reference.
            if let (Some(acc), None) = (self.sample_tica.as_mut(), self.tica.as_ref()) {
                acc.add(chain, &e.tica_features(&angles));
            }
            self.window.add(chain, &angles);
        }
        if let Some((h, _)) = self.h_r.as_mut() {
            h.add_frame(x);
        }
        if let Some(u) = energy {
            self.energy.add(u);
        }
        self.kept += 1;
        if self.kept >= self.next_jsd_at {
            self.next_jsd_at = (self.next_jsd_at as f64 * 1.15) as usize + 1;
            if let Some(j) = self.rama_jsd() {
                self.jsd_history.push((self.kept, j));
            }
        }
    }

    /// Frames of torsion angles held in the recent window (at most
    /// [`WINDOW_PER_CHAIN`] per chain): the only per-frame data a live run keeps.
    pub fn held_frames(&self) -> usize {
        self.window.len()
    }

    /// Mean over residues of the 18 × 18 Ramachandran JSD (DESIGN.md).
    fn rama_jsd(&self) -> Option<f64> {
        let (e, r) = self.peptide.as_ref()?;
        let r = r.as_ref()?;
        let n = e.rama.len();
        (n > 0).then(|| {
            e.rama
                .iter()
                .zip(&r.rama)
                .map(|(a, b)| histogram_jsd(a, b))
                .sum::<f64>()
                / n as f64
        })
    }

    /// Recompute the autocorrelations over the recent window and, without a
    /// reference, the samples' own TICA (fitted on all samples, the density of the
    /// window). Its cost is bounded by the window, not the run: call it now and then.
    pub fn update_acf(&mut self) {
        let Some((e, r)) = self.peptide.as_ref() else {
            return;
        };
        if r.is_none() {
            // Until there are enough lagged pairs the fit fails and the panel waits.
            self.tica_samples = self
                .sample_tica
                .as_ref()
                .and_then(|acc| acc.fit().ok())
                .map(|t| {
                    let p: Vec<[f64; 2]> = self
                        .window
                        .frames()
                        .map(|a| project_angles(&t, e, a))
                        .collect();
                    let (xr, yr) = projection_bins(&p);
                    histogram_of(&p, xr, yr)
                });
        }
        self.acf = e
            .topology
            .torsions
            .iter()
            .enumerate()
            .filter(|(_, t)| matches!(t.kind, TorsionKind::Phi | TorsionKind::Psi))
            .map(|(i, t)| {
                (
                    t.label.clone(),
                    torsion_acf(&self.window.torsion_series(i), ACF_MAX_LAG),
                )
            })
            .collect();
    }

    pub fn view(&self) -> StatsView {
        let rama = match &self.peptide {
            Some((e, r)) => {
                let d = e.d_fractions();
                e.rama_plot
                    .iter()
                    .enumerate()
                    .map(|(k, h)| {
                        let (phi, _, label) = &e.rama_pairs[k];
                        let ri = e.topology.torsions[*phi].residue;
                        RamaView {
                            residue: label.clone(),
                            bins: RAMA_PLOT_BINS,
                            counts: h.counts.clone(),
                            reference: r.as_ref().map(|r| r.rama_plot[k].counts.clone()),
                            jsd: r.as_ref().map(|r| histogram_jsd(&e.rama[k], &r.rama[k])),
                            torsions: e
                                .topology
                                .torsions
                                .iter()
                                .enumerate()
                                .filter(|(_, t)| t.residue == ri)
                                .map(|(i, t)| TorsionStat {
                                    kind: t.kind,
                                    jsd: r.as_ref().map(|r| {
                                        histogram_jsd(&e.torsion_hists[i], &r.torsion_hists[i])
                                    }),
                                })
                                .collect(),
                            d_fraction: (e.centres.iter())
                                .position(|c| c.residue == ri)
                                .map(|c| d[c]),
                            guard_rejections: None,
                            basins: hist_core_fractions(h),
                            reference_basins: r
                                .as_ref()
                                .map(|r| hist_core_fractions(&r.rama_plot[k])),
                        }
                    })
                    .collect()
            }
            None => vec![],
        };
        let h_r = self.h_r.as_ref().map(|(h, r)| HistogramView {
            samples: h.hist.clone(),
            reference: r.clone(),
            tvd: r.as_ref().map(|r| histogram_tvd(&h.hist, r)),
        });
        let tica = self.tica.as_ref().map(|t| TicaView {
            bins: TICA_BINS,
            counts: t.sample.counts.clone(),
            reference: t.reference.counts.clone(),
            jsd: histogram_jsd(&t.sample, &t.reference),
            outside: t.sample.outside_fraction(),
            samples: t.sample.mass() as usize,
        });
        StatsView {
            rama,
            rama_jsd_mean: self.rama_jsd(),
            tica,
            tica_samples: self.tica_samples.as_ref().map(|h| SampleTicaView {
                bins: TICA_BINS,
                counts: h.counts.clone(),
                samples: h.mass() as usize,
                fitted_on: self.sample_tica.as_ref().map_or(0, |a| a.frames()),
            }),
            jsd_history: self.jsd_history.clone(),
            h_r,
            energy: self.energy_view(),
            acf: self.acf.clone(),
        }
    }

    /// Energies of the samples against the reference's, on the range the reference
    /// fixes as `walkjump analyze` does (see [`EnergyAccumulator`] for a reference
    /// that comes only after its warm-up).
    fn energy_view(&self) -> Option<HistogramView> {
        if self.energy.is_empty() {
            return None;
        }
        let h = self.energy.histograms();
        Some(HistogramView {
            tvd: h.tvd(),
            samples: h.samples,
            reference: h.reference,
        })
    }

    /// Write every panel as a figure (`ext` is png or svg) into `dir`; returns the files.
    pub fn export(&self, dir: &Path, ext: &str) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).map_err(|e| walkjump_core::error::Error::write(dir, e))?;
        let mut out = vec![];
        let view = self.view();
        let file = |name: &str| dir.join(format!("{name}.{ext}"));
        if let Some((e, r)) = &self.peptide {
            let mut panels = Heatmap::ramachandran(e, "walk-jump");
            if let Some(r) = r {
                panels.extend(Heatmap::ramachandran(r, "reference"));
            }
            let p = file("ramachandran");
            plots::heatmaps(&p, &panels)?;
            out.push(p);
        }
        if let Some(t) = &self.tica {
            let p = file("tica");
            let walk_title = match &view.tica {
                Some(v) => format!("TICA walk-jump ({})", v.summary()),
                None => "TICA walk-jump".to_string(),
            };
            let panel = |title: &str, hist| Heatmap {
                title: title.to_string(),
                hist,
                xlabel: "TIC 0",
                ylabel: "TIC 1",
                free_energy: true,
            };
            plots::heatmaps(
                &p,
                &[
                    panel(&walk_title, &t.sample),
                    panel("TICA reference", &t.reference),
                ],
            )?;
            out.push(p);
        } else if let Some(h) = &self.tica_samples {
            let p = file("tica");
            plots::heatmaps(
                &p,
                &[Heatmap {
                    title: "TICA walk-jump (fitted on the samples, no reference)".into(),
                    hist: h,
                    xlabel: "TIC 0",
                    ylabel: "TIC 1",
                    free_energy: true,
                }],
            )?;
            out.push(p);
        }
        let curve = |v: Vec<[f64; 2]>| v.into_iter().map(|p| (p[0], p[1])).collect::<Vec<_>>();
        if !self.jsd_history.is_empty() {
            let p = file("jsd");
            let pts = self
                .jsd_history
                .iter()
                .map(|&(n, j)| [n as f64, j])
                .collect();
            plots::lines(
                &p,
                "mean Ramachandran JSD over residues, to the reference",
                "samples",
                "JSD",
                &vec![("JSD".to_string(), curve(pts))],
            )?;
            out.push(p);
        }
        if !self.acf.is_empty() {
            let p = file("acf");
            let series = self
                .acf
                .iter()
                .map(|(l, a)| {
                    (
                        l.clone(),
                        a.iter().enumerate().map(|(k, v)| (k as f64, *v)).collect(),
                    )
                })
                .collect();
            plots::lines(
                &p,
                "torsion autocorrelation",
                "lag (jumps)",
                "C(lag)",
                &series,
            )?;
            out.push(p);
        }
        for (name, title, xlabel, h) in [
            ("h_r", "h(r)", "r", view.h_r.as_ref()),
            (
                "energy",
                "energy histogram",
                "U / k_BT",
                view.energy.as_ref(),
            ),
        ] {
            let Some(h) = h else { continue };
            let density = |c: &Hist1d| c.density().into_iter().map(|p| (p[0], p[1])).collect();
            let mut series = vec![("walk-jump".to_string(), density(&h.samples))];
            if let Some(r) = &h.reference {
                series.push(("MD".to_string(), density(r)));
            }
            let summary = h.summary();
            let title = if summary.is_empty() {
                title.to_string()
            } else {
                format!("{title} ({summary})")
            };
            let p = file(name);
            plots::lines(&p, &title, xlabel, "density", &series)?;
            out.push(p);
        }
        Ok(out)
    }
}
