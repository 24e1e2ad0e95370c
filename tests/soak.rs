//! The two-minute version of the soak benchmark (README, "Long runs"): the app under
//! a virtual X server samples alanine dipeptide while its resident memory and frame
//! rate are read every few seconds. Memory must stay flat after the warm-up. Its own
//! test binary, so no other test shares the two cores while it measures.

mod common;

#[test]
fn two_minutes_of_sampling_keep_memory_flat() {
    if !common::xvfb_or_skip() {
        return;
    }
    let o = common::walkjump_under_xvfb()
        .args(["gui", "--backend", "ndarray", "--chains", "8"])
        .args(["--size", "1280x800", "--soak", "2"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", common::stderr(&o));
    let out = common::stdout(&o);
    eprintln!("{out}");
    let rows: Vec<serde_json::Value> = out
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let summary = rows.last().expect("a summary");
    assert!(summary["soak_rows"].as_u64().unwrap() >= 20, "{summary}");
    let series: Vec<&serde_json::Value> =
        rows.iter().filter(|r| r.get("rss_mb").is_some()).collect();
    // Samples keep coming: the sampler never stalled.
    let samples: Vec<u64> = series
        .iter()
        .map(|r| r["samples"].as_u64().unwrap())
        .collect();
    assert!(samples.windows(2).all(|w| w[1] > w[0]), "{samples:?}");
    assert!(
        summary["rss_ok"].as_bool().unwrap(),
        "memory grew: {summary}"
    );
    // The frame rate at the end against the warm-up: the 30-minute benchmark holds it
    // to 10 %; two minutes on a shared two-core machine are noisier, so here it only
    // must not have collapsed (a per-frame cost growing with the run would).
    let ratio = summary["fps_ratio"].as_f64().unwrap();
    assert!(ratio > 0.6, "the frame rate fell: {summary}");
}
