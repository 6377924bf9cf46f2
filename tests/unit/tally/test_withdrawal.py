"""A candidate withdrawn after the papers are out: excluded before the first stage, in the
count, on the bulletin board, in its certificate and in every recount."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rollcall_cli.main import main
from rollcall_cli.verify import verify
from services.tally import bulletin, certificate, withdrawals
from services.tally.ballotfiles import parse_blt
from services.tally.counting import InvalidCount, count_ballots, count_rows
from tests.builders import ballots as builders

PAPERS = [
    (["Ann", "Bob"], 4),
    (["Cy", "Bob"], 3),
    (["Bob"], 2),
    (["Cy"], 2),
]


def test_a_withdrawn_candidates_preferences_are_skipped_and_later_ones_move_up():
    # Without the withdrawal Bob (2) is excluded first and Cy beats Ann 5-4; with Ann
    # withdrawn, her 4 papers are Bob's from the first stage and Bob beats Cy 6-5.
    before = count_ballots("irv", ["Ann", "Bob", "Cy"], PAPERS, seed="s")
    assert before.winners == ["Cy"]
    after = count_ballots("irv", ["Ann", "Bob", "Cy"], PAPERS, seed="s", withdrawn=["Ann"])
    assert after.winners == ["Bob"]
    assert after.candidates == ("Bob", "Cy")
    assert after.rounds[0].totals == {"Bob": 6, "Cy": 5}


def test_a_withdrawal_is_read_exactly_as_a_blt_files_withdrawn_line():
    blt = '3 1\n-1\n4 1 2 0\n3 3 2 0\n2 2 0\n2 3 0\n0\n"Ann"\n"Bob"\n"Cy"\n"T"\n'
    election = parse_blt(blt, "w.blt")
    from_file = count_rows("irv", election.candidates, election.prefs, election.weights, seed="s")
    ours = count_ballots("irv", ["Ann", "Bob", "Cy"], PAPERS, seed="s", withdrawn=["Ann"])
    assert from_file.to_dict() == ours.to_dict()


def test_an_fptp_mark_for_a_withdrawn_candidate_is_not_counted():
    papers = [(["Ann"], 5), (["Bob"], 3), (["Cy"], 2)]
    result = count_ballots("fptp", ["Ann", "Bob", "Cy"], papers, seed="s", withdrawn=["Ann"])
    assert result.winners == ["Bob"]
    assert result.valid == 5 and result.invalid == 5
    assert result.rounds[0].totals == {"Bob": 3, "Cy": 2}


def test_withdrawing_someone_who_is_not_a_candidate_cannot_be_counted():
    with pytest.raises(InvalidCount, match="withdrawn but not a candidate: Zed"):
        count_ballots("irv", ["Ann", "Bob"], [(["Ann"], 1)], withdrawn=["Zed"])


def _definition():
    return {
        **builders.ballot_definition(method="irv"),
        "ballot_id": 5,
        "phase": "closed",
        "candidates": ["Ann", "Bob", "Cy"],
    }


WITHDRAWN = [
    {
        "contest": "main",
        "candidate": "Ann",
        "reason": "moved out of the constituency",
        "withdrawn_at": "2026-12-01T10:00:00+00:00",
    }
]


def _board():
    definition = _definition()
    papers = [
        {"receipt": f"r{i:02d}", "choices": choices}
        for i, (choices, times) in enumerate([(c, 1) for c, w in PAPERS for _ in range(w)], start=1)
    ]
    public, pem = certificate.new_key(b"pass")
    counted = bulletin.count(definition, papers, bulletin.withdrawn_in(WITHDRAWN, "main"))
    board = bulletin.build(
        definition,
        papers,
        {"cast": len(papers)},
        counted,
        {"key": certificate.key_section(public)},
        WITHDRAWN,
    )
    board["certificate"] = certificate.sign(board, pem, b"pass")
    return json.loads(json.dumps(board))


def test_the_board_records_the_withdrawals_and_verify_recounts_without_them(tmp_path):
    board = _board()
    assert board["withdrawals"] == WITHDRAWN
    assert board["counts"]["winners"] == ["Bob"]
    assert board["certificate"]["withdrawals"] == WITHDRAWN
    assert bulletin.check(board) == []
    assert certificate.check(board) == []
    path = tmp_path / "board.json"
    path.write_text(json.dumps(board))
    ok = CliRunner().invoke(verify, [str(path)])
    assert ok.exit_code == 0, ok.output
    counted = CliRunner().invoke(main, ["count", str(path), "--json"])
    assert counted.exit_code == 0, counted.output
    assert json.loads(counted.output.splitlines()[0])["winners"] == ["Bob"]


def test_a_withdrawal_removed_from_the_board_fails_verification(tmp_path):
    board = _board()
    del board["withdrawals"]
    board["sha256"] = bulletin.digest(board)
    problems = bulletin.check(board)
    assert any("winners differ" in p for p in problems)
    assert certificate.check(board)


@pytest.mark.parametrize(
    ("phase", "counted", "gone", "contest", "candidate", "words"),
    [
        ("closed", False, {}, "main", "Ann", "too late to withdraw"),
        ("open", True, {}, "main", "Ann", "too late to withdraw"),
        ("open", False, {}, "motion", "Ann", "no contest 'motion'"),
        ("open", False, {}, "main", "Zed", "'Zed' is not a candidate"),
        ("open", False, {"main": ["Ann"]}, "main", "Ann", "already withdrawn"),
        ("open", False, {"main": ["Ann"]}, "main", "Bob", "only 0 candidate(s) would be left"),
    ],
)
def test_a_withdrawal_that_may_not_happen_says_why(phase, counted, gone, contest, candidate, words):
    definition = {**_definition(), "candidates": ["Ann", "Bob"]}
    reasons = withdrawals.refusals(definition, phase, counted, gone, contest, candidate)
    assert len(reasons) == 1 and words in reasons[0]


def test_a_withdrawal_leaving_as_many_candidates_as_seats_is_allowed():
    assert withdrawals.refusals(_definition(), "open", False, {}, "main", "Ann") == []
