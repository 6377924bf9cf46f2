"""Members and the roll through the gateway, in front of the real registration service.

Each association sees its own members (listed and as CSV), an officer
corrects only their own, a contact change after the freeze needs a second
person, and a member's roll check says nothing on the screen and is rate
limited. The containers last the module; each test makes its own ballot.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from gateway.roll import ROLL_CHECK_ANSWER
from gateway.service import GatewayService
from services.registration.service import RegistrationService
from tests.builders import ballots as builders
from tests.integration.gateway.harness import (
    Gateway,
    error_of,
    free_port,
    import_members,
    running,
)

MEMBERS = [
    builders.member_record("H1", association="HACK", last_name="Adams"),
    builders.member_record("H2", association="HACK", last_name="Baker", postcode="E8 2BB"),
    builders.member_record("I1", association="ISLI", last_name="Clark", postcode="N1 1AA"),
]
POSTCODE = "E8 1AA"  # H1's


@pytest.fixture(scope="module")
def gateway(module_launch) -> Gateway:  # type: ignore[no-untyped-def]
    return module_launch(RegistrationService, databases=("registration",))


def make_ballot(gateway: Gateway, *, frozen: bool) -> int:
    """A fresh ballot holding ``MEMBERS``; if ``frozen``, contact changes need approval."""
    timetable = {}
    if frozen:
        timetable["freeze_at"] = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    made = gateway.rpc.registration.create_ballot(builders.ballot_definition(timetable=timetable))
    ballot_id = int(made["ballot_id"])
    import_members(gateway.rpc, ballot_id, MEMBERS, f"x{ballot_id}")
    return ballot_id


@pytest.fixture
def ballot(gateway) -> int:  # type: ignore[no-untyped-def]
    return make_ballot(gateway, frozen=False)


@pytest.fixture
def frozen_ballot(gateway) -> int:  # type: ignore[no-untyped-def]
    return make_ballot(gateway, frozen=True)


@pytest.fixture
def fresh_limits(gateway) -> None:  # type: ignore[no-untyped-def]
    gateway.execute("delete from rate_limits")


def numbers(members: list[dict]) -> list[str]:
    return [m["membership_number"] for m in members]


def member_changes(gateway, ballot: int, number: str) -> list:
    """Registration's audit entries changing (or asking to change) a member."""
    return gateway.rows(
        "select * from audit_log where subject = :s and action like 'member.%' order by seq",
        "registration",
        s=f"ballot:{ballot}/member:{number}",
    )


# -- the member list ------------------------------------------------------------------


def test_an_officer_sees_only_their_associations_members_each_with_state_and_reason(
    gateway, ballot
):
    officer = gateway.user("officer", "HACK")
    listed = gateway.get(f"/api/ballots/{ballot}/members", officer)
    assert listed.status_code == 200
    members = listed.json()
    assert numbers(members) == ["H1", "H2"]
    for member in members:
        assert member["association"] == "HACK"
        assert member["state"] == "awaiting_match"
        assert member["reason"] == "being matched to the electoral register"
    same = gateway.get(f"/api/ballots/{ballot}/members?association=HACK", officer)
    assert same.status_code == 200 and numbers(same.json()) == ["H1", "H2"]


def test_an_officer_asking_for_another_associations_members_is_refused_and_it_is_logged(
    gateway, ballot
):
    before = gateway.audit_seq()
    officer = gateway.user("officer", "HACK", name="Orla Officer")
    for path in ("members", "members.csv"):
        refused = gateway.get(f"/api/ballots/{ballot}/{path}?association=ISLI", officer)
        assert refused.status_code == 403
        assert error_of(refused) == {
            "code": "forbidden",
            "message": "An officer of HACK may not see association ISLI.",
        }
    rows = gateway.audit_since(before)
    refusals = [r for r in rows if r.action == "access.refused"]
    assert len(refusals) == 2
    assert all(r.actor.startswith("Orla Officer (user ") for r in refusals)
    assert all(json.loads(r.details)["action"] == "list_members" for r in refusals)
    assert not [r for r in rows if r.action.startswith("members.")]


def test_the_csv_holds_exactly_the_officers_own_members(gateway, ballot):
    officer = gateway.user("officer", "HACK")
    for path in ("members.csv", "members?format=csv"):
        response = gateway.get(f"/api/ballots/{ballot}/{path}", officer)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="ballot-{ballot}-members-HACK.csv"'
        )
        header, *rows = list(csv.reader(io.StringIO(response.text)))
        assert header == [
            "membership_number",
            "name",
            "association",
            "postcode",
            "state",
            "reason",
            "updated_at",
        ]
        assert [r[0] for r in rows] == ["H1", "H2"]
        assert rows[0][1:6] == [
            "Ada Adams",
            "HACK",
            "E8 1AA",
            "awaiting_match",
            "being matched to the electoral register",
        ]
        assert datetime.fromisoformat(rows[0][6]).tzinfo is not None


@pytest.mark.parametrize("role", ["operator", "scrutineer"])
def test_operators_and_scrutineers_list_every_member_or_one_association(gateway, ballot, role):
    token = gateway.user(role)
    assert numbers(gateway.get(f"/api/ballots/{ballot}/members", token).json()) == [
        "H1",
        "H2",
        "I1",
    ]
    isli = gateway.get(f"/api/ballots/{ballot}/members.csv?association=ISLI", token)
    assert [r[0] for r in csv.reader(io.StringIO(isli.text))] == ["membership_number", "I1"]


def test_the_member_list_is_refused_without_a_token_or_to_a_teller(gateway, ballot):
    anonymous = gateway.get(f"/api/ballots/{ballot}/members.csv")
    assert anonymous.status_code == 401 and error_of(anonymous)["code"] == "unauthenticated"
    teller = gateway.user("teller", ballot_id=ballot)
    refused = gateway.get(f"/api/ballots/{ballot}/members", teller)
    assert refused.status_code == 403
    assert "may not see the members of a ballot" in error_of(refused)["message"]


def test_an_unknown_ballot_or_format_is_said_so(gateway):
    operator = gateway.user("operator")
    missing = gateway.get("/api/ballots/98765/members", operator)
    assert missing.status_code == 404 and error_of(missing)["code"] == "ballot_not_found"
    bad = gateway.get("/api/ballots/1/members?format=xlsx", operator)
    assert bad.status_code == 400 and "format" in error_of(bad)["fields"]


def test_officers_reconcile_their_association_and_scrutineers_the_whole_ballot(gateway, ballot):
    path = f"/api/ballots/{ballot}/reconciliation"
    officer = gateway.user("officer", "HACK")
    own = gateway.get(path, officer)
    assert own.status_code == 200
    assert own.json()["association"] == "HACK" and own.json()["ledger"]["awaiting_match"] == 2
    other = gateway.get(path + "?association=ISLI", officer)
    assert other.status_code == 403 and error_of(other)["code"] == "forbidden"
    whole = gateway.get(path, gateway.user("scrutineer"))
    assert whole.status_code == 200
    assert whole.json()["association"] is None and whole.json()["ledger"]["awaiting_match"] == 3
    missing = gateway.get("/api/ballots/98765/reconciliation", gateway.user("operator"))
    assert missing.status_code == 404 and error_of(missing)["code"] == "ballot_not_found"


# -- corrections ----------------------------------------------------------------------


def test_an_officer_corrects_their_own_member_who_goes_back_to_matching(gateway, ballot):
    before = gateway.audit_seq()
    officer = gateway.user("officer", "HACK", name="Orla Officer")
    correction = {"changes": {"address_1": "Flat 3", "postcode": "e8 1ab"}, "reason": "moved"}
    done = gateway.post(f"/api/ballots/{ballot}/members/H1/corrections", officer, json=correction)
    assert done.status_code == 200, done.text
    assert done.json() == {"status": "sent_to_matching"}
    (updated,) = member_changes(gateway, ballot, "H1")
    assert updated.action == "member.updated"
    assert updated.actor.startswith("Orla Officer (user ") and updated.reason == "moved"
    assert sorted(json.loads(updated.details)) == ["address_1", "postcode"]
    (logged,) = [r for r in gateway.audit_since(before) if r.action == "member.corrected"]
    assert json.loads(logged.details)["fields"] == ["address_1", "postcode"]
    assert logged.reason == "moved" and logged.subject == f"ballot:{ballot}/member:H1"
    assert "Flat 3" not in logged.details and "E8 1AB" not in logged.details
    listed = gateway.get(f"/api/ballots/{ballot}/members", officer).json()
    assert [m["postcode"] for m in listed if m["membership_number"] == "H1"] == ["E8 1AB"]


def test_a_correction_by_an_officer_of_another_association_is_answered_as_for_an_unknown_member(
    gateway, ballot
):
    before = gateway.audit_seq()
    officer = gateway.user("officer", "ISLI")
    correction = {"changes": {"email": "someone.else@example.org"}, "reason": "typo"}
    refused = gateway.post(
        f"/api/ballots/{ballot}/members/H1/corrections", officer, json=correction
    )
    unknown = gateway.post(
        f"/api/ballots/{ballot}/members/NOPE1/corrections", officer, json=correction
    )
    assert refused.status_code == unknown.status_code == 404
    assert error_of(refused) == {
        **error_of(unknown),
        "message": error_of(unknown)["message"].replace("NOPE1", "H1"),
    }
    assert "HACK" not in refused.text
    assert member_changes(gateway, ballot, "H1") == [], "registration changed nothing"
    (refusal,) = [r for r in gateway.audit_since(before) if r.action == "access.refused"]
    assert refusal.subject == f"ballot:{ballot}/member:H1"
    assert not [r for r in gateway.audit_since(before) if r.action == "member.corrected"]


def test_an_operator_corrects_anyone_and_an_unknown_member_is_404(gateway, ballot):
    operator = gateway.user("operator")
    done = gateway.post(
        f"/api/ballots/{ballot}/members/I1/corrections",
        operator,
        json={"changes": {"first_name": "Ann"}, "reason": "spelling"},
    )
    assert done.status_code == 200 and done.json()["status"] == "sent_to_matching"
    missing = gateway.post(
        f"/api/ballots/{ballot}/members/NOPE/corrections",
        operator,
        json={"changes": {"first_name": "Ann"}, "reason": "spelling"},
    )
    assert missing.status_code == 404 and error_of(missing)["code"] == "member_not_found"


def test_a_correction_of_a_field_that_cannot_be_corrected_is_400(gateway, ballot):
    officer = gateway.user("officer", "HACK")
    for changes in ({"association": "ISLI"}, {}, {"email": "not-an-email"}):
        response = gateway.post(
            f"/api/ballots/{ballot}/members/H1/corrections",
            officer,
            json={"changes": changes, "reason": "x"},
        )
        assert response.status_code == 400 and "changes" in error_of(response)["fields"]
    no_reason = gateway.post(
        f"/api/ballots/{ballot}/members/H1/corrections",
        officer,
        json={"changes": {"town": "Hackney"}},
    )
    assert error_of(no_reason)["fields"] == {"reason": ["Say why, in a few words."]}
    assert member_changes(gateway, ballot, "H1") == []


# -- contact changes after the freeze ---------------------------------------------------


def test_after_the_freeze_a_contact_change_waits_and_a_same_person_approval_is_409(
    gateway, frozen_ballot
):
    ballot = frozen_ballot
    first = gateway.user("operator", name="Olu Operator")
    second = gateway.user("operator", name="Pat Operator")
    asked = gateway.post(
        f"/api/ballots/{ballot}/members/H2/corrections",
        first,
        json={"changes": {"email": "new@example.org"}, "reason": "member phoned"},
    )
    assert asked.status_code == 202, asked.text
    assert asked.json()["status"] == "pending_approval"
    change_id = asked.json()["change_id"]

    (pending,) = gateway.get(f"/api/ballots/{ballot}/changes", gateway.user("scrutineer")).json()
    assert pending["change_id"] == change_id and pending["fields"] == ["email"]
    assert "new@example.org" not in json.dumps(pending)

    path = f"/api/changes/{change_id}/decision"
    same = gateway.post(path, first, json={"approve": True, "reason": "looks fine"})
    assert same.status_code == 409 and error_of(same)["code"] == "same_person"
    assert gateway.get(f"/api/ballots/{ballot}/changes", first).json()[0]["status"] == "pending"

    approved = gateway.post(path, second, json={"approve": True, "reason": "checked with member"})
    assert approved.status_code == 200
    assert approved.json() == {"change_id": change_id, "status": "approved"}
    assert gateway.get(f"/api/ballots/{ballot}/changes", first).json() == []
    (done,) = gateway.get(f"/api/ballots/{ballot}/changes?status=approved", first).json()
    assert done["change_id"] == change_id
    again = gateway.post(path, second, json={"approve": True, "reason": "again"})
    assert again.status_code == 404 and error_of(again)["code"] == "change_not_found"


def test_only_operators_decide_changes_and_officers_do_not_see_them(gateway, frozen_ballot):
    ballot = frozen_ballot
    officer = gateway.user("officer", "HACK")
    asked = gateway.post(
        f"/api/ballots/{ballot}/members/H1/corrections",
        officer,
        json={"changes": {"phone": "020 7946 0000"}, "reason": "new number"},
    )
    assert asked.status_code == 202
    change_id = asked.json()["change_id"]
    listing = gateway.get(f"/api/ballots/{ballot}/changes", officer)
    assert listing.status_code == 403
    for role in ("officer", "scrutineer"):
        token = gateway.user(role, "HACK" if role == "officer" else None)
        refused = gateway.post(
            f"/api/changes/{change_id}/decision", token, json={"approve": True, "reason": "ok"}
        )
        assert refused.status_code == 403
        assert "may not approve or refuse a change" in error_of(refused)["message"]
    refusal = gateway.post(
        f"/api/changes/{change_id}/decision",
        gateway.user("operator"),
        json={"approve": False, "reason": "not the member's number"},
    )
    assert refusal.status_code == 200 and refusal.json()["status"] == "refused"
    bad = gateway.post(
        f"/api/changes/{change_id}/decision", gateway.user("operator"), json={"approve": "yes"}
    )
    assert bad.status_code == 400 and set(error_of(bad)["fields"]) == {"approve", "reason"}


# -- the member's own roll check ------------------------------------------------------------


def answered(gateway, ballot: int) -> list[str]:
    """Members registration has sent a roll-check answer to."""
    rows = gateway.rows(
        "select payload from outbox where event_type = 'roll.check_answered'", "registration"
    )
    return [
        json.loads(r.payload)["membership_number"]
        for r in rows
        if json.loads(r.payload)["ballot_id"] == ballot
    ]


def test_the_roll_check_says_the_same_for_a_real_member_and_a_made_up_one(
    gateway, ballot, fresh_limits, caplog
):
    caplog.set_level(logging.DEBUG)
    path = f"/api/ballots/{ballot}/roll-check"
    real = gateway.post(
        path, json={"membership_number": "H1", "postcode": POSTCODE}, client="127.0.0.2"
    )
    wrong = gateway.post(
        path, json={"membership_number": "H1", "postcode": "ZZ9 9ZZ"}, client="127.0.0.2"
    )
    made_up = gateway.post(
        path, json={"membership_number": "NOBODY", "postcode": POSTCODE}, client="127.0.0.2"
    )
    assert real.status_code == wrong.status_code == made_up.status_code == 202
    assert real.content == wrong.content == made_up.content
    assert real.json()["status"] == "received"
    assert answered(gateway, ballot) == ["H1"], "only the real member with the right postcode"
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        assert POSTCODE not in text and "ZZ9 9ZZ" not in text, record.name
    stored = gateway.rows("select key from rate_limits") + gateway.rows(
        "select actor, subject, details, reason from audit_log"
    )
    assert POSTCODE not in str(stored) and "127.0.0.2" not in str(stored)


def test_the_sixth_roll_check_from_one_address_in_an_hour_is_429(gateway, ballot, fresh_limits):
    path = f"/api/ballots/{ballot}/roll-check"
    for n in range(5):
        ok = gateway.post(
            path, json={"membership_number": f"X{n}", "postcode": "E1 1AA"}, client="127.0.0.3"
        )
        assert ok.status_code == 202
    sixth = gateway.post(
        path, json={"membership_number": "H1", "postcode": POSTCODE}, client="127.0.0.3"
    )
    assert sixth.status_code == 429
    assert error_of(sixth)["code"] == "rate_limited"
    assert 3540 <= int(sixth.headers["Retry-After"]) <= 3660
    assert answered(gateway, ballot) == [], "a refused check never reaches registration"
    elsewhere = gateway.post(
        path, json={"membership_number": "H1", "postcode": POSTCODE}, client="127.0.0.4"
    )
    assert elsewhere.status_code == 202 and answered(gateway, ballot) == ["H1"]


def test_the_sixth_roll_check_for_one_membership_number_in_an_hour_is_429(
    gateway, ballot, fresh_limits
):
    path = f"/api/ballots/{ballot}/roll-check"
    for n in range(5):
        ok = gateway.post(
            path, json={"membership_number": "H2", "postcode": "E1 1AA"}, client=f"127.0.1.{n}"
        )
        assert ok.status_code == 202
    sixth = gateway.post(
        path, json={"membership_number": "h2", "postcode": "E8 2BB"}, client="127.0.1.9"
    )
    assert sixth.status_code == 429 and "Retry-After" in sixth.headers
    other = gateway.post(
        path, json={"membership_number": "H1", "postcode": POSTCODE}, client="127.0.1.9"
    )
    assert other.status_code == 202, "the refused check did not count against its address"


def test_replicas_share_the_roll_check_limit(gateway, ballot, fresh_limits):
    path = f"/api/ballots/{ballot}/roll-check"
    replica = Gateway(replace(gateway.settings, gateway_port=free_port()), gateway.rpc)
    with running(replica.settings, GatewayService):
        for n, instance in enumerate([gateway, replica, gateway, replica, replica]):
            asked = {"membership_number": f"R{n}", "postcode": "E1 1AA"}
            assert instance.post(path, json=asked, client="127.0.2.1").status_code == 202
        asked = {"membership_number": "R9", "postcode": "E1 1AA"}
        assert gateway.post(path, json=asked, client="127.0.2.1").status_code == 429
        assert replica.post(path, json=asked, client="127.0.2.1").status_code == 429


def test_a_bad_roll_check_is_400_and_not_counted(gateway, ballot, fresh_limits):
    path = f"/api/ballots/{ballot}/roll-check"
    for body in (
        {"membership_number": "H1"},
        {"postcode": POSTCODE},
        {"membership_number": "H1", "postcode": POSTCODE, "email": "x@y.z"},
    ):
        response = gateway.post(path, json=body, client="127.0.3.1")
        assert response.status_code == 400 and error_of(response)["code"] == "invalid_request"
    assert gateway.rows("select * from rate_limits") == []


def test_the_roll_check_page_the_notice_links_to_sends_the_same_answer(
    gateway, ballot, fresh_limits
):
    page = gateway.get("/roll-check", params={"ballot": str(ballot)})
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert f'value="{ballot}"' in page.text and 'action="/roll-check"' in page.text
    form = {"ballot_id": str(ballot), "membership_number": "H1", "postcode": POSTCODE}
    sent = gateway.post("/roll-check", data=form, client="127.0.4.1")
    made_up = gateway.post(
        "/roll-check", data={**form, "membership_number": "NOBODY"}, client="127.0.4.1"
    )
    assert sent.status_code == made_up.status_code == 202
    assert ROLL_CHECK_ANSWER["message"] in sent.text and POSTCODE not in sent.text
    assert sent.text == made_up.text.replace("NOBODY", "H1")
    assert answered(gateway, ballot) == ["H1"], "the page's check reaches registration"


def test_the_roll_check_page_says_what_is_wrong_in_words_and_keeps_the_limit(
    gateway, ballot, fresh_limits
):
    unknown = gateway.get("/roll-check", params={"ballot": "999999"})
    assert unknown.status_code == 404 and unknown.headers["Content-Type"].startswith("text/html")
    blank = gateway.post("/roll-check", data={"ballot_id": str(ballot), "membership_number": "H1"})
    assert blank.status_code == 400 and "postcode" in blank.text.lower()
    assert 'value="H1"' in blank.text, "what the member typed is kept"
    form = {"ballot_id": str(ballot), "membership_number": "H2", "postcode": "E1 1AA"}
    for _ in range(5):
        assert gateway.post("/roll-check", data=form, client="127.0.4.2").status_code == 202
    sixth = gateway.post("/roll-check", data=form, client="127.0.4.2")
    assert sixth.status_code == 429 and "Retry-After" in sixth.headers
    assert "try again in" in sixth.text and "Traceback" not in sixth.text
    assert answered(gateway, ballot) == [], "a wrong postcode is not answered, nor a refused check"


# -- two-person rules count people --------------------------------------------------------


def two_tokens(gateway: Gateway, name: str) -> tuple[str, str]:
    """Two tokens of one operator (a laptop and a phone)."""
    made = gateway.rpc.gateway.add_user(name, "operator", None, actor="test")
    other = gateway.rpc.gateway.add_token(made["user_id"], actor="test")
    assert other["user_id"] == made["user_id"] and other["token"] != made["token"]
    return made["token"], other["token"]


def test_two_tokens_of_one_user_cannot_approve_each_others_contact_change(gateway, frozen_ballot):
    laptop, phone = two_tokens(gateway, "Sam Twotokens")
    asked = gateway.post(
        f"/api/ballots/{frozen_ballot}/members/H2/corrections",
        laptop,
        json={"changes": {"email": "sam@example.org"}, "reason": "member phoned"},
    )
    assert asked.status_code == 202, asked.text
    path = f"/api/changes/{asked.json()['change_id']}/decision"
    same = gateway.post(path, phone, json={"approve": True, "reason": "fine"})
    assert same.status_code == 409 and error_of(same)["code"] == "same_person"
    other = gateway.post(
        path, gateway.user("operator", name="Pat"), json={"approve": True, "reason": "ok"}
    )
    assert other.status_code == 200 and other.json()["status"] == "approved"


def test_two_tokens_of_one_user_cannot_approve_each_others_resume(gateway, ballot):
    gateway.rpc.registration.change_phase(ballot, "open", actor="test", reason="opens")
    laptop, phone = two_tokens(gateway, "Kim Twotokens")
    base = f"/api/ballots/{ballot}"
    assert gateway.post(f"{base}/pause", laptop, json={"reason": "fault"}).status_code == 200
    assert gateway.post(f"{base}/resume", laptop, json={"reason": "fixed"}).status_code == 202
    same = gateway.post(f"{base}/resume/approve", phone, json={"reason": "fixed"})
    assert same.status_code == 409 and error_of(same)["code"] == "same_person"
    assert gateway.rpc.registration.get_ballot(ballot)["phase"] == "paused"


def test_revoking_a_user_revokes_every_token_they_hold(gateway):
    laptop, phone = two_tokens(gateway, "Lee Twotokens")
    (user,) = [u for u in gateway.rpc.gateway.list_users() if u["name"] == "Lee Twotokens"]
    gateway.rpc.gateway.revoke_user(user["user_id"], actor="test")
    for token in (laptop, phone):
        response = gateway.get("/api/audit/heads", token)
        assert response.status_code == 401 and error_of(response)["code"] == "token_revoked"


def test_after_the_open_an_officers_eligibility_changing_correction_waits_for_a_second_person(
    gateway, ballot
):
    gateway.rpc.registration.change_phase(ballot, "open", actor="test", reason="opens")
    officer = gateway.user("officer", "HACK", name="Orla Officer")
    asked = gateway.post(
        f"/api/ballots/{ballot}/members/H1/corrections",
        officer,
        json={"changes": {"address_1": "Flat 9", "postcode": "N1 1AA"}, "reason": "moved"},
    )
    assert asked.status_code == 202, asked.text
    assert asked.json()["status"] == "pending_approval"
    assert postcode(gateway, officer, ballot, "H1") != "N1 1AA", "unchanged until agreed"
    assert [r.action for r in member_changes(gateway, ballot, "H1")] == ["member.change_requested"]

    path = f"/api/changes/{asked.json()['change_id']}/decision"
    same = gateway.post(path, officer, json={"approve": True, "reason": "ok"})
    assert same.status_code == 403, "an officer may not approve, least of all their own"
    approved = gateway.post(path, gateway.user("operator"), json={"approve": True, "reason": "ok"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and "sent_to_matching" in approved.json()
    assert postcode(gateway, officer, ballot, "H1") == "N1 1AA"
    actions = [r.action for r in member_changes(gateway, ballot, "H1")]
    assert actions == ["member.change_requested", "member.updated"]


def postcode(gateway: Gateway, token: str, ballot: int, number: str) -> str:
    listed = gateway.get(f"/api/ballots/{ballot}/members", token).json()
    (found,) = [m["postcode"] for m in listed if m["membership_number"] == number]
    return str(found)


def test_after_the_open_a_correction_matching_does_not_read_needs_no_second_person(gateway, ballot):
    gateway.rpc.registration.change_phase(ballot, "open", actor="test", reason="opens")
    officer = gateway.user("officer", "HACK")
    done = gateway.post(
        f"/api/ballots/{ballot}/members/H1/corrections",
        officer,
        json={"changes": {"phone": "020 7946 0000"}, "reason": "new number"},
    )
    assert done.status_code == 200, done.text
