"""Build a capped all-atom peptide (ACE-...-NME) from a sequence with PDBFixer and OpenMM.

The backbone starts from the bundled alanine dipeptide's heavy atoms; PDBFixer mutates
the first residue, inserts the others from its residue templates (L-amino acids) and
adds hydrogens for pH 7; a short ff14SB + GBn2 minimisation removes clashes. Used by
`batch_md.py` for the training and test data, and to make the residue templates that
`walkjump build` places atoms from.
"""

import io
import os

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


def build(sequence, minimize=True, platform="CPU"):
    """Topology and positions (OpenMM quantities) of ACE-sequence-NME, minimised."""
    from pdbfixer import PDBFixer

    names = three_letter(sequence)
    fixer = PDBFixer(pdbfile=io.StringIO(_seed_heavy_atoms()))
    chain = list(fixer.topology.chains())[0].id
    if names[0] != "ALA":
        fixer.applyMutations([f"ALA-2-{names[0]}"], chain)
    fixer.findMissingResidues()
    fixer.missingResidues = {(0, 2): names[1:]} if len(names) > 1 else {}
    fixer.findMissingAtoms()
    fixer.addMissingAtoms()
    fixer.addMissingHydrogens(7.0)
    topology, positions = fixer.topology, fixer.positions
    if minimize:
        ff = app.ForceField(*FORCEFIELD)
        system = ff.createSystem(topology, nonbondedMethod=app.NoCutoff)
        plat = mm.Platform.getPlatformByName(platform)
        ctx = mm.Context(system, mm.VerletIntegrator(0.001), plat)
        ctx.setPositions(positions)
        mm.LocalEnergyMinimizer.minimize(ctx, 1.0, 2000)
        positions = ctx.getState(getPositions=True).getPositions()
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
