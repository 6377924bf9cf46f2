"""The shires generator (rollcall_tools.shires) and the scoring of bench/match_independent.py."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest

from rollcall.formats import EXTRACT_COLUMNS, REGISTER_COLUMNS
from rollcall_tools.shires import TRUTH_COLUMNS, generate, write

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def data():
    return generate(6000, 1500, seed=7)


def _bench():
    spec = importlib.util.spec_from_file_location(
        "match_independent", ROOT / "bench" / "match_independent.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_same_seed_same_data_other_seed_other_data(data):
    again = generate(6000, 1500, seed=7)
    assert again.register == data.register
    assert again.members == data.members
    assert again.truth == data.truth
    assert generate(6000, 1500, seed=8).members != data.members


def test_files_have_exactly_the_format_columns(tmp_path, data):
    paths = write(data, tmp_path)
    for name, columns in (
        ("register", REGISTER_COLUMNS),
        ("members", EXTRACT_COLUMNS),
        ("truth", TRUTH_COLUMNS),
    ):
        with open(paths[name], newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            assert tuple(next(reader)) == columns
            rows = list(reader)
        assert all(len(row) == len(columns) for row in rows)
    assert len(data.register) == 6000
    assert len(data.members) == 1500


def test_truth_is_consistent_with_the_register(data):
    electors = {row["elector_id"] for row in data.register}
    assert len(electors) == len(data.register)
    numbers = [row["membership_number"] for row in data.members]
    assert len(set(numbers)) == len(numbers)
    assert [t["membership_number"] for t in data.truth] == numbers
    true_ids = [t["elector_id"] for t in data.truth if t["elector_id"]]
    assert len(set(true_ids)) == len(true_ids)  # one member per elector
    for t in data.truth:
        if "not_registered" in t["kind"]:
            assert t["elector_id"] == "" and t["right_electors"] == "0"
            assert t["at_held_address"] == "0"
        else:
            assert t["elector_id"] in electors
            assert int(t["right_electors"]) >= 1
        if "moved" in t["kind"] or "stale" in t["kind"]:
            assert t["at_held_address"] == "0"


def test_every_kind_is_present_at_a_modest_size(data):
    parts = {p for t in data.truth for p in t["kind"].split("+")}
    wanted = {
        "exact", "nickname", "short_and_typo", "typo_first", "typo_last", "initial_only",
        "middle_name_known", "middle_name_known_relative", "ambiguous_relative",
        "married_name", "accents_stripped", "name_swap", "moved_not_reregistered",
        "party_address_stale", "not_registered", "not_registered_relative_at_address",
        "not_registered_empty_address", "flat_format", "flat_missing", "street_abbreviation",
        "postcode_typo", "postcode_missing", "postcode_unspaced", "locality_missing",
        "not_registered_namesake_at_address",
        "welsh_address", "welsh_town_name", "scottish_tenement", "converted_flat",
        "rural_named_house", "county_added",
    }  # fmt: skip
    assert wanted <= parts, wanted - parts


def test_the_places_and_names_the_issue_asks_for(data):
    register = data.register
    text = " ".join(" ".join(row.values()) for row in register)
    for needle in ("Heol", "Ffordd", "Llan", "Flat ", "F1", "Mac", "Mc", "ap ", "Cottage"):
        assert needle in text, needle
    assert any(row["address_1"].startswith("Flat ") and "/" in row["address_1"] for row in register)
    assert any(any(ord(c) > 127 for c in row["forenames"] + row["surname"]) for row in register)
    assert any("-" in row["surname"] for row in register)
    outward = {row["postcode"].split(" ")[0] for row in register}
    assert {"CF24", "G12", "LS6"} & outward
    assert all(len(row["postcode"].split(" ")[1]) == 3 for row in register)


def test_middle_name_trap_shares_a_household_with_a_relative_of_that_first_name(data):
    by_id = {row["elector_id"]: row for row in data.register}
    members = {row["membership_number"]: row for row in data.members}
    found = 0
    for t in data.truth:
        if "middle_name_known_relative" not in t["kind"] or t["at_held_address"] != "1":
            continue  # moved members hold an address away from the relative
        elector = by_id[t["elector_id"]]
        middle = elector["forenames"].split(" ")[1]
        housemates = [
            r
            for r in data.register
            if r["address_1"] == elector["address_1"]
            and r["address_2"] == elector["address_2"]
            and r["postcode"] == elector["postcode"]
            and r["elector_id"] != elector["elector_id"]
        ]
        assert any(r["forenames"].split(" ")[0] == middle for r in housemates)
        assert int(t["right_electors"]) >= 2
        assert (
            members[t["membership_number"]]["first_name"].lower()
            != elector["forenames"].split(" ")[0].lower()
        )
        found += 1
    assert found >= 3


def test_scoring_on_a_hand_made_decisions_file():
    bench = _bench()
    truth = [
        # at the held address, one right elector
        {"membership_number": "A", "elector_id": "E1", "kind": "exact", "right_electors": "1", "at_held_address": "1"},
        {"membership_number": "B", "elector_id": "E2", "kind": "nickname", "right_electors": "1", "at_held_address": "1"},
        {"membership_number": "C", "elector_id": "E3", "kind": "short_and_typo", "right_electors": "1", "at_held_address": "1"},
        {"membership_number": "D", "elector_id": "E4", "kind": "middle_name_known_relative+ambiguous_relative", "right_electors": "2", "at_held_address": "1"},
        {"membership_number": "E", "elector_id": "E5", "kind": "moved_not_reregistered", "right_electors": "1", "at_held_address": "0"},
        {"membership_number": "F", "elector_id": "", "kind": "not_registered", "right_electors": "0", "at_held_address": "0"},
        {"membership_number": "G", "elector_id": "E7", "kind": "middle_name_known_relative+ambiguous_relative", "right_electors": "2", "at_held_address": "1"},
        {"membership_number": "H", "elector_id": "E8", "kind": "exact", "right_electors": "1", "at_held_address": "1"},
    ]  # fmt: skip
    decisions = [
        {"membership_number": "A", "decision": "match", "elector_id": "E1"},  # right
        {"membership_number": "B", "decision": "review", "elector_id": "E2"},  # avoidable
        {"membership_number": "C", "decision": "no_match", "elector_id": ""},  # lost
        {"membership_number": "D", "decision": "match", "elector_id": "E9"},  # false match
        {"membership_number": "E", "decision": "review", "elector_id": "E5"},  # avoidable (moved)
        {"membership_number": "F", "decision": "match", "elector_id": "E6"},  # false match
        {"membership_number": "G", "decision": "review", "elector_id": "E7"},  # unavoidable
        {"membership_number": "H", "decision": "match", "elector_id": "E8"},  # right
    ]  # fmt: skip
    result = bench.score(decisions, truth)
    goals = result["goals"]
    assert goals["auto_match_precision"]["value"] == pytest.approx(2 / 4)
    assert goals["false_matches_share_of_members"]["value"] == pytest.approx(2 / 8)
    # at the held address: A, B, C, D, G, H; C ended no_match
    assert goals["at_held_address_no_match_share"]["value"] == pytest.approx(round(1 / 6, 5))
    assert goals["avoidable_reviews_share_of_members"]["value"] == pytest.approx(2 / 8)
    assert not result["all_goals_met"]
    failures = result["failures"]
    assert failures["false_match"]["count"] == 2
    assert failures["false_match"]["by_kind"]["not_registered"]["examples"] == ["F"]
    assert failures["lost_no_match"]["by_part"]["short_and_typo"]["examples"] == ["C"]
    assert set(failures["avoidable_review"]["by_kind"]) == {"nickname", "moved_not_reregistered"}
    assert result["counts"]["auto_correct"] == 2


def test_scoring_reads_synth_truth_without_the_extra_columns():
    bench = _bench()
    truth = [
        {"membership_number": "A", "elector_id": "E1", "kind": "moved"},
        {"membership_number": "B", "elector_id": "E2", "kind": "clean"},
        {"membership_number": "C", "elector_id": "", "kind": "not_registered"},
    ]
    decisions = [
        {"membership_number": "A", "decision": "no_match", "elector_id": ""},
        {"membership_number": "B", "decision": "no_match", "elector_id": ""},
        {"membership_number": "C", "decision": "no_match", "elector_id": ""},
    ]
    result = bench.score(decisions, truth)
    assert result["counts"]["at_held_address"] == 1
    assert result["failures"]["lost_no_match"]["by_kind"] == {
        "clean": {"count": 1, "examples": ["B"]}
    }
    assert result["goals"]["auto_match_precision"]["value"] == 1.0
