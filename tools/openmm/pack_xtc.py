"""Copy batch_md.py output into the repository compactly: positions and forces as XTC
(MDTraj; 0.001 nm precision: 0.01 Å for positions, 0.01/Å for forces/k_BT, which are
stored as if they were positions in Å), topology PDB and the run's JSON, and one
manifest with paths relative to it.

    python pack_xtc.py --from /tmp/peptrain --from /tmp/pepref --to assets/data/peptides
"""

import argparse
import json
import os
import shutil

import mdtraj as md


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--from", dest="src", action="append", required=True)
    p.add_argument("--to", required=True)
    a = p.parse_args()
    os.makedirs(a.to, exist_ok=True)
    peptides, failed = [], []
    for src in a.src:
        m = json.load(open(os.path.join(src, "manifest.json")))
        failed += m.get("failed", [])
        for e in m["peptides"]:
            name = e["name"]
            d = os.path.join(a.to, name)
            os.makedirs(d, exist_ok=True)
            top = os.path.join(src, e["topology"])
            shutil.copy(top, os.path.join(d, name + ".pdb"))
            shutil.copy(os.path.join(src, name, name + ".json"), os.path.join(d, name + ".json"))
            for key, suffix in (("positions", ""), ("forces", "-forces")):
                t = md.load(os.path.join(src, e[key]), top=top)
                t.save_xtc(os.path.join(d, name + suffix + ".xtc"))
                e[key] = f"{name}/{name}{suffix}.xtc"
            e["topology"] = f"{name}/{name}.pdb"
            peptides.append(e)
    manifest = {
        "description": "capped peptides ACE-X-NME, amber14 ff14SB + GBn2, 300 K (tools/openmm/batch_md.py); "
                       "split 'train' is what models/peptides.wjm was trained on, 'test' never trained on",
        "peptides": peptides,
        "failed": failed,
    }
    with open(os.path.join(a.to, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
    print(f"{len(peptides)} peptides written to {a.to}")


if __name__ == "__main__":
    main()
