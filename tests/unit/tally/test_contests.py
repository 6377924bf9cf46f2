"""A ballot with several contests: what a valid paper is, the board and its certificate."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.tally import bulletin, certificate, contests
from services.tally.errors import InvalidChoices
from tests.builders import ballots as builders

RON = "RON (re-open nominations)"


def _definition():
    return {**builders.contests_definition(), "ballot_id": 4, "phase": "closed"}


def test_the_single_contest_form_is_one_contest_called_main_and_its_paper_stays_a_list():
    definition = builders.ballot_definition()
    [only] = contests.contests(definition)
    assert only["id"] == "main" and only["candidates"] == definition["candidates"]
    assert contests.paper(definition, ["Ada Lovelace"]) == ["Ada Lovelace"]
    assert contests.paper(definition, {"main": ["Ada Lovelace"]}) == ["Ada Lovelace"]
    with pytest.raises(InvalidChoices, match="blank"):
        contests.paper(definition, [])


def test_a_paper_holds_every_contest_and_a_contest_left_out_is_blank():
    definition = _definition()
    stored = contests.paper(definition, {"selection": ["Mary Seacole", RON]})
    assert stored == {"selection": ["Mary Seacole", RON], "motion": []}


@pytest.mark.parametrize(
    ("choices", "words"),
    [
        ({}, "blank in every contest"),
        ({"selection": [], "motion": []}, "blank in every contest"),
        (["Ada Lovelace"], "several contests"),
        ({"budget": ["Yes"]}, "not a contest in this ballot: budget"),
        ({"motion": ["Yes", "No"]}, "Motion 1: open selections: choose at most 1"),
        ({"motion": ["Ada Lovelace"]}, "not a candidate in this contest: Ada Lovelace"),
        ({"selection": ["Yes"]}, "not a candidate in this contest: Yes"),
        ({"selection": ["Ada Lovelace", "Ada Lovelace"]}, "more than once"),
        ({"selection": "Ada Lovelace"}, "must be a list"),
    ],
)
def test_a_bad_paper_is_refused_saying_what_is_wrong(choices, words):
    with pytest.raises(InvalidChoices, match=words):
        contests.paper(_definition(), choices)


def _papers():
    rows = [
        {"selection": ["Ada Lovelace"], "motion": ["Yes"]},
        {"selection": ["Ada Lovelace", "Mary Seacole"], "motion": ["No"]},
        {"selection": ["Mary Seacole"], "motion": []},
        {"selection": [], "motion": ["Yes"]},
        {"selection": [RON], "motion": ["Yes"]},
    ]
    return [{"receipt": f"r{i}", "choices": c} for i, c in enumerate(rows)]


def _board():
    definition = _definition()
    papers = _papers()
    public, pem = certificate.new_key(b"pass")
    board = bulletin.build(
        definition,
        papers,
        {"cast": 5, "online": 4, "postal": 1, "electorate": 9},
        bulletin.count_contests(definition, papers),
        {"key": certificate.key_section(public)},
    )
    board["certificate"] = certificate.sign(board, pem, b"pass")
    return json.loads(json.dumps(board))


def test_each_contest_is_counted_on_its_own_and_a_blank_contest_is_a_blank_paper_there():
    board = _board()
    assert "counts" not in board
    selection, motion = board["contests"]
    assert (selection["id"], motion["id"]) == ("selection", "motion")
    assert selection["counts"]["method"] == "stv" and selection["counts"]["valid"] == 4
    assert selection["counts"]["invalid_reasons"] == {"blank": 1}
    assert selection["counts"]["winners"] == ["Ada Lovelace"]
    assert motion["counts"]["winners"] == ["Yes"]
    assert motion["counts"]["invalid_reasons"] == {"blank": 1}
    assert [c["winners"] for c in board["certificate"]["contests"]] == [
        ["Ada Lovelace"],
        ["Yes"],
    ]
    assert bulletin.check(board) == []
    assert certificate.check(board, board["key"]["fingerprint"]) == []
    assert [r["id"] for r in bulletin.results(board)] == ["selection", "motion"]


def test_a_paper_altered_in_one_contest_is_caught_in_that_contest():
    board = _board()
    board["ballots"][2]["choices"]["motion"] = ["No"]
    board["sha256"] = bulletin.digest(board)
    problems = bulletin.check(board)
    assert problems and all(p.startswith("contest 'motion': ") for p in problems)


def test_a_contest_dropped_from_the_board_or_its_certificate_fails():
    board = _board()
    board["contests"] = board["contests"][:1]
    board["sha256"] = bulletin.digest(board)
    assert any("not the ballot's" in p for p in bulletin.check(board))
    lying = _board()
    lying["certificate"]["contests"][1]["winners"] = ["No"]
    assert certificate.check(lying)


def test_a_single_contest_board_is_as_it_was():
    definition = {**builders.ballot_definition(), "ballot_id": 3, "phase": "closed"}
    papers = [{"receipt": "r1", "choices": ["Ada Lovelace"]}]
    board = bulletin.build(definition, papers, {"cast": 1}, bulletin.count(definition, papers))
    assert set(board) == {"format", "ballot", "ballots", "turnout", "counts", "sha256"}
    assert board["ballots"] == [{"receipt": "r1", "choices": ["Ada Lovelace"]}]
    assert bulletin.check(board) == []


def test_rollcall_verify_recounts_every_contest_and_fails_on_one_altered(tmp_path):
    from click.testing import CliRunner

    from rollcall_cli.verify import verify

    board = _board()
    good = tmp_path / "board.json"
    good.write_text(json.dumps(board))
    fingerprint = board["key"]["fingerprint"]
    ok = CliRunner().invoke(verify, [str(good), "--key-fingerprint", fingerprint])
    assert ok.exit_code == 0, ok.output
    assert "recount reproduces winners selection: Ada Lovelace; motion: Yes" in ok.output
    board["ballots"][0]["choices"]["selection"] = ["Mary Seacole"]
    bad = tmp_path / "altered.json"
    bad.write_text(json.dumps(board))
    failed = CliRunner().invoke(verify, [str(bad), "--key-fingerprint", fingerprint])
    assert failed.exit_code == 1 and "FAIL: checksum mismatch" in failed.output
    assert "Traceback" not in failed.output


def test_rollcall_count_counts_a_board_contest_by_contest_with_each_contest_s_method(tmp_path):
    from click.testing import CliRunner

    from rollcall_cli.main import main

    path = tmp_path / "board.json"
    path.write_text(json.dumps(_board()))
    shown = CliRunner().invoke(main, ["count", str(path)])
    assert shown.exit_code == 0, shown.output
    selection, motion = shown.output.splitlines()
    assert selection.startswith(f"{path} [selection]: stv, 1 seat(s): Ada Lovelace")
    assert motion == f"{path} [motion]: fptp, 1 seat(s): Yes"
    one = CliRunner().invoke(main, ["count", str(path), "--contest", "motion", "--json"])
    [line] = one.output.splitlines()
    assert json.loads(line)["winners"] == ["Yes"] and json.loads(line)["contest"] == "motion"
    missing = CliRunner().invoke(main, ["count", str(path), "--contest", "budget"])
    assert missing.exit_code == 1 and "no contest 'budget'" in missing.output
    assert "Traceback" not in missing.output


_NAMES = st.sampled_from(
    ["Ada Lovelace", "Mary Seacole", "Sylvia Pankhurst", RON, "Yes", "No", "Nobody", ""]
)


@given(
    st.dictionaries(
        st.sampled_from(["selection", "motion", "budget"]),
        st.lists(_NAMES, max_size=5),
        max_size=3,
    )
)
def test_a_stored_paper_holds_every_contest_and_only_its_candidates_or_is_refused(choices):
    definition = _definition()
    try:
        stored = contests.paper(definition, choices)
    except InvalidChoices as refused:
        assert str(refused)  # refused in words, never anything else
        return
    every = contests.contests(definition)
    assert isinstance(stored, dict) and list(stored) == [c["id"] for c in every]
    for contest in every:
        names = stored[contest["id"]]
        assert names == choices.get(contest["id"], [])
        assert set(names) <= set(contest["candidates"]) and len(set(names)) == len(names)
    assert any(stored.values())


def test_the_scrutineers_report_gives_every_contest_its_count_and_its_spoilt_papers():
    import io

    from pypdf import PdfReader

    from services.tally import report
    from services.tally.report_pdf import render
    from tests.builders import reports

    board = _board()
    built = report.build(board, {}, reports.figures(4), "2026-11-21T10:00:00+00:00")
    selection, motion = built["contests"]
    assert (selection["id"], selection["method"], selection["winners"]) == (
        "selection",
        "stv",
        ["Ada Lovelace"],
    )
    assert (motion["id"], motion["winners"], motion["valid"]) == ("motion", ["Yes"], 4)
    assert built["papers"]["valid"] == {"selection": 4, "motion": 4}
    assert built["papers"]["spoilt"]["reasons"] == {"selection: blank": 1, "motion: blank": 1}
    public, pem = certificate.new_key(b"pass")
    signed = report.sign({**built, "key": certificate.key_section(public)}, pem, b"pass")
    assert report.check(signed) == []
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(render(signed))).pages)
    assert "selection: 4, motion: 4" in text and "Motion 1" in text
