#!/usr/bin/env bash
# Regenerates the README's pictures (docs/screenshots/) with the app's own test mode
# under a virtual X server and Mesa's software Vulkan driver: the app on alanine
# dipeptide and on LJ-13, a strip of the ensemble growing, and the lab's three tabs.
# Needs xvfb-run and a release build (cargo build --release); ImageMagick, where it
# is installed, makes the strip and shrinks the files.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${WALKJUMP:-${CARGO_TARGET_DIR:-target}/release/walkjump}"
OUT=docs/screenshots
SIZE=1280x800
mkdir -p "$OUT"
shot() { # NAME ARGS...: run the app (or the lab) to its screenshot
  local name=$1; shift
  echo "== $name"
  RUST_LOG=warn xvfb-run -a -s "-screen 0 ${SIZE}x24" "$BIN" "$@" --size "$SIZE" \
    --screenshot "$OUT/$name.png" >/dev/null
}
shot app-ala2 gui --backend ndarray --exit-after 60
shot app-lj13 gui --system lj13 --backend ndarray --exit-after 40
for t in 8 20 45; do shot "growing-${t}s" gui --backend ndarray --exit-after "$t"; done
shot lab-walk-jump lab --tab walk-jump --exit-after 20
shot lab-diffusion lab --tab diffusion --exit-after 20
shot lab-dynamics lab --tab dynamics --run-dynamics --exit-after 25
if command -v magick >/dev/null || convert -version 2>/dev/null | grep -q ImageMagick; then
  IM=$(command -v magick || command -v convert)
  # The right-hand panels of the three moments side by side: the ensemble growing.
  for t in 8 20 45; do
    "$IM" "$OUT/growing-${t}s.png" -gravity east -crop 480x800+0+0 +repage \
      -resize 50% "$OUT/.strip-$t.png"
  done
  "$IM" "$OUT/.strip-8.png" "$OUT/.strip-20.png" "$OUT/.strip-45.png" +append \
    "$OUT/growing-strip.png"
  rm -f "$OUT"/.strip-*.png "$OUT"/growing-*s.png
  for f in "$OUT"/*.png; do "$IM" "$f" -colors 255 -define png:compression-level=9 "$f"; done
fi
ls -la "$OUT"
