"""The gateway in front of the real services: their answers mapped, and an officer's fix carried through."""

from __future__ import annotations

from services.codes.service import CodesService
from services.matching.service import MatchingService
from services.registration.service import RegistrationService
from services.tally.service import TallyService
from tests import support
from tests.builders import ballots as builders
from tests.integration.gateway.harness import error_of, import_members


def test_real_tally_and_codes_errors_reach_the_client_as_stable_codes(launch, monkeypatch):
    monkeypatch.setenv("ROLLCALL_SECRET_CODE_HASH_KEY", "test-code-hash-key")
    monkeypatch.setenv("ROLLCALL_SECRET_MAIL_SEAL_KEY", "test-mail-seal-key")
    gateway = launch(TallyService, CodesService, databases=("tally", "codes"))

    result = gateway.get("/api/ballots/404/result")
    assert result.status_code == 404 and error_of(result)["code"] == "ballot_not_found"

    register = gateway.get("/api/ballots/404/marked-register", gateway.user("scrutineer"))
    assert register.status_code == 404 and error_of(register)["code"] == "ballot_not_found"

    vote = gateway.post("/api/ballots/404/votes", json={"code": "X" * 18, "choices": ["Ada"]})
    assert vote.status_code == 409 and error_of(vote)["code"] == "ballot_not_open"


def test_real_matching_reviews_through_the_gateway(launch):
    # Registration answers whether the ballot is a test ballot, which officers never see.
    gateway = launch(MatchingService, RegistrationService, databases=("matching", "registration"))
    officer = gateway.user("officer", "HACK")
    ballot_id = gateway.rpc.registration.create_ballot(builders.ballot_definition())["ballot_id"]
    listed = gateway.get(f"/api/ballots/{ballot_id}/reviews", officer)
    assert listed.status_code == 200 and listed.json() == []
    unknown = gateway.get("/api/ballots/999999/reviews", officer)
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "ballot_not_found"
    decided = gateway.post(
        "/api/reviews/12345/decision", officer, json={"elector_id": "E1", "reason": "same person"}
    )
    assert decided.status_code == 404 and error_of(decided)["code"] == "review_not_found"


def test_the_real_tally_publishes_a_new_ballots_key_before_the_count(launch):
    gateway = launch(TallyService, RegistrationService, databases=("tally", "registration"))
    ballot_id = gateway.rpc.registration.create_ballot(builders.ballot_definition())["ballot_id"]

    def published():  # type: ignore[no-untyped-def]
        response = gateway.get(f"/api/ballots/{ballot_id}/key")
        return response if response.status_code == 200 else None

    key = support.wait_for(published, what="the ballot's signing key").json()
    assert set(key) == {"algorithm", "public_key", "fingerprint"}
    assert key["fingerprint"] and key["public_key"]
    for suffix in ("txt", "png"):
        early = gateway.get(f"/api/ballots/{ballot_id}/result.{suffix}")
        assert early.status_code == 409 and error_of(early)["code"] == "result_not_ready"
    missing = gateway.get("/api/ballots/98765/key")
    assert missing.status_code == 404 and error_of(missing)["code"] == "ballot_not_found"


def test_an_officer_corrects_a_rejected_row_of_the_real_registration_over_http(launch):
    gateway = launch(RegistrationService, databases=("registration",))
    ballot_id = int(
        gateway.rpc.registration.create_ballot(builders.ballot_definition())["ballot_id"]
    )
    records = [
        builders.member_record("H1", association="HACK"),
        builders.member_record(
            "H2", association="HACK", date_of_birth="31/02/1990", last_name="=1+2"
        ),
        builders.member_record("I1", association="ISLI", email="i1-at-example"),
    ]
    import_members(gateway.rpc, ballot_id, records, f"dropped-{ballot_id}")
    officer = gateway.user("officer", "HACK")
    rows = f"/api/ballots/{ballot_id}/dropped-rows"

    (row,) = gateway.get(rows, officer).json()  # ISLI's rejected row is not HACK's to see
    assert (row["kind"], row["line"], row["membership_number"]) == ("rejected", 3, "H2")
    assert row["reasons"] == ["date of birth '31/02/1990' is not a date (YYYY-MM-DD)"]
    exported = gateway.get(f"{rows}.csv", officer).text
    assert ",'=1+2," in exported and "date of birth '31/02/1990' is not a date" in exported

    correction = {"values": {"date_of_birth": "1990-02-28"}, "reason": "from the paper form"}
    done = gateway.post(f"{rows}/{row['id']}/correction", officer, json=correction)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "corrected"
    members = gateway.get(f"/api/ballots/{ballot_id}/members", officer).json()
    assert {m["membership_number"]: m["state"] for m in members} == {
        "H1": "awaiting_match",
        "H2": "awaiting_match",
    }
    again = gateway.post(f"{rows}/{row['id']}/correction", officer, json=correction)
    assert again.status_code == 409 and error_of(again)["code"] == "row_not_correctable"
    counts = gateway.get(f"{rows}/counts", gateway.user("scrutineer")).json()
    assert counts["totals"]["rejected"] == 2 and counts["totals"]["corrected"] == 1
