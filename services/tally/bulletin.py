"""The bulletin board: every paper with its receipt, the count, a checksum. Pure.

``build`` makes the board; ``check`` is what ``rollcall verify`` runs. The
board's ``sha256`` is SHA-256 over the canonical JSON (sorted keys, no
whitespace, UTF-8) of the board without its ``sha256`` and ``certificate``
fields. ``check`` recomputes it, recounts the papers with the same counting
module the tally used, and compares: any altered, added or removed paper
changes the checksum, the paper total, or the count, and is reported.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from services.tally.counting import CountResult, count_ballots

FORMAT = "rollcall-bulletin/1"
UNSIGNED = ("sha256", "certificate")


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(board: dict[str, Any]) -> str:
    return hashlib.sha256(
        canonical({k: v for k, v in board.items() if k not in UNSIGNED})
    ).hexdigest()


def count(definition: dict[str, Any], papers: list[dict[str, Any]]) -> CountResult:
    """The papers counted under the ballot's definition (method, seats, seed)."""
    return count_ballots(
        definition["method"],
        definition["candidates"],
        ((p["choices"], 1) for p in papers),
        seats=definition["seats"],
        seed=definition["seed"],
    )


def build(
    definition: dict[str, Any],
    papers: list[dict[str, Any]],
    turnout: dict[str, int],
    counted: CountResult,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The board of ``papers``, whose count (``count``) is ``counted``, with its checksum."""
    papers = sorted(
        ({"receipt": p["receipt"], "choices": list(p["choices"])} for p in papers),
        key=lambda p: p["receipt"],
    )
    board: dict[str, Any] = {
        "format": FORMAT,
        "ballot": definition,
        "ballots": papers,
        "turnout": turnout,
        "counts": counted.to_dict(),
        **(extra or {}),
    }
    board["sha256"] = digest(board)
    return board


def check(board: dict[str, Any]) -> list[str]:
    """Problems with a board; empty when it is consistent and the count is reproduced."""
    problems = []
    for key in ("ballot", "ballots", "counts", "sha256", "turnout"):
        if key not in board:
            problems.append(f"the board has no {key!r}")
    if problems:
        return problems
    actual = digest(board)
    if actual != board["sha256"]:
        problems.append(
            f"checksum mismatch: the board says {board['sha256']}, its contents give {actual}"
        )
    receipts = [p.get("receipt") for p in board["ballots"]]
    if len(set(receipts)) != len(receipts):
        problems.append("a receipt appears more than once")
    cast = board["turnout"].get("cast")
    if cast is not None and cast != len(board["ballots"]):
        problems.append(
            f"the turnout says {cast} papers were cast but the board holds {len(board['ballots'])}"
        )
    try:
        recount = count(board["ballot"], board["ballots"]).to_dict()
    except ValueError as exc:
        problems.append(f"the papers cannot be recounted: {exc}")
        return problems
    for key in ("winners", "rounds", "valid", "invalid"):
        if recount.get(key) != board["counts"].get(key):
            problems.append(f"the recount's {key} differ from the published count")
    return problems
