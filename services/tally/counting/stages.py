"""Steps the counts share: who is excluded next, who fills the last seats, what a
transfer moved, the finished result.

Pure. ``end_of_stage`` records a stage's totals for look-back tie-breaks;
``reaching_quota`` orders those elected at a stage; ``fill_last_vacancies`` is rule 52 of Scottish STV and Meek's last step.
``lowest`` breaks a tie for fewest votes with the count's ``TieBreaker``
(looking back, then by lot), so IRV, Scottish STV and Meek exclude by one rule.
``add_transfer`` adds what a parcel of papers gave each candidate to the running
totals. ``finish`` makes the ``CountResult`` from a count's ballots and stages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from services.tally.counting.model import CountResult, Stage
from services.tally.counting.ties import TieBreaker


class CountedBallots(Protocol):
    @property
    def candidates(self) -> tuple[str, ...]: ...

    @property
    def valid(self) -> int: ...

    @property
    def invalid(self) -> dict[str, int]: ...


def lowest(
    ties: TieBreaker,
    names: Sequence[str],
    continuing: Sequence[int],
    totals: Sequence[int],
    purpose: str,
) -> tuple[int, int]:
    """The continuing candidate with fewest votes, and that number of votes."""
    low = min(totals[c] for c in continuing)
    tied = [names[c] for c in continuing if totals[c] == low]
    return names.index(ties.pick(tied, purpose, lowest=True)), low


def end_of_stage(ties: TieBreaker, names: Sequence[str], totals: Sequence[int]) -> dict[str, int]:
    """Each candidate's total at the end of a stage, kept by ``ties`` for looking back."""
    snapshot = {name: totals[i] for i, name in enumerate(names)}
    ties.add_stage(snapshot)
    return snapshot


def reaching_quota(
    ties: TieBreaker,
    names: Sequence[str],
    continuing: Sequence[int],
    totals: Mapping[str, int],
    quota: int,
    purpose: str,
) -> list[str]:
    """Continuing candidates at or over the quota, in the order they are declared elected."""
    reached = [names[c] for c in continuing if totals[names[c]] >= quota]
    return ties.order(reached, totals, purpose)


def fill_last_vacancies(
    ties: TieBreaker,
    names: Sequence[str],
    continuing: list[int],
    elected: list[int],
    seats: int,
    totals: Mapping[str, int],
    purpose: str,
) -> list[str]:
    """Elect every continuing candidate once they are no more than the seats left.

    They move from ``continuing`` to ``elected`` in order of ``totals`` (ties by
    ``ties``); returns their names, or nothing if there are more of them than seats.
    """
    vacancies = seats - len(elected)
    if vacancies <= 0 or len(continuing) > vacancies:
        return []
    last = ties.order([names[c] for c in continuing], totals, purpose)
    elected.extend(names.index(name) for name in last)
    continuing.clear()
    return last


def add_transfer(
    totals: list[int], gained: Sequence[int], names: Sequence[str]
) -> tuple[int, dict[str, int]]:
    """Add ``gained`` (one entry per candidate, then the non-transferable pile) to ``totals``.

    Returns the value that became non-transferable and what each candidate gained.
    """
    n = len(names)
    for c in range(n):
        totals[c] += gained[c]
    return gained[n], {names[c]: gained[c] for c in range(n) if gained[c]}


def finish(
    method: str,
    ballots: CountedBallots,
    seats: int,
    seed: str,
    ties: TieBreaker,
    stages: Sequence[Stage],
    winners: list[str],
    *,
    quota: int | None = None,
    decimals: int = 0,
) -> CountResult:
    """The result of a count of ``ballots`` that went through ``stages``."""
    return CountResult(
        method=method,
        seats=seats,
        candidates=ballots.candidates,
        valid=ballots.valid,
        invalid=sum(ballots.invalid.values()),
        invalid_reasons=ballots.invalid,
        quota=quota,
        decimals=decimals,
        winners=winners,
        rounds=tuple(stages),
        ties=tuple(ties.ties),
        seed=seed,
    )
