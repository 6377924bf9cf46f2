"""Closing a ballot's box and counting it, once, in the caller's transaction.

Guarantees:

- Close locks the ballot's row, as casting does, so a vote is either in the
  count or refused as late, never lost between the two.
- The papers are counted once, without the candidates withdrawn after the
  papers went out (``withdrawals``); that one result goes into the bulletin
  board with the withdrawals (and so its certificate), the stage table and
  the chart.
- A ballot already counted is not counted again: the first result stands.
- At close the box and the marks are rewritten in key order, so the stored
  rows no longer link a paper to a voter.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollcall import audit
from rollcall.messaging.outbox import emit
from services.tally import bulletin, certificate, contests, queries, rendering, withdrawals
from services.tally.counting import CountResult
from services.tally.models import Mark, Paper, Result, SigningKey


def close_and_count(
    session: Session,
    ballot_id: int,
    bulletin_dir: Path,
    passphrase: bytes,
    audit_heads: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Close the box and count it; the signed board, or None if it was already counted."""
    ballot = queries.ballot(session, ballot_id, lock=True)
    if session.get(Result, ballot_id) is not None:
        return None
    ballot.phase = "closed"
    _forget_casting_order(session, ballot_id)
    papers = [
        {"receipt": r, "choices": c}
        for r, c in session.execute(
            select(Paper.receipt, Paper.choices).where(Paper.ballot_id == ballot_id)
        )
    ]
    key = session.get(SigningKey, ballot_id)
    assert key is not None, "every ballot gets its key with its definition"
    seq, digest = audit.head(session)
    heads = {**(audit_heads or {}), "tally": {"seq": seq, "hash": digest}}
    withdrawn = withdrawals.listing(session, ballot_id)
    counted: CountResult | list[tuple[dict[str, Any], CountResult]]
    if contests.has_contests(ballot.definition):
        counted = bulletin.count_contests(ballot.definition, papers, withdrawn)
    else:
        names = bulletin.withdrawn_in(withdrawn, contests.MAIN)
        counted = bulletin.count(ballot.definition, papers, names)
    board = bulletin.build(
        ballot.definition,
        papers,
        queries.turnout(session, ballot_id),
        counted,
        {"key": certificate.key_section(key.public_key), "audit_heads": heads},
        withdrawn,
    )
    board["certificate"] = certificate.sign(board, key.private_pem.encode(), passphrase)
    path = _publish(board, counted, bulletin_dir / f"ballot-{ballot_id}")
    session.add(
        Result(
            ballot_id=ballot_id,
            result=board,
            bulletin_sha256=board["sha256"],
            bulletin_path=str(path),
            counted_at=datetime.now(UTC),
        )
    )
    emit(
        session,
        "result.published",
        _announcement(board),
        correlation_id=ballot_id,
    )
    return board


def _announcement(board: dict[str, Any]) -> dict[str, Any]:
    """``result.published``: the method and winners; with contests, ``contests`` and
    winners named ``contest id: name``."""
    ballot = board["ballot"]
    if "contests" not in board:
        return {
            "ballot_id": ballot["ballot_id"],
            "method": ballot["method"],
            "winners": board["counts"]["winners"],
            "bulletin_sha256": board["sha256"],
        }
    return {
        "ballot_id": ballot["ballot_id"],
        "method": "contests",
        "winners": [f"{c['id']}: {w}" for c in board["contests"] for w in c["counts"]["winners"]],
        "bulletin_sha256": board["sha256"],
    }


def _publish(
    board: dict[str, Any],
    counted: CountResult | list[tuple[dict[str, Any], CountResult]],
    stem: Path,
) -> Path:
    """Write the board (.json), its stage table (.txt) and chart (.png); the board's path.

    With contests the table holds every contest's, one after another, the
    chart is the first contest's, and each contest also gets its own chart
    (``ballot-N-<contest id>.png``).
    """
    stem.parent.mkdir(parents=True, exist_ok=True)
    path = stem.with_suffix(".json")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(board, indent=1, sort_keys=True, ensure_ascii=False))
    tmp.replace(path)
    title = board["ballot"]["title"]
    if isinstance(counted, CountResult):
        stem.with_suffix(".txt").write_text(rendering.stage_table(counted, title))
        rendering.stage_chart(counted, stem.with_suffix(".png"), title)
        return path
    tables = []
    for i, (contest, result) in enumerate(counted):
        heading = f"{title}: {contest['title']}"
        tables.append(rendering.stage_table(result, heading))
        own = stem.with_name(f"{stem.name}-{contest['id']}.png")
        rendering.stage_chart(result, own, heading)
        if i == 0:
            rendering.stage_chart(result, stem.with_suffix(".png"), heading)
    stem.with_suffix(".txt").write_text("\n\n".join(tables))
    return path


def _forget_casting_order(session: Session, ballot_id: int) -> None:
    """Rewrite the box and the marks in key order, in this one transaction.

    While voting is open, rows sit in the order they were cast, and on
    PostgreSQL each carries its inserting transaction's id (``xmin``), which
    a mark and its paper share. Rewriting both at close gives every row the
    closing transaction's id and the order of its key, so the stored data no
    longer links a paper to a voter; the marks' request tags (``repeats``) are
    erased on the way. (WAL, backups and the outbox taken while
    open are outside this; docs/results.md says so.)
    """
    for table, order in (
        (Paper.__table__, Paper.receipt),
        (Mark.__table__, Mark.membership_number),
    ):
        rows = [
            dict(r._mapping)
            for r in session.execute(
                select(table).where(table.c.ballot_id == ballot_id).order_by(order)
            )
        ]
        if table is Mark.__table__:
            # A repeated vote can no longer come: the tags' work is done.
            rows = [{**r, "request_tag": None} for r in rows]
        session.execute(table.delete().where(table.c.ballot_id == ballot_id))
        if rows:
            session.execute(table.insert(), rows)
