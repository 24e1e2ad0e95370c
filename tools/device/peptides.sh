#!/usr/bin/env bash
# One lent GPU machine (H100/H200, 16 cores), one call: the peptide training data by
# OpenMM (CUDA + CPU workers side by side), then two transferable models trained at
# once on the GPU with burn/wgpu (the card is far from full with one), differing only
# in the normalisation constant C (bonds vs. JAMUN's pairs within 10 Å, the default).
# Carry: .gl (Vulkan loader debs), .whl (openmm + openmm-cuda-13 cp312 wheels, and
# py/pdbfixer), .bin/walkjump.xz (stripped release binary). See ../shared/DEVICE.md.
# Usage there: bash tools/device/peptides.sh MD_SECONDS TRAIN_MINUTES
set -u
MD_S=${1:-210}
TRAIN_MIN=${2:-4.5}
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
log() { echo "[$(date +%T)] $*"; }
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json XDG_RUNTIME_DIR=/tmp/xdg
mkdir -p /tmp/xdg
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD/.whl/py PYTHONUNBUFFERED=1
python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.bin/walkjump.xz'), open('/tmp/walkjump','wb'))" && chmod +x /tmp/walkjump
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
log "MD for ${MD_S}s"
(cd tools/openmm && python3 batch_md.py --jobs jobs/train.json --out /tmp/pep --workers 16 \
    --cuda-workers 4 --deadline-s "$MD_S" --save-ps 0.5) 2>&1 | tee "$OUT/md.log" | tail -5
log "training"
common=(train --manifest /tmp/pep/manifest.json --backend wgpu --objective dsm
        --manifest assets/data/ala2-manifest.json --steps 1000000 --max-minutes "$TRAIN_MIN" --batch 128 --hidden 48 --layers 4
        --validate-every 250 --checkpoint-every 100000)
/tmp/walkjump "${common[@]}" --c-bonds --out /tmp/peptides-bonds.wjm > "$OUT/train-bonds.log" 2>&1 &
/tmp/walkjump "${common[@]}" --out /tmp/peptides-radius.wjm > "$OUT/train-radius.log" 2>&1 &
wait
log "packing"
tail -c 3000 "$OUT/train-bonds.log"; tail -c 1500 "$OUT/train-radius.log"
cp /tmp/peptides-*.wjm /tmp/peptides-*.wjm.json "$OUT/" 2>/dev/null
tar -C /tmp -cf - pep | xz -T16 -6 | split -b 15M - "$OUT/pep.tar.xz."
tar -C "$OUT" -czf "$OUT/logs.tgz" md.log train-bonds.log train-radius.log gpu.txt --remove-files
ls -la "$OUT"
log done
