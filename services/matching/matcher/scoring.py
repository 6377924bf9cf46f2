"""Fellegi–Sunter scoring of one member against the candidate electors found for them.

The hypotheses are "the member is elector *i*" for each candidate, and "the member
is not on the register" (they live somewhere, perhaps with registered people). The
odds of *i* against the last are::

    prior odds  x  P(record | elector i)  /  P(record | someone not on the register)

``P(record | elector i)`` multiplies one likelihood per field: how probable the
party's address text is if the person lives at *i*'s address (``premise_m`` x
``postcode_m``), and how probable the recorded forename and surname are given
*i*'s names (``forename_m``, ``surname_m``: exact, short form, typing slip...).

``P(record | not on the register)`` is one number shared by every candidate: the
record written for an unregistered person living at any candidate's address, who
shares the household's surname with probability ``household_surname`` (and now
and then a forename), or at an address nobody on the register lives at. It is
what makes "same surname at the same address" weak evidence, and a block of two
hundred flats weaker evidence than a house of two.

Reported per field (in bits, all summing to the total log-odds) are the classic
log2(m/u) weights with term-frequency u for names; ``crowding`` is minus log2 of
how many "other people" could have produced the record.

The probabilities themselves are in ``probabilities.Model``.

Guarantees: pure; the same inputs give the same weights; ``score_member`` returns
candidates sorted best first with posteriors that, with "none of them", sum to 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from services.matching.matcher import addresses as addr
from services.matching.matcher.addresses import AddressLevel, compare_addresses
from services.matching.matcher.names import (
    NameLevel,
    PersonName,
    compare_forenames,
    compare_middle,
    compare_surnames,
    parse_name,
    short_slip,
    sound,
)
from services.matching.matcher.probabilities import Model, NameFrequencies
from services.matching.matcher.records import Elector, Member


# Not frozen, like AddressLevel and NameLevel: a frozen dataclass sets each field
# through object.__setattr__, and these are made millions of times in a London run
# (8% of its CPU). Treat them as values all the same: nothing changes one once made.
@dataclass(slots=True, eq=False)
class Comparison:
    """One member against one elector: levels, weights in bits and the posterior."""

    elector: Elector
    address: AddressLevel
    forename: NameLevel
    surname: NameLevel
    middle: NameLevel
    swapped: bool
    weights: dict[str, float]
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
        }


def _level_key(level: NameLevel) -> str:
    if level.level == "typo":
        return f"typo{level.slips}"
    if level.level == "middle" and level.slips:
        return "middle_form" if level.slips == 1 else "middle_slip"
    return level.level


@dataclass(slots=True, eq=False)
class _NameHit:
    forename: NameLevel
    forename_p: float
    surname: NameLevel
    surname_p: float
    middle: NameLevel
    middle_factor: float

    @property
    def may_be_swapped(self) -> bool:
        return self.forename.level not in ("exact", "nickname") or self.surname.level not in (
            "exact", "punctuation",
        )  # fmt: skip


class _Names:
    """Name likelihoods of one member (in one orientation) against many electors.

    ``pop_f`` and ``pop_s`` are the probabilities that a random person's record
    shows the member's forename and surname: the term frequency of the value
    itself plus every candidate name it could be a variant of.
    """

    def __init__(self, member: PersonName, model: Model, freqs: NameFrequencies) -> None:
        self.member, self.model, self.freqs = member, model, freqs
        first = member.first
        if not first:
            self.pop_f = 1.0
        elif len(first) == 1:
            self.pop_f = model.initial_share * model.forename_m["initial"]
        else:
            self.pop_f = freqs.forename(first) * model.forename_m["exact"]
        key = member.surname_key
        self.pop_s = freqs.surname(key) * model.surname_m["exact"] if key else 1.0
        self._base_f = self.pop_f
        self._cache: dict[tuple[str, ...], _NameHit] = {}
        self._variants_f: set[str] = set()
        self._variants_s: set[str] = set()

    def _forename_p(self, level: NameLevel) -> float:
        lv, m = level.level, self.model.forename_m
        if lv == "missing":
            return 1.0
        if lv == "different":
            return 0.0
        if lv == "initial" and len(self.member.first) > 1:
            return self._base_f / self.model.initial_share
        return m[_level_key(level)]

    def _surname_p(self, level: NameLevel) -> float:
        if level.level == "missing":
            return 1.0
        if level.level == "different":
            return 0.0
        return self.model.surname_m[_level_key(level)]

    def compare(self, elector: PersonName) -> _NameHit:
        """Levels and likelihoods; "different" gets its likelihood in ``likelihood``."""
        key = (*elector.forenames, "|", elector.surname)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        fore = compare_forenames(self.member.forenames, elector.forenames)
        sur = compare_surnames(self.member, elector)
        middle = compare_middle(self.member.forenames, elector.forenames, fore.level)
        pf, ps = self._forename_p(fore), self._surname_p(sur)
        if (
            fore.level not in ("exact", "different", "missing")
            and elector.first not in self._variants_f
        ):
            self._variants_f.add(elector.first)
            self.pop_f += self.freqs.forename(elector.first) * pf
        variant_s = sur.level not in ("exact", "punctuation", "different", "missing")
        if variant_s and elector.surname_key not in self._variants_s:
            self._variants_s.add(elector.surname_key)
            self.pop_s += self.freqs.surname(elector.surname_key) * ps
        factor = self.model.middle_factor[middle.level]
        hit = self._cache[key] = _NameHit(fore, pf, sur, ps, middle, factor)
        return hit

    def likelihood(self, hit: _NameHit) -> tuple[float, float]:
        """P(recorded forename | elector), P(recorded surname | elector)."""
        pf, ps = hit.forename_p, hit.surname_p
        if hit.forename.level == "different":
            pf = self.model.forename_m["different"] * self.pop_f
        if hit.surname.level == "different":
            ps = self.model.surname_m["different"] * self.pop_s
        return pf, ps

    def household(self, hit: _NameHit) -> float:
        """P(record's names | an unregistered person in this elector's household)."""
        pf, ps = self.likelihood(hit)
        hf, hs = self.model.household_forename, self.model.household_surname
        relative = hf * pf
        if hit.forename.level == "middle":
            # As likely as the elector to be known by that (form of the) middle name.
            share = pf / self.model.forename_m["middle"]
            relative = max(relative, self.model.household_middle * share)
        return (relative + (1 - hf) * self.pop_f) * (hs * ps + (1 - hs) * self.pop_s)


class _Plausible:
    """A cheap test that two names share something: a surname sound, a forename or
    both initials (or the same with first and last names swapped)."""

    def __init__(self, member: PersonName) -> None:
        self.sound = member.surname_sound
        self.first = member.first
        self.initials = (member.first[:1], member.surname_key[:1])
        self.first_sound = sound(member.first)
        self.surname_first = member.surname.split(" ")[0] if member.surname else ""
        # The forenames read as a surname (``ab Owain``, ``Ward-Cooper``) and the
        # surname as a first name, for records with the two the wrong way round.
        swapped = parse_name(member.raw_surname, member.raw_forenames)
        self.swapped_sound = swapped.surname_sound
        self.swapped_first = swapped.first

    def __call__(self, elector: PersonName) -> bool:
        return (
            elector.surname_sound == self.sound
            or elector.first == self.first
            or (elector.first[:1], elector.surname_key[:1]) == self.initials
            or self.swapped(elector)
        )

    def swapped(self, elector: PersonName) -> bool:
        return bool(self.first_sound) and (
            elector.surname_sound in (self.first_sound, self.swapped_sound)
            or elector.first in (self.surname_first, self.swapped_first)
        )


def _address_p(level: AddressLevel, model: Model) -> float:
    spread = model.premise_spread.get(level.premise, 1)
    return model.premise_m[level.premise] / spread * model.postcode_m[level.postcode]


#: Surname levels that say "the same family name" (a floor holds only on these).
SURNAME_AGREES = frozenset(("exact", "punctuation", "mac", "part", "typo", "sounds"))
_AT_HOME = frozenset((addr.FLAT_SAME, addr.FLAT_UNKNOWN))
_NEAR_HOME = _AT_HOME | {addr.STREET}


@dataclass(slots=True)
class Scored:
    """The best candidates of one member and the two that the decision's rules need.

    ``at_address``: the best candidate with the member's surname at the member's own
    house or flat (postcode the same, one slip away or missing), if any, else the best
    there that ``home_surname`` finds; looked for only when the best fit is below
    ``Model.review_at``.
    ``known_by_middle``: a candidate at the member's address with the surname whose
    *middle* name fits the member's first name as well as the best fit's first name
    does, if any: a housemate the member may be; looked for only when the best fit is
    at the member's address and reaches ``Model.review_at``.
    """

    ranked: list[Comparison]
    considered: int
    at_address: Comparison | None = None
    #: Why ``at_address`` carries the member's surname when its surname level does not
    #: say so (``home_surname``): empty when it does.
    at_address_note: str = ""
    known_by_middle: Comparison | None = None
    #: Whether a candidate with the member's surname lives at the member's own house
    #: or flat (same postcode, one slip away or missing); looked for only when the best
    #: fit is in the member's street at another house.
    family_at_home: bool = False


def score_member(
    member: Member, electors: Sequence[Elector], freqs: NameFrequencies, model: Model
) -> list[Comparison]:
    """Every candidate scored, best first, each with its posterior probability."""
    return score_best(member, electors, freqs, model).ranked


def _at_home(level: AddressLevel) -> bool:
    return level.premise in _AT_HOME and level.postcode in ("exact", "near", "missing")


def _at_address(level: AddressLevel, surname: NameLevel) -> bool:
    return _at_home(level) and surname.level in SURNAME_AGREES


def home_surname(member: PersonName, swapped: PersonName, elector: PersonName) -> str:
    """How an elector may carry the member's surname when ``compare_surnames`` finds it
    different, as a phrase for the reasons; empty when it does not: the record's first
    and last names the wrong way round with a slip as well (``Noak Ewo`` for ``Ewa
    Nowak``, ``swapped`` is the record read that way), or a short surname one letter
    apart (``Cen`` / ``Chen``). Used only for the floor at the member's own address."""
    turned = compare_surnames(swapped, elector)
    if turned.level in SURNAME_AGREES:
        return (
            f"surname given as the first name ('{swapped.raw_surname.strip()}' / "
            f"'{elector.raw_surname.strip()}')"
        )
    if short_slip(member.surname_key, elector.surname_key):
        return (
            f"a short surname one letter apart ('{member.raw_surname.strip()}' / "
            f"'{elector.raw_surname.strip()}')"
        )
    return ""


#: Forename levels that say "this could be the name the member goes by", best first.
FORENAME_AGREES = ("exact", "nickname", "typo", "sounds", "short", "initial")
_FORENAME_RANK = {level: rank for rank, level in enumerate(FORENAME_AGREES)}


def _middle_is_first(member: PersonName, elector: PersonName, best: str) -> bool:
    """Whether one of ``elector``'s middle names fits the member's first name at least as
    well as the best fit's first name does (``best``, a forename level)."""
    first, bar = member.first, _FORENAME_RANK.get(best)
    if not first or bar is None:
        return False
    for middle in elector.forenames[1:]:
        if len(middle) > 1 or len(first) == 1:
            rank = _FORENAME_RANK.get(compare_forenames((first,), (middle,)).level)
            if rank is not None and rank <= bar:
                return True
    return False


def score_best(
    member: Member,
    electors: Sequence[Elector],
    freqs: NameFrequencies,
    model: Model,
    keep: int | None = None,
) -> Scored:
    """The ``keep`` best candidates (all if None), best first, with posteriors over
    every candidate; and how many candidates were scored. Building a ``Comparison``
    with its weights is most of the cost for a candidate that cannot win, so the
    matcher keeps only those it shows."""
    if not electors:
        return Scored([], 0)
    memo: dict[int, AddressLevel] = {}
    kept: list[Elector] = []
    levels: list[AddressLevel] = []
    home_rank = addr.PREMISE_RANK[addr.FLAT_UNKNOWN]
    plausible = _Plausible(member.name)
    for elector in electors:
        level = memo.get(id(elector.address))
        if level is None:
            level = memo[id(elector.address)] = compare_addresses(member.address, elector.address)
        # Away from the member's own home, a candidate whose names share nothing cannot
        # win and adds nothing to the crowding: skip it.
        if level.rank[0] >= home_rank or plausible(elector.name):
            kept.append(elector)
            levels.append(level)
    if not kept:
        return Scored([], 0)
    electors = kept
    normal = _Names(member.name, model, freqs)
    swapped = _Names(parse_name(member.name.raw_surname, member.name.raw_forenames), model, freqs)
    hits = [normal.compare(e.name) for e in electors]
    swap_hits = [
        swapped.compare(e.name) if h.may_be_swapped and plausible.swapped(e.name) else None
        for e, h in zip(electors, hits, strict=True)
    ]
    pc = "exact" if member.address.postcode else "missing"
    a_best = model.premise_m[addr.FLAT_SAME] * model.postcode_m[pc]
    pop = normal.pop_f * normal.pop_s
    at_home = any(lv.rank[0] >= addr.PREMISE_RANK[addr.FLAT_UNKNOWN] for lv in levels)
    # With nobody registered at the recorded address, someone unregistered lives there.
    crowd = 0.0 if at_home else 1.0
    rows = []
    for elector, level, hit, swap_hit in zip(electors, levels, hits, swap_hits, strict=True):
        a = _address_p(level, model)
        household = normal.household(hit)
        pf, ps = normal.likelihood(hit)
        mid, fore, sur, middle, is_swapped = (
            hit.middle_factor,
            hit.forename,
            hit.surname,
            hit.middle,
            False,
        )
        if swap_hit is not None:
            spf, sps = swapped.likelihood(swap_hit)
            if model.swapped_m * spf * sps > pf * ps * mid:
                household = max(household, model.swapped_m * swapped.household(swap_hit))
                pf, ps, mid, is_swapped = model.swapped_m * spf, sps, 1.0, True
                fore, sur, middle = swap_hit.forename, swap_hit.surname, NameLevel("absent")
        crowd += (a / a_best) * household / pop
        rows.append((elector, level, fore, sur, middle, is_swapped, a, pf, ps, mid))
    prior = math.log2(model.on_register / (1 - model.on_register))
    crowding = -math.log2(crowd)
    swapped_bits = math.log2(model.swapped_m)
    pop_f, pop_s = normal.pop_f, normal.pop_s
    totals = []
    for _, _, _, _, _, is_swapped, a, pf, ps, mid in rows:
        # The same sum, in the same order, as the weights ``_comparison`` reports.
        total = prior + _log2(a / a_best)
        total += _log2(pf / (model.swapped_m if is_swapped else 1.0) / pop_f)
        total += _log2(ps / pop_s)
        if mid != 1.0:
            total += math.log2(mid)
        if is_swapped:
            total += swapped_bits
        totals.append(total + crowding)
    top = max(totals)
    # Odds against "none of them" (weight 0), scaled by 2**-top to avoid overflow.
    scaled = [2.0 ** (t - top) for t in totals]
    denominator = 2.0 ** min(-top, 1000) + sum(scaled)
    order = sorted(range(len(rows)), key=lambda i: (-totals[i], rows[i][0].elector_id))
    best = order if keep is None else order[:keep]
    weights = (prior, a_best, pop_f, pop_s, crowding)

    def compared(i: int) -> Comparison:
        return _comparison(rows[i], weights, model, totals[i], scaled[i] / denominator)

    ranked = [compared(i) for i in best]
    scored = Scored(ranked, len(rows))
    if at_home and rows[order[0]][1].premise == addr.STREET:
        # Only the rule for a mistyped house number (the best fit in the street) asks.
        scored.family_at_home = any(_at_address(row[1], row[3]) for row in rows)
    # Each is looked for only where the decision can use it: the household floor below
    # the review threshold, the housemate known by a middle name above it.
    top_p = ranked[0].probability
    if top_p < model.review_at:
        home = next((i for i in order if _at_address(rows[i][1], rows[i][3])), None)
        if home is not None:
            scored.at_address = compared(home)
        else:
            # The surname may still be there, written the wrong way round or with a
            # slip the scoring does not count in a name this short.
            for i in order:
                note = _at_home(rows[i][1]) and home_surname(
                    member.name, swapped.member, rows[i][0].name
                )
                if note:
                    scored.at_address, scored.at_address_note = compared(i), note
                    break
    elif rows[order[0]][1].premise in _NEAR_HOME and len(order) > 1:
        # A housemate of the member (at the member's address) or of the best fit (at
        # its house, when the party's house number may be mistyped).
        house = rows[order[0]][0].address
        # The member's name as the best fit read it (first and last perhaps swapped).
        name = swapped.member if rows[order[0]][5] else member.name
        relative = next(
            (
                i
                for i in order[1:]
                if (_at_address(rows[i][1], rows[i][3]) or rows[i][0].address == house)
                and rows[i][3].level in SURNAME_AGREES
                and _middle_is_first(name, rows[i][0].name, rows[order[0]][2].level)
            ),
            None,
        )
        if relative is not None:
            scored.known_by_middle = compared(relative)
    return scored


def _comparison(
    row: tuple[Elector, AddressLevel, NameLevel, NameLevel, NameLevel, bool, float, float,
               float, float],
    common: tuple[float, float, float, float, float],
    model: Model,
    total: float,
    probability: float,
) -> Comparison:  # fmt: skip
    elector, level, fore, sur, middle, is_swapped, a, pf, ps, mid = row
    prior, a_best, pop_f, pop_s, crowding = common
    weights = {
        "prior": prior,
        "address": _log2(a / a_best),
        "forename": _log2(pf / (model.swapped_m if is_swapped else 1.0) / pop_f),
        "surname": _log2(ps / pop_s),
    }
    if mid != 1.0:
        weights["middle_name"] = math.log2(mid)
    if is_swapped:
        weights["swapped_names"] = math.log2(model.swapped_m)
    weights["crowding"] = crowding
    return Comparison(elector, level, fore, sur, middle, is_swapped, weights, total, probability)


def _log2(x: float) -> float:
    return math.log2(x) if x > 0 else -1074.0
