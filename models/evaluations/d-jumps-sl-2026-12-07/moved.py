import sys, numpy as np, mdtraj as md
top, xs, ys, chains, c, j = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
tx = md.load(xs, top=top); ty = md.load(ys, top=top)
i0, i1 = c + chains*(j-1), c + chains*j
a = tx.xyz[i0]*10; b = tx.xyz[i1]*10; ya = ty.xyz[i0]*10; yb = ty.xyz[i1]*10
d = np.linalg.norm(a-b, axis=1); dy = np.linalg.norm(ya-yb, axis=1)
names = [str(x) for x in tx.topology.atoms]
for k in np.argsort(-d)[:10]: print(f"{names[k]:12s} x moved {d[k]:.2f} Å  y moved {dy[k]:.2f} Å  |y-x| before {np.linalg.norm(ya[k]-a[k]):.2f} after {np.linalg.norm(yb[k]-b[k]):.2f}")
print("rms y move", np.sqrt((dy**2).mean()))
