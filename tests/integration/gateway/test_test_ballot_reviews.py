"""A review decided by its id alone, through the gateway, the real registration and matching,
on the real broker and database: an officer cannot reach a test ballot's review (404, as for a
review that does not exist); an operator can, and the officer still decides a real one."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from services.matching.models import Review
from services.matching.service import MatchingService
from services.registration.service import RegistrationService
from tests.builders import ballots as builders
from tests.integration.gateway.harness import error_of

REJECT = {"elector_id": None, "reason": "not on the register"}


def _open_review(url: str, ballot_id: int, number: str) -> int:
    """A review waiting in matching's queue for ``number`` of the ballot (association HACK)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as c:
        review_id = c.execute(
            sa.insert(Review)
            .values(
                ballot_id=ballot_id,
                membership_number=number,
                association="HACK",
                member={"membership_number": number},
                area=["W1"],
                candidates=[{"elector_id": "E1", "ward": "W1", "reasons": "same name"}],
                reasons="two electors could be this member",
                status="open",
                created_at=datetime.now(UTC),
            )
            .returning(Review.id)
        ).scalar_one()
    engine.dispose()
    return int(review_id)


def test_an_officer_cannot_decide_a_test_ballots_review_by_its_id(launch):
    gateway = launch(RegistrationService, MatchingService, databases=("registration", "matching"))
    rpc, url = gateway.rpc, gateway.settings.database_url("matching")
    test_id = int(
        rpc.registration.create_ballot({**builders.ballot_definition(), "test": True})["ballot_id"]
    )
    real_id = int(rpc.registration.create_ballot(builders.ballot_definition())["ballot_id"])
    test_review, real_review = _open_review(url, test_id, "M1"), _open_review(url, real_id, "M1")
    officer, operator = gateway.user("officer", "HACK"), gateway.user("operator")

    hidden = gateway.post(f"/api/reviews/{test_review}/decision", officer, json=REJECT)
    missing = gateway.post("/api/reviews/999999/decision", officer, json=REJECT)
    assert hidden.status_code == missing.status_code == 404
    assert error_of(hidden)["code"] == error_of(missing)["code"] == "review_not_found"
    assert rpc.matching.get_review(test_review)["status"] == "open"

    assert gateway.post(f"/api/reviews/{real_review}/decision", officer, json=REJECT).ok
    assert gateway.post(f"/api/reviews/{test_review}/decision", operator, json=REJECT).ok
    assert rpc.matching.get_review(test_review)["status"] == "rejected"
