#!/usr/bin/env bash
# run.sh TAG SIGMA FRAMES [extra sample args]: alanine dipeptide walked from 8 frames of its
# OpenMM reference with the exact score of FRAMES (--denoiser empirical), in the decomposition's
# protocol (8 chains x 1,500 steps, every fifth jump kept, no burn-in), scored against the reference.
# SEED (default 7), OUTDIR (default out/exact-ala2), WALKJUMP (default walkjump). Run from the repository root.
set -e
T=$1; S=$2; F=$3; shift 3; O=${OUTDIR:-out/exact-ala2}/$T; mkdir -p $O
W=${WALKJUMP:-walkjump}
$W sample --pdb assets/alanine-dipeptide.pdb --denoiser empirical --frames $F --sigma $S --starts assets/data/ala2-reference.dcd --chains 8 --steps 1500 --jump-every 5 --burn-in 0 --seed ${SEED:-7} --out $O/walk.xtc "$@" > $O/walk.log 2>&1
$W evaluate --top assets/alanine-dipeptide.pdb --samples $O/walk.xtc --reference assets/data/ala2-reference.dcd --json $O/walk.json --markdown $O/walk.md > $O/eval.log 2>&1
python3 -c "
import json; r=json.load(open('$O/walk.json')); x=r['residues'][0]
print('$T', 'Rama JSD %.3f (floor %.3f)' % (r['ramachandran_jsd'], r['ramachandran_floor']), 'basins', [round(100*f) for f in x['basin_fractions']], 'ref', [round(100*f) for f in x['reference_basin_fractions']])" | tee $O/summary.txt
tail -1 $O/walk.log
