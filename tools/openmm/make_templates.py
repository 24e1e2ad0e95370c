"""Write assets/templates/residues.pdb: ACE-X-NME with hydrogens, minimised with
ff14SB + GBn2, one MODEL per residue and protonation state. `walkjump build` and the
hydrogen completion of the loader place atoms from these templates by local frames.

    python tools/openmm/make_templates.py  (needs openmm and pdbfixer)
"""

import os

import openmm as mm
import openmm.app as app

from peptide_build import FORCEFIELD, ONE_TO_THREE, build

# Protonation states beside the pH 7 default, as OpenMM names them.
VARIANTS = {"HID": "HIS", "HIE": "HIS", "HIP": "HIS", "ASH": "ASP", "GLH": "GLU", "LYN": "LYS", "CYX": "CYS"}


def protonated(name, variant):
    top, pos = build(ONE_TO_THREE_INV[name], minimize=False)
    heavy = app.Modeller(top, pos)
    heavy.delete([a for a in heavy.topology.atoms() if a.element.symbol == "H"])
    ff = app.ForceField(*FORCEFIELD)
    v = [None, variant if variant != "CYX" else None, None]
    heavy.addHydrogens(ff, variants=v)
    if variant == "CYX":
        # A free cysteine without its thiol hydrogen is what a disulfide partner looks like.
        heavy.delete([a for a in heavy.topology.atoms() if a.name == "HG"])
    return heavy.topology, heavy.positions


ONE_TO_THREE_INV = {v: k for k, v in ONE_TO_THREE.items()}


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
        models.append((three, *build(ONE_TO_THREE_INV[three])))
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
