//! `walkjump build`: a capped peptide from its sequence, written as PDB.

use super::common::ensure_parent;
use clap::Args;
use std::path::PathBuf;
use walkjump::io::write_trajectory;
use walkjump::molecule::build_peptide;

#[derive(Args, Debug)]
pub struct BuildArgs {
    /// One-letter codes (KW) or three-letter names joined by dashes (LYS-TRP, which
    /// also takes the protonation variants HID HIE HIP ASH GLH LYN CYX); 1 to 4
    /// residues. The ACE and NME caps are added.
    #[arg(long)]
    pub sequence: String,
    /// Output PDB file.
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(a: BuildArgs) -> anyhow::Result<()> {
    let ext = walkjump::error::lower_extension(&a.out);
    if ext != "pdb" {
        anyhow::bail!(
            "{}: the peptide is written as PDB (.pdb), not '{ext}'",
            a.out.display()
        );
    }
    let s = build_peptide(&a.sequence)?;
    ensure_parent(&a.out)?;
    write_trajectory(&a.out, &s.topology, std::slice::from_ref(&s.positions))?;
    let names: Vec<&str> = s
        .topology
        .residues
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    println!(
        "wrote {}: {} ({} atoms), backbone in polyproline II",
        a.out.display(),
        names.join("-"),
        s.topology.n_atoms()
    );
    Ok(())
}
