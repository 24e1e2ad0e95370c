"""Open trajectories written by walkjump with MDTraj and print what it sees as JSON.

usage: check_mdtraj_reads.py TOPOLOGY.pdb TRAJ [TRAJ ...]
"""
import json
import sys

import mdtraj as md

top = sys.argv[1]
out = {}
for path in sys.argv[2:]:
    t = md.load(path, top=top)
    # MDTraj works in nm; report Å to compare with what was written.
    out[path] = {
        "n_frames": t.n_frames,
        "n_atoms": t.n_atoms,
        "xyz_angstrom": (t.xyz * 10.0).tolist(),
        "elements": [a.element.symbol for a in t.topology.atoms],
        "names": [a.name for a in t.topology.atoms],
    }
print(json.dumps(out))
