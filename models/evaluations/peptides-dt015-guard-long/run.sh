#!/usr/bin/env bash
# Held-out dipeptides at Δt = 0.15 Å (half of σ), the same walk time and sample count
# as the long protocol (3,000 steps, every 10th jump kept), chirality guard on.
set -euo pipefail
cd /work/main
out=out/eval-dt015-long
mkdir -p $out/test
for n in "$@"; do
  WALKJUMP_NET_THREADS=1 /tmp/wj2 sample --pdb assets/data/peptides/$n/$n.pdb --model models/peptides.wjm \
    --backend ndarray --chains 8 --steps 3000 --jump-every 10 --burn-in 50 --seed 7 --dt 0.15 \
    --out $out/test/$n.xtc | sed -n "s/.*chirality guard: /$n: /p" >> $out/guard.txt
done
