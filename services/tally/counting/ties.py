"""Breaking ties: look back at earlier stages, then draw a lot from a published seed.

The rule (rules 49(2)-(3) and 51(2) of the Scottish Local Government Elections
Order 2007, used by every method here):

1. Look back. Take the tied candidates' totals at the end of the most recent
   preceding stage at which they were not all equal. Keep only those with the
   highest (or, when excluding, the lowest) total there. If one is left, that
   decides it; if several, look further back among those.
2. Lot. If the remaining candidates were equal at every stage, draw a lot:
   ``names`` = the remaining names sorted by Unicode code point, and
   ``digest = SHA-256(UTF-8 of "\\x1f".join([seed, str(stage), purpose, *names]))``;
   the lot falls on ``names[int(digest, 16) % len(names)]``.

``stage`` is the stage at whose end the candidates are tied and ``purpose``
says what is being decided, so each draw is different but anyone holding the
seed, published before the count, can redo it. Guarantees: no randomness
other than the seed; every tie broken is recorded as a ``Tie``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from services.tally.counting.model import Tie


def draw_lot(seed: str, stage: int, purpose: str, tied: Iterable[str]) -> tuple[str, str]:
    """The candidate the lot falls on, and the hex digest that chose them."""
    names = sorted(tied)
    message = "\x1f".join([seed, str(stage), purpose, *names]).encode("utf-8")
    digest = hashlib.sha256(message).hexdigest()
    return names[int(digest, 16) % len(names)], digest


class TieBreaker:
    """Breaks ties against the totals of the stages so far, recording each one.

    The count calls ``add_stage`` with every candidate's total at the end of
    each stage; a tie is always between totals of the latest stage.
    """

    def __init__(self, seed: str) -> None:
        self.seed = seed
        self.ties: list[Tie] = []
        self._history: list[Mapping[str, int]] = []
        # For each candidate, the stage indices at which its total changed.
        self._changes: dict[str, list[int]] = {}

    @property
    def stage(self) -> int:
        """Number of the latest stage added."""
        return len(self._history)

    def add_stage(self, totals: Mapping[str, int]) -> None:
        """Record the totals at the end of the next stage."""
        if self._history:
            before = self._history[-1]
            at = len(self._history)
            for name, value in totals.items():
                if before.get(name) != value:
                    self._changes.setdefault(name, []).append(at)
        self._history.append(totals)

    def pick(self, tied: Iterable[str], purpose: str, lowest: bool) -> str:
        """The one of ``tied`` (all equal now) with the lowest or highest claim."""
        remaining = sorted(tied)
        if len(remaining) == 1:
            return remaining[0]
        stage = self.stage
        everyone = tuple(remaining)
        # Totals only differ from the stage after where some tied total changed,
        # so those are the only earlier stages worth comparing.
        current = stage - 1
        worth = {current - 1} | {
            at - 1 for name in remaining for at in self._changes.get(name, ()) if at <= current - 1
        }
        for back in sorted((i for i in worth if i >= 0), reverse=True):
            totals = self._history[back]
            values = {name: totals[name] for name in remaining}
            target = min(values.values()) if lowest else max(values.values())
            if all(v == target for v in values.values()):
                continue
            remaining = [name for name in remaining if values[name] == target]
            if len(remaining) == 1:
                self.ties.append(
                    Tie(
                        stage=stage,
                        purpose=purpose,
                        tied=everyone,
                        chosen=remaining[0],
                        method="look-back",
                        decided_at_stage=back + 1,
                    )
                )
                return remaining[0]
        chosen, digest = draw_lot(self.seed, stage, purpose, remaining)
        self.ties.append(
            Tie(
                stage=stage,
                purpose=purpose,
                tied=everyone,
                chosen=chosen,
                method="lot",
                seed=self.seed,
                draw=digest,
                drawn_among=tuple(remaining),
            )
        )
        return chosen

    def order(self, group: Iterable[str], totals: Mapping[str, int], purpose: str) -> list[str]:
        """``group`` from highest total to lowest, equal totals put in order by ``pick``."""
        by_total: dict[int, list[str]] = {}
        for name in group:
            by_total.setdefault(totals[name], []).append(name)
        ordered: list[str] = []
        for value in sorted(by_total, reverse=True):
            level = by_total[value]
            while level:
                first = self.pick(level, purpose, lowest=False)
                ordered.append(first)
                level = [name for name in level if name != first]
        return ordered
