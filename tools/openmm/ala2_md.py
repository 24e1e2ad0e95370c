"""Reference MD of alanine dipeptide with OpenMM: positions and forces for training
and evaluating denoisers.

amber14 ff14SB + GBn2 implicit solvent, 300 K, Langevin (middle) integrator,
hydrogen mass repartitioning instead of constraints, so the saved forces are the full gradient of the potential whose
Boltzmann density the frames sample (what the PSM target needs).

Writes two DCD files that Walk-Jump Studio, MDTraj and VMD read:
  <out>.dcd         positions in Å
  <out>-forces.dcd  forces divided by k_BT, in 1/Å, stored as if they were positions
and <out>.json with the settings and timings.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import openmm as mm
import openmm.app as app
import openmm.unit as u

KB = u.BOLTZMANN_CONSTANT_kB * u.AVOGADRO_CONSTANT_NA


def pick_platform(want):
    """The OpenMM platform named by `want`; exits with status 3 and says which platforms
    this OpenMM has when a GPU platform is asked for and there is none."""
    have = [mm.Platform.getPlatform(i).getName() for i in range(mm.Platform.getNumPlatforms())]
    gpus = [n for n in ("CUDA", "OpenCL") if n in have]
    if want == "best":
        want = gpus[0] if gpus else "CPU"
    elif want == "gpu":
        if not gpus:
            print(f"no GPU platform in this OpenMM (it has {', '.join(have)})", file=sys.stderr)
            raise SystemExit(3)
        want = gpus[0]
    if want not in have:
        print(f"OpenMM has no {want} platform (it has {', '.join(have)})", file=sys.stderr)
        raise SystemExit(3)
    return mm.Platform.getPlatformByName(want)


def precision(sim):
    """The GPU platforms' float precision (single, mixed or double); None on the CPU."""
    plat = sim.context.getPlatform()
    if "Precision" in plat.getPropertyNames():
        return plat.getPropertyValue(sim.context, "Precision")
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pdb", required=True)
    p.add_argument("--out", required=True, help="output prefix")
    p.add_argument("--ns", type=float, default=10.0, help="production length")
    p.add_argument("--save-ps", type=float, default=1.0, help="save interval")
    p.add_argument("--dt-fs", type=float, default=2.0)
    # Heavier hydrogens change only the dynamics, not the Boltzmann density of
    # positions, and let a 2 fs step run without bond constraints.
    p.add_argument("--hydrogen-mass", type=float, default=3.0, help="amu")
    p.add_argument("--friction", type=float, default=1.0, help="1/ps")
    p.add_argument("--temperature", type=float, default=300.0)
    p.add_argument("--equilibrate-ps", type=float, default=100.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1, help="CPU platform only")
    p.add_argument("--platform", default="CPU",
                   help="CPU, CUDA, OpenCL, gpu (CUDA or else OpenCL; fails without one) "
                        "or best (a GPU platform when OpenMM has one, else CPU)")
    p.add_argument("--max-seconds", type=float, default=None,
                   help="stop production after this much wall-clock time (frames so far are kept)")
    p.add_argument("--exit-with-parent", action="store_true",
                   help="stop production when the process that started this one ends "
                        "(the app's reference MD: no orphans)")
    a = p.parse_args()
    parent = os.getppid()

    pdb = app.PDBFile(a.pdb)
    ff = app.ForceField("amber14/protein.ff14SB.xml", "implicit/gbn2.xml")
    system = ff.createSystem(pdb.topology, nonbondedMethod=app.NoCutoff, constraints=None,
                             hydrogenMass=a.hydrogen_mass * u.amu)
    temperature = a.temperature * u.kelvin
    integ = mm.LangevinMiddleIntegrator(temperature, a.friction / u.picosecond, a.dt_fs * u.femtosecond)
    integ.setRandomNumberSeed(a.seed)
    platform = pick_platform(a.platform)
    props = {"Threads": str(a.threads)} if platform.getName() == "CPU" else {}
    sim = app.Simulation(pdb.topology, system, integ, platform, props)
    sim.context.setPositions(pdb.positions)
    sim.minimizeEnergy()
    sim.context.setVelocitiesToTemperature(temperature, a.seed)

    steps_per_save = int(round(a.save_ps * 1000.0 / a.dt_fs))
    n_frames = int(round(a.ns * 1000.0 / a.save_ps))
    sim.step(int(round(a.equilibrate_ps * 1000.0 / a.dt_fs)))

    kt = (KB * temperature).value_in_unit(u.kilojoule_per_mole)
    dt_ps = a.save_ps
    with open(a.out + ".dcd", "wb") as fx, open(a.out + "-forces.dcd", "wb") as ff_:
        dx = app.DCDFile(fx, pdb.topology, dt_ps * u.picosecond, interval=steps_per_save)
        df = app.DCDFile(ff_, pdb.topology, dt_ps * u.picosecond, interval=steps_per_save)
        t0 = time.time()
        energies = []
        for i in range(n_frames):
            if a.max_seconds is not None and time.time() - t0 > a.max_seconds:
                n_frames = i
                break
            if a.exit_with_parent and os.getppid() != parent:
                n_frames = i
                break
            sim.step(steps_per_save)
            st = sim.context.getState(getPositions=True, getForces=True, getEnergy=True)
            pos = st.getPositions(asNumpy=True).value_in_unit(u.angstrom)
            # kJ/mol/nm -> per k_BT per Å
            f = st.getForces(asNumpy=True).value_in_unit(u.kilojoule_per_mole / u.nanometer) / kt / 10.0
            dx.writeModel(pos * u.angstrom)
            df.writeModel(np.asarray(f) * u.angstrom)
            energies.append(st.getPotentialEnergy().value_in_unit(u.kilojoule_per_mole) / kt)
            if (i + 1) % max(1, n_frames // 20) == 0:
                el = time.time() - t0
                print(f"{i + 1}/{n_frames} frames, {el:.0f} s, {(i + 1) * a.save_ps / 1000 / el * 86400:.0f} ns/day", flush=True)
        wall = time.time() - t0

    summary = {
        "program": f"OpenMM {mm.__version__}",
        "forcefield": ["amber14/protein.ff14SB.xml", "implicit/gbn2.xml"],
        "constraints": None,
        "temperature_K": a.temperature,
        "kT_kJ_per_mol": kt,
        "integrator": "LangevinMiddleIntegrator",
        "friction_per_ps": a.friction,
        "dt_fs": a.dt_fs,
        "hydrogen_mass_amu": a.hydrogen_mass,
        "save_every_ps": a.save_ps,
        "equilibrate_ps": a.equilibrate_ps,
        "frames": n_frames,
        "seed": a.seed,
        "platform": platform.getName(),
        "precision": precision(sim),
        "threads": a.threads if platform.getName() == "CPU" else None,
        "wall_seconds_production": wall,
        "md_steps_per_second": n_frames * steps_per_save / wall,
        "positions_unit": "angstrom",
        "forces_unit": "force / k_BT in 1/angstrom",
        "mean_potential_energy_kT": float(np.mean(energies)),
    }
    with open(a.out + ".json", "w") as fh:
        json.dump(summary, fh, indent=2)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
