"""The scrutineer's report: its figures, its signature by the ballot's key, and its PDF."""

from __future__ import annotations

import io
import json

from click.testing import CliRunner
from pypdf import PdfReader

from rollcall_cli.main import main
from services.tally import certificate, report
from services.tally.report_pdf import STAGES_PER_TABLE, render
from tests.builders import reports as builders


def _signed(papers: int = 40) -> tuple[dict, dict]:
    board, pem = builders.board(papers)
    built = report.build(board, builders.REFUSED, builders.figures(), "2026-11-21T10:00:00+00:00")
    return report.sign(built, pem, builders.PASSPHRASE), board


def test_a_signed_report_checks_under_the_ballots_published_key():
    signed, board = _signed()
    assert report.check(signed) == []
    assert report.check(signed, board["key"]["fingerprint"]) == []
    assert signed["key"] == board["key"]
    assert signed["bulletin"]["sha256"] == board["sha256"]


def test_a_changed_figure_is_refused_in_one_line():
    signed, _ = _signed()
    tampered = json.loads(json.dumps(signed))
    tampered["papers"]["valid"] += 1
    (problem,) = report.check(tampered)
    assert problem.startswith("the report was altered")


def test_a_changed_figure_with_its_checksum_recomputed_fails_the_signature():
    signed, _ = _signed()
    tampered = json.loads(json.dumps(signed))
    tampered["contests"][0]["winners"] = ["Mary Seacole"]
    tampered["sha256"] = report.digest(tampered)
    assert report.check(tampered) == ["the report's signature is not valid"]


def test_a_report_resigned_with_another_key_fails_against_the_published_fingerprint():
    signed, board = _signed()
    public, pem = certificate.new_key(b"x")
    forged = {**signed, "key": certificate.key_section(public)}
    forged = report.sign(forged, pem, b"x")
    assert report.check(forged) == []  # consistent in itself...
    (problem,) = report.check(forged, board["key"]["fingerprint"])
    assert "not the published" in problem  # ...but not the ballot's key


def test_papers_refused_for_who_sent_them_and_spoilt_for_their_marks_are_apart():
    signed, board = _signed()
    papers = signed["papers"]
    assert papers["refused"] == {
        "total": 2,
        "reasons": {builders.NOT_ON_ROLL: 1, builders.ALREADY_VOTED: 1},
    }
    assert papers["spoilt"] == {"total": 1, "reasons": {builders.BLANK: 1}}
    assert papers["online"] == {"votes": 32}
    assert papers["postal"] == {"issued": 9, "returned": 8 + 3, "entered": 8}
    assert papers["cast"] == 40 and papers["valid"] == board["counts"]["valid"] == 40


def test_the_report_carries_the_roll_codes_cases_heads_and_every_stage():
    signed, board = _signed()
    members = signed["members"]
    assert members["extracts"][0]["declared"] == 53
    assert members["accepted"] == members["in_ledger"] == 50 and members["balanced"] is True
    assert [s["state"] for s in members["states"]][:2] == ["awaiting_match", "in_review"]
    assert members["states"][-1] == {"state": "voted", "meaning": "has voted", "members": 40}
    assert signed["roll_by_association"]["ISLI"] == {
        "members": 20,
        "on_roll": 19,
        "voted": 15,
        "excluded": 1,
        "not_reached": 1,
    }
    assert signed["codes"]["by_channel"] == {"email": 41, "post": 9}
    assert signed["replacements"]["reissued"] == 2 and signed["reminders"]["sent"] == 6
    assert [c["outcome"] for c in signed["complaints"]] == ["posted on time"]
    assert signed["pauses"][0]["outcome"] == "resumed"
    assert signed["audit_heads"]["at_count"] == board["audit_heads"]
    assert set(signed["audit_heads"]["at_report"]) >= {"registration", "tally", "gateway"}
    (contest,) = signed["contests"]
    assert contest["stages"] == board["counts"]["rounds"]
    assert contest["winners"] == board["counts"]["winners"]


def test_the_report_names_no_member():
    signed, _ = _signed()
    assert "M0042" not in json.dumps(signed)


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_pdf_says_what_the_json_says_and_carries_its_hash_on_every_page():
    signed, board = _signed()
    pdf = render(signed)
    pages = PdfReader(io.BytesIO(pdf)).pages
    for page in pages:
        assert signed["sha256"] in page.extract_text().replace("\n", "")
    text = _text(pdf)
    for words in (
        "Scrutineer's report",
        "Members in the extracts",
        "Voters on the roll by association",
        "Access codes",
        "Papers and votes",
        "Complaints and pauses",
        "Audit log heads",
        builders.NOT_ON_ROLL,
        "Zoë Ó Súilleabháin",
        signed["signature"][:64],
    ):
        assert words in text, words
    assert ", ".join(board["counts"]["winners"]) in text


def test_every_stage_of_a_long_count_is_printed_in_slices_that_fit_the_page():
    names = [f"Candidate {chr(65 + i)}" for i in range(14)]
    board, pem = builders.board(300, candidates=names, seats=1)
    built = report.build(board, {}, builders.figures(), "2026-11-21T10:00:00+00:00")
    text = _text(render(report.sign(built, pem, builders.PASSPHRASE)))
    stages = len(board["counts"]["rounds"])
    assert stages > 2 * STAGES_PER_TABLE
    for n in range(1, stages + 1):
        assert f"stage {n}" in text


def test_rollcall_verify_checks_a_report_and_refuses_a_tampered_one(tmp_path):
    signed, board = _signed()
    path = tmp_path / "report-3.json"
    path.write_text(json.dumps(signed))
    fingerprint = board["key"]["fingerprint"]
    ok = CliRunner().invoke(
        main, ["verify", "--report", str(path), "--key-fingerprint", fingerprint]
    )
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith(f"OK: report {path}")
    signed["members"]["accepted"] = 51
    path.write_text(json.dumps(signed))
    bad = CliRunner().invoke(main, ["verify", "--report", str(path)])
    assert bad.exit_code == 1
    assert bad.output.count("\n") == 1 and bad.output.startswith(
        "FAIL: report: the report was altered"
    )


def test_rollcall_verify_with_a_board_refuses_a_report_of_another_board(tmp_path):
    signed, _ = _signed()
    other, _ = builders.board(papers=12)
    (tmp_path / "r.json").write_text(json.dumps(signed))
    (tmp_path / "b.json").write_text(json.dumps(other))
    result = CliRunner().invoke(
        main, ["verify", str(tmp_path / "b.json"), "--report", str(tmp_path / "r.json")]
    )
    assert result.exit_code == 1
    assert "it names another bulletin board" in result.output


def test_rollcall_verify_needs_a_board_or_a_report():
    result = CliRunner().invoke(main, ["verify"])
    assert result.exit_code == 2 and "give a bulletin board FILE" in result.output


def test_a_timetable_with_a_list_of_reminder_times_is_printed_as_times():
    board, pem = builders.board()
    figures = builders.figures()
    figures["ballot"]["timetable"] = {
        "closes_at": "2026-12-07T15:34:41.834217+00:00",
        "reminders": ["2026-12-07T12:34:46+00:00", "2026-12-07T13:00:00+01:00"],
    }
    built = report.build(board, {}, figures, "2026-12-07T16:00:00+00:00")
    text = " ".join(_text(render(report.sign(built, pem, builders.PASSPHRASE))).split())
    assert "closes 2026-12-07 15:34" in text
    assert "reminders 2026-12-07 12:34 and 2026-12-07 13:00 +01:00" in text


def test_a_withdrawn_candidate_is_named_in_the_report_and_its_pdf_with_the_reason():
    withdrawn = [
        {
            "contest": "main",
            "candidate": builders.CANDIDATES[0],
            "reason": "stood down for health reasons",
            "withdrawn_at": "2026-11-12T09:30:00+00:00",
        }
    ]
    board, pem = builders.board(40, withdrawn)
    built = report.build(board, {}, builders.figures(), "2026-11-21T10:00:00+00:00")
    (contest,) = built["contests"]
    assert contest["withdrawn"] == [
        {k: withdrawn[0][k] for k in ("candidate", "reason", "withdrawn_at")}
    ]
    assert all(builders.CANDIDATES[0] not in s["totals"] for s in contest["stages"])
    text = " ".join(_text(render(report.sign(built, pem, builders.PASSPHRASE))).split())
    assert f"{builders.CANDIDATES[0]} withdrew after the papers went out" in text
    assert "stood down for health reasons" in text
