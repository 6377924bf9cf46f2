"""First past the post and approval voting, for one seat or several.

Both are a single stage: every valid ballot gives one vote to each candidate
it marks, and the ``seats`` candidates with most votes are elected, in order
of votes. FPTP with n seats is the block vote: a ballot may mark up to
``seats`` candidates, and one marking more is spoilt. An approval ballot may
mark any number. A blank ballot is invalid under both. Where candidates with
equal votes straddle the last seat, or their order among the winners must be
decided, a lot is drawn (there is no earlier stage to look back to).
"""

from __future__ import annotations

from services.tally.counting.ballots import MarkedBallots
from services.tally.counting.model import CountResult, Stage
from services.tally.counting.stages import finish
from services.tally.counting.ties import TieBreaker

ORDER_PURPOSE = "order of election"


def count_marks(method: str, ballots: MarkedBallots, seats: int, seed: str) -> CountResult:
    """Elect the ``seats`` candidates with most marks."""
    names = ballots.candidates
    totals = {name: ballots.marks[i] for i, name in enumerate(names)}
    ties = TieBreaker(seed)
    ties.add_stage(totals)
    winners: list[str] = []
    for value in sorted(set(totals.values()), reverse=True):
        level = [name for name in names if totals[name] == value]
        while level and len(winners) < seats:
            first = ties.pick(level, ORDER_PURPOSE, lowest=False)
            winners.append(first)
            level.remove(first)
        if len(winners) >= seats:
            break
    stage = Stage(number=1, action="count", totals=totals, elected=tuple(winners))
    return finish(method, ballots, seats, seed, ties, [stage], winners)
