//! The layering is a fact, not a convention: the core builds without burn, bevy or
//! wgpu, and the learned layer without bevy (ARCHITECTURE.md). Checked on the
//! resolved dependency graph, so an indirect dependency counts too.

mod common;

fn dependencies(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .current_dir(common::repo())
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "-p",
            package,
        ])
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree -p {package} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

fn forbidden(deps: &[String], prefixes: &[&str]) -> Vec<String> {
    let mut hits: Vec<String> = deps
        .iter()
        .filter(|d| {
            prefixes.iter().any(|p| {
                d.as_str() == *p
                    || d.starts_with(&format!("{p}_"))
                    || d.starts_with(&format!("{p}-"))
            })
        })
        .cloned()
        .collect();
    hits.sort();
    hits.dedup();
    hits
}

#[test]
fn the_core_knows_nothing_of_burn_bevy_or_wgpu() {
    let deps = dependencies("walkjump-core");
    assert!(
        deps.iter().any(|d| d == "pdbtbx"),
        "the tree was read: {deps:?}"
    );
    let hits = forbidden(&deps, &["burn", "bevy", "wgpu", "cubecl", "egui"]);
    assert!(hits.is_empty(), "walkjump-core depends on {hits:?}");
}

#[test]
fn the_learned_layer_knows_nothing_of_bevy() {
    let deps = dependencies("walkjump-nn");
    // Negative control: the check sees what this layer is made of.
    assert!(
        !forbidden(&deps, &["burn"]).is_empty(),
        "burn not found in {deps:?}"
    );
    let hits = forbidden(&deps, &["bevy", "egui", "rfd"]);
    assert!(hits.is_empty(), "walkjump-nn depends on {hits:?}");
}
