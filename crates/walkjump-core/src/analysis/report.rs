//! One peptide's sampled ensemble judged against its MD reference, every number beside
//! the MD-vs-MD floor at the same sample count (DESIGN.md, "Peptides with several
//! residues").
//!
//! **The floor.** The reference (M frames, in file order) is cut into two halves, A =
//! the first ⌊M/2⌋ frames and B = the rest. A is subsampled evenly to n = min(N, ⌊M/2⌋)
//! frames, N being the sample count (frame ⌊i·|A|/n⌋ for i < n), and scored against all
//! of B with exactly the metrics the samples are scored with (TICA fitted on the whole
//! reference, its bins over the whole reference's range). So the floor is what n MD
//! frames, spread over an independent stretch of MD, score against an MD reference: the
//! distance that finite sampling alone gives. B is half the reference, so the floor
//! is, if anything, a little above the one against all of it (a conservative floor);
//! when N > ⌊M/2⌋ the floor is at n = ⌊M/2⌋ and `floor.frames_a` says so.

use super::basin::MIN_BASIN_CHANGES;
use super::chirality::ChiralResidue;
use super::divergence::histogram_jsd;
use super::histogram::AllMass;
use super::peptide::{compare, PeptideEnsemble};
use super::peptide_bond::{cis_fractions, trans_only_bonds};
use super::tica::{fit_on_ensemble, histogram_of, project_ensemble, projection_bins};
use crate::error::{Error, Result};
use crate::molecule::{Topology, TorsionKind};

/// TICA lag in frames, as `walkjump analyze` and the app use.
pub const DEFAULT_TICA_LAG: usize = 10;

#[derive(Debug, Clone, Copy)]
pub struct EvaluateOptions {
    /// TICA lag in reference frames.
    pub tica_lag: usize,
    /// Independent chains interleaved step-major in the reference (TICA pairs frames
    /// of one chain only).
    pub reference_chains: usize,
}

impl Default for EvaluateOptions {
    fn default() -> Self {
        EvaluateOptions {
            tica_lag: DEFAULT_TICA_LAG,
            reference_chains: 1,
        }
    }
}

/// One residue with φ and ψ: its Ramachandran (18 × 18) and torsion (36 bins) distances
/// to the reference beside their floors, and how often its Cα was D-handed.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ResidueReport {
    /// "ALA2".
    pub residue: String,
    pub ramachandran_jsd: f64,
    pub ramachandran_floor: f64,
    pub phi_jsd: f64,
    pub phi_floor: f64,
    pub psi_jsd: f64,
    pub psi_floor: f64,
    /// None where the side chain has no χ1 (GLY, ALA).
    pub chi1_jsd: Option<f64>,
    pub chi1_floor: Option<f64>,
    /// Fraction of the samples in which the residue has a wrong hand: a D Cα (improper
    /// N–CA–C–CB of the opposite sign to an L-amino acid's) or, for Ile and Thr, an
    /// allo Cβ (earlier reports counted Cα only); None for GLY.
    pub d_fraction: Option<f64>,
    pub reference_d_fraction: Option<f64>,
    /// Fractions of the samples and of the reference in the β/PII, αR and αL cores
    /// (`basin::Basin::ALL` order; the rest lie between). Reports written before
    /// December 8 lack them.
    #[serde(default)]
    pub basin_fractions: Option<[f64; 3]>,
    #[serde(default)]
    pub reference_basin_fractions: Option<[f64; 3]>,
    /// Moves between those cores in the reference, summed over its chains: below
    /// `basin::MIN_BASIN_CHANGES` its populations (and the floor) are uncertain.
    #[serde(default)]
    pub reference_basin_changes: Option<usize>,
}

/// One torsion's 1-D distance (36 bins) and its floor.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TorsionReport {
    /// "phi ALA2".
    pub torsion: String,
    pub kind: TorsionKind,
    pub jsd: f64,
    pub floor: f64,
}

/// TIC 0/1 distance (20 × 20 bins over the reference's range, TICA fitted on the
/// reference's φ/ψ/χ1 cos/sin) and its floor.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TicaReport {
    pub jsd: f64,
    pub floor: f64,
    /// Share of the samples outside the reference's TIC 0/1 range (counted in the JSD).
    pub outside_fraction: f64,
    pub floor_outside_fraction: f64,
    pub lag: usize,
    /// Features: 2 per backbone torsion.
    pub features: usize,
}

/// How the floor was made (see the module documentation).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FloorInfo {
    /// Frames of block A (the sample count, or half the reference if that is smaller).
    pub frames_a: usize,
    /// Frames of block B.
    pub frames_b: usize,
    pub definition: String,
}

/// Everything `walkjump evaluate` reports for one peptide.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PeptideReport {
    /// One-letter sequence without the caps ("AKG"), "?" for a non-standard residue.
    pub sequence: String,
    pub samples: usize,
    pub reference_frames: usize,
    pub floor: FloorInfo,
    pub residues: Vec<ResidueReport>,
    /// Every φ, ψ and χ1, in topology order.
    pub torsions: Vec<TorsionReport>,
    /// Mean over residues of the 18 × 18 Ramachandran JSD.
    pub ramachandran_jsd: f64,
    pub ramachandran_floor: f64,
    /// Mean over the backbone torsions (φ, ψ) of the 36-bin JSD.
    pub torsion_jsd: f64,
    pub torsion_floor: f64,
    /// Mean over the χ1 torsions; None if the peptide has none.
    pub chi1_jsd: Option<f64>,
    pub chi1_floor: Option<f64>,
    /// None when TICA could not be fitted (`tica_error` says why).
    pub tica: Option<TicaReport>,
    pub tica_error: Option<String>,
    /// The largest D-or-allo fraction over the residues; None without chiral centres.
    pub d_fraction_max: Option<f64>,
    /// The largest fraction of samples in which a peptide bond not before a proline is
    /// cis; None without such bonds (reports written before December 7 lack it).
    #[serde(default)]
    pub cis_fraction_max: Option<f64>,
    /// The fewest moves between Ramachandran basins of any residue in the reference.
    #[serde(default)]
    pub reference_basin_changes_min: Option<usize>,
}

const FLOOR_DEFINITION: &str = "reference split in file order into A = first half and \
B = second half; A subsampled evenly to min(samples, |A|) frames and scored against all \
of B with the same metrics (TICA fitted on the whole reference)";

fn ensemble(topology: &Topology, frames: &[Vec<f64>], chains: usize) -> PeptideEnsemble {
    let mut e = PeptideEnsemble::new(topology);
    for (k, f) in frames.iter().enumerate() {
        e.add(k % chains.max(1), f);
    }
    e
}

/// `n` frames of `frames` evenly spread: frame ⌊i·len/n⌋ for i < n.
pub fn subsample_evenly(frames: &[Vec<f64>], n: usize) -> Vec<Vec<f64>> {
    let len = frames.len();
    let n = n.min(len);
    (0..n).map(|i| frames[i * len / n].clone()).collect()
}

fn one_letter(residue: &str) -> Option<char> {
    const CODES: [(&str, char); 28] = [
        ("ALA", 'A'),
        ("ARG", 'R'),
        ("ASN", 'N'),
        ("ASP", 'D'),
        ("ASH", 'D'),
        ("CYS", 'C'),
        ("CYX", 'C'),
        ("CYM", 'C'),
        ("GLN", 'Q'),
        ("GLU", 'E'),
        ("GLH", 'E'),
        ("GLY", 'G'),
        ("HIS", 'H'),
        ("HID", 'H'),
        ("HIE", 'H'),
        ("HIP", 'H'),
        ("ILE", 'I'),
        ("LEU", 'L'),
        ("LYS", 'K'),
        ("LYN", 'K'),
        ("MET", 'M'),
        ("PHE", 'F'),
        ("PRO", 'P'),
        ("SER", 'S'),
        ("THR", 'T'),
        ("TRP", 'W'),
        ("TYR", 'Y'),
        ("VAL", 'V'),
    ];
    CODES.iter().find(|(n, _)| *n == residue).map(|(_, c)| *c)
}

/// The one-letter sequence of a capped peptide, caps left out.
pub fn sequence_of(topology: &Topology) -> String {
    topology
        .residues
        .iter()
        .filter(|r| !matches!(r.name.as_str(), "ACE" | "NME" | "NMA"))
        .map(|r| one_letter(&r.name).unwrap_or('?'))
        .collect()
}

fn mean(v: impl Iterator<Item = f64>) -> Option<f64> {
    let (s, n) = v.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    (n > 0).then(|| s / n as f64)
}

/// [`evaluate_with`] with the default options (TICA lag 10, the reference one chain).
pub fn evaluate_against_reference(
    topology: &Topology,
    samples: &[Vec<f64>],
    reference: &[Vec<f64>],
) -> Result<PeptideReport> {
    evaluate_with(topology, samples, reference, &EvaluateOptions::default())
}

/// Score `samples` against `reference` (frames of flat Å coordinates on `topology`)
/// and the MD-vs-MD floor at the same sample count (module documentation).
pub fn evaluate_with(
    topology: &Topology,
    samples: &[Vec<f64>],
    reference: &[Vec<f64>],
    opts: &EvaluateOptions,
) -> Result<PeptideReport> {
    if topology.ramachandran_pairs().is_empty() {
        return Err(Error::Parameter(
            "no residue has both phi and psi; nothing to evaluate".into(),
        ));
    }
    if samples.is_empty() {
        return Err(Error::Parameter("there are no samples".into()));
    }
    if reference.len() < 4 {
        return Err(Error::Parameter(format!(
            "the reference has {} frames; the floor needs at least 4",
            reference.len()
        )));
    }
    let samp = ensemble(topology, samples, 1);
    let samp_basins = samp.residue_basins();
    // The reference's moves are counted along each of its chains, then summed.
    let refe = ensemble(topology, reference, opts.reference_chains);
    let ref_basins = refe.residue_basins();
    let half = reference.len() / 2;
    let n = samples.len().min(half);
    // A and B are judged frame by frame (histograms, TICA projections), so their chain
    // layout does not matter.
    let block_a = ensemble(topology, &subsample_evenly(&reference[..half], n), 1);
    let block_b = ensemble(topology, &reference[half..], 1);

    let (rama, tors, torsion_jsd) = compare(&samp, &refe);
    let (rama_f, tors_f, torsion_floor) = compare(&block_a, &block_b);
    let torsions: Vec<TorsionReport> = tors
        .iter()
        .zip(&tors_f)
        .map(|(t, f)| TorsionReport {
            torsion: t.torsion.clone(),
            kind: t.kind,
            jsd: t.jsd,
            floor: f.jsd,
        })
        .collect();
    let d_samp = samp.d_fractions();
    let d_ref = refe.d_fractions();
    let centre_of = |ri: usize| -> Option<usize> {
        (samp.centres.iter()).position(|c: &ChiralResidue| c.residue == ri)
    };
    let torsion_of = |ri: usize, kind: TorsionKind| {
        topology
            .torsions
            .iter()
            .position(|t| t.residue == ri && t.kind == kind)
            .map(|i| &torsions[i])
    };
    let residues: Vec<ResidueReport> = samp
        .rama_pairs
        .iter()
        .enumerate()
        .map(|(k, (phi, psi, label))| {
            let ri = topology.torsions[*phi].residue;
            let chi1 = torsion_of(ri, TorsionKind::Chi1);
            let centre = centre_of(ri);
            ResidueReport {
                residue: label.clone(),
                ramachandran_jsd: rama[k].ramachandran_jsd,
                ramachandran_floor: rama_f[k].ramachandran_jsd,
                phi_jsd: torsions[*phi].jsd,
                phi_floor: torsions[*phi].floor,
                psi_jsd: torsions[*psi].jsd,
                psi_floor: torsions[*psi].floor,
                chi1_jsd: chi1.map(|t| t.jsd),
                chi1_floor: chi1.map(|t| t.floor),
                d_fraction: centre.map(|c| d_samp[c]),
                reference_d_fraction: centre.map(|c| d_ref[c]),
                basin_fractions: Some(samp_basins[k].fractions),
                reference_basin_fractions: Some(ref_basins[k].fractions),
                reference_basin_changes: Some(ref_basins[k].changes),
            }
        })
        .collect();
    let chi1 = || torsions.iter().filter(|t| t.kind == TorsionKind::Chi1);
    let (tica, tica_error) = match fit_on_ensemble(&refe, opts.tica_lag) {
        Ok(t) => {
            let pr = project_ensemble(&refe, &t);
            let (xr, yr) = projection_bins(&pr);
            let hist = |e: &PeptideEnsemble| histogram_of(&project_ensemble(e, &t), xr, yr);
            let (hs, hr) = (hist(&samp), histogram_of(&pr, xr, yr));
            let (ha, hb) = (hist(&block_a), hist(&block_b));
            (
                Some(TicaReport {
                    jsd: histogram_jsd(&hs, &hr),
                    floor: histogram_jsd(&ha, &hb),
                    outside_fraction: hs.outside_fraction(),
                    floor_outside_fraction: ha.outside_fraction(),
                    lag: t.lag,
                    features: refe.tica_dim(),
                }),
                None,
            )
        }
        Err(e) => (None, Some(e.to_string())),
    };
    Ok(PeptideReport {
        sequence: sequence_of(topology),
        samples: samples.len(),
        reference_frames: reference.len(),
        floor: FloorInfo {
            frames_a: block_a.frames,
            frames_b: block_b.frames,
            definition: FLOOR_DEFINITION.into(),
        },
        ramachandran_jsd: mean(residues.iter().map(|r| r.ramachandran_jsd)).unwrap_or(f64::NAN),
        ramachandran_floor: mean(residues.iter().map(|r| r.ramachandran_floor)).unwrap_or(f64::NAN),
        torsion_jsd,
        torsion_floor,
        chi1_jsd: mean(chi1().map(|t| t.jsd)),
        chi1_floor: mean(chi1().map(|t| t.floor)),
        tica,
        tica_error,
        d_fraction_max: d_samp.iter().copied().reduce(f64::max),
        cis_fraction_max: cis_fractions(&trans_only_bonds(topology), samples)
            .into_iter()
            .reduce(f64::max),
        reference_basin_changes_min: residues
            .iter()
            .filter_map(|r| r.reference_basin_changes)
            .min(),
        residues,
        torsions,
    })
}

/// "0.123 (0.045)": a distance and, in brackets, its floor.
fn with_floor(v: f64, floor: f64) -> String {
    format!("{v:.3} ({floor:.3})")
}

fn opt_with_floor(v: Option<f64>, floor: Option<f64>) -> String {
    match (v, floor) {
        (Some(v), Some(f)) => with_floor(v, f),
        _ => "–".into(),
    }
}

fn percent(v: Option<f64>) -> String {
    v.map(|d| format!("{:.1} %", 100.0 * d))
        .unwrap_or_else(|| "–".into())
}

impl PeptideReport {
    /// The header of [`Self::markdown_row`]'s table (two lines).
    pub fn markdown_header() -> String {
        "| peptide | samples | floor frames | Ramachandran JSD (floor) | torsion JSD φ/ψ (floor) \
         | χ1 JSD (floor) | TICA JSD (floor) | max D/allo fraction | max cis fraction |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|"
            .into()
    }

    /// One table row: the means over residues and torsions, each with its floor.
    pub fn markdown_row(&self) -> String {
        let tica = match &self.tica {
            Some(t) => with_floor(t.jsd, t.floor),
            None => "–".into(),
        };
        format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            self.sequence,
            self.samples,
            self.floor.frames_a,
            with_floor(self.ramachandran_jsd, self.ramachandran_floor),
            with_floor(self.torsion_jsd, self.torsion_floor),
            opt_with_floor(self.chi1_jsd, self.chi1_floor),
            tica,
            percent(self.d_fraction_max),
            percent(self.cis_fraction_max),
        )
    }

    /// A table with one row per residue (header included).
    pub fn markdown_residues(&self) -> String {
        let mut s = String::from(
            "| residue | Ramachandran JSD (floor) | φ JSD (floor) | ψ JSD (floor) \
             | χ1 JSD (floor) | D/allo fraction (reference) | β/PII · αR · αL % (reference) \
             | reference basin moves |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for r in &self.residues {
            let d = match (r.d_fraction, r.reference_d_fraction) {
                (Some(d), Some(rd)) => format!("{:.1} % ({:.1} %)", 100.0 * d, 100.0 * rd),
                _ => "–".into(),
            };
            let pct = |f: [f64; 3]| {
                format!(
                    "{:.0} · {:.0} · {:.0}",
                    100.0 * f[0],
                    100.0 * f[1],
                    100.0 * f[2]
                )
            };
            let basins = match (r.basin_fractions, r.reference_basin_fractions) {
                (Some(b), Some(rb)) => format!("{} ({})", pct(b), pct(rb)),
                _ => "–".into(),
            };
            let moves = match r.reference_basin_changes {
                Some(n) if n < MIN_BASIN_CHANGES => format!("{n} (few)"),
                Some(n) => n.to_string(),
                None => "–".into(),
            };
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {basins} | {moves} |\n",
                r.residue,
                with_floor(r.ramachandran_jsd, r.ramachandran_floor),
                with_floor(r.phi_jsd, r.phi_floor),
                with_floor(r.psi_jsd, r.psi_floor),
                opt_with_floor(r.chi1_jsd, r.chi1_floor),
                d,
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_subsampling_spreads_over_the_block() {
        let frames: Vec<Vec<f64>> = (0..10).map(|i| vec![i as f64]).collect();
        let picked: Vec<f64> = subsample_evenly(&frames, 4).iter().map(|f| f[0]).collect();
        assert_eq!(picked, [0.0, 2.0, 5.0, 7.0]);
        assert_eq!(subsample_evenly(&frames, 20), frames);
    }
}
