"""The synthetic register and extract: columns, labels, reproducibility."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from rollcall.formats import EXTRACT_COLUMNS, REGISTER_COLUMNS
from rollcall_tools.synth import TRAPS, UNREGISTERED, generate, read_truth
from rollcall_tools.synth.damage import DAMAGES


def test_rows_have_every_column_and_the_asked_for_counts() -> None:
    data = generate(4000, 500, seed=11)
    assert len(data.register_rows) == 4000
    assert len(data.member_rows) == 500
    assert all(list(r) == list(REGISTER_COLUMNS) for r in data.register_rows)
    assert all(set(m) == set(EXTRACT_COLUMNS) for m in data.member_rows)
    assert all(m["status"] == "current" and len(m["association"]) == 4 for m in data.member_rows)
    assert len({r["elector_id"] for r in data.register_rows}) == 4000
    assert any(not m["email"] for m in data.member_rows)


def test_truth_points_at_real_electors_except_for_unregistered_members() -> None:
    data = generate(4000, 500, seed=11)
    ids = {r["elector_id"] for r in data.register_rows}
    for number, (elector_id, kind) in data.truth.items():
        if kind in UNREGISTERED:
            assert elector_id is None
        else:
            assert elector_id in ids, (number, kind)


def test_every_damage_and_trap_is_labelled_in_a_large_enough_sample() -> None:
    truth = generate(60_000, 6000, seed=3).truth
    kinds = Counter(part for _, kind in truth.values() for part in kind.split("+"))
    expected = set(DAMAGES) | set(TRAPS) | {"clean", "middle_name", "married_name", "moved"}
    expected |= {"unregistered_at_address", "not_registered"}
    missing = expected - set(kinds)
    assert missing <= {"house_name", "surname_punctuation"}, missing
    assert kinds["house_name"] + kinds["surname_punctuation"] > 0


def test_the_same_seed_writes_the_same_files(tmp_path: Path) -> None:
    first = generate(2000, 200, seed=9).write_csv(tmp_path / "a")
    second = generate(2000, 200, seed=9).write_csv(tmp_path / "b")
    for name in ("register", "members", "truth"):
        assert first[name].read_bytes() == second[name].read_bytes()
    assert len(read_truth(first["truth"])) == 200
    with first["members"].open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == list(EXTRACT_COLUMNS)


def test_given_wards_are_used() -> None:
    data = generate(1000, 50, seed=1, wards=["Dalston", "Hackney Central"])
    assert {r["ward"] for r in data.register_rows} == {"Dalston", "Hackney Central"}
    assert {m["association"] for m in data.member_rows} == {"HACK"}
