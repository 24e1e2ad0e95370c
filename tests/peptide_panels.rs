//! The app's peptide panels for a peptide of several residues, drawn headlessly with
//! egui_kittest from the live statistics of a real MD ensemble (ACE-AKG-NME, see
//! tests/peptide_metrics.rs): every residue is listed with its distances, a button
//! picks the Ramachandran shown, TICA is on φ/ψ/χ1, D-residues show, and without
//! a reference the ensemble is shown alone.

mod common;

use bevy_egui::egui;
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use walkjump::analysis::peptide::PeptideEnsemble;
use walkjump::live::{LiveStats, StatsView};
use walkjump::molecule::Topology;
use walkjump_app::panels::peptide_stats_ui;

fn akg() -> (Topology, Vec<Vec<f64>>) {
    common::topology_and_frames(
        "tests/data/peptides/akg.pdb",
        "tests/data/peptides/akg_md.xtc",
    )
}

/// The view the sampler thread would send after `samples`, with or without `reference`.
fn view(top: &Topology, samples: &[Vec<f64>], reference: Option<&[Vec<f64>]>) -> StatsView {
    let reference = reference.map(|r| {
        let mut e = PeptideEnsemble::new(top);
        r.iter().for_each(|f| {
            e.add(0, f);
        });
        e
    });
    let mut s = LiveStats::peptide(PeptideEnsemble::new(top), reference);
    for (k, f) in samples.iter().enumerate() {
        s.add(k % 4, f, None);
    }
    s.update_acf();
    s.view()
}

fn harness(v: &StatsView, kept: usize) -> Harness<'_, usize> {
    let mut h = Harness::builder()
        .with_size(egui::Vec2::new(520.0, 1100.0))
        .build_ui_state(
            move |ui, sel: &mut usize| peptide_stats_ui(ui, v, kept, sel),
            0,
        );
    h.run();
    h
}

fn shows(h: &Harness<'_, usize>, label: &str) -> bool {
    h.query_by_label(label).is_some()
}

#[test]
fn every_residue_is_listed_and_a_button_picks_its_ramachandran() {
    let (top, md) = akg();
    let (samples, reference) = md.split_at(500);
    let v = view(&top, samples, Some(reference));
    assert_eq!(v.rama.len(), 3);
    let lys = &v.rama[1];
    assert_eq!(lys.residue, "LYS3");
    // Per-residue torsion distances: φ, ψ and the side chain's χ1 for LYS only.
    assert_eq!(lys.torsions.len(), 3);
    assert!(lys.torsions.iter().all(|t| t.jsd.is_some()));
    assert_eq!(v.rama[0].torsions.len(), 2);
    assert_eq!(v.rama[2].d_fraction, None, "GLY has no chiral centre");
    let mean = v.rama.iter().map(|r| r.jsd.unwrap()).sum::<f64>() / 3.0;
    assert!((v.rama_jsd_mean.unwrap() - mean).abs() < 1e-12);

    let mut h = harness(&v, 500);
    for r in ["ALA2", "LYS3", "GLY4"] {
        assert!(shows(&h, r), "{r} listed");
    }
    assert!(shows(&h, "χ1 JSD") && shows(&h, "Rama JSD"));
    assert!(shows(&h, "walk-jump ALA2 (n = 500)") && shows(&h, "reference MD ALA2"));
    assert!(
        !shows(&h, "walk-jump LYS3 (n = 500)"),
        "one residue at a time"
    );
    // LYS's χ1 distance is in its row.
    let chi1 = format!("{:.3}", lys.torsions[2].jsd.unwrap());
    assert!(shows(&h, &chi1), "{chi1}");
    h.get_by_label("LYS3").click();
    h.run();
    assert_eq!(*h.state(), 1);
    assert!(shows(&h, "walk-jump LYS3 (n = 500)") && shows(&h, "reference MD LYS3"));
    assert!(!shows(&h, "walk-jump ALA2 (n = 500)"));
    assert!(h
        .query_by_label_contains("mean Ramachandran JSD over 3 residues")
        .is_some());
    assert!(h
        .query_by_label_contains("TICA 0/1 on φ/ψ/χ1 (fitted on the reference)")
        .is_some());
    assert_eq!(
        h.get_by_label("TICA reference MD").accesskit_node().role(),
        Role::Image
    );
}

#[test]
fn without_a_reference_the_ensemble_is_shown_alone() {
    let (top, md) = akg();
    let v = view(&top, &md, None);
    assert!(v
        .rama
        .iter()
        .all(|r| r.jsd.is_none() && r.reference.is_none()));
    assert!(v.tica.is_none() && v.rama_jsd_mean.is_none() && v.jsd_history.is_empty());
    let own = v.tica_samples.as_ref().expect("TICA fitted on the samples");
    assert_eq!(own.samples, 1000);
    let h = harness(&v, 1000);
    assert!(shows(&h, "walk-jump ALA2 (n = 1000)") && shows(&h, "ALA2"));
    // Negative control of the reference case above: no distances, no reference panel.
    assert!(!shows(&h, "Rama JSD") && !shows(&h, "reference MD ALA2"));
    assert!(h.query_by_label_contains("JSD").is_none());
    assert!(shows(&h, "TICA walk-jump (latest 1,000)"));
    assert!(h
        .query_by_label_contains("fitted on all 1,000 samples: no reference")
        .is_some());
    // MD is all L.
    assert_eq!(h.get_all_by_label("0.00 %").count(), 2);
}

#[test]
fn a_mirrored_ensemble_shows_every_centre_as_d() {
    let (top, md) = akg();
    let mirror = common::mirror(&md[..200]);
    let v = view(&top, &mirror, Some(&md));
    assert_eq!(v.rama[0].d_fraction, Some(1.0));
    assert_eq!(v.rama[1].d_fraction, Some(1.0));
    let h = harness(&v, 200);
    assert_eq!(h.get_all_by_label("100.0 %").count(), 2);
}

#[test]
fn the_basin_column_holds_the_samples_cores_and_a_mirror_swaps_alpha_r_for_alpha_l() {
    use walkjump::analysis::basin::residue_basins;
    let (top, md) = akg();
    let (samples, reference) = md.split_at(500);
    let v = view(&top, samples, Some(reference));
    // The panel's shares, from its 5° plot bins, are the frames' own shares.
    let own = residue_basins(&top, samples);
    let md_side = residue_basins(&top, reference);
    for (k, r) in v.rama.iter().enumerate() {
        for b in 0..3 {
            assert!((r.basins[b] - own[k].fractions[b]).abs() < 1e-9, "{r:?}");
            let rb = r.reference_basins.unwrap()[b];
            assert!((rb - md_side[k].fractions[b]).abs() < 1e-9);
        }
    }
    let pc = |b: [f64; 3]| b.map(|f| format!("{:.0}", 100.0 * f)).join(" · ");
    let ala = &v.rama[0];
    let cell = format!(
        "{} % (MD {})",
        pc(ala.basins),
        pc(ala.reference_basins.unwrap())
    );
    assert!(shows(&harness(&v, 500), &cell), "{cell}");
    // A mirror image turns (φ, ψ) into (−φ, −ψ): the αR share becomes the αL share.
    let mirrored = view(&top, &common::mirror(samples), None);
    let (m, o) = (&mirrored.rama[0], &v.rama[0]);
    assert!(o.basins[1] > 0.05, "ALA2 visits αR in this MD: {o:?}");
    assert!((m.basins[2] - o.basins[1]).abs() < 1e-9 && m.reference_basins.is_none());
    assert!((m.basins[1] - o.basins[2]).abs() < 1e-9);
}
