"""Write alanine dipeptide as other programs write it (tests/data/naming).

OpenMM (PDB and PDBx/mmCIF) and MDTraj write their own files; the Amber-name,
element-column and calcium-column variants are the bundled PDB with its names or
columns rewritten as LEaP, the RCSB and earlier versions of walkjump wrote them.
usage: python make_naming_fixtures.py  (from the repository root; needs openmm, mdtraj)
"""
import mdtraj as md
import openmm.app as app

SRC = "assets/alanine-dipeptide.pdb"
OUT = "tests/data/naming/"

pdb = app.PDBFile(SRC)
with open(OUT + "ala2_openmm.pdb", "w") as f:
    app.PDBFile.writeFile(pdb.topology, pdb.positions, f)
with open(OUT + "ala2_openmm.cif", "w") as f:
    app.PDBxFile.writeFile(pdb.topology, pdb.positions, f)
md.load(SRC).save_pdb(OUT + "ala2_mdtraj.pdb")

with_elements, calcium, amber = [], [], []
for line in open(SRC).read().splitlines():
    if not line.startswith("ATOM"):
        for v in (with_elements, calcium, amber):
            v.append(line)
        continue
    line = line.ljust(54) + "  1.00  0.00"
    name = line[12:16].strip()
    element = name.lstrip("0123456789")[0]
    with_elements.append(line.ljust(76) + element.rjust(2))
    # pdbtbx's guess from the name, which earlier walkjump versions wrote back out
    calcium.append(line.ljust(76) + ("CA" if name == "CA" else element).rjust(2))
    if name[0].isdigit():
        name = name[1:] + name[0]
    padded = name if len(name) >= 4 else " " + name.ljust(3)
    amber.append((line[:12] + padded + line[16:]).ljust(76) + element.rjust(2))
for fname, lines in [
    ("ala2_element_columns.pdb", with_elements),
    ("ala2_calcium_column.pdb", calcium),
    ("ala2_amber_names.pdb", amber),
]:
    with open(OUT + fname, "w") as f:
        f.write("\n".join(lines) + "\n")
