"""Generate the shires data set and write it as register.csv, members.csv and truth.csv.

``generate`` builds the world (``register``), draws and damages the members
(``extract``) and returns rows in the columns of ``rollcall.formats``; ``write`` writes
them as UTF-8 CSV files with a header row.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

from rollcall.formats import EXTRACT_COLUMNS, REGISTER_COLUMNS
from rollcall_tools.shires.extract import make_members
from rollcall_tools.shires.register import build_world, register_lines

#: truth.csv: the true elector (empty when not on the register), how the record was made,
#: how many electors it fits equally well, and whether the party holds the register address.
TRUTH_COLUMNS: tuple[str, ...] = (
    "membership_number", "elector_id", "kind", "right_electors", "at_held_address",
)  # fmt: skip


@dataclass
class ShiresData:
    """Rows of the three files, each a dict keyed by its file's columns."""

    register: list[dict[str, str]]
    members: list[dict[str, str]]
    truth: list[dict[str, str]]


def generate(n_electors: int, n_members: int, seed: int) -> ShiresData:
    """A register of ``n_electors``, an extract of ``n_members`` and the truth, for ``seed``."""
    if n_electors < 1 or n_members < 0:
        raise ValueError("need at least one elector and no negative members")
    world = build_world(n_electors, random.Random(f"shires-world-{seed}"))
    register: list[dict[str, str]] = []
    for i in world.electors:
        p = world.people[i]
        d = world.dwellings[p.dwelling]
        lines = register_lines(d) + [""] * 5
        y, m, day = p.birth
        register.append({
            "elector_id": p.elector_id, "surname": p.surname, "forenames": " ".join(p.forenames),
            "address_1": lines[0], "address_2": lines[1], "address_3": lines[2],
            "address_4": lines[3], "address_5": lines[4], "postcode": d.postcode,
            "ward": d.ward, "constituency": d.constituency, "markers": p.markers,
            "attainer_dob": f"{y:04d}-{m:02d}-{day:02d}" if p.attainer else "",
        })  # fmt: skip
    members = make_members(world, n_members, random.Random(f"shires-members-{seed}"))
    rows = [{c: m.row.get(c, "") for c in EXTRACT_COLUMNS} for m in members]
    truth = [
        {"membership_number": m.row["membership_number"], "elector_id": m.elector_id,
         "kind": m.kind, "right_electors": str(m.right_electors),
         "at_held_address": "1" if m.at_held_address else "0"}
        for m in members
    ]  # fmt: skip
    return ShiresData(register=register, members=rows, truth=truth)


def _write(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)


def write(data: ShiresData, out: Path) -> dict[str, str]:
    """Write register.csv, members.csv and truth.csv under ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / f"{name}.csv" for name in ("register", "members", "truth")}
    _write(paths["register"], REGISTER_COLUMNS, data.register)
    _write(paths["members"], EXTRACT_COLUMNS, data.members)
    _write(paths["truth"], TRUTH_COLUMNS, data.truth)
    return {k: str(v) for k, v in paths.items()}
