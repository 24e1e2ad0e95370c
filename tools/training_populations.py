#!/usr/bin/env python3
"""What populations does a peptide training set teach, residue type by residue type?

DSM learns the distribution of its training frames, populations included. For every
residue type this prints its β/PII·αR·αL core shares averaged over the training runs
that contain it (each run counted once, as `walkjump train` draws runs uniformly),
the median number of moves between cores per run, and, for the test runs, each
residue's shares and moves. A residue whose runs barely move has its starts'
populations, not its own: a model trained on them cannot learn which residues prefer
which basin, whatever its compute. The cores are those of walkjump's
`analysis::basin` (φ < 0 and ψ > 100° or < −150°; φ < 0 and −90° < ψ < 30°; φ > 0
and −30° < ψ < 90°).

    python tools/training_populations.py [--runs] MANIFEST.json [MANIFEST.json ...]

--runs also lists every training run on its own (two runs of one sequence from
different starts that agree have the force field's populations, not their starts').
"""
import collections
import json
import os
import sys

import mdtraj as md
import numpy as np


def cores(phi, psi):
    phi, psi = np.degrees(phi), np.degrees(psi)
    ext = (phi < 0) & ((psi > 100) | (psi < -150))
    ar = (phi < 0) & (psi > -90) & (psi < 30)
    al = (phi > 0) & (psi > -30) & (psi < 90)
    return np.stack([ext, ar, al], 1)


def moves(c):
    labels = [int(np.argmax(r)) for r in c if r.any()]
    return sum(1 for a, b in zip(labels, labels[1:]) if a != b)


def shares(f):
    return "·".join(str(round(100 * v)) for v in f)


def main(paths, runs=False):
    pool = collections.defaultdict(list)
    tests = []
    each = []
    for path in paths:
        base = os.path.dirname(path)
        for p in json.load(open(path))["peptides"]:
            t = md.load(os.path.join(base, p["positions"]), top=os.path.join(base, p["topology"]))
            _, phi = md.compute_phi(t)
            _, psi = md.compute_psi(t)
            residues = [r for r in t.topology.residues if r.name not in ("ACE", "NME")]
            rows = []
            for k, r in enumerate(residues):
                c = cores(phi[:, k], psi[:, k])
                rows.append((r.name, c.mean(0), moves(c)))
            if p.get("split", "train") == "train":
                each.append((p["name"], p.get("start", "PII"), rows))
                for name, f, m in rows:
                    pool[name].append((p["name"], f, m))
            else:
                tests.append((p["name"], rows))
    print("| residue | β/PII·αR·αL %, mean over training runs | runs | median moves per run |")
    print("|---|---|---:|---:|")
    for name in sorted(pool):
        f = np.array([f for _, f, _ in pool[name]]).mean(0)
        m = np.median([m for _, _, m in pool[name]])
        print(f"| {name} | {shares(f)} | {len(pool[name])} | {m:.0f} |")
    if tests:
        print()
        print("| test run | each residue: β/PII·αR·αL % (moves) |")
        print("|---|---|")
        for name, rows in tests:
            print(f"| {name} | " + ", ".join(f"{r} {shares(f)} ({m})" for r, f, m in rows) + " |")


    if runs:
        print()
        print("| training run | start | each residue: β/PII·αR·αL % (moves) |")
        print("|---|---|---|")
        for name, start, rows in each:
            print(f"| {name} | {start} | " + ", ".join(f"{r} {shares(f)} ({m})" for r, f, m in rows) + " |")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--runs"]
    if not args:
        sys.exit(__doc__)
    main(args, runs="--runs" in sys.argv[1:])
