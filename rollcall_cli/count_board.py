"""``rollcall count BOARD.json``: count a published bulletin board, contest by contest.

A bulletin board (``GET /api/ballots/N/bulletin``) holds every paper; this
counts each of its contests from the papers alone, by the contest's own
method and seats and the ballot's published seed, as the tally did
(``--contest ID`` for one of them), without the candidates the board's
``withdrawals`` name for it. A single-contest board is one contest, ``main``. Unlike ``rollcall verify`` it checks nothing against the published
count: it shows what the papers give.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from services.tally import bulletin, contests
from services.tally.counting import CountingError, CountResult


class BoardError(ValueError):
    """The file is not a bulletin board that can be counted; the message says why."""


def is_board(path: Path) -> bool:
    return path.suffix.lower() == ".json"


def read_board(path: Path) -> dict[str, Any]:
    try:
        board = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BoardError(f"{path}: cannot read a bulletin board: {exc}") from None
    if (
        not isinstance(board, dict)
        or not isinstance(board.get("ballot"), dict)
        or not isinstance(board.get("ballots"), list)
    ):
        raise BoardError(f"{path}: not a bulletin board (expected its 'ballot' and 'ballots')")
    return board


def count_board(
    path: Path, board: dict[str, Any], only: str | None
) -> Iterator[tuple[dict[str, Any], CountResult]]:
    """Each contest of the board (or only ``only``) with what its papers give."""
    definition = board["ballot"]
    try:
        every = contests.contests(definition)
    except (KeyError, TypeError) as exc:
        raise BoardError(f"{path}: the board's ballot lacks {exc}") from None
    ids = [c["id"] for c in every]
    if only is not None and only not in ids:
        raise BoardError(f"{path}: no contest {only!r}; the ballot's contests: {', '.join(ids)}")
    for contest in every:
        if only is not None and contest["id"] != only:
            continue
        single = {**contest, "seed": definition.get("seed", "")}
        papers = [
            {"choices": contests.contest_choices(p.get("choices", []), contest["id"])}
            for p in board["ballots"]
            if isinstance(p, dict)
        ]
        try:
            withdrawn = bulletin.withdrawn_in(board.get("withdrawals"), contest["id"])
            yield contest, bulletin.count(single, papers, withdrawn)
        except (CountingError, TypeError, ValueError) as exc:
            raise BoardError(f"{path}: contest {contest['id']!r}: {exc}") from None
