"""The numbers the scoring works with: the model's probabilities and thresholds, and
how common each name is on the register.

``Model`` holds every probability the Fellegi–Sunter scoring (``scoring``) uses and
the two thresholds the matcher decides by (``match_at``, ``review_at``);
docs/matching.md gives the reason for each value. ``NameFrequencies`` holds the
register's forename and surname counts, from which come the term frequencies that
make a common name weaker evidence than a rare one.

Guarantees: pure data and arithmetic, no I/O; a ``Model`` is frozen; a frequency is
never zero (a name never seen is given ``F_UNSEEN``, a seen one at least ``F_MIN``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from services.matching.matcher import addresses as addr

#: The least frequency a name seen on the register is given (caps a rare name's weight).
F_MIN = 2e-5
#: The frequency of a string never seen on the register as a name (often a typing slip).
F_UNSEEN = 2e-6


class NameFrequencies:
    """How common each forename and surname key is on the register (term frequencies).

    A name never seen counts as rare (``F_MIN``); a seen name on a small register
    is blended with a default, since a few hundred rows say little about frequency.
    """

    def __init__(
        self,
        forenames: Mapping[str, int] | None = None,
        surnames: Mapping[str, int] | None = None,
        total: int = 0,
    ) -> None:
        self.forenames = dict(forenames or {})
        self.surnames = dict(surnames or {})
        self.total = total
        self._w = total / (total + 20_000)

    def _f(self, count: int, default: float) -> float:
        if count <= 0 or not self.total:
            return F_UNSEEN
        return self._w * max(count / self.total, F_MIN) + (1 - self._w) * default

    def forename(self, value: str) -> float:
        return self._f(self.forenames.get(value, 0), 0.01)

    def surname(self, key: str) -> float:
        return self._f(self.surnames.get(key, 0), 0.005)


@dataclass(frozen=True)
class Model:
    """Probabilities and thresholds; docs/matching.md gives the reason for each."""

    on_register: float = 0.9
    #: P(address level | the person lives at the elector's address), per elector.
    premise_m: Mapping[str, float] = field(default_factory=lambda: {
        addr.FLAT_SAME: 0.85, addr.FLAT_UNKNOWN: 0.85, addr.FLAT_DIFFERENT: 0.02,
        addr.STREET: 0.03, addr.POSTCODE: 0.03, addr.AREA: 0.01, addr.NONE: 0.002,
    })  # fmt: skip
    #: Among how many wrong values a wrong level's chance is spread (per elector).
    premise_spread: Mapping[str, float] = field(default_factory=lambda: {
        addr.FLAT_DIFFERENT: 6, addr.STREET: 30, addr.POSTCODE: 20, addr.AREA: 2000,
        addr.NONE: 100_000,
    })  # fmt: skip
    postcode_m: Mapping[str, float] = field(default_factory=lambda: {
        "exact": 0.93, "near": 0.04 / 20, "missing": 0.04, "district": 0.015 / 50,
        "different": 0.01 / 10_000,
    })  # fmt: skip
    #: P(recorded forename | true forename) by level; "different" is x population.
    forename_m: Mapping[str, float] = field(default_factory=lambda: {
        "exact": 0.86, "nickname": 0.04 * 0.3, "typo1": 0.03 * 0.02, "typo2": 0.03 * 0.005,
        "sounds": 0.01 * 0.2, "short": 0.04 * 0.05, "middle": 0.05, "middle_form": 0.05 * 0.04 * 0.3,
        "middle_slip": 0.05 * 0.03 * 0.02, "initial": 0.03,
        "different": 0.005,
    })  # fmt: skip
    surname_m: Mapping[str, float] = field(default_factory=lambda: {
        "exact": 0.89, "punctuation": 0.89, "mac": 0.03, "part": 0.02 * 0.5, "typo1": 0.03 * 0.02,
        "typo2": 0.03 * 0.005, "sounds": 0.01 * 0.2, "different": 0.03,
    })  # fmt: skip
    #: Share of names starting with a given letter, roughly.
    initial_share: float = 0.08
    household_surname: float = 0.55
    household_forename: float = 0.02
    #: P(an unregistered relative's forename is this elector's middle name): families
    #: reuse names, so "known by a middle name" at home is weaker than it looks.
    household_middle: float = 0.03
    middle_factor: Mapping[str, float] = field(default_factory=lambda: {
        "agree": 8.0, "initial": 4.0, "conflict": 0.1, "member_only": 0.5, "absent": 1.0,
    })  # fmt: skip
    swapped_m: float = 0.01
    #: docs/matching.md gives the calibration sweep this was chosen from.
    match_at: float = 0.93
    review_at: float = 0.1

    @property
    def best_address(self) -> float:
        return self.premise_m[addr.FLAT_SAME] * self.postcode_m["exact"]
