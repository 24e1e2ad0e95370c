//! The app's and the lab's colours, in one place, so that one meaning has one colour.

use bevy_egui::egui::Color32;

/// Errors and problems: the Problem window, error lines in the log, diverged chains.
pub const ERROR: Color32 = Color32::from_rgb(255, 115, 105);
/// Ordinary log lines and captions.
pub const TEXT: Color32 = Color32::from_rgb(200, 200, 210);
pub const TEXT_DIM: Color32 = Color32::from_gray(185);
/// Walk-jump's own samples and jumps (the orange of the jump trail).
pub const JUMPS: Color32 = Color32::from_rgb(255, 165, 60);
/// Walk-jump's samples and MD's reference in histograms drawn against each other.
pub const SAMPLES: Color32 = Color32::from_rgb(90, 200, 230);
pub const REFERENCE: Color32 = Color32::from_rgb(240, 140, 90);
/// A running metric over the run (the JSD curve).
pub const METRIC: Color32 = Color32::from_rgb(240, 180, 80);
/// Series that need telling apart (autocorrelations of several torsions).
pub const SERIES: [Color32; 4] = [
    Color32::from_rgb(120, 220, 120),
    Color32::from_rgb(220, 120, 220),
    Color32::from_rgb(230, 200, 90),
    Color32::from_rgb(120, 160, 240),
];
