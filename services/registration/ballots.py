"""Ballots: definition, the freeze, and the phase changes draft -> open -> closed -> counted.

Each phase change is written to the audit log with its actor and announced
(``ballot.phase_changed``) in the same transaction. ``phase_guard`` returns
the reasons a change may not happen, never a bare boolean. ``frozen`` is the
one test of whether a ballot's roll is frozen.

Opening and closing are irreversible for voters, so ``timing_guard`` adds the
reasons the timetable and the roll give against them: opening before the
freeze or ``opens_at``, or with members unaccounted for or waiting for review;
closing before ``closes_at`` or with members still waiting for review.
``open_or_close`` refuses (and audits the refusal) unless forced with a
reason, and a forced change carries the reasons it overrode in its audit entry.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rollcall import audit
from rollcall.messaging.outbox import emit
from services.registration import eligibility
from services.registration.errors import BallotInvalid, BallotNotFound, PhaseError
from services.registration.ledger import STATES
from services.registration.models import Ballot, LedgerEntry, Member
from services.registration.schemas import BallotDefinitionSchema

NEXT_PHASE = {
    "open": ("draft", "paused"),
    "paused": ("open",),
    "closed": ("open",),
    "counted": ("closed",),
}


def definition(ballot: Ballot) -> dict[str, Any]:
    """The definition as announced (``ballot.created``) and shown: one contest's
    ``method``, ``seats`` and ``candidates``, or ``contests``."""
    paper = dict(ballot.paper or {})
    if paper.get("contests"):
        contest: dict[str, Any] = {"contests": paper["contests"]}
    else:
        contest = {
            "method": ballot.method,
            "seats": ballot.seats,
            "candidates": list(ballot.candidates),
            **{k: paper[k] for k in ("instructions", "statements", "order") if paper.get(k)},
        }
    if paper.get("test"):
        contest["test"] = True
    return {
        "ballot_id": ballot.id,
        "title": ballot.title,
        **contest,
        "area": list(ballot.area),
        "timetable": dict(ballot.timetable),
        "eligibility": dict(ballot.eligibility),
        "seed": ballot.seed,
        "phase": ballot.phase,
    }


def _paper(data: dict[str, Any]) -> dict[str, Any] | None:
    """What of a loaded definition goes in ``Ballot.paper`` (None for a plain ballot)."""
    test = {"test": True} if data.get("test") else {}
    if "contests" in data:
        return {"contests": data["contests"], **test}
    extras = {k: data[k] for k in ("instructions", "statements", "order") if data.get(k)}
    return {**extras, **test} or None


#: The cut-offs a timetable may hold, each of which must fall before the close, and their names.
CUTOFFS = {"postal_cutoff": "the postal cut-off", "replacement_cutoff": "the replacement cut-off"}


def timetable_problems(timetable: dict[str, Any]) -> list[str]:
    """What is wrong with a timetable's order: every cut-off must fall before the close.

    The two cut-offs are not ordered against each other: a party may stop
    letters earlier than emails (a letter takes days to arrive), or later.
    """
    closes = timetable.get("closes_at")
    problems = []
    for key, words in CUTOFFS.items():
        cutoff = timetable.get(key)
        if cutoff and closes and cutoff >= closes:
            problems.append(f"{words} ({cutoff.isoformat()}) must be before the close")
    return problems


def reminder_problems(timetable: dict[str, Any]) -> list[str]:
    """What is wrong with the reminder times: each must fall after the opening and before the
    close (both must be in the timetable, or nobody would know when a reminder is worth
    sending), and no time may be given twice."""
    reminders: list[datetime] = timetable.get("reminders") or []
    if not reminders:
        return []
    opens, closes = timetable.get("opens_at"), timetable.get("closes_at")
    problems = [
        f"reminders need the timetable's {key}"
        for key, at in (("opens_at", opens), ("closes_at", closes))
        if at is None
    ]
    for at in reminders:
        if opens is not None and at <= opens:
            problems.append(f"the reminder at {at.isoformat()} must be after the opening")
        if closes is not None and at >= closes:
            problems.append(f"the reminder at {at.isoformat()} must be before the close")
    if len(set(reminders)) != len(reminders):
        problems.append("a reminder time is given twice")
    return problems


def _stored(timetable: dict[str, Any]) -> dict[str, Any]:
    """The timetable as stored and announced: ISO text, reminders as a sorted list of it."""
    stored: dict[str, Any] = {
        k: v.isoformat() for k, v in timetable.items() if v is not None and k != "reminders"
    }
    if timetable.get("reminders"):
        stored["reminders"] = [at.isoformat() for at in sorted(timetable["reminders"])]
    return stored


def create(session: Session, raw: dict[str, Any], actor: str) -> dict[str, Any]:
    try:
        data = BallotDefinitionSchema().load(raw)
    except ValidationError as exc:
        raise BallotInvalid(f"the ballot definition is not valid: {exc.messages}") from exc
    unknown = (
        eligibility.check_rules(data["eligibility"])
        + timetable_problems(data["timetable"])
        + reminder_problems(data["timetable"])
    )
    if unknown:
        raise BallotInvalid(f"the ballot definition is not valid: {'; '.join(unknown)}")
    timetable = _stored(data["timetable"])
    ballot = Ballot(
        title=data["title"],
        method=data.get("method", "contests"),
        seats=data.get("seats", 0),
        candidates=data.get("candidates", []),
        paper=_paper(data),
        area=data["area"],
        timetable=timetable,
        eligibility=data["eligibility"],
        # The tie-break seed is fixed and published before any vote.
        seed=data["seed"] or secrets.token_hex(16),
        phase="draft",
        created_at=datetime.now(UTC),
    )
    session.add(ballot)
    session.flush()
    payload = definition(ballot)
    emit(session, "ballot.created", payload, correlation_id=ballot.id)
    audit.append(
        session,
        actor=actor,
        source="registration",
        action="ballot.created",
        subject=f"ballot:{ballot.id}",
        details=payload,
        at=datetime.now(UTC),
    )
    return payload


def get(session: Session, ballot_id: int, *, lock: bool = False) -> Ballot:
    ballot = session.get(Ballot, ballot_id, with_for_update=lock)
    if ballot is None:
        raise BallotNotFound(f"ballot {ballot_id} does not exist")
    return ballot


def is_test(ballot: Ballot | None) -> bool:
    """Whether ``ballot`` is a test ballot (``test: true``): its work moves no real-ballot
    metric (``rollcall.metrics.count``)."""
    return bool(ballot is not None and (ballot.paper or {}).get("test"))


def is_test_ballot(session: Session, ballot_id: int) -> bool:
    """Whether the ballot numbered ``ballot_id`` is a test ballot (``is_test``)."""
    return is_test(session.get(Ballot, ballot_id))


def freeze_at(ballot: Ballot) -> datetime | None:
    """When the ballot's roll freezes, if its timetable says."""
    freeze = ballot.timetable.get("freeze_at")
    return datetime.fromisoformat(freeze) if freeze else None


def frozen(ballot: Ballot, now: datetime) -> bool:
    """Whether the ballot's roll is frozen at ``now``."""
    freeze = freeze_at(ballot)
    return freeze is not None and now >= freeze


def phase_guard(ballot: Ballot, phase: str) -> list[str]:
    allowed = NEXT_PHASE.get(phase)
    if allowed is None:
        return [f"{phase!r} is not a phase"]
    if ballot.phase not in allowed:
        return [
            f"the ballot is {ballot.phase}; it can become {phase} only from {' or '.join(allowed)}"
        ]
    return []


def roll_counts(session: Session, ballot_id: int) -> tuple[int, int]:
    """(members unaccounted for: in no known ledger state; members in review) of a ballot.

    The same test as ``reconciling.reconcile`` makes, counted without listing.
    """
    unaccounted = session.scalar(
        select(func.count())
        .select_from(Member)
        .outerjoin(
            LedgerEntry,
            (LedgerEntry.ballot_id == Member.ballot_id)
            & (LedgerEntry.membership_number == Member.membership_number),
        )
        .where(Member.ballot_id == ballot_id)
        .where((LedgerEntry.state.is_(None)) | (LedgerEntry.state.not_in(list(STATES))))
    )
    in_review = session.scalar(
        select(func.count())
        .select_from(LedgerEntry)
        .where(LedgerEntry.ballot_id == ballot_id, LedgerEntry.state == "in_review")
    )
    return int(unaccounted or 0), int(in_review or 0)


def timing_guard(session: Session, ballot: Ballot, phase: str, now: datetime) -> list[str]:
    """The reasons the timetable and the roll give against opening or closing ``ballot`` now."""
    problems: list[str] = []
    times = {
        k: datetime.fromisoformat(ballot.timetable[k])
        for k in ("freeze_at", "opens_at", "closes_at")
        if ballot.timetable.get(k)
    }
    if phase == "open" and ballot.phase == "draft":
        if "freeze_at" in times and now < times["freeze_at"]:
            problems.append(f"the roll is not frozen until {times['freeze_at'].isoformat()}")
        if "opens_at" in times and now < times["opens_at"]:
            problems.append(f"the timetable opens voting at {times['opens_at'].isoformat()}")
    if phase == "closed" and "closes_at" in times and now < times["closes_at"]:
        problems.append(f"the timetable closes voting at {times['closes_at'].isoformat()}")
    if (phase == "open" and ballot.phase == "draft") or phase == "closed":
        unaccounted, in_review = roll_counts(session, ballot.id)
        if phase == "open" and unaccounted:
            problems.append(f"{unaccounted} member(s) unaccounted for")
        if in_review:
            problems.append(f"{in_review} member(s) waiting for an officer's review")
    return problems


def open_or_close(
    session: Session,
    ballot_id: int,
    phase: str,
    actor: str,
    reason: str = "",
    *,
    force: bool = False,
    now: datetime | None = None,
) -> dict[str, Any] | PhaseError:
    """Open or close a ballot, or return the refusal (already audited) saying why not.

    ``force`` overrides the timetable and the roll (never the phase order) and
    needs a reason; the audit entry keeps the reasons it overrode.
    """
    ballot = get(session, ballot_id, lock=True)
    if ballot.phase == phase or phase_guard(ballot, phase):
        return change_phase(session, ballot_id, phase, actor, reason)
    now = now or datetime.now(UTC)
    problems = timing_guard(session, ballot, phase, now)
    if problems and force and reason.strip():
        return change_phase(session, ballot_id, phase, actor, reason, overridden=problems)
    if not problems:
        return change_phase(session, ballot_id, phase, actor, reason)
    how = (
        "a forced change needs --reason"
        if force
        else "wait, settle them, or force it with --force --reason"
    )
    audit.append(
        session,
        actor=actor,
        source="registration",
        action=f"ballot.{phase}_refused",
        subject=f"ballot:{ballot_id}",
        details={"phase": ballot.phase, "reasons": problems, "forced": force},
        reason=reason,
        at=now,
    )
    verb = "open" if phase == "open" else "close"
    return PhaseError(f"cannot {verb} ballot {ballot_id}: {'; '.join(problems)} ({how})")


def change_phase(
    session: Session,
    ballot_id: int,
    phase: str,
    actor: str,
    reason: str = "",
    *,
    second_person: str | None = None,
    overridden: list[str] | None = None,
) -> dict[str, Any]:
    """Move the ballot to ``phase``. Leaving a pause needs ``second_person`` (see ``pausing``)."""
    ballot = get(session, ballot_id, lock=True)
    if ballot.phase == phase:
        return definition(ballot)
    problems = phase_guard(ballot, phase)
    if ballot.phase == "paused" and not second_person:
        problems.append("resuming a paused ballot needs a second person: use resume_ballot")
    if problems:
        raise PhaseError(f"cannot make ballot {ballot_id} {phase}: {'; '.join(problems)}")
    before = ballot.phase
    ballot.phase = phase
    now = datetime.now(UTC)
    entry = audit.append(
        session,
        actor=actor,
        source="registration",
        action=f"ballot.{phase}",
        subject=f"ballot:{ballot_id}",
        details={
            "from": before,
            "to": phase,
            "second_person": second_person,
            **({"overridden": overridden} if overridden else {}),
        },
        reason=reason,
        at=now,
    )
    if phase in ("open", "closed", "paused"):
        emit(
            session,
            "ballot.phase_changed",
            {
                "ballot_id": ballot_id,
                "phase": phase,
                "at": now.isoformat(),
                "audit_head": {"service": "registration", "seq": entry.seq, "hash": entry.hash},
            },
            correlation_id=ballot_id,
        )
    return definition(ballot)


def live_ids(session: Session) -> list[int]:
    """Ballots whose roll can still change: not yet counted."""
    return list(session.scalars(select(Ballot.id).where(Ballot.phase != "counted")))
