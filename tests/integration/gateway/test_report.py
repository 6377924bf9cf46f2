"""The scrutineer's report of a real small ballot: registration, the mailer and the tally on the
real broker and database, the report over HTTP and as ``rollcall report`` writes it, its figures
the ones the ballot made, its signature checked by ``rollcall verify``, a tampered copy refused."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from nameko.exceptions import RemoteError
from pypdf import PdfReader

from rollcall_cli.main import main
from rollcall_cli.report import make_report, write_report
from services.mailer.service import MailerService
from services.registration.service import RegistrationService
from services.tally.errors import ALREADY_VOTED, NOT_ON_ROLL
from services.tally.service import TallyService
from tests import support
from tests.builders import ballots as builders
from tests.integration.gateway.harness import error_of, import_members
from tests.integration.gateway.standins import CodesStandIn, MatchingStandIn
from tests.integration.tally.test_casting import _cast_when_open

BLANK = "the ballot paper is blank: choose at least one candidate"


def _ballot(gateway) -> int:  # type: ignore[no-untyped-def]
    """A ballot of 6 extract rows (4 accepted, 1 rejected, 1 duplicate), opened, paused, resumed."""
    rpc = gateway.rpc
    ballot_id = int(rpc.registration.create_ballot(builders.ballot_definition())["ballot_id"])
    records = [builders.member_record(f"M{i}") for i in range(1, 5)]
    records.append(builders.member_record("M9", last_name=""))  # rejected
    records.append(builders.member_record("M1"))  # a duplicate
    import_members(rpc, ballot_id, records, f"rep-{ballot_id}")
    complaint = rpc.registration.open_complaint(ballot_id, "a letter came late", "op-1", 14)
    rpc.registration.move_complaint(
        complaint["complaint_id"], "dismissed", "op-1", "posted on time"
    )
    rpc.registration.change_phase(ballot_id, "open", "op-1", "test ballot", True)
    rpc.registration.pause_ballot(ballot_id, "op-1", "printer fault")
    rpc.registration.request_resume(ballot_id, "op-1", "fixed")
    with pytest.raises(RemoteError):  # the same person may not approve: refused, audited
        rpc.registration.approve_resume(ballot_id, "op-1", "fixed")
    rpc.registration.approve_resume(ballot_id, "op-2", "checked")
    # Matching and the codes service stand aside: the tally hears of its voters directly.
    support.publish_event(
        gateway.settings,
        "voters.enrolled",
        {
            "ballot_id": ballot_id,
            "voters": [{"membership_number": f"M{i}", "name": "V"} for i in range(1, 6)],
        },
    )
    return ballot_id


def test_the_report_of_a_real_ballot_states_its_figures_and_its_signature_holds(launch, tmp_path):
    # Matching and codes only give their audit heads here (stand-ins): the real ones would
    # match and mail the members, figures this test does not need.
    gateway = launch(
        RegistrationService,
        MailerService,
        TallyService,
        MatchingStandIn,
        CodesStandIn,
        databases=("registration", "mailer", "tally"),
        rpc_timeout=15.0,
    )
    rpc = gateway.rpc
    ballot_id = _ballot(gateway)
    _cast_when_open(rpc, ballot_id, "M1", ["Ada Lovelace"], "online")
    rpc.tally.cast_ballot(ballot_id, "M2", ["Ada Lovelace"], "online")
    rpc.tally.cast_ballot(ballot_id, "M3", ["Mary Seacole"], "online")
    rpc.tally.enter_postal_batch(
        ballot_id,
        "b1",
        "teller-1",
        [
            {"membership_number": "M4", "choices": ["Ada Lovelace"]},
            {"membership_number": "M1", "choices": ["Mary Seacole"]},
            {"membership_number": "X9", "choices": ["Mary Seacole"]},
            {"membership_number": "M5", "choices": []},
        ],
    )
    scrutineer = gateway.user("scrutineer")
    early = gateway.get(f"/api/ballots/{ballot_id}/report", scrutineer)
    assert early.status_code == 409 and error_of(early)["code"] == "result_not_ready"
    rpc.registration.change_phase(ballot_id, "closed", "op-1", "test ballot", True)

    def counted():  # type: ignore[no-untyped-def]
        answer = gateway.get(f"/api/ballots/{ballot_id}/report", scrutineer)
        return answer if answer.status_code == 200 else None

    report = support.wait_for(counted, what="the count and the report").json()

    members = report["members"]
    (extract,) = members["extracts"]
    assert (extract["declared"], extract["accepted"], extract["rejected"]) == (6, 4, 1)
    assert extract["duplicates"] == 1 and extract["balanced"] is True
    assert members["accepted"] == members["in_ledger"] == 4
    assert (
        members["unaccounted"] == 0
        and {
            "state": "awaiting_match",
            "meaning": "being matched to the electoral register",
            "members": 4,
        }
        in members["states"]
    )
    assert report["roll_by_association"] == {
        "HACK": {"members": 4, "on_roll": 0, "voted": 0, "excluded": 0, "not_reached": 0}
    }
    papers = report["papers"]
    assert papers["online"] == {"votes": 3}
    assert papers["postal"] == {"issued": 0, "returned": 4, "entered": 1}
    assert papers["refused"] == {"total": 2, "reasons": {ALREADY_VOTED: 1, NOT_ON_ROLL: 1}}
    assert papers["spoilt"] == {"total": 1, "reasons": {BLANK: 1}}
    assert papers["cast"] == papers["valid"] == 4
    assert report["codes"]["by_channel"] == {} and report["codes"]["total"] == 0
    (complaint,) = report["complaints"]
    assert (complaint["status"], complaint["outcome"]) == ("dismissed", "posted on time")
    (pause,) = report["pauses"]
    assert pause["reason"] == "printer fault" and pause["outcome"] == "resumed"
    assert pause["refused_approvals"] == 1 and pause["approved_by"] == "op-2"
    (contest,) = report["contests"]
    assert contest["winners"] == ["Ada Lovelace"] and contest["valid"] == 4
    assert contest["stages"][0]["totals"] == {
        "Ada Lovelace": 3,
        "Mary Seacole": 1,
        "Sylvia Pankhurst": 0,
    }
    heads = report["audit_heads"]
    services = {"registration", "matching", "codes", "mailer", "tally", "gateway"}
    assert set(heads["at_report"]) == services
    # The head when the report was made: an entry of registration's chain (which may have
    # grown since, as the ballot's last events are handled).
    at_report = heads["at_report"]["registration"]
    assert at_report["seq"] <= rpc.registration.get_audit_head()["seq"]
    (entry,) = gateway.rows(
        "select hash from audit_log where seq = :s", "registration", s=at_report["seq"]
    )
    assert entry.hash == at_report["hash"]
    assert set(heads["at_count"]) == {"registration", "tally"}
    board = rpc.tally.get_bulletin(ballot_id)
    assert report["bulletin"]["sha256"] == board["sha256"]
    assert report["key"] == rpc.tally.get_key(ballot_id)

    pdf = gateway.get(f"/api/ballots/{ballot_id}/report.pdf", scrutineer)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    first = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().replace("\n", "")
    assert "Scrutineer's report" in first
    officer = gateway.user("officer", "HACK")
    refused = gateway.get(f"/api/ballots/{ballot_id}/report", officer)
    assert refused.status_code == 403

    # What ``rollcall report`` writes, checked by ``rollcall verify``; a tampered copy refused.
    written = make_report(rpc, ballot_id)
    json_path, pdf_path = write_report(written, tmp_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")
    assert written["papers"] == papers and written["contests"] == report["contests"]
    fingerprint = report["key"]["fingerprint"]
    (tmp_path / "board.json").write_text(json.dumps(board))
    ok = CliRunner().invoke(
        main,
        ["verify", str(tmp_path / "board.json"), "--report", str(json_path)]
        + ["--key-fingerprint", fingerprint],
    )
    assert ok.exit_code == 0, ok.output
    tampered = json.loads(json_path.read_text())
    tampered["papers"]["spoilt"]["total"] = 0
    json_path.write_text(json.dumps(tampered))
    bad = CliRunner().invoke(main, ["verify", "--report", str(json_path)])
    assert bad.exit_code == 1
    assert bad.output.splitlines() == [bad.output.strip()]
    assert bad.output.startswith("FAIL: report: the report was altered")
    assert datetime.fromisoformat(written["generated_at"]) <= datetime.now(UTC)
