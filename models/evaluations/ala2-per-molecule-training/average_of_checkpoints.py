# Mean force along alanine dipeptide's phi and psi of several checkpoints' scores and of
# the score of their averaged jumps, over the same noised reference frames. Each TAG is a
# folder under $EVAL (default out/ala2-walks) holding jump.dcd and noisy.dcd from
#   walkjump denoise --top assets/alanine-dipeptide.pdb --traj assets/data/ala2-reference.dcd \
#     --model MODEL --seed 3 --out TAG/jump.dcd --y-out TAG/noisy.dcd
# Usage: python average_of_checkpoints.py TAG TAG ...
import os
base = os.environ.get('EVAL', 'out/ala2-walks')
import sys, numpy as np, mdtraj as md
top='assets/alanine-dipeptide.pdb'; sigma=0.3
t = md.load(top).topology
idx = lambda res, n: [a.index for a in t.atoms if a.residue.name == res and a.name == n][0]
N, CA, C = idx('ALA','N'), idx('ALA','CA'), idx('ALA','C')
down_psi = [a.index for a in t.atoms if a.residue.name == 'NME'] + [idx('ALA','O')]
ala = [a.index for a in t.atoms if a.residue.name == 'ALA']
down_phi = [i for i in ala if i != N and i != CA and t.atom(i).name != 'H'] + [a.index for a in t.atoms if a.residue.name == 'NME']
tags = sys.argv[1:]
y = md.load(f'{base}/{tags[0]}/noisy.dcd', top=top).xyz*10
xs = [md.load(f'{base}/{k}/jump.dcd', top=top).xyz*10 for k in tags]
def torque(xh):
    s = (xh - y)/sigma**2; out=[]
    for a0,a1,g in [(N,CA,down_phi),(CA,C,down_psi)]:
        u = y[:,a1]-y[:,a0]; u/=np.linalg.norm(u,axis=1)[:,None]
        tau = (s[:,g]*np.cross(u[:,None,:], y[:,g]-y[:,[a1]])).sum(axis=(1,2))
        out.append('%+.2f±%.2f' % (tau.mean(), tau.std()/np.sqrt(len(tau))))
    return ' '.join(out)
for k,x in zip(tags, xs): print(k, torque(x))
print('average of', tags, torque(sum(xs)/len(xs)))
