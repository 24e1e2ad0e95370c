"""Basin shares of a walk-jump run over time, per residue, in blocks of recorded jumps.

    python tools/walk_blocks.py TOPOLOGY.pdb SAMPLES.xtc CHAINS [BLOCKS]

`walkjump sample` writes each recorded step's jumps for all chains together, so frame
k belongs to step k // CHAINS. Prints β/PII·αR·αL % per block and residue, with the
cores of walkjump::analysis::basin. A walk started in equilibrium whose shares move
away from the reference's is walking a different density.
"""
import sys

import mdtraj as md
import numpy as np


def shares(phi, psi):
    ext = (phi < 0) & ((psi > 100) | (psi < -150))
    a_r = (phi < 0) & (psi > -90) & (psi < 30)
    a_l = (phi > 0) & (psi > -30) & (psi < 90)
    return [round(100 * m.mean()) for m in (ext, a_r, a_l)]


def main():
    top, traj, chains = sys.argv[1], sys.argv[2], int(sys.argv[3])
    blocks = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    t = md.load(traj, top=top)
    _, phi = md.compute_phi(t)
    _, psi = md.compute_psi(t)
    phi, psi = np.degrees(phi), np.degrees(psi)
    steps = np.arange(t.n_frames) // chains
    edges = np.linspace(0, t.n_frames // chains, blocks + 1).astype(int)
    for b in range(blocks):
        m = (steps >= edges[b]) & (steps < edges[b + 1])
        cells = "  ".join(str(shares(phi[m, k], psi[m, k])) for k in range(phi.shape[1]))
        print(f"jumps {edges[b]:4d}-{edges[b + 1]:4d}: {cells}")


if __name__ == "__main__":
    main()
