#!/usr/bin/env bash
# Evaluate a transferable peptide model against the OpenMM references of the held-out
# peptides (and a few training ones): sample each with walk-jump, then
# `walkjump evaluate` prints per-residue Ramachandran, torsion and TICA JSD and the D
# fraction beside the MD-vs-MD floor at the same sample count.
#   tools/evaluate_peptides.sh MODEL OUTDIR [CHAINS] [STEPS] [BACKEND] [JUMP_EVERY]
# JUMP_EVERY k > 1 walks k·STEPS steps and keeps every k-th jump: the same sample count,
# so the same MD-vs-MD floor, from chains that have had time to leave their start (a
# chain moves between basin cores only 0-6 times in 300 steps). TRAINING=0 skips the
# training peptides (A, LL). GUARD=off samples without the chirality guard (the
# model's own D-jumps); with it (the default, as in the app) the rejected moves of
# each run are listed in OUTDIR/guard.txt. DT=0.15 sets the walk step (default σ);
# with half the step, double JUMP_EVERY to keep the walk time.
set -euo pipefail
model=${1:-models/peptides.wjm}
out=${2:-out/peptides-eval}
chains=${3:-16}
steps=${4:-450}
backend=${5:-ndarray}
every=${6:-1}
walk=$((steps * every))
splits="test train"
[ "${TRAINING:-1}" = 0 ] && splits="test"
wj=${WALKJUMP:-walkjump}
guard=${GUARD:-on}
dt=()
[ -n "${DT:-}" ] && dt=(--dt "$DT")
data=assets/data/peptides
mkdir -p "$out/test" "$out/train"
: >"$out/guard.txt"
for split in $splits; do
  names=$(python3 -c "import json,sys; print(' '.join(p['name'] for p in json.load(open('$data/manifest.json'))['peptides'] if p['split']=='$split'))")
  [ "$split" = train ] && names="A LL"   # a few training peptides
  for n in $names; do
    "$wj" sample --pdb "$data/$n/$n.pdb" --model "$model" --backend "$backend" \
      --chains "$chains" --steps "$walk" --jump-every "$every" --burn-in 50 --seed 7 \
      "${dt[@]}" --chirality-guard "$guard" --out "$out/$split/$n.xtc" | sed -n "s/.*chirality guard: /$n: /p" >>"$out/guard.txt"
  done
  "$wj" evaluate --manifest "$data/manifest.json" --split "$split" --samples-dir "$out/$split" \
    --json "$out/$split.json" --markdown "$out/$split.md"
done
# Alanine dipeptide against its own 10 ns reference (it is in the training set).
"$wj" sample --pdb assets/alanine-dipeptide.pdb --model "$model" --backend "$backend" \
  --chains "$chains" --steps "$walk" --jump-every "$every" --burn-in 50 --seed 7 \
  "${dt[@]}" --chirality-guard "$guard" --out "$out/ala2.xtc" | sed -n "s/.*chirality guard: /ala2: /p" >>"$out/guard.txt"
"$wj" evaluate --top assets/alanine-dipeptide.pdb --samples "$out/ala2.xtc" \
  --reference assets/data/ala2-reference.dcd --json "$out/ala2.json" --markdown "$out/ala2.md"
