import sys, numpy as np, mdtraj as md
top, xs, chains, c = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
tx = md.load(xs, top=top); t = tx.topology
cents=[]
for r in t.residues:
    a = {x.name: x.index for x in r.atoms}
    if all(k in a for k in ("N","CA","C","CB")): cents.append((str(r),[a["N"],a["CA"],a["C"],a["CB"]]))
imp = np.degrees(md.compute_dihedrals(tx, np.array([x[1] for x in cents])))
idx = np.arange(c, tx.n_frames, chains)
lo, hi = int(sys.argv[5]), int(sys.argv[6])
for j in range(lo, hi):
    print(j, " ".join(f"{cents[k][0]} {imp[idx[j],k]:7.1f}" for k in range(len(cents))))
