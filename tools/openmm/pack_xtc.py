"""Copy batch_md.py output into the repository compactly: positions and forces as XTC
(MDTraj; 0.001 nm precision: 0.01 Å for positions, 0.01/Å for forces/k_BT, which are
stored as if they were positions in Å), topology PDB and the run's JSON, and one
manifest with paths relative to it.

    python pack_xtc.py --from /tmp/peptrain --from /tmp/pepref --to assets/data/peptides

With --update the manifest already in --to is kept, and each peptide packed replaces
its entry of the same name (or is added; a name that now succeeded leaves `failed`):
how peptides rebuilt after a fix are put back into the shipped set.
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
    p.add_argument("--update", action="store_true", help="replace or add entries in the existing manifest")
    a = p.parse_args()
    os.makedirs(a.to, exist_ok=True)
    batches = [(src, json.load(open(os.path.join(src, "manifest.json")))) for src in a.src]
    failed = [f for _, m in batches for f in m.get("failed", [])]
    old = None
    if a.update:
        # Read before anything is overwritten, and refuse a batch in which a peptide
        # that the set already has failed to run again: its old entry, the one being
        # replaced, would otherwise stay.
        old = json.load(open(os.path.join(a.to, "manifest.json")))
        shipped = {e["name"] for e in old["peptides"]}
        stuck = sorted({f["name"] for f in failed} & shipped)
        if stuck:
            raise SystemExit(f"{', '.join(stuck)} failed to run again; nothing was written "
                             "(fix and rerun them, or remove their old entries by hand)")
    peptides = []
    for src, m in batches:
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
    if old is not None:
        new_names = {e["name"] for e in peptides} | {f["name"] for f in failed}
        kept = [e for e in old["peptides"] if e["name"] not in new_names]
        # Keep the shipped order: replaced entries where they were, new ones at the end.
        by_name = {e["name"]: e for e in peptides}
        ordered = [by_name.pop(e["name"]) if e["name"] in by_name else e for e in old["peptides"]]
        peptides = ordered + list(by_name.values())
        failed = [f for f in old.get("failed", []) if f["name"] not in new_names] + failed
        print(f"{len(new_names)} replaced or added, {len(kept)} kept")
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
