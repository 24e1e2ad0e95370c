#!/usr/bin/env bash
# Split a peptide model's distance to OpenMM between the jump and the walk, on the
# held-out peptides and alanine dipeptide:
#   jump  `walkjump denoise`: each reference frame noised at σ and denoised once,
#         scored against the same reference (the denoiser alone, no walk);
#   noisy the noised frames themselves (the negative control: what σ alone does);
#         It also prints the learned score's mean force along each torsion over the
#         noised frames, beside the reference's forces on the clean ones: zero for the
#         exact score (analysis::torsion_force), so a bias the walk integrates;
#   walk  `walkjump sample --starts`: 8 chains started from reference frames spread
#         over the run, 1,500 steps, every fifth jump kept, no burn-in. A walk whose
#         density is right keeps an equilibrium start; one that is wrong leaves it.
#   tools/decompose_peptides.sh MODEL OUTDIR [PARALLEL]
# Writes OUTDIR/{jump,noisy,walk}/NAME.json (evaluate reports) and OUTDIR/summary.md.
set -euo pipefail
model=${1:-models/peptides.wjm}
out=${2:-out/decompose}
par=${3:-2}
wj=${WALKJUMP:-walkjump}
walk_steps=${WALK_STEPS:-1500}   # shorter only to try the script (gpu.sh's DRY run)
data=assets/data/peptides
mkdir -p "$out/jump" "$out/noisy" "$out/walk"
names=$(python3 -c "import json; print(' '.join(p['name'] for p in json.load(open('$data/manifest.json'))['peptides'] if p['split']=='test'))")
one() {
  local n=$1 top ref forces
  if [ "$n" = ala2 ]; then
    top=assets/alanine-dipeptide.pdb ref=assets/data/ala2-reference.dcd
    forces=assets/data/ala2-reference-forces.dcd
  else
    top=$data/$n/$n.pdb ref=$data/$n/$n.xtc forces=$data/$n/$n-forces.xtc
  fi
  "$wj" denoise --top "$top" --traj "$ref" --forces "$forces" --model "$model" --backend ndarray --seed 3 \
    --out "$out/jump/$n.xtc" --y-out "$out/noisy/$n.xtc" >"$out/jump/$n.log"
  "$wj" sample --pdb "$top" --starts "$ref" --model "$model" --backend ndarray --chains 8 \
    --steps "$walk_steps" --jump-every 5 --burn-in 0 --seed 7 --out "$out/walk/$n.xtc" >"$out/walk/$n.log" 2>&1
  for kind in jump noisy walk; do
    "$wj" evaluate --top "$top" --samples "$out/$kind/$n.xtc" --reference "$ref" \
      --json "$out/$kind/$n.json" >/dev/null
    rm -f "$out/$kind/$n.xtc"   # large; the report and the run summary stay
  done
}
export -f one
export wj model out data walk_steps
# One network thread per job: the jobs run side by side.
printf '%s\n' $names ala2 | WALKJUMP_NET_THREADS=1 xargs -P "$par" -I{} bash -c 'one {}'
python3 - "$out" $names ala2 <<'EOF'
import json, re, sys
out, names = sys.argv[1], sys.argv[2:]
rows = ["| peptide | jump (denoise) | noisy (control) | walk from MD starts | MD floor | β/PII·αR·αL %: reference / jump / walk | mean force along φ/ψ, k_BT/rad: learned (reference forces) |",
        "|---|---:|---:|---:|---:|---|---|"]
def forces(n):
    cells = []
    for line in open(f"{out}/jump/{n}.log"):
        m = re.match(r"\s+(phi|psi) (\S+)\s+learned score (\S+) ± \S+\s+reference forces (\S+) ± ", line)
        if m:
            cells.append(f"{'φ' if m[1] == 'phi' else 'ψ'} {m[2]} {m[3]} ({m[4]})")
    return ", ".join(cells)
for n in names:
    r = {k: json.load(open(f"{out}/{k}/{n}.json")) for k in ("jump", "noisy", "walk")}
    fmt = lambda rs, key: " ".join("·".join(str(round(100 * f)) for f in x[key]) for x in rs["residues"])
    rows.append(f"| {n} | {r['jump']['ramachandran_jsd']:.3f} | {r['noisy']['ramachandran_jsd']:.3f} | "
                f"{r['walk']['ramachandran_jsd']:.3f} | {r['walk']['ramachandran_floor']:.3f} | "
                f"{fmt(r['jump'], 'reference_basin_fractions')} / {fmt(r['jump'], 'basin_fractions')} / {fmt(r['walk'], 'basin_fractions')} | "
                f"{forces(n)} |")
open(f"{out}/summary.md", "w").write("\n".join(rows) + "\n")
print("\n".join(rows))
EOF
