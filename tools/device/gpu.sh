#!/usr/bin/env bash
# What a lent GPU machine (H100/H200, 16 cores) is for, in the order it is worth doing:
#
#   bench  issue 14: the sampler's speed on the card, alone on the machine (DEVICE.md:
#          a bench beside OpenMM workers measured 10x less). The time breakdown
#          (walkjump bench), then samples/s for 1 to 8,192 chains with the walk on the
#          device and on the host (wgpu) and on ndarray, for alanine dipeptide and a
#          67-atom peptide, beside OpenMM on CUDA and on the CPU, same run; then the
#          network's dense pairs against its radius graph, 67 to 1,072 atoms. ~4 min.
#   train  issue 13: the transferable model's data and training. OpenMM on CUDA and
#          the CPU cores makes 1 ns runs of the training peptides (jobs/train-long.json:
#          runs long enough to cross between basins, so their populations are the force
#          field's, not their starts') for MD_S seconds, then two models
#          train at once on the card (one does not fill it) for TRAIN_MIN minutes,
#          then both walk from the held-out references' frames at once. ~8 min.
#   refs   issue 13: long OpenMM references of the held-out peptides (up to REF_NS ns
#          each, on CUDA, started from walkjump build's L-peptides), for REF_S seconds
#          at most; the manifest records the ns each reached. The shipped ones are 2 ns, and several residues never leave the basin
#          they start in (models/README.md). ~7 min.
#   all    bench and train, bench first.
#
# Stage first, on the 2-core machine: bash tools/device/prepare.sh. Then one device
# call per part (each under the 10-minute limit of a call), carry [".gl", ".whl",
# ".bin"]: "bash tools/device/gpu.sh bench", then at once "bash tools/device/gpu.sh
# train" (the machine stays warm only 30 s). Outputs go to $OUT as at most 8 files
# (the device tool's limit): the bench's as one file at its end, the MD data as soon
# as it is made, the models as soon as they are trained, so a call cut short during
# the evaluation still returns the data and the models.
#
# DRY=1 runs the same steps here on the CPU (ndarray, lavapipe's wgpu skipped, small
# budgets, this machine's OpenMM), to check the script before a GPU is spent on it:
#   DRY=1 OUT=/tmp/gpu-dry bash tools/device/gpu.sh all
set -u
PART=${1:-all}
OUT=${OUT:-/tmp/out}
LOGS=/tmp/device-logs
DRY=${DRY:-0}
mkdir -p "$OUT"
log() { echo "[$(date +%T)] $*" | tee -a "$OUT/steps.log"; }
# The two transferable models trained side by side (their flags after `train`): the
# shipped recipe (JAMUN's radius C) against C over the bonds, which on alanine
# dipeptide kept 3x the αR in the walk at equal steps on the CPU (models/README.md,
# "The score's mean force along each torsion").
MODEL_A=${MODEL_A:---sigma 0.3}
MODEL_B=${MODEL_B:---sigma 0.3 --c-bonds}

if [ "$DRY" = 1 ]; then
  W=${WALKJUMP:-${CARGO_TARGET_DIR:-$HOME/.cache/walkjump/target}/release/walkjump}
  PY=${WALKJUMP_PYTHON:-python3}
  NET=ndarray; WALKS=device; CHAINS=1,16; CELL_S=2; BENCH_S=0.5; PAIR_COPIES=1,2; PAIR_CHAINS=1
  MD_S=${MD_S:-25}; MD_NS=0.02; MD_WORKERS=2; TRAIN_MIN=${TRAIN_MIN:-0.4}; WORKERS=2; CUDA_WORKERS=0
  EVAL_PAR=2; export WALK_STEPS=20; BATCH=8; REF_NS=0.05; REF_S=60; REF_WORKERS=2; REF_CUDA=0
  export VK_ICD_FILENAMES=/nonexistent   # lavapipe would take minutes per wgpu cell
else
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json XDG_RUNTIME_DIR=/tmp/xdg
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  mkdir -p /tmp/xdg /tmp/site
  python3 -c "import tarfile; tarfile.open('.whl/site.tar.xz').extractall('/tmp/site')" || exit 1
  export PYTHONPATH=/tmp/site
  python3 -c "import lzma, shutil; shutil.copyfileobj(lzma.open('.bin/walkjump.xz'), open('/tmp/walkjump', 'wb'))" \
    && chmod +x /tmp/walkjump || exit 1
  W=/tmp/walkjump; PY=python3
  NET=wgpu; WALKS=device,host; CHAINS=1,16,128,1024,8192; CELL_S=8; BENCH_S=2
  PAIR_COPIES=1,2,4,8,16; PAIR_CHAINS=1,16
  # The training MD on the CUDA workers only: a CPU worker makes ~0.3 ns in MD_S.
  MD_S=${MD_S:-120}; MD_NS=${MD_NS:-1}; TRAIN_MIN=${TRAIN_MIN:-4}; WORKERS=16; CUDA_WORKERS=4; MD_WORKERS=$CUDA_WORKERS
  EVAL_PAR=8; BATCH=128; REF_NS=${REF_NS:-50}; REF_S=${REF_S:-400}
  REF_WORKERS=7; REF_CUDA=7
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
fi
export PYTHONUNBUFFERED=1
log "binary $(cat .bin/commit 2>/dev/null || git rev-parse HEAD 2>/dev/null), checkout $(git rev-parse --short HEAD 2>/dev/null)"
"$PY" -c "import openmm as mm; print('OpenMM', mm.__version__, [mm.Platform.getPlatform(i).getName() for i in range(mm.Platform.getNumPlatforms())])" \
  | tee -a "$OUT/steps.log"

bench() {
  log "bench: time breakdown"
  "$W" bench --seconds "$BENCH_S" --json "$OUT/bench_breakdown.json" >"$OUT/bench_breakdown.txt" 2>&1
  log "bench: scaling, $NET (walk: $WALKS), OpenMM on the CPU and a GPU platform"
  "$W" bench --scaling --python "$PY" --scaling-backends "$NET" --scaling-walks "$WALKS" \
    --scaling-chains "$CHAINS" --scaling-cell-seconds "$CELL_S" --seconds "$BENCH_S" \
    --json "$OUT/scaling_gpu.json" >"$OUT/scaling_gpu.txt" 2>&1
  if [ "$NET" != ndarray ]; then
    log "bench: scaling, ndarray on the machine's cores (no OpenMM again)"
    "$W" bench --scaling --python "$PY" --scaling-backends ndarray --scaling-walks device \
      --scaling-chains "$CHAINS" --scaling-cell-seconds "$CELL_S" --seconds "$BENCH_S" \
      --openmm-platform none --json "$OUT/scaling_cpu.json" >"$OUT/scaling_cpu.txt" 2>&1
  fi
  log "bench: dense pairs against the radius graph, $NET, copies $PAIR_COPIES of a 67-atom peptide"
  "$W" bench --pairs-crossover --pairs-backends "$NET" --pairs-copies "$PAIR_COPIES" \
    --pairs-chains "$PAIR_CHAINS" --pairs-call-seconds "$CELL_S" --seconds "$BENCH_S" \
    --json "$OUT/pairs_crossover.json" >"$OUT/pairs_crossover.txt" 2>&1
  tail -n 30 "$OUT"/scaling_*.txt "$OUT"/pairs_crossover.txt
  tar -C "$OUT" -czf "$OUT/bench.tgz" --remove-files $(cd "$OUT" && ls bench_breakdown.* scaling_*.* pairs_crossover.*)
}

train() {
  log "train: OpenMM data, ${MD_NS} ns runs, for ${MD_S} s ($MD_WORKERS workers, $CUDA_WORKERS on CUDA)"
  jobs=tools/openmm/jobs/train-long.json
  if [ "$DRY" = 1 ]; then
    jobs=/tmp/gpu-dry-jobs.json
    echo '[{"sequence":"KW","split":"train","ns":0.01,"seed":1},{"sequence":"G","split":"train","ns":0.01,"seed":2}]' >"$jobs"
  fi
  rm -rf /tmp/pep /tmp/model-* /tmp/eval-a /tmp/eval-b "$LOGS"
  mkdir -p "$LOGS"
  jobs=$(realpath "$jobs")
  # batch_md builds every peptide with walkjump build (L residues, trans bonds).
  (cd tools/openmm && WALKJUMP="$W" "$PY" batch_md.py --jobs "$jobs" --out /tmp/pep --workers "$MD_WORKERS" \
    --cuda-workers "$CUDA_WORKERS" --deadline-s "$MD_S" --ns "$MD_NS" --save-ps 1.0) >"$LOGS/md.log" 2>&1
  tail -n 3 "$LOGS/md.log"
  # Only runs that reached MD_NS: one cut short by the deadline has its start's populations.
  "$PY" -c "
import json, sys
m = json.load(open('/tmp/pep/manifest.json'))
m['peptides'] = [p for p in m['peptides'] if p['ns'] >= 0.9 * $MD_NS]
json.dump(m, open('/tmp/pep/manifest-long.json', 'w'), indent=1)
print(len(m['peptides']), 'runs reached', $MD_NS, 'ns')" | tee -a "$OUT/steps.log"
  # The data first, for training on after the machine is gone.
  pack_xz pep
  pack_logs
  log "train: two models at once on $NET for $TRAIN_MIN min: [$MODEL_A] and [$MODEL_B]"
  # The long runs only: the short ones of assets/data/peptides teach every residue
  # about the same populations, their starts' (models/README.md, December 8).
  common=(train --manifest /tmp/pep/manifest-long.json --manifest assets/data/peptides-long/manifest.json
    --manifest assets/data/ala2-manifest.json --backend "$NET" --objective dsm --steps 1000000
    --max-minutes "$TRAIN_MIN" --batch "$BATCH" --hidden 48 --layers 4 --validate-every 250
    --checkpoint-every 100000)
  # shellcheck disable=SC2086
  "$W" "${common[@]}" $MODEL_A --out /tmp/model-a.wjm >"$LOGS/train-a.log" 2>&1 &
  # shellcheck disable=SC2086
  "$W" "${common[@]}" $MODEL_B --out /tmp/model-b.wjm >"$LOGS/train-b.log" 2>&1 &
  wait
  tail -n 2 "$LOGS"/train-*.log
  pack_models
  pack_logs
  # Judged where the shipped model fails: walks started from the held-out references'
  # frames (do they keep OpenMM's ensemble?), beside one jump of each noised frame
  # (models/README.md, "Where the distance comes from"). Both models at once, on the
  # cores (ndarray, one thread per walk): the card is free by then.
  log "train: walks from the held-out references' frames with both at once ($EVAL_PAR per model)"
  for m in a b; do
    [ -f /tmp/model-$m.wjm ] && WALKJUMP="$W" bash tools/decompose_peptides.sh /tmp/model-$m.wjm \
      /tmp/eval-$m "$EVAL_PAR" >"$LOGS/eval-$m.log" 2>&1 &
  done
  wait
  for m in a b; do cat /tmp/eval-$m/summary.md 2>/dev/null; done
  log "train: packing"
  pack_models
  pack_logs
}

# /tmp/NAME as $OUT/NAME.tar.xz.aa, .ab, ...: xz through Python (the machine may have
# no xz binary), in parts of 15 MiB, the most a returned file may hold.
pack_xz() {
  tar -C /tmp -cf - "$1" | "$PY" -c "import lzma, shutil, sys; shutil.copyfileobj(sys.stdin.buffer, lzma.open(sys.stdout.buffer, 'wb', preset=6))" \
    | split -b 15M - "$OUT/$1.tar.xz."
  ls "$OUT/$1".tar.xz.* >/dev/null 2>&1 || log "$1 could not be packed"
}

# The step logs, kept outside $OUT (whose file count is limited) and packed anew.
pack_logs() { tar -C "$LOGS" -czf "$OUT/train-logs.tgz" .; }

# The models and whatever evaluation tables exist, into one file (rewritten when more
# exist), so a call cut short during the evaluation still brings the models back.
pack_models() {
  # The evaluations' tables, not their sample trajectories (too large to come back).
  made=$(cd /tmp && ls model-*.wjm model-*.wjm.json eval-*/*.md eval-*/*/*.json 2>/dev/null)
  [ -n "$made" ] && tar -C /tmp -czf "$OUT/models.tgz" $made
}

refs() {
  log "refs: the held-out peptides, ${REF_NS} ns each, ${REF_S} s at most ($REF_CUDA on CUDA)"
  rm -rf /tmp/refs
  mkdir -p "$LOGS"
  # A frame every 10 ps: 50 ns is 5,000 frames, small enough to bring back.
  (cd tools/openmm && WALKJUMP="$W" "$PY" batch_md.py --jobs jobs/test.json --out /tmp/refs \
    --workers "$REF_WORKERS" --cuda-workers "$REF_CUDA" --ns "$REF_NS" --deadline-s "$REF_S" \
    --save-ps 10) >"$LOGS/refs.log" 2>&1
  tail -n 3 "$LOGS/refs.log"
  pack_xz refs
  pack_logs
}

case "$PART" in
  bench) bench ;;
  train) train ;;
  refs) refs ;;
  all) bench; train ;;
  *) echo "usage: gpu.sh bench|train|refs|all"; exit 2 ;;
esac
log done
ls -la "$OUT"
