#!/usr/bin/env bash
# Remove from an unpacked OpenMM (a site-packages folder holding openmm/ and
# OpenMM.libs/) what this project never uses, so it fits the device call's 64 MiB:
# C++ headers and the force fields other than amber14's protein and the implicit
# solvents (tools/openmm uses amber14/protein.ff14SB.xml + implicit/gbn2.xml).
# Usage: bash tools/device/prune_openmm.sh SITE
set -euo pipefail
site=$1
data="$site/openmm/app/data"
[ -d "$data" ] || { echo "no OpenMM in $site"; exit 1; }
rm -rf "$site/OpenMM.libs/include" "$data"/charmm* "$data"/amoeba* "$data/amber19" \
  "$data"/amber14/GLYCAM_06j-1.xml "$data"/amber14/lipid17.xml "$data"/amber14/protein.ff15ipq.xml \
  "$data"/*.pdb "$data"/amber0*.xml "$data"/amber1*.xml "$data"/amber9*.xml "$data"/amberfb15.xml \
  "$data"/glycam-hydrogens.xml
