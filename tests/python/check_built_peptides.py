"""Open peptides written by `walkjump build` with MDTraj and, if it is installed, build
an ff14SB + GBn2 system for each with OpenMM; print what they saw as JSON.

usage: check_built_peptides.py PEPTIDE.pdb [PEPTIDE.pdb ...]
"""
import json
import sys

import mdtraj as md

try:
    import openmm.app as app

    forcefield = app.ForceField("amber14/protein.ff14SB.xml", "implicit/gbn2.xml")
except ImportError:
    forcefield = None

files = {}
for path in sys.argv[1:]:
    t = md.load(path)
    entry = {"n_atoms": t.n_atoms, "n_residues": t.n_residues}
    if forcefield is not None:
        try:
            forcefield.createSystem(app.PDBFile(path).topology)
            entry["openmm"] = "ok"
        except Exception as e:  # the message is what the test reports
            entry["openmm"] = f"{type(e).__name__}: {e}"
    files[path] = entry
print(json.dumps({"openmm_available": forcefield is not None, "files": files}))
