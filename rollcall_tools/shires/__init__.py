"""Shires: a second synthetic register and damaged extract, written independently.

A generator written without reading the matcher or the first synthetic generator, from
the file formats only, to test the matcher on data built on different assumptions:
places across England, Wales and Scotland (terraces, converted houses, tenements, rural
named houses), names of many origins with their accents, households whose relatives
share surnames, initials and first names, and a damage mix of its own.

    data = generate(n_electors=200_000, n_members=20_000, seed=1)
    write(data, Path("var/shires"))   # register.csv, members.csv, truth.csv

Deterministic for a seed. Importing does no I/O.
"""

from rollcall_tools.shires.build import TRUTH_COLUMNS, ShiresData, generate, write

__all__ = ["TRUTH_COLUMNS", "ShiresData", "generate", "write"]
