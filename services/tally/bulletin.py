"""The bulletin board: every paper with its receipt, the count, a checksum. Pure.

``build`` makes the board; ``check`` is what ``rollcall verify`` runs. The
board's ``sha256`` is SHA-256 over the canonical JSON (sorted keys, no
whitespace, UTF-8) of the board without its ``sha256`` and ``certificate``
fields. ``check`` recomputes it, recounts the papers with the same counting
module the tally used, and compares: any altered, added or removed paper
changes the checksum, the paper total, or the count, and is reported.

A ballot with several contests (``contests``) has one board: each paper is
``{receipt, choices: {contest id: [names]}}``, and in place of ``counts`` the
board holds ``contests``, ``[{id, title, counts}]`` in the definition's
order, each contest counted on its own from its part of every paper (a
contest left blank on a paper is a blank, invalid paper in that contest).
``check`` recounts every contest. A single-contest board is as it always was.

A ballot with a candidate withdrawn after the papers were out has
``withdrawals``: ``[{contest, candidate, reason, withdrawn_at}]`` (absent
when there are none, so older boards are unchanged). The papers stay as cast;
each contest is counted, and recounted by ``check`` and ``rollcall count``,
without its withdrawn candidates (``counting.withdrawal``). The checksum and
so the certificate cover them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from services.tally import contests
from services.tally.counting import CountResult, count_ballots

FORMAT = "rollcall-bulletin/1"
UNSIGNED = ("sha256", "certificate")


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(board: dict[str, Any]) -> str:
    return hashlib.sha256(
        canonical({k: v for k, v in board.items() if k not in UNSIGNED})
    ).hexdigest()


def withdrawn_in(withdrawals: Any, contest_id: str) -> list[str]:
    """The candidates withdrawn from one contest, from a board's ``withdrawals``."""
    if withdrawals is None:
        return []
    if not isinstance(withdrawals, list) or not all(
        isinstance(w, dict) and isinstance(w.get("candidate"), str) for w in withdrawals
    ):
        raise ValueError("the board's withdrawals are not a list of {contest, candidate, ...}")
    return [w["candidate"] for w in withdrawals if w.get("contest", contests.MAIN) == contest_id]


def count(
    definition: dict[str, Any], papers: list[dict[str, Any]], withdrawn: list[str] | None = None
) -> CountResult:
    """The papers counted under a single-contest ballot's definition (method, seats, seed),
    without the ``withdrawn`` candidates."""
    return count_ballots(
        definition["method"],
        definition["candidates"],
        ((p["choices"], 1) for p in papers),
        seats=definition["seats"],
        seed=definition["seed"],
        withdrawn=withdrawn or (),
    )


def count_contests(
    definition: dict[str, Any],
    papers: list[dict[str, Any]],
    withdrawals: list[dict[str, Any]] | None = None,
) -> list[tuple[dict[str, Any], CountResult]]:
    """Every contest of the ballot with its count, in the definition's order, each without
    the candidates ``withdrawals`` names for it."""
    return [
        (
            contest,
            count_ballots(
                contest["method"],
                contest["candidates"],
                ((contests.contest_choices(p["choices"], contest["id"]), 1) for p in papers),
                seats=contest["seats"],
                seed=definition["seed"],
                withdrawn=withdrawn_in(withdrawals, contest["id"]),
            ),
        )
        for contest in contests.contests(definition)
    ]


def results(board: dict[str, Any]) -> list[dict[str, Any]]:
    """``[{id, title, counts}]`` of a board of either form (one entry for a single contest)."""
    if "contests" in board:
        return list(board["contests"])
    return [{"id": contests.MAIN, "title": board["ballot"]["title"], "counts": board["counts"]}]


def _paper(p: dict[str, Any]) -> dict[str, Any]:
    choices = p["choices"]
    if isinstance(choices, dict):
        return {"receipt": p["receipt"], "choices": {k: list(v) for k, v in choices.items()}}
    return {"receipt": p["receipt"], "choices": list(choices)}


def build(
    definition: dict[str, Any],
    papers: list[dict[str, Any]],
    turnout: dict[str, int],
    counted: CountResult | list[tuple[dict[str, Any], CountResult]],
    extra: dict[str, Any] | None = None,
    withdrawals: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The board of ``papers``, whose count (``count``, or ``count_contests`` for a ballot
    with contests) is ``counted``, with its ``withdrawals`` and its checksum."""
    papers = sorted((_paper(p) for p in papers), key=lambda p: p["receipt"])
    board: dict[str, Any] = {
        "format": FORMAT,
        "ballot": definition,
        "ballots": papers,
        "turnout": turnout,
        **(extra or {}),
    }
    if withdrawals:
        board["withdrawals"] = [dict(w) for w in withdrawals]
    if isinstance(counted, CountResult):
        board["counts"] = counted.to_dict()
    else:
        board["contests"] = [
            {"id": contest["id"], "title": contest["title"], "counts": result.to_dict()}
            for contest, result in counted
        ]
    board["sha256"] = digest(board)
    return board


def check(board: dict[str, Any]) -> list[str]:
    """Problems with a board; empty when it is consistent and the count is reproduced."""
    problems = []
    several = isinstance(board.get("ballot"), dict) and contests.has_contests(board["ballot"])
    for key in ("ballot", "ballots", "contests" if several else "counts", "sha256", "turnout"):
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
    if not several:
        try:
            withdrawn = withdrawn_in(board.get("withdrawals"), contests.MAIN)
            recount = count(board["ballot"], board["ballots"], withdrawn).to_dict()
        except ValueError as exc:
            problems.append(f"the papers cannot be recounted: {exc}")
            return problems
        return problems + _differences(recount, board["counts"], "")
    return problems + _check_contests(board)


def _differences(recount: dict[str, Any], published: Any, where: str) -> list[str]:
    if not isinstance(published, dict):
        return [f"{where}the board holds no count"]
    return [
        f"{where}the recount's {key} differ from the published count"
        for key in ("winners", "rounds", "valid", "invalid")
        if recount.get(key) != published.get(key)
    ]


def _check_contests(board: dict[str, Any]) -> list[str]:
    """Every contest recounted from its part of the papers and compared with its published count."""
    try:
        recounts = count_contests(board["ballot"], board["ballots"], board.get("withdrawals"))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return [f"the papers cannot be recounted: {exc}"]
    published = board["contests"] if isinstance(board["contests"], list) else []
    by_id = {c.get("id"): c for c in published if isinstance(c, dict)}
    problems = []
    ids = [contest["id"] for contest, _ in recounts]
    if [c.get("id") for c in published if isinstance(c, dict)] != ids:
        problems.append(f"the board's contests are not the ballot's ({', '.join(ids)})")
    for contest, result in recounts:
        where = f"contest {contest['id']!r}: "
        if contest["id"] not in by_id:
            problems.append(f"{where}the board holds no count")
            continue
        problems += _differences(result.to_dict(), by_id[contest["id"]].get("counts"), where)
    return problems
