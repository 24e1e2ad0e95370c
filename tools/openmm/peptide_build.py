"""Build a capped all-atom peptide (ACE-...-NME) from a sequence, and check that every
residue is an L-amino acid.

A peptide of two or more residues is built by `walkjump build` (the product's builder:
ideal internal coordinates, L-amino acids, templates from `assets/templates/`), found
as $WALKJUMP, on PATH, or in the project's cargo target directory. One residue is
built with PDBFixer: the bundled alanine dipeptide's heavy atoms with the alanine
mutated, hydrogens for pH 7 (this is how the residue templates that `walkjump build`
places atoms from were made, `make_templates.py`). A short ff14SB + GBn2
minimisation removes clashes. Used by `batch_md.py` for the training and test data.

PDBFixer is not used for longer peptides because the residues it inserts come out
D about half of the time (its missing-residue geometry does not fix the Cα's
handedness, and minimisation cannot invert a centre): 19 of the first 41 training
dipeptides and the test tripeptide had a D residue before the NME cap, found
December 7. `check_l` refuses any D centre, whoever built the molecule.
"""

import io
import os
import shutil
import subprocess
import tempfile

import numpy as np

import openmm as mm
import openmm.app as app
import openmm.unit as u

ONE_TO_THREE = {
    "A": "ALA", "R": "ARG", "N": "ASN", "D": "ASP", "C": "CYS", "Q": "GLN", "E": "GLU",
    "G": "GLY", "H": "HIS", "I": "ILE", "L": "LEU", "K": "LYS", "M": "MET", "F": "PHE",
    "P": "PRO", "S": "SER", "T": "THR", "W": "TRP", "Y": "TYR", "V": "VAL",
}
HERE = os.path.dirname(os.path.abspath(__file__))
SEED_PDB = os.path.join(HERE, "..", "..", "assets", "alanine-dipeptide.pdb")
FORCEFIELD = ("amber14/protein.ff14SB.xml", "implicit/gbn2.xml")


def three_letter(sequence):
    """'KW' or 'LYS-TRP' -> ['LYS', 'TRP']."""
    s = sequence.strip().upper()
    if "-" in s or (len(s) == 3 and s in ONE_TO_THREE.values()):
        names = s.split("-")
    else:
        names = []
        for c in s:
            if c not in ONE_TO_THREE:
                raise ValueError(f"{c!r} is not one of the 20 standard amino acids")
            names.append(ONE_TO_THREE[c])
    if not 1 <= len(names) <= 4:
        raise ValueError(f"{sequence}: 1 to 4 residues are supported")
    return names


def _seed_heavy_atoms():
    keep = []
    for line in open(SEED_PDB):
        if line.startswith(("ATOM", "HETATM")):
            name = line[12:16].strip()
            if not name.lstrip("0123456789").startswith("H"):
                keep.append(line)
    return "".join(keep) + "END\n"


def walkjump_binary():
    """The `walkjump` program: $WALKJUMP, on PATH, or the project's release build."""
    asked = os.environ.get("WALKJUMP")
    if asked:
        if not os.access(asked, os.X_OK):
            raise RuntimeError(f"WALKJUMP={asked} is not an executable walkjump binary")
        return asked
    candidates = [
        shutil.which("walkjump"),
        os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/walkjump/target")),
                     "release", "walkjump"),
    ]
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return c
    raise RuntimeError("walkjump build is needed for peptides of 2 or more residues: set WALKJUMP to "
                       "the binary (cargo build --release) or put it on PATH")


def l_violations(topology, positions):
    """Residues whose Cα is D-handed: the improper N-CA-C-CB has the opposite sign to an
    L-amino acid's (L: (N-CA)x(C-CA).(CB-CA) > 0)."""
    x = np.asarray(positions.value_in_unit(u.angstrom) if hasattr(positions, "value_in_unit") else positions)
    bad = []
    for res in topology.residues():
        idx = {a.name: a.index for a in res.atoms()}
        if not all(k in idx for k in ("N", "CA", "C", "CB")):
            continue
        ca = x[idx["CA"]]
        a, b, c = (x[idx[k]] - ca for k in ("N", "C", "CB"))
        if np.dot(np.cross(a, b), c) <= 0.0:
            bad.append(f"{res.name}{res.id}")
    return bad


def check_l(topology, positions, what):
    bad = l_violations(topology, positions)
    if bad:
        raise ValueError(f"{what}: D-amino acid at {', '.join(bad)}; every residue must be L "
                         "(rebuild it with walkjump build)")


def build(sequence, minimize=True, platform="CPU"):
    """Topology and positions (OpenMM quantities) of ACE-sequence-NME, minimised; every
    residue checked to be L."""
    names = three_letter(sequence)
    if len(names) == 1:
        from pdbfixer import PDBFixer

        fixer = PDBFixer(pdbfile=io.StringIO(_seed_heavy_atoms()))
        chain = list(fixer.topology.chains())[0].id
        if names[0] != "ALA":
            fixer.applyMutations([f"ALA-2-{names[0]}"], chain)
        fixer.findMissingResidues()
        fixer.missingResidues = {}
        fixer.findMissingAtoms()
        fixer.addMissingAtoms()
        fixer.addMissingHydrogens(7.0)
        topology, positions = fixer.topology, fixer.positions
    else:
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "built.pdb")
            r = subprocess.run([walkjump_binary(), "build", "--sequence", "-".join(names), "--out", out],
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError(f"walkjump build {sequence} failed: {r.stderr.strip()}")
            pdb = app.PDBFile(out)
            topology, positions = pdb.topology, pdb.positions
    check_l(topology, positions, f"built {sequence}")
    if minimize:
        ff = app.ForceField(*FORCEFIELD)
        system = ff.createSystem(topology, nonbondedMethod=app.NoCutoff)
        plat = mm.Platform.getPlatformByName(platform)
        ctx = mm.Context(system, mm.VerletIntegrator(0.001), plat)
        ctx.setPositions(positions)
        mm.LocalEnergyMinimizer.minimize(ctx, 1.0, 2000)
        positions = ctx.getState(getPositions=True).getPositions()
        check_l(topology, positions, f"minimised {sequence}")
    return topology, positions


def write_pdb(topology, positions, path):
    with open(path, "w") as fh:
        app.PDBFile.writeFile(topology, positions, fh, keepIds=False)


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("sequence")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    t, x = build(a.sequence)
    write_pdb(t, x, a.out)
    print(f"wrote {a.out}: {t.getNumAtoms()} atoms")
