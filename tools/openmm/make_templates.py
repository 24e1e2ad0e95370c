"""Write assets/templates/residues.pdb: ACE-X-NME with hydrogens, minimised with
ff14SB + GBn2, one MODEL per residue and protonation state. `walkjump build` and the
hydrogen completion of the loader place atoms from these templates by local frames.

    python tools/openmm/make_templates.py  (needs openmm and pdbfixer)

The templates come from PDBFixer (the bundled alanine dipeptide's heavy atoms, the
alanine mutated, hydrogens for pH 7), since `walkjump build` itself places atoms from
them. Only their local geometry is used; whatever ω or φ/ψ PDBFixer leaves is not.
"""

import io

import os

import openmm as mm
import openmm.app as app

from peptide_build import FORCEFIELD, HERE, ONE_TO_THREE, check_l

SEED_PDB = os.path.join(HERE, "..", "..", "assets", "alanine-dipeptide.pdb")


def _seed_heavy_atoms():
    keep = []
    for line in open(SEED_PDB):
        if line.startswith(("ATOM", "HETATM")):
            name = line[12:16].strip()
            if not name.lstrip("0123456789").startswith("H"):
                keep.append(line)
    return "".join(keep) + "END\n"


def build_single(name):
    """ACE-name-NME from PDBFixer, unminimised, checked to be L."""
    from pdbfixer import PDBFixer

    fixer = PDBFixer(pdbfile=io.StringIO(_seed_heavy_atoms()))
    chain = list(fixer.topology.chains())[0].id
    if name != "ALA":
        fixer.applyMutations([f"ALA-2-{name}"], chain)
    fixer.findMissingResidues()
    fixer.missingResidues = {}
    fixer.findMissingAtoms()
    fixer.addMissingAtoms()
    fixer.addMissingHydrogens(7.0)
    check_l(fixer.topology, fixer.positions, f"PDBFixer's {name}")
    return fixer.topology, fixer.positions

# Protonation states beside the pH 7 default, as OpenMM names them.
VARIANTS = {"HID": "HIS", "HIE": "HIS", "HIP": "HIS", "ASH": "ASP", "GLH": "GLU", "LYN": "LYS", "CYX": "CYS"}


def protonated(name, variant):
    top, pos = build_single(name)
    heavy = app.Modeller(top, pos)
    heavy.delete([a for a in heavy.topology.atoms() if a.element.symbol == "H"])
    ff = app.ForceField(*FORCEFIELD)
    v = [None, variant if variant != "CYX" else None, None]
    heavy.addHydrogens(ff, variants=v)
    if variant == "CYX":
        # A free cysteine without its thiol hydrogen is what a disulfide partner looks like.
        heavy.delete([a for a in heavy.topology.atoms() if a.name == "HG"])
    return heavy.topology, heavy.positions


def minimise(top, pos):
    ff = app.ForceField(*FORCEFIELD)
    system = ff.createSystem(top, nonbondedMethod=app.NoCutoff)
    ctx = mm.Context(system, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName("CPU"))
    ctx.setPositions(pos)
    mm.LocalEnergyMinimizer.minimize(ctx, 1.0, 2000)
    return ctx.getState(getPositions=True).getPositions()


def main():
    out = os.path.join(os.path.dirname(__file__), "..", "..", "assets", "templates", "residues.pdb")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    models = []
    for three in sorted(ONE_TO_THREE.values()):
        top, pos = build_single(three)
        models.append((three, top, minimise(top, pos)))
    for variant, parent in VARIANTS.items():
        top, pos = protonated(parent, variant)
        if variant != "CYX":
            pos = minimise(top, pos)
        models.append((variant, top, pos))
    with open(out, "w") as fh:
        fh.write("REMARK   1 ACE-X-NME residue templates for walkjump build (tools/openmm/make_templates.py)\n")
        for k, (name, top, pos) in enumerate(models):
            for r in top.residues():
                if r.name not in ("ACE", "NME"):
                    r.name = name
            app.PDBFile.writeModel(top, pos, fh, modelIndex=k + 1)
        fh.write("END\n")
    print(f"wrote {out}: {len(models)} templates")


if __name__ == "__main__":
    main()
