"""Single transferable vote under the Scottish Local Government Elections Order 2007.

Follows Schedule 1, rules 45-52 (quoted in docs/counting.md):

- quota = floor(valid ballots / (seats + 1)) + 1 (rule 46);
- a candidate whose total equals or exceeds the quota is deemed elected at the
  end of the stage it happens (rule 47);
- one surplus is transferred per stage, the largest first (rule 49); all the
  candidate's papers go on to their next preference for a *continuing*
  candidate, each at value = surplus x its value / the candidate's total,
  truncated to five decimal places (rule 48, weighted inclusive Gregory);
- with no surplus left to transfer, the lowest continuing candidate is
  excluded and all their papers move on at the value they arrived with
  (rules 50-51);
- once the continuing candidates are no more than the vacancies left, they are
  all deemed elected and nothing more is transferred (rule 52).

Ties follow ``ties.TieBreaker`` (rules 49(2)-(3), 51(2)). When several
candidates are deemed elected at one stage, they are declared in order of
their totals, and that order (ties broken by rule 49(2)-(3)) is also the order
their equal surpluses are transferred in.

Values are integers in units of 0.00001 of a vote, so the truncation is exact.
"""

from __future__ import annotations

import numpy as np

from services.tally.counting.ballots import RankedBallots
from services.tally.counting.model import CountResult, Stage
from services.tally.counting.piles import Piles
from services.tally.counting.stages import (
    add_transfer,
    end_of_stage,
    fill_last_vacancies,
    finish,
    lowest,
    reaching_quota,
)
from services.tally.counting.ties import TieBreaker

DECIMALS = 5
UNIT = 10**DECIMALS
ORDER_PURPOSE = "order of election and of surplus transfer (rule 49)"
EXCLUDE_PURPOSE = "exclusion (rule 51)"
LAST_PURPOSE = "order of election (rule 52)"


def transfer_values(values: np.ndarray, surplus: int, total: int) -> np.ndarray:
    """Rule 48(3): each paper's new value, ``value * surplus / total`` truncated."""
    if surplus * UNIT < 2**63:
        return values * surplus // total
    exact = [int(v) * surplus // total for v in values.tolist()]
    return np.array(exact, dtype=np.int64)


def count_stv(ballots: RankedBallots, seats: int, seed: str) -> CountResult:
    """Count ranked ballots by Scottish STV for ``seats`` seats."""
    names = ballots.candidates
    n = len(names)
    piles = Piles(ballots, UNIT)
    quota = (ballots.valid // (seats + 1) + 1) * UNIT
    totals = piles.totals()
    ties = TieBreaker(seed)
    index = {name: i for i, name in enumerate(names)}
    continuing = list(range(n))
    elected: list[int] = []
    pending: list[int] = []
    exhausted = totals[n]
    lost = 0
    stages: list[Stage] = []
    action, subject, surplus = "first preferences", None, None
    transfers: dict[str, int] = {}
    moved_out = 0

    while True:
        snapshot = end_of_stage(ties, names, totals)
        newly = reaching_quota(ties, names, continuing, snapshot, quota, ORDER_PURPOSE)
        for name in newly:
            c = index[name]
            elected.append(c)
            continuing.remove(c)
            piles.withdraw(c)
            if totals[c] > quota:
                pending.append(c)
        last = fill_last_vacancies(ties, names, continuing, elected, seats, snapshot, LAST_PURPOSE)
        stages.append(
            Stage(
                number=ties.stage,
                action=action,
                subject=subject,
                totals=snapshot,
                transfers=transfers,
                non_transferable=moved_out,
                exhausted=exhausted,
                lost=lost,
                elected=tuple(newly + last),
                excluded=(subject,) if action == "exclusion" and subject else (),
                quota=quota,
                surplus=surplus,
                note="last vacancies filled (rule 52)" if last else "",
            )
        )
        if len(elected) >= seats or not continuing:
            break

        if pending:
            rank = {c: i for i, c in enumerate(elected)}
            source = min(pending, key=lambda c: (-totals[c], rank[c]))
            pending.remove(source)
            total = totals[source]
            surplus = total - quota
            rows = piles.papers_of(source)
            gained = piles.move(rows, transfer_values(piles.value[rows], surplus, total))
            totals[source] = quota
            lost += surplus - sum(gained)
            action = "surplus transfer"
        else:
            source, _ = lowest(ties, names, continuing, totals, EXCLUDE_PURPOSE)
            continuing.remove(source)
            piles.withdraw(source)
            gained = piles.move(piles.papers_of(source))
            surplus = None
            totals[source] = 0
            action = "exclusion"
        subject = names[source]
        moved_out, transfers = add_transfer(totals, gained, names)
        exhausted += moved_out
        transfers[subject] = -(surplus if surplus is not None else sum(gained))

    winners = [names[c] for c in elected]
    return finish(
        "stv", ballots, seats, seed, ties, stages, winners, quota=quota, decimals=DECIMALS
    )
