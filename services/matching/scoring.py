"""Fellegi–Sunter scoring of one member against the candidate electors found for them.

Each field comparison has a *level* (from ``addresses`` and ``names``). A level's
weight is log2(m/u) in bits: m is how often a true pair shows that level, u how
often a pair of different people does. Names use term frequencies: agreeing on a
rare surname is worth more than agreeing on SMITH. Two dependencies a naive model
misses are modelled explicitly:

- *Households.* People at one address share surnames (and now and then forenames).
  When a candidate is at the member's own flat or house, u mixes the household
  rate with the population rate, so "same surname at the same address" is weak
  evidence and the forename has to do the work.
- *Address crowding.* The address weight is m divided by k, the number of
  candidates whose address agrees with the member's at least as well (a house with
  two electors says more than a block with two hundred). Combined with the prior
  odds that a member is on the register at all, this is the prior-plus-address
  term of Fellegi–Sunter with the address u estimated from the register itself.

Guarantees: pure; the same inputs give the same weights; ``score_member`` returns
candidates sorted best first with posterior probabilities that, together with
"none of them", sum to one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from services.matching import addresses as addr
from services.matching.addresses import AddressLevel, compare_addresses
from services.matching.names import (
    NameLevel,
    PersonName,
    compare_forenames,
    compare_middle,
    compare_surnames,
    fold,
    parse_name,
)
from services.matching.records import Elector, Member

F_MIN = 2e-5


class NameFrequencies:
    """How common each forename and surname key is on the register (term frequencies).

    For a small register the counts say little, so the frequency is blended with a
    default in proportion to the register's size.
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
        if not self.total:
            return default
        return self._w * max(count / self.total, F_MIN) + (1 - self._w) * default

    def forename(self, value: str) -> float:
        return self._f(self.forenames.get(value, 0), 0.01)

    def surname(self, key: str) -> float:
        return self._f(self.surnames.get(key, 0), 0.005)


@dataclass(frozen=True)
class Model:
    """The m and u probabilities and thresholds, each with the reason for its value."""

    #: Share of members who are on the register at the address the party holds.
    on_register: float = 0.9
    #: P(premise level | true pair); weak levels get a floor on k (register density).
    premise_m: Mapping[str, float] = field(default_factory=lambda: {
        addr.FLAT_SAME: 0.85, addr.FLAT_UNKNOWN: 0.85, addr.FLAT_DIFFERENT: 0.02,
        addr.STREET: 0.03, addr.POSTCODE: 0.03, addr.AREA: 0.01, addr.NONE: 0.002,
    })  # fmt: skip
    premise_min_k: Mapping[str, int] = field(default_factory=lambda: {
        addr.STREET: 40, addr.POSTCODE: 30, addr.AREA: 3000, addr.NONE: 30000,
    })  # fmt: skip
    #: A missing postcode says nothing by itself; its cost is a larger k.
    postcode_m: Mapping[str, float] = field(default_factory=lambda: {
        "exact": 0.93, "near": 0.04, "missing": 1.0, "district": 0.015, "different": 0.005,
    })  # fmt: skip
    forename_m: Mapping[str, float] = field(default_factory=lambda: {
        "exact": 0.86, "nickname": 0.04, "typo": 0.03, "sounds": 0.01, "middle": 0.03,
        "initial": 0.98, "different": 0.005,
    })  # fmt: skip
    surname_m: Mapping[str, float] = field(default_factory=lambda: {
        "exact": 0.89, "punctuation": 0.89, "part": 0.02, "typo": 0.03, "sounds": 0.01,
        "different": 0.02,
    })  # fmt: skip
    #: Chance that a particular variant is the one written (a given slip, a nickname).
    variant_share: Mapping[str, float] = field(default_factory=lambda: {
        "typo1": 0.02, "typo2": 0.005, "sounds": 0.2, "nickname": 0.3, "part": 0.5,
    })  # fmt: skip
    #: u of an initial agreeing by chance (about one name in twelve shares a letter).
    initial_u: float = 0.08
    different_u: float = 0.95
    #: How often two people in one household share a surname, and a forename.
    household_surname: float = 0.55
    household_forename: float = 0.02
    #: Middle names: bits added for agree / initial / conflict / member-only.
    middle_bits: Mapping[str, float] = field(default_factory=lambda: {
        "agree": 3.0, "initial": 2.0, "conflict": -3.3, "member_only": -1.0, "absent": 0.0,
    })  # fmt: skip
    #: P(first and last names swapped | true pair).
    swapped_m: float = 0.01
    #: Auto-match needs this posterior; at or above ``review_at`` a person decides.
    match_at: float = 0.99
    review_at: float = 0.1


@dataclass(frozen=True, slots=True)
class Comparison:
    """One member against one elector: levels, weights in bits and the posterior."""

    elector: Elector
    address: AddressLevel
    forename: NameLevel
    surname: NameLevel
    middle: NameLevel
    swapped: bool
    weights: dict[str, float]
    k: int
    total: float
    probability: float = 0.0

    def evidence(self) -> dict[str, object]:
        return {
            **self.elector.summary(),
            "probability": round(self.probability, 6),
            "match_weight": round(self.total, 3),
            "weights": {name: round(w, 3) for name, w in self.weights.items()},
            "levels": {
                "address": self.address.premise,
                "postcode": self.address.postcode,
                "forename": self.forename.level,
                "surname": self.surname.level,
                "middle_name": self.middle.level,
                "swapped_names": self.swapped,
            },
            "electors_at_least_as_close": self.k,
        }


def _ratio_variant(m: float, share: float, tf_elector: float, tf_member: float, exact_m: float) -> float:
    """P(observed variant | true pair) / P(observed variant | other person)."""
    produced = m * share
    return produced / (tf_elector * produced + tf_member * exact_m)


def _name_probabilities(
    level: NameLevel, kind: str, model: Model, freqs: NameFrequencies
) -> tuple[float, float]:
    """(m, u) for a forename or surname level; u against a random person."""
    ms = model.forename_m if kind == "forename" else model.surname_m
    tf = freqs.forename if kind == "forename" else freqs.surname
    lv = level.level
    if lv == "missing":
        return 1.0, 1.0
    if lv in ("exact", "punctuation"):
        key = level.elector.replace(" ", "").replace("-", "") if kind == "surname" else level.elector
        return ms[lv], tf(key)
    if lv == "initial":
        return ms[lv], model.initial_u
    if lv == "different":
        return ms[lv], model.different_u
    m = ms[lv]
    member_key = _key(level.member, kind)
    elector_key = _key(level.elector, kind)
    exact_m = ms["exact"]
    if lv == "middle":
        return m, max(tf(member_key) * exact_m, F_MIN)
    share_key = f"typo{level.slips}" if lv == "typo" else lv
    share = model.variant_share[share_key]
    ratio = _ratio_variant(m, share, tf(elector_key), tf(member_key), exact_m)
    ratio = min(ratio, 0.5 * exact_m / tf(elector_key))
    return m, m / ratio


def _key(value: str, kind: str) -> str:
    folded = fold(value)
    return folded.replace(" ", "").replace("-", "") if kind == "surname" else folded.split(" ")[0]


def _bits(m: float, u: float, household: float, share: float) -> float:
    """log2(m/u) with u mixed between a household member and a random person."""
    u_mixed = household * (share * m + (1 - share) * u) + (1 - household) * u
    return math.log2(m / u_mixed)


def _household(level: AddressLevel, k_premise: int) -> float:
    if level.premise == addr.FLAT_SAME:
        return 1.0
    if level.premise == addr.FLAT_UNKNOWN:
        return min(2, k_premise) / k_premise
    return 0.0


def _names(
    member: PersonName, elector: PersonName, household: float, model: Model, freqs: NameFrequencies
) -> tuple[float, float, float, NameLevel, NameLevel, NameLevel]:
    fore = compare_forenames(member.forenames, elector.forenames)
    sur = compare_surnames(member, elector)
    middle = compare_middle(member.forenames, elector.forenames, fore.level)
    fm, fu = _name_probabilities(fore, "forename", model, freqs)
    sm, su = _name_probabilities(sur, "surname", model, freqs)
    w_fore = _bits(fm, fu, household, model.household_forename)
    w_sur = _bits(sm, su, household, model.household_surname)
    return w_fore, w_sur, model.middle_bits[middle.level], fore, sur, middle


def _swapped(member: PersonName) -> PersonName:
    return parse_name(member.raw_surname, member.raw_forenames)


def score_member(
    member: Member, electors: Sequence[Elector], freqs: NameFrequencies, model: Model
) -> list[Comparison]:
    """Every candidate scored, best first, each with its posterior probability."""
    memo: dict[int, AddressLevel] = {}
    levels = []
    for elector in electors:
        key = id(elector.address)
        level = memo.get(key)
        if level is None:
            level = memo[key] = compare_addresses(member.address, elector.address)
        levels.append(level)
    ranks = [lv.rank for lv in levels]
    prior = math.log2(model.on_register / (1 - model.on_register))
    swapped_name = _swapped(member.name)
    out = []
    for elector, level, rank in zip(electors, levels, ranks, strict=True):
        k = sum(1 for r in ranks if r[0] >= rank[0] and r[1] >= rank[1])
        k_premise = sum(1 for r in ranks if r[0] >= addr.PREMISE_RANK[addr.FLAT_UNKNOWN])
        k = max(k, model.premise_min_k.get(level.premise, 1))
        w_addr = math.log2(model.premise_m[level.premise] * model.postcode_m[level.postcode] / k)
        household = _household(level, max(k_premise, 1))
        names = _names(member.name, elector.name, household, model, freqs)
        swapped = False
        if names[3].level not in ("exact", "nickname") or names[4].level not in ("exact", "punctuation"):
            alt = _names(swapped_name, elector.name, household, model, freqs)
            bonus = math.log2(model.swapped_m)
            if alt[3].level in ("exact", "nickname", "typo") and alt[4].level in (
                "exact", "punctuation", "typo",
            ) and sum(alt[:3]) + bonus > sum(names[:3]):  # fmt: skip
                names, swapped = alt, True
        w_fore, w_sur, w_mid, fore, sur, middle = names
        weights = {"prior": prior, "address": w_addr, "forename": w_fore, "surname": w_sur}
        if w_mid:
            weights["middle_name"] = w_mid
        if swapped:
            weights["swapped_names"] = math.log2(model.swapped_m)
        total = sum(weights.values())
        out.append(Comparison(elector, level, fore, sur, middle, swapped, weights, k, total))
    return _with_posteriors(out)


def _with_posteriors(comparisons: list[Comparison]) -> list[Comparison]:
    if not comparisons:
        return []
    top = max(c.total for c in comparisons)
    # Odds against "none of them" (weight 0), scaled by 2**-top to avoid overflow.
    scaled = [2.0 ** (c.total - top) for c in comparisons]
    none = 2.0**-top if top < 1000 else 0.0
    denominator = none + sum(scaled)
    ranked = [
        Comparison(
            c.elector, c.address, c.forename, c.surname, c.middle, c.swapped,
            c.weights, c.k, c.total, s / denominator,
        )
        for c, s in zip(comparisons, scaled, strict=True)
    ]  # fmt: skip
    ranked.sort(key=lambda c: (-c.total, c.elector.elector_id))
    return ranked
