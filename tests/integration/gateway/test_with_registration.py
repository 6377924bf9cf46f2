"""The gateway in front of the real registration service: reconciliation scoped by role."""

from __future__ import annotations

from services.registration.service import RegistrationService
from tests import builders
from tests.integration.gateway.harness import error_of


def test_officers_see_their_association_and_operators_the_whole_ballot(launch):
    gateway = launch(RegistrationService, databases=("registration",))
    ballot = gateway.rpc.registration.create_ballot(builders.ballot_definition())
    ballot_id = ballot["ballot_id"]
    gateway.rpc.registration.begin_extract(
        ballot_id=ballot_id,
        extract_id="x1",
        source="test",
        file_name="m.csv",
        header=builders.HEADER,
        declared_rows=3,
        sha256="0" * 64,
    )
    records = [
        builders.member_record("M1", association="HACK"),
        builders.member_record("M2", association="HACK"),
        builders.member_record("M3", association="ISLI"),
    ]
    gateway.rpc.registration.add_extract_rows("x1", 0, 2, records)
    gateway.rpc.registration.finish_extract("x1", 1)
    path = f"/api/ballots/{ballot_id}/reconciliation"

    officer = gateway.user("officer", "HACK")
    own = gateway.get(path, officer)
    assert own.status_code == 200
    assert own.json()["association"] == "HACK"
    assert own.json()["ledger"]["awaiting_match"] == 2

    other = gateway.get(path + "?association=ISLI", officer)
    assert other.status_code == 403 and error_of(other)["code"] == "forbidden"

    whole = gateway.get(path, gateway.user("scrutineer"))
    assert whole.status_code == 200
    assert whole.json()["association"] is None
    assert whole.json()["ledger"]["awaiting_match"] == 3

    missing = gateway.get("/api/ballots/9999/reconciliation", gateway.user("operator"))
    assert missing.status_code == 404 and error_of(missing)["code"] == "ballot_not_found"
