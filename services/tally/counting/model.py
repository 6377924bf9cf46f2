"""What a count produces: stages, ties and the result, as plain frozen data.

Vote values are held as integers in fixed-point units of ``10**-decimals`` of a
vote (``decimals`` is 0 for FPTP, approval and IRV, 5 for Scottish STV, 9 for
Meek), so every total shown is the exact number the count used. ``to_dict``
turns a result into JSON-serialisable data; it is the only place values are
turned into floats, and a value with at most 15 significant digits survives
that unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

RON = "RON (re-open nominations)"
RON_NOTE = "RON (re-open nominations) won: its seat is not filled and nominations re-open"


def is_ron(name: str) -> bool:
    """Whether ``name`` is RON, re-open nominations: a candidate a ballot may offer,
    counted like any other (``RON``, ``Re-open nominations`` or ``RON (re-open nominations)``)."""
    key = " ".join(name.split()).casefold()
    return key in {"ron", "re-open nominations", "reopen nominations", RON.casefold()}


class CountingError(ValueError):
    """The count cannot start: something about its input is wrong."""


class InvalidBallot(CountingError):
    """A ballot names someone who is not a candidate, repeats a name or has a bad weight."""


class InvalidCount(CountingError):
    """The count itself is ill-posed: unknown method, bad seats, bad candidate list."""


@dataclass(frozen=True)
class Tie:
    """One tie the count had to break, and how it was broken.

    ``stage`` is the stage at whose end the candidates were tied. ``method``
    is ``"look-back"`` (decided by the totals at ``decided_at_stage``) or
    ``"lot"`` (decided by ``draw``, the SHA-256 hex digest of the published
    seed, the stage, the purpose and the sorted names in ``drawn_among``:
    those still level after looking back).
    """

    stage: int
    purpose: str
    tied: tuple[str, ...]
    chosen: str
    method: str
    decided_at_stage: int | None = None
    seed: str | None = None
    draw: str | None = None
    drawn_among: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "stage": self.stage,
            "purpose": self.purpose,
            "tied": list(self.tied),
            "chosen": self.chosen,
            "method": self.method,
        }
        if self.method == "look-back":
            out["decided_at_stage"] = self.decided_at_stage
        else:
            out["seed"] = self.seed
            out["draw"] = self.draw
            out["drawn_among"] = list(self.drawn_among)
        return out


@dataclass(frozen=True)
class Stage:
    """One stage of a count: what happened and every total at its end.

    ``totals`` has every candidate (excluded ones at 0, elected ones at what
    they keep). ``transfers`` is the change in each candidate's total during
    this stage (negative for the candidate whose papers moved);
    ``non_transferable`` is the change in ``exhausted`` during the stage and
    ``lost`` the running total of value lost to truncation.
    """

    number: int
    action: str
    totals: Mapping[str, int]
    subject: str | None = None
    transfers: Mapping[str, int] = field(default_factory=dict)
    non_transferable: int = 0
    exhausted: int = 0
    lost: int = 0
    elected: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    quota: int | None = None
    surplus: int | None = None
    note: str = ""


@dataclass(frozen=True)
class CountResult:
    """The outcome of one count.

    Guarantees: ``winners`` are in the order elected and are never more than
    ``seats`` (RON among them means its seat stays empty: ``ron_elected``); ``rounds[i].number == i + 1``; every tie that affected who was
    elected, excluded or transferred first is in ``ties``.
    """

    method: str
    seats: int
    candidates: tuple[str, ...]
    valid: int
    invalid: int
    invalid_reasons: Mapping[str, int]
    quota: int | None
    decimals: int
    winners: list[str]
    rounds: tuple[Stage, ...]
    ties: tuple[Tie, ...]
    seed: str

    @property
    def ron_elected(self) -> bool:
        """RON is among the winners: the result says so (``to_dict``'s ``ron_elected``)."""
        return any(is_ron(name) for name in self.winners)

    def value(self, units: int) -> int | float:
        """A fixed-point value as a number of votes."""
        if self.decimals == 0:
            return int(units)
        return float(units) / 10**self.decimals

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-serialisable data."""
        v = self.value
        rounds = []
        for stage in self.rounds:
            entry: dict[str, Any] = {
                "stage": stage.number,
                "action": stage.action,
                "subject": stage.subject,
                "totals": {name: v(n) for name, n in stage.totals.items()},
                "transfers": {name: v(n) for name, n in stage.transfers.items()},
                "non_transferable": v(stage.non_transferable),
                "exhausted": v(stage.exhausted),
                "lost": v(stage.lost),
                "elected": list(stage.elected),
                "excluded": list(stage.excluded),
            }
            if stage.quota is not None:
                entry["quota"] = v(stage.quota)
            if stage.surplus is not None:
                entry["surplus"] = v(stage.surplus)
            if stage.note:
                entry["note"] = stage.note
            rounds.append(entry)
        out = {
            "method": self.method,
            "seats": self.seats,
            "candidates": list(self.candidates),
            "valid": self.valid,
            "invalid": self.invalid,
            "invalid_reasons": dict(self.invalid_reasons),
            "quota": None if self.quota is None else v(self.quota),
            "decimals": self.decimals,
            "winners": list(self.winners),
            "seed": self.seed,
            "rounds": rounds,
            "ties": [tie.to_dict() for tie in self.ties],
        }
        if self.ron_elected:
            out["ron_elected"] = True
            out["note"] = RON_NOTE
        return out


def relabel(result: CountResult, labels: Mapping[str, str]) -> CountResult:
    """The same result with candidates shown by ``labels`` (e.g. ``Name (Party)``), for
    tables and charts; names without a label stay as they are. Nothing is recounted."""
    if not labels:
        return result

    def one(name: str) -> str:
        return labels.get(name, name)

    def many(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        return tuple(map(one, names))

    def keyed(values: Mapping[str, int]) -> dict[str, int]:
        return {one(name): value for name, value in values.items()}

    rounds = tuple(
        replace(
            stage,
            totals=keyed(stage.totals),
            transfers=keyed(stage.transfers),
            subject=None if stage.subject is None else one(stage.subject),
            elected=many(stage.elected),
            excluded=many(stage.excluded),
        )
        for stage in result.rounds
    )
    ties = tuple(
        replace(
            tie,
            tied=many(tie.tied),
            chosen=one(tie.chosen),
            drawn_among=many(tie.drawn_among),
        )
        for tie in result.ties
    )
    return replace(
        result,
        candidates=many(result.candidates),
        winners=list(many(result.winners)),
        rounds=rounds,
        ties=ties,
    )
