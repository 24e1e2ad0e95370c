"""Regenerate tests/data/ala2_noisy.pdb and tests/data/ala2_mdtraj_dihedrals.json.

MDTraj is the independent implementation the Rust dihedrals are checked against.
Run from the repository root:  python tests/python/make_dihedral_fixture.py
"""
import json

import mdtraj as md
import numpy as np

rng = np.random.default_rng(20261124)
base = md.load("assets/alanine-dipeptide.pdb")
frames = [base.xyz[0]]
for _ in range(39):
    # 0.03 nm = 0.3 Å of noise spreads phi/psi over a wide range
    frames.append(base.xyz[0] + rng.normal(scale=0.03, size=base.xyz[0].shape))
traj = md.Trajectory(np.array(frames, dtype=np.float32), base.topology)
traj.save_pdb("tests/data/ala2_noisy.pdb")

# Reload what was written (PDB keeps 3 decimals in Å) so both sides see identical input.
traj = md.load("tests/data/ala2_noisy.pdb")
_, phi = md.compute_phi(traj)
_, psi = md.compute_psi(traj)
out = {
    "source": "mdtraj %s compute_phi/compute_psi on tests/data/ala2_noisy.pdb" % md.__version__,
    "phi_deg": np.degrees(phi[:, 0]).tolist(),
    "psi_deg": np.degrees(psi[:, 0]).tolist(),
}
with open("tests/data/ala2_mdtraj_dihedrals.json", "w") as f:
    json.dump(out, f, indent=1)
print("wrote", len(out["phi_deg"]), "frames")
