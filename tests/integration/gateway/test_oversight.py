"""Audit heads, complaints and pausing through the gateway, in front of the real registration.

Matching, codes and tally are stand-ins (they report fixed audit heads); no
mailer runs, so its head is reported unavailable. The containers last the
module; each test makes its own ballot and users.
"""

from __future__ import annotations

import json

import pytest

from rollcall import audit
from services.registration.service import RegistrationService
from tests.builders import ballots as builders
from tests.integration.gateway import standins
from tests.integration.gateway.harness import Gateway, error_of


@pytest.fixture(scope="module")
def gateway(module_launch) -> Gateway:  # type: ignore[no-untyped-def]
    return module_launch(
        RegistrationService,
        standins.CodesStandIn,
        standins.TallyStandIn,
        standins.MatchingStandIn,
        databases=("registration",),
    )


@pytest.fixture
def ballot(gateway) -> int:  # type: ignore[no-untyped-def]
    return int(gateway.rpc.registration.create_ballot(builders.ballot_definition())["ballot_id"])


@pytest.fixture
def open_ballot(gateway, ballot) -> int:  # type: ignore[no-untyped-def]
    gateway.rpc.registration.change_phase(ballot, "open", actor="test", reason="opens")
    return ballot


# -- audit heads --------------------------------------------------------------------------


def test_a_scrutineer_reads_every_services_audit_head_and_a_silent_one_is_unavailable(
    gateway, ballot
):
    scrutineer = gateway.user("scrutineer", name="Sam Scrutineer")
    (own,) = gateway.rows("select seq, hash from audit_log order by seq desc limit 1")
    (registration,) = gateway.rows(
        "select seq, hash from audit_log order by seq desc limit 1", "registration"
    )
    response = gateway.get("/api/audit/heads", scrutineer)
    assert response.status_code == 200
    heads = response.json()
    assert heads == {
        "registration": {"seq": registration.seq, "hash": registration.hash},
        "matching": standins.HEADS["matching"],
        "codes": standins.HEADS["codes"],
        "tally": standins.HEADS["tally"],
        "mailer": {"error": "unavailable"},
        "gateway": {"seq": own.seq, "hash": own.hash},
    }
    assert registration.seq > 0, "creating the ballot was audited"
    rows = gateway.rows("select * from audit_log order by seq")
    assert audit.verify(rows).ok
    assert rows[-1].action == "audit_heads.read" and "Sam Scrutineer" in rows[-1].actor
    assert json.loads(rows[-1].details)["heads"] == heads


@pytest.mark.parametrize("role", ["officer", "teller"])
def test_officers_and_tellers_may_not_read_audit_heads(gateway, role):
    token = gateway.user(
        role, "HACK" if role == "officer" else None, ballot_id=1 if role == "teller" else None
    )
    refused = gateway.get("/api/audit/heads", token)
    assert refused.status_code == 403
    assert "may not read the heads of the audit logs" in error_of(refused)["message"]
    assert gateway.get("/api/audit/heads").status_code == 401


# -- complaints ----------------------------------------------------------------------------


def test_an_operator_runs_a_complaint_and_a_scrutineer_reads_it(gateway, ballot):
    before = gateway.audit_seq()
    operator = gateway.user("operator", name="Olu Operator")
    scrutineer = gateway.user("scrutineer")
    opened = gateway.post(
        f"/api/ballots/{ballot}/complaints",
        operator,
        json={"subject": "Letters sent to the wrong flat", "days": 7},
    )
    assert opened.status_code == 201, opened.text
    complaint = opened.json()
    cid = complaint["complaint_id"]
    assert complaint["status"] == "open" and complaint["opened_by"].startswith("Olu Operator")

    evidence = gateway.post(
        f"/api/complaints/{cid}/evidence", operator, json={"text": "Photo of envelope"}
    )
    assert evidence.status_code == 201
    moved = gateway.post(
        f"/api/complaints/{cid}/status", operator, json={"status": "investigating"}
    )
    assert moved.status_code == 200 and moved.json()["status"] == "investigating"
    closed = gateway.post(
        f"/api/complaints/{cid}/status",
        operator,
        json={"status": "upheld", "outcome": "Reissued codes to flats 2 and 3"},
    )
    assert closed.status_code == 200 and closed.json()["status"] == "upheld"

    listed = gateway.get(f"/api/ballots/{ballot}/complaints", scrutineer)
    assert listed.status_code == 200
    assert [(c["complaint_id"], c["status"]) for c in listed.json()] == [(cid, "upheld")]
    read = gateway.get(f"/api/complaints/{cid}", scrutineer)
    assert read.status_code == 200
    assert [e["text"] for e in read.json()["evidence"]] == ["Photo of envelope"]

    late = gateway.post(f"/api/complaints/{cid}/evidence", operator, json={"text": "more"})
    assert late.status_code == 409 and error_of(late)["code"] == "case_error"

    rows = gateway.audit_since(before)
    assert [r.action for r in rows if not r.action.startswith("user.")] == [
        "complaint.opened",
        "complaint.evidence_added",
        "complaint.moved",
        "complaint.moved",
        "complaints.listed",
        "complaint.read",
    ]
    logged = str([(r.details, r.reason) for r in rows])
    assert "wrong flat" not in logged and "envelope" not in logged, "no complaint text in clear"


def test_a_complaint_closed_without_an_outcome_or_moved_backwards_is_refused(gateway, ballot):
    operator = gateway.user("operator")
    cid = gateway.post(
        f"/api/ballots/{ballot}/complaints", operator, json={"subject": "late post"}
    ).json()["complaint_id"]
    no_outcome = gateway.post(f"/api/complaints/{cid}/status", operator, json={"status": "upheld"})
    assert no_outcome.status_code == 400 and "outcome" in error_of(no_outcome)["fields"]
    skipped = gateway.post(
        f"/api/complaints/{cid}/status", operator, json={"status": "upheld", "outcome": "yes"}
    )
    assert skipped.status_code == 409 and error_of(skipped)["code"] == "case_error"
    assert "cannot become upheld" in error_of(skipped)["message"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/ballots/{ballot}/complaints", None),
        ("GET", "/api/complaints/1", None),
        ("POST", "/api/ballots/{ballot}/complaints", {"subject": "x"}),
        ("POST", "/api/complaints/1/evidence", {"text": "x"}),
        ("POST", "/api/complaints/1/status", {"status": "investigating"}),
    ],
)
def test_an_officer_may_not_read_or_touch_complaints(gateway, ballot, method, path, body):
    officer = gateway.user("officer", "HACK")
    refused = gateway.request(method, path.format(ballot=ballot), officer, json=body)
    assert refused.status_code == 403 and error_of(refused)["code"] == "forbidden"


def test_a_scrutineer_reads_audit_heads_and_complaints_but_cannot_pause_or_open_one(
    gateway, open_ballot
):
    scrutineer = gateway.user("scrutineer")
    assert gateway.get("/api/audit/heads", scrutineer).status_code == 200
    assert gateway.get(f"/api/ballots/{open_ballot}/complaints", scrutineer).status_code == 200
    for path, body in [
        (f"/api/ballots/{open_ballot}/pause", {"reason": "I think so"}),
        (f"/api/ballots/{open_ballot}/resume", {"reason": "I think so"}),
        (f"/api/ballots/{open_ballot}/resume/approve", {"reason": "I think so"}),
        (f"/api/ballots/{open_ballot}/complaints", {"subject": "x"}),
    ]:
        refused = gateway.post(path, scrutineer, json=body)
        assert refused.status_code == 403, path
        assert "needs the operator role" in error_of(refused)["message"]
    assert gateway.rpc.registration.get_ballot(open_ballot)["phase"] == "open"


# -- pausing ------------------------------------------------------------------------------------


def test_pausing_and_resuming_takes_two_operators(gateway, open_ballot):
    before = gateway.audit_seq()
    first = gateway.user("operator", name="Olu Operator")
    second = gateway.user("operator", name="Pat Operator")
    base = f"/api/ballots/{open_ballot}"

    paused = gateway.post(f"{base}/pause", first, json={"reason": "printer fault"})
    assert paused.status_code == 200 and paused.json()["phase"] == "paused"
    asked = gateway.post(f"{base}/resume", first, json={"reason": "printer fixed"})
    assert asked.status_code == 202 and asked.json()["resume_requested_by"].startswith("Olu")

    same = gateway.post(f"{base}/resume/approve", first, json={"reason": "fixed"})
    assert same.status_code == 409 and error_of(same)["code"] == "same_person"
    assert gateway.rpc.registration.get_ballot(open_ballot)["phase"] == "paused"

    approved = gateway.post(f"{base}/resume/approve", second, json={"reason": "checked"})
    assert approved.status_code == 200 and approved.json()["phase"] == "open"
    again = gateway.post(f"{base}/resume/approve", second, json={"reason": "checked"})
    assert again.status_code == 409 and error_of(again)["code"] == "phase_error"

    rows = [r for r in gateway.audit_since(before) if r.action.startswith("ballot.")]
    assert [(r.action, r.actor.split(" (")[0], r.reason) for r in rows] == [
        ("ballot.paused", "Olu Operator", "printer fault"),
        ("ballot.resume_requested", "Olu Operator", "printer fixed"),
        ("ballot.resume_approved", "Pat Operator", "checked"),
    ]
    refused = gateway.rows(
        "select * from audit_log where action = 'ballot.resume_refused' and subject = :s",
        "registration",
        s=f"ballot:{open_ballot}",
    )
    assert len(refused) == 1 and refused[0].actor.startswith("Olu Operator")


def test_a_pause_needs_a_reason_and_an_open_ballot(gateway, ballot):
    operator = gateway.user("operator")
    no_reason = gateway.post(f"/api/ballots/{ballot}/pause", operator, json={})
    assert no_reason.status_code == 400
    assert error_of(no_reason)["fields"] == {"reason": ["Say why, in a few words."]}
    draft = gateway.post(f"/api/ballots/{ballot}/pause", operator, json={"reason": "fault"})
    assert draft.status_code == 409 and error_of(draft)["code"] == "phase_error"
    not_paused = gateway.post(f"/api/ballots/{ballot}/resume", operator, json={"reason": "go"})
    assert not_paused.status_code == 409 and error_of(not_paused)["code"] == "phase_error"
    missing = gateway.post("/api/ballots/98765/pause", operator, json={"reason": "fault"})
    assert missing.status_code == 404 and error_of(missing)["code"] == "ballot_not_found"
