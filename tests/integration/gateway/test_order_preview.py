"""Test ballots and preview through the real registration, mailer and tally on the real broker
and database: an operator previews the voting page and a sample code letter of a draft test
ballot; officers do not see the test ballot; its votes are not counted among real ballots'."""

from __future__ import annotations

import io

from pypdf import PdfReader

from rollcall import metrics
from services.mailer.service import MailerService
from services.registration.service import RegistrationService
from services.tally.service import TallyService
from tests import support
from tests.builders import ballots as builders
from tests.integration.gateway.harness import error_of, import_members
from tests.integration.gateway.standins import CodesStandIn, MatchingStandIn
from tests.integration.tally.test_casting import _cast_when_open


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_an_operator_previews_a_draft_test_ballot_that_officers_never_see(launch):
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
    definition = {**builders.ballot_definition(), "test": True, "order": "alphabetical"}
    ballot_id = int(rpc.registration.create_ballot(definition)["ballot_id"])
    import_members(rpc, ballot_id, [builders.member_record("M1")], f"prev-{ballot_id}")
    operator, officer = gateway.user("operator"), gateway.user("officer", "HACK")

    before = gateway.audit_seq()
    page = gateway.get(f"/api/ballots/{ballot_id}/preview", operator)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "PREVIEW" in page.text and "TEST BALLOT" in page.text
    assert "<fieldset disabled>" in page.text and "has not opened yet" not in page.text
    for token in (officer, gateway.user("scrutineer")):
        assert gateway.get(f"/api/ballots/{ballot_id}/preview", token).status_code == 403
    assert gateway.get("/api/ballots/999999/preview", operator).status_code == 404

    def letter():  # the mailer hears of the ballot by event
        answer = gateway.get(f"/api/ballots/{ballot_id}/preview/letter.pdf", operator)
        return answer if "TEST BALLOT" in _pdf_text(answer.content) else None

    pdf = support.wait_for(letter, what="the mailer to know the ballot")
    assert pdf.headers["Content-Type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    assert "PREVIEW" in text and "A. Member (sample)" in text and "SAMPLE-CODE-0000" in text
    actions = {r.action for r in gateway.audit_since(before)}
    assert {"ballot.previewed", "ballot.letter_previewed"} <= actions

    # Officers' views do not show a test ballot: to them it does not exist.
    for path in (
        "members",
        "members.csv",
        "reconciliation",
        "reviews",
        "dropped-rows",
        "dropped-rows/counts",
    ):
        hidden = gateway.get(f"/api/ballots/{ballot_id}/{path}", officer)
        assert hidden.status_code == 404 and error_of(hidden)["code"] == "ballot_not_found"
    assert gateway.get(f"/api/ballots/{ballot_id}/members", operator).status_code == 200
    # A member who opens its roll-check or replacement page is told it is a test.
    for page_path in ("/roll-check", "/replacement"):
        shown = gateway.get(page_path, params={"ballot": str(ballot_id)})
        assert shown.status_code == 200 and "TEST BALLOT" in shown.text, page_path
    real_id = int(rpc.registration.create_ballot(builders.ballot_definition())["ballot_id"])
    assert "TEST BALLOT" not in gateway.get("/roll-check", params={"ballot": str(real_id)}).text

    # Nor does anything an officer does reach it.
    for path, body in (
        ("members/M1/corrections", {"changes": {"email": "m1@example.org"}, "reason": "phoned"}),
        ("members/M1/reissue", {"reason": "lost it"}),
    ):
        refused = gateway.post(f"/api/ballots/{ballot_id}/{path}", officer, json=body)
        assert refused.status_code == 404 and error_of(refused)["code"] == "ballot_not_found"

    # Its votes are counted apart from real ballots'.
    real = metrics.BALLOTS_CAST.labels("online")._value.get()
    test = metrics.test_ballot_count(metrics.BALLOTS_CAST, "online")
    rpc.registration.change_phase(ballot_id, "open", "op-1", "test ballot", True)
    support.publish_event(
        gateway.settings,
        "voters.enrolled",
        {"ballot_id": ballot_id, "voters": [{"membership_number": "M1", "name": "V"}]},
    )
    _cast_when_open(rpc, ballot_id, "M1", ["Ada Lovelace"], "online")
    assert metrics.BALLOTS_CAST.labels("online")._value.get() == real
    assert metrics.test_ballot_count(metrics.BALLOTS_CAST, "online") == test + 1
