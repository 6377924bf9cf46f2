"""Pausing a ballot (resuming needs two people) and complaint cases."""

from __future__ import annotations

import pytest
from nameko.exceptions import RemoteError

from services.codes.service import CodesService
from services.registration.service import RegistrationService
from tests import support
from tests.builders import ballots as builders
from tests.integration.registration.queries import rows


def _codes_phase(settings, ballot_id: int):
    found = rows(settings, "codes", "select phase from ballots where ballot_id = :b", b=ballot_id)
    return found[0][0] if found else None


def test_a_paused_ballot_stops_codes_and_resumes_only_with_a_second_person(make_settings):
    settings = make_settings("registration", "codes")
    with (
        support.running(settings, RegistrationService, CodesService),
        support.rpc_proxy(settings) as rpc,
    ):
        bid = rpc.registration.create_ballot(builders.ballot_definition())["ballot_id"]
        rpc.registration.change_phase(bid, "open", "op-1")
        support.wait_for(
            lambda: _codes_phase(settings, bid) == "open", what="codes to see the ballot open"
        )
        rpc.registration.pause_ballot(bid, "op-1", "complaint about the extract")
        support.wait_for(
            lambda: _codes_phase(settings, bid) == "paused", what="codes to see the pause"
        )
        with pytest.raises(RemoteError) as closed:
            rpc.codes.verify_code(bid, "ABCDEF-GHJKMN-PQRSTV", "test")
        assert closed.value.exc_type == "BallotNotOpen"
        with pytest.raises(RemoteError) as direct:
            rpc.registration.change_phase(bid, "open", "op-1")
        assert direct.value.exc_type == "PhaseError" and "second person" in direct.value.value
        rpc.registration.request_resume(bid, "op-1", "resolved")
        with pytest.raises(RemoteError) as same:
            rpc.registration.approve_resume(bid, "op-1")
        assert same.value.exc_type == "SamePerson"
        assert rpc.registration.get_ballot(bid)["phase"] == "paused"
        rpc.registration.approve_resume(bid, "op-2", "checked")
        assert rpc.registration.get_ballot(bid)["phase"] == "open"
        support.wait_for(
            lambda: _codes_phase(settings, bid) == "open", what="codes to see the resume"
        )
    actions = [
        a for (a,) in rows(settings, "registration", "select action from audit_log order by seq")
    ]
    assert actions[-4:] == [
        "ballot.paused",
        "ballot.resume_requested",
        "ballot.resume_refused",
        "ballot.open",
    ]


def test_a_complaint_is_a_case_with_evidence_a_state_and_a_deadline(make_settings):
    settings = make_settings("registration")
    with support.running(settings, RegistrationService), support.rpc_proxy(settings) as rpc:
        bid = rpc.registration.create_ballot(builders.ballot_definition())["ballot_id"]
        case = rpc.registration.open_complaint(
            bid, "Members in Ward 3 got no codes", "scrutineer-1", 7
        )
        rpc.registration.add_evidence(
            case["complaint_id"], "Email from J. Smith of 3 High St", "scrutineer-1"
        )
        rpc.registration.move_complaint(case["complaint_id"], "investigating", "op-1")
        with pytest.raises(RemoteError) as bad:
            rpc.registration.move_complaint(case["complaint_id"], "open", "op-1")
        assert bad.value.exc_type == "CaseError"
        done = rpc.registration.move_complaint(
            case["complaint_id"], "upheld", "op-1", "codes reissued"
        )
        listed = rpc.registration.list_complaints(bid)
    assert done["status"] == "upheld" and done["evidence"][0]["text"].startswith("Email from")
    assert [c["complaint_id"] for c in listed] == [case["complaint_id"]]
    details = " ".join(
        d for (d,) in rows(settings, "registration", "select details from audit_log")
    )
    assert "Smith" not in details, "text that may name people is audited as a hash"
