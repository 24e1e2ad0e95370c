# Per-chain D-jump history of a walk-jump run: frames are chain-interleaved (step-major).
import sys, numpy as np, mdtraj as md
top, xs, ys, chains = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
tx = md.load(xs, top=top); ty = md.load(ys, top=top)
t = tx.topology
cents = []
for r in t.residues:
    a = {x.name: x.index for x in r.atoms}
    if all(k in a for k in ("N", "CA", "C", "CB")):
        cents.append((str(r), [a["N"], a["CA"], a["C"], a["CB"]]))
imp = md.compute_dihedrals(tx, np.array([c[1] for c in cents]))  # radians
D = imp > 0  # L is negative
n = tx.n_frames // chains
sig = 0.3
res = np.linalg.norm((ty.xyz - tx.xyz).reshape(tx.n_frames, -1), axis=1) * 10 / (sig * np.sqrt(3 * tx.n_atoms))
print("frames", tx.n_frames, "per chain", n, "residual mean", res.mean().round(3))
for c in range(chains):
    idx = np.arange(c, tx.n_frames, chains)
    d = D[idx].any(axis=1)
    first = np.argmax(d) if d.any() else -1
    # how often D switches on/off along the chain
    sw = int(np.abs(np.diff(d.astype(int))).sum())
    r = res[idx]
    print(f"chain {c}: D {d.mean()*100:5.1f} %  first D at jump {first:4d}  switches {sw:3d}  residual L {r[~d].mean():.3f}" + (f"  D {r[d].mean():.3f}" if d.any() else ""))
for k,(lab,_) in enumerate(cents):
    print(lab, "D %.1f %%" % (100*D[:,k].mean()))
