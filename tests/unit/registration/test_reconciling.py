"""The reconciliation report's list of members not reached, per association, on SQLite."""

from __future__ import annotations

from services.registration import ballots, extracts, facts, ledger_writer, reconciling
from services.registration.ledger import STATES
from tests.builders import ballots as builders

MEMBERS = {"H1": "HACK", "H2": "HACK", "I1": "ISLI", "I2": "ISLI"}


def _ballot_with_deliveries(session) -> int:
    bid = ballots.create(session, builders.ballot_definition(), "test")["ballot_id"]
    extracts.begin(session, **builders.extract_opening(bid, f"x{bid}", len(MEMBERS)))
    records = [builders.member_record(n, association=a) for n, a in MEMBERS.items()]
    extracts.add_chunk(session, extract_id=f"x{bid}", chunk=0, first_line=2, records=records)
    ledger_writer.record(session, bid, [(n, "matched", "set up") for n in MEMBERS], source="test")
    facts.apply_deliveries(
        session,
        bid,
        [
            {"membership_number": "H1", "outcome": "sent", "reason": ""},
            {"membership_number": "H2", "outcome": "failed", "reason": "550; no postal address"},
            {"membership_number": "I1", "outcome": "queued", "reason": "550 refused"},
            {"membership_number": "I2", "outcome": "failed", "reason": "cut-off passed"},
        ],
    )
    return bid


def test_members_not_reached_are_listed_with_their_association_and_reason(session):
    report = reconciling.reconcile(session, _ballot_with_deliveries(session))
    assert report["not_reached"] == 2
    why = f"{STATES['mail_failed']}: "
    assert report["not_reached_members"] == [
        {
            "membership_number": "H2",
            "association": "HACK",
            "reason": f"{why}550; no postal address",
        },
        {"membership_number": "I2", "association": "ISLI", "reason": f"{why}cut-off passed"},
    ]
    assert STATES["mail_failed"].startswith("not reached")
    assert report["balanced"]


def test_an_officer_sees_only_their_associations_members_not_reached(session):
    report = reconciling.reconcile(session, _ballot_with_deliveries(session), "ISLI")
    assert report["not_reached"] == 1
    assert [m["membership_number"] for m in report["not_reached_members"]] == ["I2"]
