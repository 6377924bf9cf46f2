"""The demo's ballot paper: one list of candidates, or (``--contests 2``) two contests.

``definition`` is what the demo asks registration to create; ``choose`` is
one voter's marks, as the API takes them (``{"choices": [...]}`` or
``{"contests": {id: [...]}}``); ``winners`` reads a result of either form.
With two contests about one voter in twelve leaves one of them blank (never
both), so the count's blanks are exercised.
"""

from __future__ import annotations

import random
from typing import Any

CANDIDATES = [
    "Ada Lovelace",
    "Mary Seacole",
    "Sylvia Pankhurst",
    "Rosalind Franklin",
    "Grace Hopper",
]

#: The selection's candidates say a few words, one of them with markup that must show as text.
STATEMENTS = {
    "Ada Lovelace": {
        "text": 'I will make the numbers add up.\nEngines <and> poetry & "analysis".',
        "link": "https://example.org/candidates/ada-lovelace",
    },
    "Mary Seacole": {"text": "Care first, wherever it is needed."},
    "Sylvia Pankhurst": {
        "text": "Votes for everyone, and a voice for every branch.",
        "link": "https://example.org/candidates/sylvia-pankhurst",
    },
}

MOTION = ["Yes", "No"]


def definition(run: Any, area: list[str], timetable: dict[str, Any]) -> dict[str, Any]:
    """The ballot the demo creates."""
    base = {
        "title": f"Demo selection (seed {run.seed})",
        "area": area,
        "seed": f"demo-{run.seed}",
        "timetable": timetable,
    }
    if run.contests == 1:
        return {
            **base,
            "method": run.method,
            "seats": run.seats,
            "candidates": CANDIDATES[: max(3, run.seats + 2)],
        }
    return {
        **base,
        "contests": [
            {
                "id": "selection",
                "title": "Parliamentary candidate",
                "method": "stv",
                "seats": 1,
                "candidates": CANDIDATES[:4],
                "ron": True,
                "instructions": "Number the candidates in order of preference: 1 for your "
                "first choice. RON means re-open nominations.",
                "statements": STATEMENTS,
            },
            {
                "id": "motion",
                "title": "Motion: hold an all-member hustings before every selection",
                "method": "fptp",
                "seats": 1,
                "candidates": MOTION,
                "instructions": "Vote Yes or No.",
            },
        ],
    }


def describe(created: dict[str, Any]) -> str:
    if "contests" not in created:
        return (
            f"{created['method']}, {created['seats']} seat(s), "
            f"{len(created['candidates'])} candidates"
        )
    return "; ".join(
        f"{c['id']}: {c['method']}, {c['seats']} seat(s), {len(c['candidates'])} candidates"
        for c in created["contests"]
    )


def _ranked_or_marked(rng: random.Random, method: str, seats: int, names: list[str]) -> list[str]:
    weights = [5, 4, 3, 2, 1][: len(names)] + [1] * max(0, len(names) - 5)
    first = rng.choices(names, weights=weights)[0]
    rest = [c for c in names if c != first]
    rng.shuffle(rest)
    if method == "fptp":
        return [first, *rest[: seats - 1]] if seats > 1 else [first]
    if method == "approval":
        return [first, *rest[: rng.randrange(0, 3)]]
    return [first, *rest[: rng.randrange(0, len(rest) + 1)]]


def choose(rng: random.Random, run: Any, created: dict[str, Any]) -> dict[str, Any]:
    """One voter's marks as the API takes them."""
    if "contests" not in created:
        return {"choices": _ranked_or_marked(rng, run.method, run.seats, created["candidates"])}
    marks = {
        c["id"]: _ranked_or_marked(rng, c["method"], c["seats"], c["candidates"])
        for c in created["contests"]
    }
    if rng.random() < 1 / 12:
        marks[rng.choice(sorted(marks))] = []
    return {"contests": marks}


def first_choice(created: dict[str, Any]) -> dict[str, Any]:
    """A valid paper marking each contest's first candidate (for papers meant to be refused)."""
    if "contests" not in created:
        return {"choices": created["candidates"][:1]}
    return {"contests": {c["id"]: c["candidates"][:1] for c in created["contests"]}}


def winners(result: dict[str, Any]) -> list[str]:
    """The winners of a result, each contest's named by its id on a ballot with several."""
    if "contests" not in result:
        return list(result["counts"]["winners"])
    return [f"{c['id']}: {w}" for c in result["contests"] for w in c["counts"]["winners"]]
