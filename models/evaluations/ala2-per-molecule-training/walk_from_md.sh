#!/usr/bin/env bash
# walk_from_md.sh MODEL TAG: alanine dipeptide walked from 8 frames of its 10 ns OpenMM reference (the
# decomposition protocol: 8 chains x 1,500 steps, every fifth jump kept, no burn-in, seed 7), scored against it.
set -e
cd "$(git rev-parse --show-toplevel)"
M=$1; T=$2; O=${OUTDIR:-out/ala2-walks}/$T; mkdir -p $O
WALKJUMP_NET_THREADS=1 ${WALKJUMP:-walkjump} sample --pdb assets/alanine-dipeptide.pdb --starts assets/data/ala2-reference.dcd --model $M --backend ndarray --chains 8 --steps 1500 --jump-every 5 --burn-in 0 --seed 7 --out $O/walk.xtc > $O/walk.log 2>&1
${WALKJUMP:-walkjump} evaluate --top assets/alanine-dipeptide.pdb --samples $O/walk.xtc --reference assets/data/ala2-reference.dcd --json $O/walk.json --markdown $O/walk.md > $O/eval.log 2>&1
python3 -c "
import json; r=json.load(open('$O/walk.json')); x=r['residues'][0]
print('$T', 'walk-from-MD Rama JSD %.3f (floor %.3f)' % (r['ramachandran_jsd'], r['ramachandran_floor']), 'basins', [round(100*f) for f in x['basin_fractions']], 'ref', [round(100*f) for f in x['reference_basin_fractions']])" | tee $O/summary.txt
