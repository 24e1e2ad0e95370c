# Share of the jumps in which each residue's Cα is D and the Cβ of Ile/Thr is allo,
# per chain too (8 chains, frames interleaved step-major). Usage: python allo_fractions.py RUN.pdb ...
import sys, numpy as np, mdtraj as md
for f in sys.argv[1:]:
    t = md.load(f)
    n = t.n_frames
    for r in t.topology.residues:
        at = {a.name:a.index for a in r.atoms}
        out = []
        if 'CB' in at and 'N' in at:
            d = np.degrees(md.compute_dihedrals(t, [[at['N'],at['CA'],at['C'],at['CB']]]))[:,0]
            out.append('CA D %.1f %%' % (100*(d>0).mean()))
        if r.name == 'ILE': q=[at['CA'],at['CB'],at['CG1'],at['CG2']]
        elif r.name == 'THR': q=[at['CA'],at['CB'],at['OG1'],at['CG2']]
        else: q=None
        if q:
            d = np.degrees(md.compute_dihedrals(t, [q]))[:,0]
            ch = (d>0).reshape(-1, 8).mean(0)  # frames are step-major: chain = column
            out.append('CB allo %.1f %% per chain %s' % (100*(d>0).mean(), np.round(100*ch).astype(int)))
        if out: print(f, r, '; '.join(out))
