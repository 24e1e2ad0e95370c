#!/usr/bin/env python3
"""When do a walk-jump run's jumps turn into D-amino acids?

`walkjump sample` writes its jumps step by step (all chains of step 0, then all
chains of step 1, ...). For every residue with a chiral Cα (N, CA, C, CB present)
this prints, at a few walk steps, the fraction of chains whose jump is still L and
the mean normalised signed volume (N−CA)×(C−CA)·(CB−CA) / |…||…||…| (L > 0; MD of
an L-peptide sits near 0.7–0.8). Inverted jumps from the first step on mean the
denoiser itself is wrong; jumps that start L and turn D later mean the walk drifts
across the L/D boundary of the learned score; a falling mean volume with few D is
a flattened Cα.

    python tools/chirality_drift.py TOPOLOGY.pdb SAMPLES.xtc CHAINS [STEPS...]
"""
import sys

import mdtraj as md
import numpy as np


def signed_volumes(traj):
    """Residue -> normalised signed volume per frame, for residues with N, CA, C, CB."""
    out = {}
    x = traj.xyz
    for res in traj.topology.residues:
        idx = {a.name: a.index for a in res.atoms}
        if not all(k in idx for k in ("N", "CA", "C", "CB")):
            continue
        a, b, c = (x[:, idx[k]] - x[:, idx["CA"]] for k in ("N", "C", "CB"))
        vol = np.einsum("ij,ij->i", np.cross(a, b), c)
        norm = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) * np.linalg.norm(c, axis=1)
        out[str(res)] = vol / norm
    return out


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    top, samples, chains = sys.argv[1], sys.argv[2], int(sys.argv[3])
    steps = [int(s) for s in sys.argv[4:]] or [0, 1, 2, 5, 10, 20, 50, 100, 200, 400]
    traj = md.load(samples, top=top)
    if traj.n_frames % chains:
        sys.exit(f"{traj.n_frames} frames are not a whole number of steps of {chains} chains")
    for res, vol in signed_volumes(traj).items():
        per_step = vol.reshape(-1, chains)
        shown = [s for s in steps if s < len(per_step)]
        print(f"{res}: {100 * (vol < 0).mean():.1f} % D, mean volume {vol.mean():.2f}, {len(per_step)} steps")
        print("  step      " + "".join(f"{s:>7}" for s in shown))
        print("  L chains  " + "".join(f"{(per_step[s] > 0).mean():>7.2f}" for s in shown))
        print("  volume    " + "".join(f"{per_step[s].mean():>7.2f}" for s in shown))


if __name__ == "__main__":
    main()
