"""Write the job lists of the peptide data set (deterministic: run it again, get the same).

  jobs/test.json   the held-out peptides: six capped dipeptides and one tripeptide,
                   each with its own reference run; never trained on
  jobs/test-md.json a second, independent run of each test peptide (bench's MD side)
  jobs/train.json  short runs (diversity over length: 0.1 ns per ACE-X-NME, 0.05 ns per
                   dipeptide; assets/data/ala2-manifest.json adds 6 ns of ACE-ALA-NME):
                   ACE-X-NME for all 20 amino acids, then capped dipeptides drawn at
                   random from the 400 pairs minus the test pairs (at most 160, so the
                   model is judged on pairs it never saw too)
  jobs/train-alphaR.json a second run of every training peptide that made it into
                   assets/data/peptides/manifest.json, started in αR (batch_md.py's
                   "start"), 0.25 ns each, new seeds: the PII starts alone had taught
                   the model that peptides live in PII
  jobs/train-long.json long runs (2 ns) of every training sequence: each single
                   residue from PII and from αR, then the dipeptides. The runs above move between basins 0-7 times per residue, so
                   their populations are their starts' (about half β, half αR for every
                   residue), and a model trained on them cannot learn which residues
                   prefer which basin. The test references move ~10 times per ns.
"""

import json
import os
import random

AMINO = "ACDEFGHIKLMNPQRSTVWY"
TEST = ["AE", "KF", "SL", "TY", "NP", "VG", "AKV"]


def main():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jobs")
    os.makedirs(here, exist_ok=True)
    test = [{"sequence": s, "split": "test", "ns": 2.0, "seed": 1000 + k} for k, s in enumerate(TEST)]
    # A second, independent run of each: the MD side of `walkjump bench --versus-md`
    # (its convergence curve is measured against the first run).
    test_md = [{"sequence": s, "name": s + "-md", "split": "test-md", "ns": 2.0, "seed": 2000 + k}
               for k, s in enumerate(TEST)]
    rng = random.Random(2026)
    pairs = [a + b for a in AMINO for b in AMINO if a + b not in TEST]
    rng.shuffle(pairs)
    train = [{"sequence": a, "split": "train", "ns": 0.1, "seed": 1 + k} for k, a in enumerate(AMINO)]
    train += [{"sequence": p, "split": "train", "ns": 0.05, "seed": 100 + k} for k, p in enumerate(pairs[:160])]
    shipped = os.path.join(here, "..", "..", "..", "assets", "data", "peptides", "manifest.json")
    trained = [p["sequence"] for p in json.load(open(shipped))["peptides"]
               if p["split"] == "train" and p.get("start", "PII") == "PII"]
    assert not set(trained) & set(TEST), "a test sequence among the training runs"
    alpha = [{"sequence": s, "name": s + "-aR", "split": "train", "ns": 0.25, "seed": 5000 + k,
              "start": "alphaR"} for k, s in enumerate(trained)]
    singles = [s for s in trained if len(s) == 1]
    # Each single residue from PII and then from αR (a budget cut short still has
    # both starts of the first ones): two runs that agree are populations of the
    # force field, two that differ are still their starts'.
    long = []
    for k, s in enumerate(singles):
        long.append({"sequence": s, "name": s + "-long", "split": "train", "ns": 2.0, "seed": 7000 + k})
        long.append({"sequence": s, "name": s + "-long-aR", "split": "train", "ns": 2.0,
                     "seed": 7100 + k, "start": "alphaR"})
    long += [{"sequence": s, "name": s + "-long", "split": "train", "ns": 2.0, "seed": 7200 + k}
             for k, s in enumerate(s for s in trained if len(s) > 1)]
    for name, jobs in (("test.json", test), ("test-md.json", test_md), ("train.json", train),
                       ("train-alphaR.json", alpha), ("train-long.json", long)):
        with open(os.path.join(here, name), "w") as fh:
            json.dump(jobs, fh, indent=1)
    print(f"{len(test)} test jobs, {len(train)} training jobs, {len(alpha)} αR starts, "
          f"{len(long)} long runs")


if __name__ == "__main__":
    main()
