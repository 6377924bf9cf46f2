"""The contests of a ballot, and what a valid paper for them is. Pure.

A ballot definition holds either one list of candidates (``method``,
``seats``, ``candidates``: the single-contest form every ballot had before)
or ``contests``: a list of ``{id, title, method, seats, candidates,
instructions, statements}``, each counted on its own. ``contests`` gives both
forms as that list; the single-contest form is one contest with the id
``main`` and the ballot's title.

A voter's paper follows the form: a list of names on a single-contest ballot
(as it always was), and on a ballot with contests a mapping from each
contest's id to a list of names. One sitting puts one paper in the box with
one receipt, holding a choice for every contest (like one sheet of paper
listing several contests). A contest left blank is kept as an empty list and
counted as a blank (invalid) paper in that contest; a paper blank in every
contest is refused, as a blank single-contest paper always was.

Guarantees: ``paper`` returns exactly what is stored and counted, or raises
``InvalidChoices`` saying in words what is wrong; a single-contest paper is
stored exactly as before (a list), so old boards and receipts do not change.
"""

from __future__ import annotations

from typing import Any

from services.tally.errors import InvalidChoices

#: The id the single-contest form's one contest goes by.
MAIN = "main"


def has_contests(definition: dict[str, Any]) -> bool:
    """Whether the definition is in the several-contest form."""
    return bool(definition.get("contests"))


def contests(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """Every contest of the ballot as ``{id, title, method, seats, candidates, instructions,
    statements}``, in the order the definition gives them."""
    if has_contests(definition):
        return [
            {
                "id": c["id"],
                "title": c.get("title") or c["id"],
                "method": c["method"],
                "seats": c["seats"],
                "candidates": list(c["candidates"]),
                "instructions": c.get("instructions") or "",
                "statements": dict(c.get("statements") or {}),
            }
            for c in definition["contests"]
        ]
    return [
        {
            "id": MAIN,
            "title": definition["title"],
            "method": definition["method"],
            "seats": definition["seats"],
            "candidates": list(definition["candidates"]),
            "instructions": definition.get("instructions") or "",
            "statements": dict(definition.get("statements") or {}),
        }
    ]


def _names(contest: dict[str, Any], choices: Any, where: str) -> list[str]:
    """One contest's choices, checked: a list of distinct candidates of that contest."""
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        raise InvalidChoices(f"{where}choices must be a list of candidate names")
    unknown = [c for c in choices if c not in contest["candidates"]]
    if unknown:
        scope = "contest" if where else "ballot"
        raise InvalidChoices(f"{where}not a candidate in this {scope}: {', '.join(unknown)}")
    if len(set(choices)) != len(choices):
        raise InvalidChoices(f"{where}a candidate is chosen more than once")
    if contest["method"] == "fptp" and len(choices) > contest["seats"]:
        raise InvalidChoices(f"{where}choose at most {contest['seats']} candidate(s)")
    return list(choices)


def paper(definition: dict[str, Any], choices: Any) -> list[str] | dict[str, list[str]]:
    """The paper to store for ``choices``; ``InvalidChoices`` says what is wrong in words.

    A single-contest ballot takes a list of names (or ``{"main": [...]}``) and
    stores the list. A ballot with contests takes ``{contest id: [names]}``;
    a contest not named, or given an empty list, is blank.
    """
    every = contests(definition)
    if not has_contests(definition):
        if isinstance(choices, dict) and set(choices) == {MAIN}:
            choices = choices[MAIN]
        if isinstance(choices, list) and not choices:
            raise InvalidChoices("the ballot paper is blank: choose at least one candidate")
        return _names(every[0], choices, "")
    if not isinstance(choices, dict) or not all(isinstance(k, str) for k in choices):
        raise InvalidChoices(
            "this ballot has several contests: give the choices of each by its id "
            f"({', '.join(c['id'] for c in every)})"
        )
    known = {c["id"] for c in every}
    unknown = sorted(k for k in choices if k not in known)
    if unknown:
        raise InvalidChoices(f"not a contest in this ballot: {', '.join(unknown)}")
    stored = {c["id"]: _names(c, choices.get(c["id"], []), f"{c['title']}: ") for c in every}
    if not any(stored.values()):
        raise InvalidChoices(
            "the ballot paper is blank in every contest: choose at least one candidate"
        )
    return stored


def contest_choices(stored: Any, contest_id: str) -> list[str]:
    """What a stored paper chose in one contest (a single-contest paper is its list)."""
    if isinstance(stored, dict):
        return list(stored.get(contest_id, []))
    return list(stored)
