"""The party's associations: a code, a name and aliases each, and which one a row means.

``Directory`` is pure: it resolves what an extract row says (a code, a name or
an alias, compared ignoring case, spaces and punctuation) to a code, or says
in words that it is not known and names the nearest known ones (rapidfuzz).
With no association listed at all, any well-formed code is taken as given, so
ballots from before the list keep working. ``add``, ``load`` and ``listing``
keep the list (one per party: every ballot of this registration uses it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rapidfuzz import fuzz, process, utils
from sqlalchemy import select
from sqlalchemy.orm import Session

from rollcall import audit
from rollcall.intake.layout import compact
from services.registration.errors import BallotInvalid
from services.registration.models import Association

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
NEAREST = 3
_CUTOFF = 60


@dataclass(frozen=True)
class Entry:
    code: str
    name: str
    aliases: tuple[str, ...] = ()

    def labels(self) -> tuple[str, ...]:
        return (self.code, self.name, *self.aliases)


@dataclass(frozen=True)
class Resolved:
    """A code, or (``code`` empty) the reason nothing was found."""

    code: str
    reason: str = ""


@dataclass
class Directory:
    entries: Sequence[Entry] = ()
    _by_key: dict[str, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        for entry in self.entries:
            for label in entry.labels():
                self._by_key.setdefault(compact(label), entry.code)

    def clash(self, entry: Entry) -> str:
        """Why ``entry`` cannot join this list ('' if it can): a label already means another code."""
        for label in entry.labels():
            owner = self._by_key.get(compact(label))
            if owner is not None and owner != entry.code:
                return f"{label!r} already names association {owner}"
        return ""

    def resolve(self, given: str) -> Resolved:
        given = given.strip()
        if not given:
            return Resolved("", "the association is empty")
        if not self.entries:
            if CODE.match(given):
                return Resolved(given)
            return Resolved(
                "",
                f"the association code {given!r} is not valid (letters, digits, - and _; "
                "or load the party's associations with `rollcall association load`)",
            )
        code = self._by_key.get(compact(given))
        if code is not None:
            return Resolved(code)
        return Resolved("", f"the association {given!r} is not known; {self.nearest(given)}")

    def nearest(self, given: str) -> str:
        """'nearest: HACK (Hackney Association), …' or what to do if nothing is near."""
        names = {e.code: e.name for e in self.entries}
        choices = {(e.code, label): label for e in self.entries for label in e.labels()}
        found = process.extract(
            given, choices, scorer=fuzz.WRatio, processor=utils.default_process, limit=None
        )
        codes: list[str] = []
        for _, score, (code, _label) in found:
            if score >= _CUTOFF and code not in codes:
                codes.append(code)
        if not codes:
            return "no known association is near it: see `rollcall association list`"
        return "nearest: " + ", ".join(f"{c} ({names[c]})" for c in codes[:NEAREST])


def _entry(row: Association) -> Entry:
    return Entry(row.code, row.name, tuple(row.aliases))


def directory(session: Session) -> Directory:
    """The party's associations as they stand."""
    return Directory([_entry(a) for a in session.scalars(select(Association))])


def _shown(entry: Entry) -> dict[str, Any]:
    return {"code": entry.code, "name": entry.name, "aliases": list(entry.aliases)}


def listing(session: Session) -> list[dict[str, Any]]:
    return [
        _shown(_entry(a)) for a in session.scalars(select(Association).order_by(Association.code))
    ]


def add(
    session: Session, code: str, name: str, aliases: Iterable[str], actor: str
) -> dict[str, Any]:
    """Add an association, or replace the name and aliases of one already listed (audited)."""
    entry = Entry(code.strip(), name.strip(), tuple(a.strip() for a in aliases if a.strip()))
    if not CODE.match(entry.code):
        raise BallotInvalid(
            f"the association code {entry.code!r} is not valid: up to 32 letters, digits, - and _"
        )
    if not entry.name:
        raise BallotInvalid(f"the association {entry.code} needs a name")
    others = [e for e in directory(session).entries if e.code != entry.code]
    if why := Directory(others).clash(entry):
        raise BallotInvalid(f"cannot add association {entry.code}: {why}")
    row = session.get(Association, entry.code)
    if row is None:
        row = Association(code=entry.code, created_at=datetime.now(UTC))
        session.add(row)
    row.name, row.aliases = entry.name, list(entry.aliases)
    session.flush()
    audit.append(
        session,
        actor=actor,
        source="registration",
        action="association.added",
        subject=f"association:{entry.code}",
        details=_shown(entry),
        reason="",
        at=datetime.now(UTC),
    )
    return _shown(entry)


def load(session: Session, rows: Sequence[dict[str, Any]], actor: str) -> list[dict[str, Any]]:
    """Add each of ``rows`` ({code, name, aliases}); all or none (a refusal names the row)."""
    added = []
    for at, row in enumerate(rows, start=1):
        try:
            added.append(add(session, row["code"], row["name"], row.get("aliases", ()), actor))
        except BallotInvalid as exc:
            raise BallotInvalid(f"association {at} of {len(rows)}: {exc}") from None
    return added
