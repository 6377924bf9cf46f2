"""The real elections in shared/elections reproduce expected.json under IRV and Scottish STV.

The data is found through ``ROLLCALL_ELECTIONS`` (default ``<repo>/../shared/elections``).
If it is missing every test here fails: a count we could not check is not a pass.
"""

from __future__ import annotations

import json
from functools import cache

import pytest

from services.tally.ballotfiles import ElectionFile, read_election
from services.tally.counting import CountResult, count_ballots, count_rows
from tests.builders.counting import elections_dir

ROOT = elections_dir()
EXPECTED_FILE = ROOT / "expected.json"
EXPECTED: dict[str, dict] = (
    json.loads(EXPECTED_FILE.read_text(encoding="utf-8")) if EXPECTED_FILE.is_file() else {}
)
CASES = sorted(EXPECTED) or ["<no expected.json>"]


def expected(rel: str) -> dict:
    if not EXPECTED:
        pytest.fail(f"real elections not found: no {EXPECTED_FILE} (set ROLLCALL_ELECTIONS)")
    return EXPECTED[rel]


@cache
def election(rel: str) -> ElectionFile:
    return read_election(ROOT / rel)


def lot_candidates(result: CountResult) -> set[str]:
    return {name for tie in result.ties if tie.method == "lot" for name in tie.drawn_among}


def assert_matches(winners: list[str], want: list[str], result: CountResult, sensitive: bool):
    """Exact match, except that a tie-sensitive count may differ among names a lot was drawn between."""
    if winners == want:
        return
    assert sensitive, f"got {winners}, expected {want}"
    misplaced = {a for a, b in zip(winners, want, strict=False) if a != b}
    misplaced |= {b for a, b in zip(winners, want, strict=False) if a != b}
    differ = misplaced | (set(winners) ^ set(want))
    assert differ <= lot_candidates(result), (
        f"got {winners}, expected {want}; {sorted(differ)} not all decided by a lot"
    )


def test_a_tie_sensitive_difference_is_excused_only_among_candidates_in_a_lot():
    result = count_ballots("irv", ["A", "B", "C"], [(("A",), 1), (("B",), 1)], seed="x")
    assert_matches(["B"], ["A"], result, sensitive=True)
    with pytest.raises(AssertionError):
        assert_matches(["B"], ["A"], result, sensitive=False)
    with pytest.raises(AssertionError):
        assert_matches(["C"], ["A"], result, sensitive=True)
    with pytest.raises(AssertionError):
        assert_matches(["C", "A"], ["A", "C"], result, sensitive=True)


def test_every_ballot_file_in_the_folder_is_read():
    if not EXPECTED:
        pytest.fail(f"real elections not found: no {EXPECTED_FILE} (set ROLLCALL_ELECTIONS)")
    files = sorted(p for ext in ("soi", "toi", "soc", "blt") for p in ROOT.rglob(f"*.{ext}"))
    assert len(files) >= len(EXPECTED)
    for path in files:
        assert read_election(path).voters > 0


@pytest.mark.parametrize("rel", CASES)
def test_file_holds_the_stated_number_of_ballots(rel):
    want = expected(rel)
    assert election(rel).voters == want["ballots"]


@pytest.mark.parametrize("rel", CASES)
def test_irv_winner_matches_expected(rel):
    want = expected(rel)
    data = election(rel)
    # Through the reader's arrays, as ``rollcall count`` counts (STV below takes the pairs).
    result = count_rows("irv", data.candidates, data.prefs, data.weights, seed="rollcall")
    assert_matches(result.winners, [want["irv_winner"]], result, want["tie_sensitive"])


@pytest.mark.parametrize("rel", CASES)
def test_scottish_stv_winners_match_expected_in_order(rel):
    want = expected(rel)
    data = election(rel)
    result = count_ballots(
        "stv", data.candidates, data.ballots, seats=want["seats"], seed="rollcall"
    )
    assert_matches(result.winners, want["stv_winners"], result, want["tie_sensitive"])
    if "official_winners" in want:
        assert sorted(result.winners) == sorted(want["official_winners"])
