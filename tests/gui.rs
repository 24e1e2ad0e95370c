//! The desktop app under a virtual X server with a software Vulkan driver: it opens
//! on the bundled alanine dipeptide, samples, and writes a screenshot with content.
//! Skipped (with a note) where `xvfb-run` is missing, except in CI, which installs it.

mod common;

use std::process::Command;

/// Distinct colours in an RGB(A) PNG: a blank or failed frame has one or two.
fn distinct_colours(path: &std::path::Path) -> usize {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let ch = info.color_type.samples();
    let mut seen = std::collections::HashSet::new();
    for px in buf[..info.buffer_size()].chunks(ch) {
        seen.insert(px[..3.min(ch)].to_vec());
    }
    seen.len()
}

#[test]
fn the_app_opens_samples_and_writes_a_screenshot() {
    if !common::xvfb_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let shot = dir.path().join("shot.png");
    let o = common::walkjump_under_xvfb()
        .args(common::SMALL_APP)
        .args(["--exit-after", "15", "--fps-report", "--screenshot"])
        .arg(&shot)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert!(distinct_colours(&shot) > 200, "the screenshot looks empty");
    // The frame-rate report: sampling on against paused, with samples taken.
    let line = common::stdout(&o);
    let v: serde_json::Value = serde_json::from_str(line.trim().lines().last().unwrap()).unwrap();
    assert!(v["fps_sampling"].as_f64().unwrap() > 0.0, "{v}");
    assert!(v["fps_paused"].as_f64().unwrap() > 0.0, "{v}");
    assert!(v["samples"].as_u64().unwrap() > 0, "{v}");
}

#[test]
fn the_lab_opens_on_the_trajectory_tab_and_generates() {
    if !common::xvfb_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let shot = dir.path().join("lab.png");
    let o = common::walkjump_under_xvfb()
        .args([
            "lab",
            "--tab",
            "dynamics",
            "--run-dynamics",
            "--size",
            "1280x800",
            "--exit-after",
            "25",
            "--screenshot",
        ])
        .arg(&shot)
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert!(distinct_colours(&shot) > 100, "the screenshot looks empty");
    // The log must not report a failed job (a missing or broken model, say).
    let err = common::stderr(&o);
    assert!(!err.contains("trajectory model:"), "{err}");
}

/// Without a display the app and the lab stop with a message that says what is
/// missing and what to do, and a failing exit code: no winit panic, no backtrace.
#[test]
fn without_a_display_the_app_says_what_to_do() {
    for args in [&[][..], &["lab"][..]] {
        let o = Command::new(env!("CARGO_BIN_EXE_walkjump"))
            .args(args)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap();
        let err = common::stderr(&o);
        assert!(!o.status.success(), "{args:?} must fail without a display");
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
        for hint in ["DISPLAY", "xvfb-run", "walkjump sample"] {
            assert!(
                err.contains(hint),
                "{args:?}: the message lacks {hint}: {err}"
            );
        }
    }
}

/// Vulkan with no driver to load: what a machine without a GPU and without Mesa sees.
fn without_any_adapter(c: &mut Command) -> &mut Command {
    c.env("WGPU_BACKEND", "vulkan")
        .env("VK_ICD_FILENAMES", "/nonexistent/icd.json")
        .env("VK_DRIVER_FILES", "/nonexistent/icd.json")
}

/// The offscreen benchmark draws the app's scene and panels with no display at all
/// (here on lavapipe; on a GPU machine without X the same code path), reports frames
/// per second sampling and paused, and its picture has the app's content.
#[test]
fn the_offscreen_benchmark_runs_without_a_display() {
    if walkjump::nn::backend::render_adapters().is_empty() {
        assert!(std::env::var_os("CI").is_none(), "CI must install lavapipe");
        eprintln!("skipped: no graphics adapter (install mesa-vulkan-drivers)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let shot = dir.path().join("offscreen.png");
    let o = Command::new(env!("CARGO_BIN_EXE_walkjump"))
        .args(common::SMALL_APP)
        .args(["--offscreen-bench", "12", "--screenshot"])
        .arg(&shot)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .current_dir(common::repo())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", common::stderr(&o));
    let line = common::stdout(&o);
    let v: serde_json::Value = serde_json::from_str(line.trim().lines().last().unwrap()).unwrap();
    assert!(v["fps_sampling"].as_f64().unwrap() > 0.0, "{v}");
    assert!(v["fps_paused"].as_f64().unwrap() > 0.0, "{v}");
    assert!(v["samples"].as_u64().unwrap() > 0, "{v}");
    assert!(
        distinct_colours(&shot) > 200,
        "the offscreen picture looks empty"
    );
}

/// Where wgpu finds no adapter at all, the app says what is missing and what works
/// instead, with a failing exit code and no panic: offscreen (checked before bevy
/// starts) and in a window (bevy's own panic, turned into the same message).
#[test]
fn without_any_graphics_adapter_the_app_says_what_to_do() {
    let mut runs = vec![];
    let mut off = Command::new(env!("CARGO_BIN_EXE_walkjump"));
    off.args(["gui", "--offscreen-bench", "5", "--backend", "ndarray"]);
    runs.push(("offscreen", without_any_adapter(&mut off).output().unwrap()));
    if common::have_xvfb() {
        let mut win = common::walkjump_under_xvfb();
        win.args(["gui", "--backend", "ndarray", "--exit-after", "5"]);
        runs.push(("window", without_any_adapter(&mut win).output().unwrap()));
    } else {
        assert!(std::env::var_os("CI").is_none(), "CI must install xvfb");
    }
    for (what, o) in runs {
        let err = common::stderr(&o);
        assert!(!o.status.success(), "{what}: must fail without an adapter");
        assert!(!err.contains("panicked"), "{what} panicked: {err}");
        for hint in [
            "no graphics adapter",
            "mesa-vulkan-drivers",
            "walkjump sample",
        ] {
            assert!(
                err.contains(hint),
                "{what}: the message lacks {hint}: {err}"
            );
        }
    }
}
