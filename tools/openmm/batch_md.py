"""Reference and training MD for many capped peptides, in parallel.

For each sequence: build ACE-seq-NME (peptide_build.py: `walkjump build`,
every residue checked to be L and every bond not before a proline trans), minimise, equilibrate, then
production MD with amber14 ff14SB + GBn2 at 300 K (the settings of ala2_md.py: Langevin
middle integrator, 2 fs, hydrogen mass 3 amu, no constraints, so the saved forces are
the full gradient of the potential the frames sample). Writes per peptide

  <out>/<name>/<name>.pdb          the built, minimised structure (topology)
  <out>/<name>/<name>.dcd          positions in Å (MDTraj, VMD and walkjump read it)
  <out>/<name>/<name>-forces.dcd   forces / k_BT in 1/Å, stored as positions
  <out>/<name>/<name>.json         sequence, split, seed, platform, frames, ns/day

and <out>/manifest.json listing them. Workers share one job queue: the first
--cuda-workers run on OpenMM's CUDA platform when it exists, the others on one CPU
thread each. Production stops at --ns or at the shared --deadline-s (seconds from the
start), whichever comes first, and keeps what it has, so a run with a fixed budget
always ends with whole, usable files.

    python batch_md.py --jobs jobs.json --out DIR --workers 16 --cuda-workers 5 --deadline-s 300
jobs.json: [{"sequence": "KW", "split": "train", "ns": 0.5, "seed": 11}, ...]
"""

import argparse
import json
import multiprocessing as mp
import os
import queue
import time

KB_KJ_PER_MOL_K = 0.0083144626


def run_job(job, out, platform_name, deadline, save_ps, dt_fs, hydrogen_mass, equil_ps):
    import numpy as np
    import openmm as mm
    import openmm.app as app
    import openmm.unit as u

    from peptide_build import FORCEFIELD, build, check_start, write_pdb

    name = job_name(job)
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    seed = int(job.get("seed", 1))
    top, pos = build(job["sequence"], minimize=False)
    ff = app.ForceField(*FORCEFIELD)
    system = ff.createSystem(top, nonbondedMethod=app.NoCutoff, constraints=None,
                             hydrogenMass=hydrogen_mass * u.amu)
    start = job.get("start", "PII")
    if start != "PII":
        # Drive the backbone into another basin under a torsion restraint, switched off
        # (k = 0) before production: saved forces carry none of it.
        system.addForce(backbone_restraint(top, start))
    temperature = 300.0 * u.kelvin
    integ = mm.LangevinMiddleIntegrator(temperature, 1.0 / u.picosecond, dt_fs * u.femtosecond)
    integ.setRandomNumberSeed(seed)
    platform = mm.Platform.getPlatformByName(platform_name)
    props = {"Threads": "1"} if platform_name == "CPU" else {}
    sim = app.Simulation(top, system, integ, platform, props)
    sim.context.setPositions(pos)
    sim.minimizeEnergy()
    if start != "PII":
        # The restrained run is the equilibration: it thermalises the molecule in the
        # new basin. An unrestrained one after it would lose the start before the first
        # frame (ACE-ALA-NME leaves αR within 20 ps), so production begins at release.
        sim.context.setVelocitiesToTemperature(temperature, seed)
        sim.step(int(round(RESTRAINED_PS * 1000.0 / dt_fs)))
        sim.context.setParameter("k_backbone", 0.0)
        equil_ps = 0.0
    minimised = sim.context.getState(getPositions=True).getPositions()
    check_start(top, minimised, f"{name} after minimisation" + ("" if start == "PII" else " and the restrained run"))
    write_pdb(top, minimised, os.path.join(d, name + ".pdb"))
    if equil_ps > 0.0:
        sim.context.setVelocitiesToTemperature(temperature, seed)
        sim.step(int(round(equil_ps * 1000.0 / dt_fs)))
    # Neither a centre nor a peptide bond flips at 300 K, but a broken start could; check
    # before saving.
    check_start(top, sim.context.getState(getPositions=True).getPositions(), f"{name} after equilibration")

    kt = KB_KJ_PER_MOL_K * 300.0
    steps_per_save = int(round(save_ps * 1000.0 / dt_fs))
    target = int(round(job["ns"] * 1000.0 / save_ps))
    frames = 0
    t0 = time.time()
    with open(os.path.join(d, name + ".dcd"), "wb") as fx, open(os.path.join(d, name + "-forces.dcd"), "wb") as ffh:
        dx = app.DCDFile(fx, top, save_ps * u.picosecond, interval=steps_per_save)
        df = app.DCDFile(ffh, top, save_ps * u.picosecond, interval=steps_per_save)
        while frames < target and time.time() < deadline:
            sim.step(steps_per_save)
            st = sim.context.getState(getPositions=True, getForces=True)
            x = st.getPositions(asNumpy=True).value_in_unit(u.angstrom)
            f = st.getForces(asNumpy=True).value_in_unit(u.kilojoule_per_mole / u.nanometer) / kt / 10.0
            dx.writeModel(x * u.angstrom)
            df.writeModel(np.asarray(f) * u.angstrom)
            frames += 1
    wall = time.time() - t0
    info = {
        "name": name,
        "sequence": job["sequence"],
        "start": start,
        "split": job.get("split", "train"),
        "seed": seed,
        "atoms": top.getNumAtoms(),
        "frames": frames,
        "ns": frames * save_ps / 1000.0,
        "save_every_ps": save_ps,
        "dt_fs": dt_fs,
        "hydrogen_mass_amu": hydrogen_mass,
        "equilibrate_ps": equil_ps,
        "restrained_ps": RESTRAINED_PS if start != "PII" else 0.0,
        "temperature_K": 300.0,
        "forcefield": list(FORCEFIELD),
        "platform": platform_name,
        "program": f"OpenMM {mm.__version__}",
        "wall_seconds_production": wall,
        "ns_per_day": frames * save_ps / 1000.0 / max(wall, 1e-9) * 86400.0,
        "md_steps": frames * steps_per_save,
        "topology": f"{name}/{name}.pdb",
        "positions": f"{name}/{name}.dcd",
        "forces": f"{name}/{name}-forces.dcd",
        "positions_unit": "angstrom",
        "forces_unit": "force / k_BT in 1/angstrom",
    }
    with open(os.path.join(d, name + ".json"), "w") as fh:
        json.dump(info, fh, indent=2)
    return info


# Backbone basins a run can start from (φ, ψ in degrees). `walkjump build` gives
# polyproline II, and a 0.25 ns run carries its start: the 64 training runs built in
# PII spend 26 % of their residues' frames in αR, second runs of the same peptides
# started in αR 57 %. Pooling a run from each start gives a set whose populations
# lie between, not the equilibrium ones: only long runs give those.
STARTS = {"alphaR": (-63.0, -43.0)}
RESTRAINED_PS = 10.0
K_BACKBONE = 400.0  # kJ/mol/rad²: 2 k_BT at 9° off target, enough to hold φ/ψ in a basin


def backbone_torsions(top):
    """(φ, ψ) atom-index quadruples of every residue between the caps, and ω of every
    peptide bond (caps' included)."""
    res = list(top.residues())
    idx = [{a.name: a.index for a in r.atoms()} for r in res]
    # The α carbon of a residue; the caps' methyl carbons stand in for it.
    alpha = [i.get("CA", i.get("CH3", i.get("C"))) if r.name in ("ACE", "NME") else i["CA"]
             for r, i in zip(res, idx)]
    phipsi = []
    for i in range(1, len(res) - 1):
        prev, cur, nxt = idx[i - 1], idx[i], idx[i + 1]
        phipsi.append(((prev["C"], cur["N"], cur["CA"], cur["C"]), (cur["N"], cur["CA"], cur["C"], nxt["N"])))
    omega = [(alpha[i], idx[i]["C"], idx[i + 1]["N"], alpha[i + 1]) for i in range(len(res) - 1)]
    return phipsi, omega


def backbone_restraint(top, start):
    import math

    import openmm as mm

    if start not in STARTS:
        raise ValueError(f"unknown start {start!r}: choose PII or one of {sorted(STARTS)}")
    phi0, psi0 = (math.radians(a) for a in STARTS[start])
    force = mm.CustomTorsionForce("0.5*k_backbone*d^2; d = min(abs(theta-theta0), 2*pi-abs(theta-theta0)); pi = 3.141592653589793")
    force.addGlobalParameter("k_backbone", K_BACKBONE)
    force.addPerTorsionParameter("theta0")
    phipsi, omega = backbone_torsions(top)
    for phi, psi in phipsi:
        force.addTorsion(*phi, [phi0])
        force.addTorsion(*psi, [psi0])
    # Turning ψ by ~170° under a strong restraint can drag a peptide bond to cis
    # (LL did when this was written); hold every ω trans while it turns.
    for w in omega:
        force.addTorsion(*w, [math.pi])
    return force


def job_name(job):
    return job.get("name") or job["sequence"]


def die_with_parent(parent):
    """Stop this worker when the batch that started it stops. Spawned workers do not
    carry batch_md.py in their command line, so `pkill -f batch_md.py` misses them; an
    orphan would go on writing into the output folder (December 8: two orphans of a
    stopped batch wrote the same files as the batch started after it and corrupted
    every DCD both touched)."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the parent check in the job loop still stops it between jobs
    if os.getppid() != parent:
        os._exit(1)


def lock_out_dir(out):
    """Hold an exclusive lock on OUT for this batch's lifetime, so a second batch
    pointed at the same folder stops with a message instead of writing over its files."""
    import fcntl

    fh = open(os.path.join(out, ".batch_md.lock"), "w")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise SystemExit(f"another batch_md.py is writing into {out}: wait for it, stop it "
                         f"(its workers stop with it) or choose another --out")
    return fh


def worker(wid, platform_name, jobs, results, args, deadline, parent):
    die_with_parent(parent)
    os.environ.setdefault("OPENMM_CPU_THREADS", "1")
    while time.time() < deadline and os.getppid() == parent:
        try:
            job = jobs.get_nowait()
        except queue.Empty:
            return
        t = time.time()
        try:
            info = run_job(job, args.out, platform_name, deadline, args.save_ps, args.dt_fs,
                           args.hydrogen_mass, args.equilibrate_ps)
            print(f"[{wid} {platform_name}] {info['name']}: {info['frames']} frames, "
                  f"{info['ns_per_day']:.0f} ns/day, {time.time() - t:.0f} s", flush=True)
            results.put(info)
        except Exception as e:  # one bad peptide must not stop the batch
            print(f"[{wid} {platform_name}] {job.get('sequence')}: FAILED: {e!r}", flush=True)
            import openmm as mm

            if platform_name != "CPU" and isinstance(e, mm.OpenMMException):
                # A GPU platform that fails would fail every job it takes: retry this
                # one and go on with one CPU thread.
                platform_name = "CPU"
                jobs.put(job)
                continue
            results.put({"name": job_name(job), "error": repr(e)})


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--workers", type=int, default=os.cpu_count())
    p.add_argument("--cuda-workers", type=int, default=0)
    p.add_argument("--deadline-s", type=float, default=1e9)
    p.add_argument("--save-ps", type=float, default=1.0)
    p.add_argument("--dt-fs", type=float, default=2.0)
    p.add_argument("--hydrogen-mass", type=float, default=3.0)
    p.add_argument("--equilibrate-ps", type=float, default=20.0)
    p.add_argument("--only", default="", help="comma-separated names: run just these jobs of --jobs")
    p.add_argument("--ns", type=float, default=None, help="production length of every job (default: each job's own)")
    args = p.parse_args()

    import openmm as mm

    have = {mm.Platform.getPlatform(i).getName() for i in range(mm.Platform.getNumPlatforms())}
    cuda = "CUDA" in have
    print(f"platforms: {sorted(have)}", flush=True)
    jobs_list = json.load(open(args.jobs))
    if args.only:
        only = set(args.only.split(","))
        jobs_list = [j for j in jobs_list if job_name(j) in only]
        missing = only - {job_name(j) for j in jobs_list}
        if missing:
            raise SystemExit(f"--only names jobs that {args.jobs} does not have: {sorted(missing)}")
    if args.ns is not None:
        jobs_list = [dict(j, ns=args.ns) for j in jobs_list]
    os.makedirs(args.out, exist_ok=True)
    lock = lock_out_dir(args.out)  # noqa: F841 (held until the process ends)
    ctx = mp.get_context("spawn")
    jobs, results = ctx.Queue(), ctx.Queue()
    for j in jobs_list:
        jobs.put(j)
    deadline = time.time() + args.deadline_s
    procs = []
    for w in range(args.workers):
        plat = "CUDA" if cuda and w < args.cuda_workers else "CPU"
        pr = ctx.Process(target=worker, args=(w, plat, jobs, results, args, deadline, os.getpid()))
        pr.start()
        procs.append(pr)
    infos = []
    while any(pr.is_alive() for pr in procs) or not results.empty():
        try:
            infos.append(results.get(timeout=1.0))
        except queue.Empty:
            pass
    for pr in procs:
        pr.join()
    order = {job_name(j): k for k, j in enumerate(jobs_list)}
    infos.sort(key=lambda i: order.get(i["name"], 1 << 30))
    manifest = {
        "description": "capped peptides ACE-X-NME, amber14 ff14SB + GBn2, 300 K (tools/openmm/batch_md.py)",
        "peptides": [i for i in infos if "error" not in i and i["frames"] > 0],
        "failed": [i for i in infos if "error" in i],
        "not_started": [j for j in jobs_list if job_name(j) not in {i["name"] for i in infos}],
    }
    with open(os.path.join(args.out, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=2)
    total = sum(i["ns"] for i in manifest["peptides"])
    print(f"{len(manifest['peptides'])} peptides, {total:.2f} ns in all, "
          f"{len(manifest['failed'])} failed, {len(manifest['not_started'])} not started", flush=True)


if __name__ == "__main__":
    main()
