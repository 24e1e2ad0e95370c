//! The app's panels as plain functions of the sampler's views, drawn headlessly with
//! egui_kittest (no window, no GPU): what the user reads in a panel's title is what
//! the shared analysis computed, out-of-range share included.

use bevy_egui::egui;
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use walkjump::analysis::energy::energy_histograms;
use walkjump::live::HistogramView;
use walkjump_app::panels::against_md_ui;

fn view(samples: &[f64], reference: &[f64]) -> HistogramView {
    let e = energy_histograms(samples, reference);
    HistogramView {
        tvd: e.tvd(),
        samples: e.samples,
        reference: e.reference,
    }
}

fn title_shown(v: &HistogramView) -> String {
    let title = format!("energy / k_BT  ({})", v.summary());
    let h = Harness::builder()
        .with_size(egui::Vec2::new(420.0, 200.0))
        .build_ui(|ui| against_md_ui(ui, egui::Vec2::new(400.0, 160.0), "energy / k_BT", v));
    assert_eq!(h.get_by_label(&title).accesskit_node().role(), Role::Image);
    title
}

#[test]
fn the_energy_panel_says_its_distance_and_what_fell_outside() {
    let reference: Vec<f64> = (0..400)
        .map(|i| -30.0 + 10.0 * (i as f64 / 400.0))
        .collect();
    let inside: Vec<f64> = (0..90).map(|i| -28.0 + 6.0 * (i as f64 / 90.0)).collect();
    // Negative control: all inside, so no out-of-range note.
    let calm = view(&inside, &reference);
    let t = title_shown(&calm);
    assert!(t.contains("TVD") && !t.contains("range"), "{t}");
    // Ten clashes far above the reference's range: said, and counted in the TVD.
    let mut clashes = inside.clone();
    clashes.extend(std::iter::repeat_n(1e6, 10));
    let hot = view(&clashes, &reference);
    let t = title_shown(&hot);
    assert!(t.contains("10.0 % above range"), "{t}");
    assert!(hot.tvd.unwrap() > calm.tvd.unwrap(), "{t}");
}
