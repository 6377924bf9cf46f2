"""The tally's read model of each ballot: its definition, its signing key, its phase.

``record_ballot`` keeps a new ballot's definition and makes its Ed25519
signing key at once, so the key is published before any vote. ``record_phase``
follows the ballot's phase changes: open and paused only from the phases
that allow them; closed closes the box and counts it (``closing``), once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from rollcall import audit
from services.tally import certificate, closing, queries
from services.tally.models import Ballot, SigningKey


def record_ballot(session: Session, definition: dict[str, Any], passphrase: bytes) -> None:
    """Keep the definition and make the ballot's signing key, published at once."""
    ballot_id = definition["ballot_id"]
    if session.get(Ballot, ballot_id) is not None:
        return
    session.add(Ballot(ballot_id=ballot_id, definition=definition, phase=definition["phase"]))
    public, pem = certificate.new_key(passphrase)
    now = datetime.now(UTC)
    session.flush()
    session.add(
        SigningKey(ballot_id=ballot_id, public_key=public, private_pem=pem.decode(), created_at=now)
    )
    audit.append(
        session,
        actor="tally",
        source="tally",
        action="ballot.key_made",
        subject=f"ballot:{ballot_id}",
        details=certificate.key_section(public),
        reason="the key that will sign this ballot's result, published before any vote",
        at=now,
    )


def record_phase(
    session: Session,
    ballot_id: int,
    phase: str,
    bulletin_dir: Path,
    passphrase: bytes,
    audit_head: dict[str, Any] | None = None,
) -> None:
    ballot = queries.ballot(session, ballot_id, lock=True)
    if phase == "open" and ballot.phase in ("draft", "paused"):
        ballot.phase = "open"
    elif phase == "paused" and ballot.phase == "open":
        ballot.phase = "paused"
    elif phase == "closed":
        heads = {}
        if audit_head:
            heads[audit_head["service"]] = {"seq": audit_head["seq"], "hash": audit_head["hash"]}
        closing.close_and_count(session, ballot_id, bulletin_dir, passphrase, heads)
