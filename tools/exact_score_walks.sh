#!/usr/bin/env bash
# The walk with an exact score, on the held-out peptides and alanine dipeptide: the
# decomposition's walk protocol (8 chains from reference frames spread over the run,
# 1,500 steps, every fifth jump kept, no burn-in, seed 7), with `--denoiser empirical`
# instead of a model: the exact score of the frames' distribution smoothed at σ. Only
# where the frames are dense enough to overlap at σ can its chains cross between
# basins; with the 2,000 frames of these 35-60-atom references they do not (every
# basin share is a multiple of 1/8), so these walks keep their start frames' basins
# and their JSD is no floor for the protocol (models/README.md, December 8).
#   tools/exact_score_walks.sh SIGMA OUTDIR
# Frames: each peptide's own reference (so its numbers are a little optimistic), and
# for alanine dipeptide the independent 6 ns training run.
set -euo pipefail
sigma=${1:-0.3}
out=${2:-out/exact-score-walks}
wj=${WALKJUMP:-walkjump}
data=assets/data/peptides
mkdir -p "$out"
names=$(python3 -c "import json; print(' '.join(p['name'] for p in json.load(open('$data/manifest.json'))['peptides'] if p['split']=='test'))")
for n in $names ala2; do
  if [ "$n" = ala2 ]; then
    top=assets/alanine-dipeptide.pdb ref=assets/data/ala2-reference.dcd frames=assets/data/ala2-train.dcd
  else
    top=$data/$n/$n.pdb ref=$data/$n/$n.xtc frames=$ref
  fi
  "$wj" sample --pdb "$top" --denoiser empirical --frames "$frames" --sigma "$sigma" --starts "$ref" \
    --chains 8 --steps 1500 --jump-every 5 --burn-in 0 --seed 7 --out "$out/$n.xtc" >"$out/$n.log" 2>&1
  "$wj" evaluate --top "$top" --samples "$out/$n.xtc" --reference "$ref" --json "$out/$n.json" >/dev/null
  rm -f "$out/$n.xtc"
done
python3 - "$out" "$sigma" $names ala2 <<'PY'
import json, sys
out, sigma, names = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = [f"| peptide (σ = {sigma} Å) | exact-score walk from MD starts | MD floor | β/PII·αR·αL %: reference / walk |", "|---|---:|---:|---|"]
fmt = lambda r, key: " ".join("·".join(str(round(100 * f)) for f in x[key]) for x in r["residues"])
total = []
for n in names:
    r = json.load(open(f"{out}/{n}.json"))
    if n != "ala2":
        total.append(r["ramachandran_jsd"])
    rows.append(f"| {n} | {r['ramachandran_jsd']:.3f} | {r['ramachandran_floor']:.3f} | {fmt(r, 'reference_basin_fractions')} / {fmt(r, 'basin_fractions')} |")
rows.append(f"| mean of the held-out peptides | {sum(total) / len(total):.3f} | | |")
open(f"{out}/summary.md", "w").write("\n".join(rows) + "\n")
print("\n".join(rows))
PY
