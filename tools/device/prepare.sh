#!/usr/bin/env bash
# Stage, on this machine, what one call on a lent GPU machine needs, into folders of
# the checkout that git ignores and the call carries: .gl (the Vulkan loader, which
# the GPU machine lacks), .whl/site.tar.xz (OpenMM 8.6.1 with its CUDA 13 plugin for
# the machine's Python 3.12, and pdbfixer) and .bin/walkjump.xz (this checkout's
# release binary, stripped). ../shared/DEVICE.md has the facts behind each step.
#
# Everything that travels (the tracked tree, ~30 MB, and these) must stay under
# 64 MiB, so OpenMM travels without its headers and the force fields the project
# never uses (CHARMM, AMOEBA, lipids, GLYCAM): 4.6 MB instead of 17.
#
# Usage: bash tools/device/prepare.sh   (then: run with carry [".gl", ".whl", ".bin"]
#        and commands "bash tools/device/gpu.sh bench", then "... train"; see tools/device/README.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/walkjump/target}
TARGET=$CARGO_TARGET_DIR
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p .gl .whl .bin

echo "== Vulkan loader and GL libraries (amd64 .debs)"
if ! ls .gl/libvulkan1_*.deb >/dev/null 2>&1; then
  mkdir -p "$WORK/lists/partial"
  o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$WORK/lists")
  apt-get "${o[@]}" update -q >/dev/null
  (cd .gl && apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi

echo "== OpenMM (CUDA 13) for Python 3.12, pruned, with pdbfixer"
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
  --implementation cp --platform manylinux_2_34_x86_64 -d "$WORK/whl" \
  openmm==8.6.1 openmm-cuda-13==8.6.1
mkdir -p "$WORK/site"
for w in "$WORK"/whl/*.whl; do python3 -m zipfile -e "$w" "$WORK/site"; done
# pdbfixer is pure Python (an sdist on PyPI): built here, it runs on any Python 3.
python3 -m pip install -q --no-deps --target "$WORK/site" pdbfixer==1.12.0
bash tools/device/prune_openmm.sh "$WORK/site"
tar -C "$WORK/site" -cf - . | xz -T2 -9 >.whl/site.tar.xz

echo "== release binary of this checkout ($(git rev-parse --short HEAD))"
cargo build --release
strip -o "$WORK/walkjump" "$TARGET/release/walkjump"
xz -T2 -6 -c "$WORK/walkjump" >.bin/walkjump.xz
git rev-parse HEAD >.bin/commit
git diff --quiet HEAD || echo "warning: uncommitted changes: .bin/commit names HEAD, but the binary is built from the working tree"

du -ch .gl .whl .bin | tail -1
total=$(( $(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1) + $(du -cb .gl .whl .bin | tail -1 | cut -f1) ))
echo "what travels: $((total / 1048576)) MiB of 64"
[ "$total" -lt $((64 * 1048576)) ] || { echo "over the 64 MiB the device call carries"; exit 1; }
