"""The tamper-evident audit log every service keeps in its own database.

Each service records who changed what, when, from where and why in a table
``audit_log`` (declared on the service's metadata by ``audit_table``). Every
entry carries the SHA-256 of its own contents and of its predecessor's hash,
so the entries form a chain from a genesis hash of 64 zeros.

Guarantees:

- ``append`` and ``append_many`` write in the caller's transaction: the entry
  commits if and only if the change it records commits.
- Appends serialise. On PostgreSQL an append first takes a transaction-scoped
  advisory lock (``AUDIT_LOCK_KEY``) and only then reads the head, so ``seq``
  is gapless and no two entries share a predecessor. The lock is held until
  the caller's transaction ends; callers keep audited transactions short.
  SQLite serialises writers itself, and the primary key on ``seq`` turns any
  race that slips through (for example a stale REPEATABLE READ snapshot) into
  an error, never a fork.
- Everything hashed is stored as text (``at`` as ISO-8601 UTC, ``details`` as
  canonical JSON), so a chain verifies identically whichever database holds
  it and however it is copied.
- ``verify`` is pure: it reads rows, never writes, and names the first entry
  that breaks the chain and how (edited, deleted, inserted, reordered). A
  rewrite of the whole chain is consistent with itself; it is caught by
  comparing against a head published earlier (``expect_head``).
- Personal data goes in as ``personal(value, key)``, a keyed hash, so the log
  can prove that an address changed without holding the address.
- ``AuditedService``, mixed into every service, answers ``get_audit_head`` over RPC.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session

from rollcall.messaging.rpc import rpc

TABLE_NAME = "audit_log"
GENESIS_HASH = "0" * 64
#: Key of the PostgreSQL advisory lock that serialises appends. Advisory locks
#: are scoped to one database, and each service has its own.
AUDIT_LOCK_KEY = 0x524F4C4C_41554454  # "ROLLAUDT"
#: Prefix of the hashed encoding; a new encoding gets a new version.
_HASH_DOMAIN = "rollcall.audit.v1"

FIELDS = (
    "seq",
    "at",
    "actor",
    "source",
    "action",
    "subject",
    "details",
    "reason",
    "prev_hash",
    "hash",
)

Kind = Literal["edited", "deleted", "inserted", "reordered", "rewritten"]


def audit_table(metadata: MetaData) -> Table:
    """The ``audit_log`` table on ``metadata`` (declared once, returned after)."""
    existing = metadata.tables.get(TABLE_NAME)
    if existing is not None:
        return existing
    return Table(
        TABLE_NAME,
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=False),
        Column("at", String(40), nullable=False),
        Column("actor", Text, nullable=False),
        Column("source", Text, nullable=False),
        Column("action", Text, nullable=False),
        Column("subject", Text, nullable=False),
        Column("details", Text, nullable=False),
        Column("reason", Text, nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
        Index("ix_audit_log_subject", "subject"),
    )


#: The same table on a private metadata, for this module's own queries: the
#: statements only need names and types, not the service's metadata.
_TABLE = audit_table(MetaData())


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry to append: what happened, before the chain fields are added."""

    actor: str
    action: str
    subject: str
    details: Mapping[str, Any]
    source: str
    at: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Entry:
    """One stored entry, every field as hashed."""

    seq: int
    at: str
    actor: str
    source: str
    action: str
    subject: str
    details: str
    reason: str
    prev_hash: str
    hash: str

    def details_dict(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.details)
        return loaded


@dataclass(frozen=True, slots=True)
class Problem:
    """The first entry that breaks the chain, and why.

    ``seq`` is ``None`` only for a ``rewritten`` chain, where no single entry
    can be blamed.
    """

    kind: Kind
    why: str
    seq: int | None = None
    action: str = ""
    subject: str = ""


@dataclass(frozen=True, slots=True)
class VerifyReport:
    ok: bool
    #: Entries found good, walking from the genesis up to the first problem.
    checked: int
    #: Entries read.
    total: int
    head_seq: int
    head_hash: str
    problem: Problem | None = None


def canonical_json(details: Mapping[str, Any]) -> str:
    """``details`` as canonical JSON: sorted keys, no whitespace, ASCII only.

    Raises ``TypeError`` for values JSON cannot hold (convert dates to ISO
    text first) and ``ValueError`` for NaN or infinity.
    """
    return json.dumps(
        dict(details), sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )


def timestamp(at: datetime) -> str:
    """``at`` as the ISO-8601 UTC text that is stored and hashed."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(
    *,
    seq: int,
    at: str,
    actor: str,
    source: str,
    action: str,
    subject: str,
    details: str,
    reason: str,
    prev_hash: str,
) -> str:
    """Hex SHA-256 over the canonical encoding of an entry's fields.

    The encoding is a JSON array (ASCII, no whitespace) of a version tag and
    the fields in a fixed order, so no two different entries encode alike.
    """
    encoded = json.dumps(
        [_HASH_DOMAIN, seq, at, actor, source, action, subject, details, reason, prev_hash],
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(encoded.encode("ascii")).hexdigest()


def personal(value: str, key: bytes) -> str:
    """A keyed hash (HMAC-SHA256, hex) of personal data, to record it not in clear.

    The same value under the same key always gives the same digest, so an
    auditor holding the key can check a claimed old or new value; without the
    key the digest reveals nothing. ``value`` is hashed exactly as given.
    """
    if not key:
        raise ValueError("personal() needs a non-empty key")
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def head(session: Session) -> tuple[int, str]:
    """(seq, hash) of the newest entry; ``(0, GENESIS_HASH)`` for an empty log."""
    row = session.execute(
        select(_TABLE.c.seq, _TABLE.c.hash).order_by(_TABLE.c.seq.desc()).limit(1)
    ).first()
    if row is None:
        return 0, GENESIS_HASH
    return int(row.seq), str(row.hash)


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})


def append_many(session: Session, entries: Iterable[NewEntry | Mapping[str, Any]]) -> list[Entry]:
    """Append ``entries`` in order, in the caller's transaction, under one lock."""
    pending = [e if isinstance(e, NewEntry) else NewEntry(**e) for e in entries]
    if not pending:
        return []
    _lock(session)
    seq, prev = head(session)
    written: list[Entry] = []
    for new in pending:
        seq += 1
        fields: dict[str, Any] = {
            "seq": seq,
            "at": timestamp(new.at),
            "actor": new.actor,
            "source": new.source,
            "action": new.action,
            "subject": new.subject,
            "details": canonical_json(new.details),
            "reason": new.reason,
            "prev_hash": prev,
        }
        prev = entry_hash(**fields)
        written.append(Entry(**fields, hash=prev))
    session.execute(insert(_TABLE), [_as_row(e) for e in written])
    return written


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, Any],
    reason: str = "",
    source: str,
    at: datetime,
) -> Entry:
    """Append one entry in the caller's transaction; the caller commits it."""
    new = NewEntry(
        actor=actor,
        action=action,
        subject=subject,
        details=details,
        source=source,
        at=at,
        reason=reason,
    )
    return append_many(session, [new])[0]


def _as_row(entry: Entry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in FIELDS}


def _field(row: Any, name: str) -> Any:
    if isinstance(row, Mapping):
        return row[name]
    mapping = getattr(row, "_mapping", None)
    if mapping is not None:
        return mapping[name]
    return getattr(row, name)


def as_entry(row: Any) -> Entry:
    """An ``Entry`` from a mapping, an SQLAlchemy row or any object with the fields."""
    values: dict[str, Any] = {name: str(_field(row, name)) for name in FIELDS if name != "seq"}
    return Entry(seq=int(_field(row, "seq")), **values)


def _recomputed(entry: Entry) -> str:
    return entry_hash(**{name: getattr(entry, name) for name in FIELDS if name != "hash"})


def _problem(kind: Kind, entry: Entry, why: str) -> Problem:
    return Problem(kind=kind, why=why, seq=entry.seq, action=entry.action, subject=entry.subject)


def _diagnose(chain: list[Entry], i: int, expected_seq: int, expected_prev: str) -> Problem:
    """Why ``chain[i]``, the first entry that does not follow on, breaks the chain."""
    entry = chain[i]
    if entry.seq > expected_seq:
        missing = (
            f"seq {expected_seq}"
            if entry.seq == expected_seq + 1
            else f"seq {expected_seq}-{entry.seq - 1}"
        )
        return _problem("deleted", entry, f"{missing} missing before it")
    if entry.seq < expected_seq:
        return _problem("inserted", entry, f"a second entry with seq {entry.seq}")
    content_ok = _recomputed(entry) == entry.hash
    if entry.prev_hash != expected_prev:
        if _recomputed(replace(entry, prev_hash=expected_prev)) == entry.hash:
            return _problem("edited", entry, "its prev_hash was changed")
        position = {e.hash: j for j, e in enumerate(chain)}
        j = position.get(entry.prev_hash)
        if j is not None and j > i:
            return _problem(
                "reordered",
                entry,
                f"it follows seq {chain[j].seq}, which is stored after it",
            )
        if j is not None and j < i - 1:
            intruder = chain[j + 1]
            return _problem(
                "inserted",
                intruder,
                f"seq {entry.seq} follows seq {chain[j].seq} directly: "
                f"seq {intruder.seq}-{chain[i - 1].seq} were put in between",
            )
        if entry.prev_hash == GENESIS_HASH:
            return _problem("inserted", entry, "it claims to start the chain, but does not")
        if content_ok and i > 0:
            return _problem(
                "edited",
                chain[i - 1],
                f"seq {entry.seq} follows a different hash than this entry's: it was "
                f"changed and its hash recomputed (or seq {entry.seq} was forged)",
            )
        return _problem("deleted", entry, "the entry it follows is missing")
    if not content_ok:
        return _problem("edited", entry, "its contents no longer match its hash")
    raise AssertionError("_diagnose called on a good entry")  # pragma: no cover


def verify(rows: Iterable[Any], *, expect_head: str | None = None) -> VerifyReport:
    """Walk the chain in ``rows`` (any order) and report the first break.

    ``expect_head`` is a head hash published earlier (on a bulletin board);
    the chain must still contain it. Later entries may follow it, since the
    log keeps growing after publication, but a chain rewritten consistently
    from the genesis, or cut back to before it, no longer holds it.
    """
    chain = sorted((as_entry(r) for r in rows), key=lambda e: e.seq)
    expected_seq, expected_prev = 1, GENESIS_HASH
    for i, entry in enumerate(chain):
        good = (
            entry.seq == expected_seq
            and entry.prev_hash == expected_prev
            and _recomputed(entry) == entry.hash
        )
        if not good:
            problem = _diagnose(chain, i, expected_seq, expected_prev)
            return VerifyReport(False, i, len(chain), chain[-1].seq, chain[-1].hash, problem)
        expected_seq, expected_prev = entry.seq + 1, entry.hash
    head_seq = chain[-1].seq if chain else 0
    if expect_head is not None and expect_head.lower() not in {GENESIS_HASH} | {
        e.hash for e in chain
    }:
        rewritten = Problem(
            "rewritten",
            f"the published head {expect_head} is not in the chain: "
            "the history up to it was rewritten or cut short",
        )
        return VerifyReport(False, len(chain), len(chain), head_seq, expected_prev, rewritten)
    return VerifyReport(True, len(chain), len(chain), head_seq, expected_prev)


def read_chain(session: Session) -> list[Entry]:
    """Every entry of the log, in seq order."""
    return [as_entry(r) for r in session.execute(select(_TABLE).order_by(_TABLE.c.seq))]


class AuditedService:
    """Mixed into every service: answers ``get_audit_head`` over RPC.

    The gateway hands the head to scrutineers at each phase and the tally writes it
    into each bulletin board, so a later rewrite of a whole chain is caught.
    """

    store: Any

    @rpc
    def get_audit_head(self) -> dict[str, Any]:
        with self.store.transaction() as session:
            seq, digest = head(session)
        return {"seq": seq, "hash": digest}
