"""Meek STV: surpluses shared out by keep values, recomputed until they settle.

Every elected candidate keeps a fraction (its *keep value*) of each vote that
reaches it and passes the rest on; hopeful candidates keep everything and
excluded ones nothing. Each ballot is read from its first preference: a
candidate with keep value k takes ``floor(remaining x k)`` of what the ballot
still holds, and what is left goes on down the ballot; what remains after the
last preference is excess. Then:

- quota = (valid votes - excess) / (seats + 1), truncated, plus 10^-9;
- a hopeful candidate with at least the quota is elected;
- keep values of elected candidates become ``ceil(k x quota / votes)`` (never
  above 1) and the ballots are read again, until a new candidate reaches the
  quota, the total surplus is at most 0.000001, or it stops falling;
- once settled with seats still empty, the hopeful candidate with fewest votes
  is excluded (keep value 0; ties by ``ties.TieBreaker``), one at a time, and
  the keep values are settled again (unless the excluded candidate had no
  votes, which changes nothing);
- once the hopeful candidates are no more than the seats left, they are all
  elected.

Values are integers in units of 10^-9 of a vote; each ballot's shares and its
excess add up to exactly one vote, so nothing is lost to rounding. A stage is
recorded after the first reading, after each exclusion and after each run of
iterations (with the number of iterations in its note).
"""

from __future__ import annotations

import numpy as np

from services.tally.counting.ballots import RankedBallots
from services.tally.counting.model import CountResult, InvalidCount, Stage
from services.tally.counting.piles import INT64_SAFE
from services.tally.counting.stages import (
    end_of_stage,
    fill_last_vacancies,
    finish,
    lowest,
    reaching_quota,
)
from services.tally.counting.ties import TieBreaker

DECIMALS = 9
UNIT = 10**DECIMALS
OMEGA = 10**3
ORDER_PURPOSE = "order of election"
EXCLUDE_PURPOSE = "exclusion"


def distribute(ballots: RankedBallots, keep: np.ndarray) -> tuple[list[int], int]:
    """Votes each candidate keeps from all ballots, and the excess left over."""
    n = len(ballots.candidates)
    prefs, counts = ballots.prefs, ballots.counts
    holding = np.full(len(counts), UNIT, dtype=np.int64)
    votes = np.zeros(n + 1, dtype=np.int64)
    active = np.arange(len(counts))
    for column in range(prefs.shape[1]):
        if not active.size:
            break
        at = prefs[active, column]
        share = holding[active] * keep[at] // UNIT
        np.add.at(votes, at, share * counts[active])
        holding[active] -= share
        active = active[(holding[active] > 0) & (at != n)]
    excess = int((holding * counts).sum())
    return [int(x) for x in votes[:n]], excess


def count_meek(ballots: RankedBallots, seats: int, seed: str) -> CountResult:
    """Count ranked ballots by Meek STV for ``seats`` seats."""
    if ballots.valid * UNIT >= INT64_SAFE:
        raise InvalidCount("too many ballots to count exactly in 64-bit fixed point")
    names = ballots.candidates
    n = len(names)
    index = {name: i for i, name in enumerate(names)}
    keep = [UNIT] * n
    hopeful = list(range(n))
    elected: list[int] = []
    ties = TieBreaker(seed)
    stages: list[Stage] = []

    def read() -> tuple[list[int], int, int]:
        votes, excess = distribute(ballots, np.array(keep + [0], dtype=np.int64))
        return votes, excess, (ballots.valid * UNIT - excess) // (seats + 1) + 1

    votes, excess, quota = read()
    previous, previous_excess = [0] * n, 0
    action, subject, note = "first preferences", None, "1 reading of the ballots"
    settled = False
    while True:
        snapshot = end_of_stage(ties, names, votes)
        newly = reaching_quota(ties, names, hopeful, snapshot, quota, ORDER_PURPOSE)
        for name in newly:
            elected.append(index[name])
            hopeful.remove(index[name])
        last = fill_last_vacancies(ties, names, hopeful, elected, seats, snapshot, ORDER_PURPOSE)
        stages.append(
            Stage(
                number=ties.stage,
                action=action,
                subject=subject,
                totals=snapshot,
                transfers={
                    names[c]: votes[c] - previous[c] for c in range(n) if votes[c] != previous[c]
                },
                non_transferable=excess - previous_excess,
                exhausted=excess,
                elected=tuple(newly + last),
                excluded=(subject,) if action == "exclusion" and subject else (),
                quota=quota,
                note="; ".join(filter(None, [note, "last vacancies filled" if last else ""])),
            )
        )
        if len(elected) >= seats or not hopeful:
            break
        previous, previous_excess = votes, excess
        if newly:
            settled = False

        if elected and not settled:
            iterations, last_surplus = 0, None
            while True:
                surplus = sum(votes[c] - quota for c in elected)
                if surplus <= OMEGA or (last_surplus is not None and surplus >= last_surplus):
                    settled = True
                    break
                last_surplus = surplus
                for c in elected:
                    if votes[c]:
                        keep[c] = min(UNIT, -(-(keep[c] * quota) // votes[c]))
                votes, excess, quota = read()
                iterations += 1
                if any(votes[c] >= quota for c in hopeful):
                    break
            if iterations:
                action, subject = "surplus distribution", None
                note = f"{iterations} reading(s) of the ballots"
                continue

        excluded, low = lowest(ties, names, hopeful, votes, EXCLUDE_PURPOSE)
        hopeful.remove(excluded)
        keep[excluded] = 0
        votes, excess, quota = read()
        action, subject, note = "exclusion", names[excluded], "1 reading of the ballots"
        # Excluding a candidate with no votes moves nothing, so what had settled stays settled.
        settled = settled and low == 0

    winners = [names[c] for c in elected]
    return finish(
        "meek", ballots, seats, seed, ties, stages, winners, quota=quota, decimals=DECIMALS
    )
