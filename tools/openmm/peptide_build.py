"""Build a capped all-atom peptide (ACE-...-NME) from a sequence with `walkjump build`,
and check the two things a minimisation cannot repair: every residue is an L-amino
acid, and every peptide bond is trans (cis only before a proline).

`walkjump build` (the product's builder: ideal internal coordinates, L-amino acids,
trans peptide bonds, backbone in polyproline II, templates from `assets/templates/`)
is found as $WALKJUMP, on PATH, or in the project's cargo target directory. A short
ff14SB + GBn2 minimisation removes clashes. Used by `batch_md.py` for the training and
test data.

PDBFixer is not used any more. The residues it inserts came out D about half of the
time (19 of the first 41 training dipeptides and the test tripeptide, found December
7), and its mutated and inserted residues left cis peptide bonds and residues parked
in αL, where a short run never leaves them (9 training dipeptides and 4 of the 6 test
dipeptides cis, 10 second residues in αL for every frame, found the same day).
`check_start` refuses both, whoever built the molecule.
"""

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
    raise RuntimeError("walkjump build makes the peptides: set WALKJUMP to "
                       "the binary (cargo build --release) or put it on PATH")


def _angstrom(positions):
    """Positions as an (n, 3) array in Å, from an OpenMM quantity or plain numbers."""
    return np.asarray(positions.value_in_unit(u.angstrom) if hasattr(positions, "value_in_unit") else positions)


def l_violations(topology, positions):
    """Residues whose Cα is D-handed: the improper N-CA-C-CB has the opposite sign to an
    L-amino acid's (L: (N-CA)x(C-CA).(CB-CA) > 0)."""
    x = _angstrom(positions)
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


def cis_bonds(topology, positions):
    """Peptide bonds (caps included) whose ω is cis (|ω| < 90°) and whose second
    residue is not a proline: CA(i)-C(i)-N(i+1)-CA(i+1), with the caps' methyl carbons
    standing in for CA. Cis X-Pro is a real, slow isomer and is allowed."""
    x = _angstrom(positions)
    res = list(topology.residues())
    bad = []
    for a, b in zip(res[:-1], res[1:]):
        ia = {t.name: t.index for t in a.atoms()}
        ib = {t.name: t.index for t in b.atoms()}
        ca1 = ia.get("CA", ia.get("CH3"))
        ca2 = ib.get("CA", ib.get("CH3", ib.get("C")))
        if None in (ca1, ia.get("C"), ib.get("N"), ca2) or b.name == "PRO":
            continue
        p0, p1, p2, p3 = (x[i] for i in (ca1, ia["C"], ib["N"], ca2))
        b0, b1, b2 = p1 - p0, p2 - p1, p3 - p2
        n1, n2 = np.cross(b0, b1), np.cross(b1, b2)
        # IUPAC sign, as walkjump's analysis::dihedral; a NaN (degenerate) ω counts as cis.
        omega = np.degrees(np.arctan2(np.dot(np.cross(n1, n2), b1 / np.linalg.norm(b1)), np.dot(n1, n2)))
        if not abs(omega) >= 90.0:
            bad.append(f"{a.name}{a.id}-{b.name}{b.id} (ω = {omega:.0f}°)")
    return bad


def check_start(topology, positions, what):
    """Refuse a D residue or a cis non-proline peptide bond: neither changes in a
    training or reference run, so either would be in every frame."""
    check_l(topology, positions, what)
    bad = cis_bonds(topology, positions)
    if bad:
        raise ValueError(f"{what}: cis peptide bond at {', '.join(bad)}; every bond not before a "
                         "proline must be trans (rebuild it with walkjump build)")


def build(sequence, minimize=True, platform="CPU"):
    """Topology and positions (OpenMM quantities) of ACE-sequence-NME, minimised; every
    residue checked to be L and every bond not before a proline trans."""
    names = three_letter(sequence)
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "built.pdb")
        r = subprocess.run([walkjump_binary(), "build", "--sequence", "-".join(names), "--out", out],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"walkjump build {sequence} failed: {r.stderr.strip()}")
        pdb = app.PDBFile(out)
        topology, positions = pdb.topology, pdb.positions
    check_start(topology, positions, f"built {sequence}")
    if minimize:
        ff = app.ForceField(*FORCEFIELD)
        system = ff.createSystem(topology, nonbondedMethod=app.NoCutoff)
        plat = mm.Platform.getPlatformByName(platform)
        ctx = mm.Context(system, mm.VerletIntegrator(0.001), plat)
        ctx.setPositions(positions)
        mm.LocalEnergyMinimizer.minimize(ctx, 1.0, 2000)
        positions = ctx.getState(getPositions=True).getPositions()
        check_start(topology, positions, f"minimised {sequence}")
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
