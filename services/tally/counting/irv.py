"""Instant-runoff (alternative vote): one seat, one exclusion per stage.

At the end of each stage a candidate with more than half of the votes still
with continuing candidates wins (papers with no further preference no longer
count towards the majority; each stage's ``quota`` is that majority). Otherwise the continuing candidate with fewest
votes is excluded, ties broken by ``ties.TieBreaker``, and each of their papers
goes to its next preference for a continuing candidate. The last continuing
candidate wins even without a majority. Every value is a whole number of votes.
"""

from __future__ import annotations

from services.tally.counting.ballots import RankedBallots
from services.tally.counting.model import CountResult, Stage
from services.tally.counting.piles import Piles
from services.tally.counting.stages import add_transfer, end_of_stage, finish, lowest
from services.tally.counting.ties import TieBreaker

EXCLUDE_PURPOSE = "exclusion"


def count_irv(ballots: RankedBallots, seed: str) -> CountResult:
    """Count ranked ballots by instant-runoff for one seat."""
    names = ballots.candidates
    n = len(names)
    piles = Piles(ballots, 1)
    totals = piles.totals()
    ties = TieBreaker(seed)
    continuing = list(range(n))
    stages: list[Stage] = []
    exhausted = totals[n]
    action, subject = "first preferences", None
    transfers: dict[str, int] = {}
    moved_out = 0
    winner: str | None = None

    while True:
        snapshot = end_of_stage(ties, names, totals)
        active = sum(totals[c] for c in continuing)
        leader = max(continuing, key=lambda c: totals[c])
        if 2 * totals[leader] > active or len(continuing) == 1:
            winner = names[leader]
        stages.append(
            Stage(
                number=ties.stage,
                action=action,
                subject=subject,
                totals=snapshot,
                transfers=transfers,
                non_transferable=moved_out,
                exhausted=exhausted,
                elected=(winner,) if winner else (),
                excluded=(subject,) if subject else (),
                quota=active // 2 + 1,
            )
        )
        if winner is not None:
            break
        source, low = lowest(ties, names, continuing, totals, EXCLUDE_PURPOSE)
        continuing.remove(source)
        piles.withdraw(source)
        gained = piles.move(piles.papers_of(source))
        totals[source] = 0
        moved_out, transfers = add_transfer(totals, gained, names)
        exhausted += moved_out
        action, subject = "exclusion", names[source]
        transfers[subject] = -low

    return finish("irv", ballots, 1, seed, ties, stages, [winner])
