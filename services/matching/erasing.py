"""The matching service's part of erasing a ballot's personal data (``ballot.erasure_due``).

A decision keeps what the counts and the ledger need (member, decision, elector id, score,
ward, eligibility); its evidence and its reasons, which quote the member's and the
elector's names and addresses, go. A review keeps its status and who decided; the member
as given, the candidate electors and the words go. The electoral registers stay: they are
the authorities' open record, loaded per authority and used by every ballot, not this
ballot's data (docs/retention.md).
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from rollcall import retention
from services.matching.models import MatchDecision, Review

#: What an erased explanation reads.
ERASED_TEXT = "(erased)"


def holdings(session: Session, ballot_id: int) -> dict[str, int]:
    """Rows of the ballot that still hold personal data, by table."""
    decisions = session.scalar(
        select(func.count())
        .select_from(MatchDecision)
        .where(MatchDecision.ballot_id == ballot_id, MatchDecision.reasons != ERASED_TEXT)
    )
    reviews = session.scalar(
        select(func.count())
        .select_from(Review)
        .where(Review.ballot_id == ballot_id, Review.reasons != ERASED_TEXT)
    )
    return {"match_decisions": int(decisions or 0), "reviews": int(reviews or 0)}


def erase(session: Session, ballot_id: int) -> dict[str, int]:
    """Blank the evidence and the words of the ballot's decisions and reviews."""
    decisions = retention.changed(
        session.execute(
            update(MatchDecision)
            .where(MatchDecision.ballot_id == ballot_id)
            .values(evidence={}, reasons=ERASED_TEXT)
        )
    )
    reviews = retention.changed(
        session.execute(
            update(Review)
            .where(Review.ballot_id == ballot_id)
            .values(member={}, candidates=[], reasons=ERASED_TEXT, decision_reason=None)
        )
    )
    return {"match_decisions": decisions, "reviews": reviews}
