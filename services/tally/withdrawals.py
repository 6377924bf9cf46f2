"""Withdrawing a candidate from a contest after the papers are out, in the caller's transaction.

The papers already printed (and pages already shown) name the candidate; the
rules exclude them before the first stage of the count (``counting.withdrawal``,
docs/counting.md "Withdrawn candidates"). This module is the one writer of the
``withdrawals`` table.

Guarantees:

- ``refusals`` gives every reason a withdrawal may not happen, in words: the
  ballot is closed or counted, the contest or the candidate is not on the
  ballot, the candidate is RON (re-open nominations is not a person who can
  withdraw), the candidate has already withdrawn (for another reason), or
  fewer candidates than seats would be left.
- A withdrawal is recorded once, with its reason, who asked and when, and
  appended to the tally's audit log (``candidate.withdrawn``) in the same
  transaction; the bulletin board carries it after the close. The same withdrawal
  asked again (same contest, candidate and reason) changes nothing and is
  answered as such (``already_withdrawn``).
- It locks the ballot's row, as the close does, so a withdrawal is either in
  the count or refused because the ballot has closed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollcall import audit
from services.tally import contests, queries
from services.tally.counting import is_ron
from services.tally.errors import WithdrawalRefused
from services.tally.models import Result, Withdrawal


def _record(w: Withdrawal) -> dict[str, Any]:
    """A withdrawal as the bulletin board and every caller see it."""
    return {
        "contest": w.contest_id,
        "candidate": w.candidate,
        "reason": w.reason,
        "withdrawn_at": w.withdrawn_at.isoformat(),
    }


def listing(session: Session, ballot_id: int) -> list[dict[str, Any]]:
    """The ballot's withdrawals in the order they were made (then by contest and name)."""
    rows = session.scalars(
        select(Withdrawal)
        .where(Withdrawal.ballot_id == ballot_id)
        .order_by(Withdrawal.withdrawn_at, Withdrawal.contest_id, Withdrawal.candidate)
    )
    return [_record(w) for w in rows]


def refusals(
    definition: dict[str, Any],
    phase: str,
    counted: bool,
    withdrawn: dict[str, list[str]],
    contest_id: str,
    candidate: str,
) -> list[str]:
    """Why ``candidate`` may not be withdrawn from ``contest_id`` (empty: they may). Pure.

    ``withdrawn``: the candidates already withdrawn, by contest.
    """
    if counted or phase in ("closed", "counted"):
        return [
            f"ballot {definition.get('ballot_id')} is {phase} and counted: too late to withdraw"
        ]
    every = {c["id"]: c for c in contests.contests(definition)}
    contest = every.get(contest_id)
    if contest is None:
        return [f"no contest {contest_id!r} on this ballot (its contests: {', '.join(every)})"]
    where = "" if contest_id == contests.MAIN else f" in contest {contest_id!r}"
    if candidate not in contest["candidates"]:
        return [f"{candidate!r} is not a candidate{where}"]
    if is_ron(candidate):
        return [f"{candidate} is not a person and cannot withdraw"]
    gone = withdrawn.get(contest_id, [])
    if candidate in gone:
        return [f"{candidate!r} has already withdrawn{where}"]
    left = len(contest["candidates"]) - len(gone) - 1
    if left < contest["seats"]:
        return [f"only {left} candidate(s) would be left{where} for {contest['seats']} seat(s)"]
    return []


def withdraw(
    session: Session,
    ballot_id: int,
    contest_id: str | None,
    candidate: str,
    reason: str,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """Withdraw ``candidate`` from ``contest_id`` (``None``: the ballot's only contest).

    Raises ``WithdrawalRefused`` with the reasons; the same withdrawal asked again is
    answered with ``already_withdrawn`` true and changes nothing.
    """
    ballot = queries.ballot(session, ballot_id, lock=True)
    reason = reason.strip()
    if not reason:
        raise WithdrawalRefused("a withdrawal needs a reason (it goes in the audit log)")
    if contest_id is None:
        ids = [c["id"] for c in contests.contests(ballot.definition)]
        if len(ids) != 1:
            raise WithdrawalRefused(
                f"this ballot has several contests: say which ({', '.join(ids)})"
            )
        contest_id = ids[0]
    done = session.get(Withdrawal, (ballot_id, contest_id, candidate))
    if done is not None and done.reason == reason:
        return {"ballot_id": ballot_id, **_record(done), "already_withdrawn": True}
    withdrawn = withdrawn_by_contest(session, ballot_id)
    counted = session.get(Result, ballot_id) is not None
    reasons = refusals(ballot.definition, ballot.phase, counted, withdrawn, contest_id, candidate)
    if reasons:
        raise WithdrawalRefused("; ".join(reasons))
    row = Withdrawal(
        ballot_id=ballot_id,
        contest_id=contest_id,
        candidate=candidate,
        reason=reason,
        actor=actor,
        withdrawn_at=now,
    )
    session.add(row)
    details = {"contest": contest_id, "candidate": candidate}
    audit.append(
        session,
        actor=actor,
        source="tally",
        action="candidate.withdrawn",
        subject=f"ballot:{ballot_id}",
        details=details,
        reason=reason,
        at=now,
    )
    return {"ballot_id": ballot_id, **_record(row), "already_withdrawn": False}


def withdrawn_by_contest(session: Session, ballot_id: int) -> dict[str, list[str]]:
    """The withdrawn candidates of each contest."""
    out: dict[str, list[str]] = {}
    for contest_id, name in session.execute(
        select(Withdrawal.contest_id, Withdrawal.candidate).where(Withdrawal.ballot_id == ballot_id)
    ):
        out.setdefault(contest_id, []).append(name)
    return out
