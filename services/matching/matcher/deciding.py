"""The roll matcher: for each member, one decision against the electoral register.

``Matcher(source, model).match(members, taken)`` (or ``match_members``) fetches each
chunk's candidates from a candidate source (``candidates``), scores every one
(``scoring``), decides by the model's thresholds (``probabilities.Model``) and
explains the decision (``explaining``).

A ``Decision`` says ``match``, ``review`` or ``no_match``; ``score`` is the estimated
probability that the best-fitting elector is this member; ``reasons`` explains it in
plain words; ``evidence`` (JSON-serialisable) holds per-field weights in bits, the
runner-up and the register version; ``candidates`` lists the closest electors with
their own evidence so an officer can choose.

Guarantees:

- One member to one elector: within one call no elector is matched to two
  members (all of them go to review instead), and an elector in ``taken`` (already
  matched, say by an earlier chunk) is never matched again: a member whose best fit
  is taken goes to review.
- A match needs the best candidate's posterior to reach ``Model.match_at`` *and*
  its address to agree on the building; the posterior counts every other candidate
  and "none of them", so a close runner-up (a relative with the same initial, a
  namesake next door) prevents a match by itself.
- Nobody registered at their own address is dropped: a member with an elector of
  the same surname at the same house or flat (``scoring.Scored.at_address``) is
  reviewed, never ``no_match``.
- A first name that is also a housemate's middle name (``Scored.known_by_middle``)
  is never matched without a person unless a middle name on the record settles it.
- A best fit whose postcode is in another district than the party's (found by the
  second round's ``records.inward_keys``, say ``YO11`` mistyped for ``YO10``) is
  matched only when street, house and name all agree, and the reasons then say the
  postcode looks mistyped; otherwise it is at best reviewed.
- Deterministic: the same members, register and model give the same decisions.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from services.matching.matcher import addresses as addr
from services.matching.matcher.addresses import flat_style as _style
from services.matching.matcher.candidates import CandidateSource
from services.matching.matcher.explaining import describe, forename_phrase, who
from services.matching.matcher.probabilities import Model
from services.matching.matcher.records import Member
from services.matching.matcher.scoring import FORENAME_AGREES, Comparison, Scored, score_best

_AT_HOME = (addr.FLAT_SAME, addr.FLAT_UNKNOWN)

K = TypeVar("K")
MATCH, REVIEW, NO_MATCH = "match", "review", "no_match"
#: How many candidates a review shows the officer.
REVIEW_CANDIDATES = 3


@dataclass(frozen=True)
class Decision:
    """The outcome for one member, with its explanation and evidence."""

    membership_number: str
    decision: str
    elector_id: str | None
    score: float
    reasons: str
    evidence: dict[str, Any] = field(default_factory=dict)
    candidates: tuple[dict[str, Any], ...] = ()
    ward: str | None = None

    def csv_row(self) -> dict[str, str]:
        """The row of the match decisions CSV."""
        return {
            "membership_number": self.membership_number,
            "decision": self.decision,
            "elector_id": self.elector_id or "",
            "score": f"{self.score:.4f}",
            "reasons": self.reasons,
        }


class Matcher:
    """Decides members against a candidate source with a scoring model."""

    def __init__(self, source: CandidateSource, model: Model | None = None) -> None:
        self.source = source
        self.model = model or Model()

    def match(
        self,
        members: Sequence[Member],
        taken: Collection[str] = frozenset(),
        *,
        one_to_one: bool = True,
    ) -> list[Decision]:
        """One decision per member, in order; see the module docstring for guarantees.

        ``one_to_one=False`` leaves two members matched to one elector as they are,
        for a caller that applies ``one_member_per_elector`` over a larger whole."""
        batch = self.source.fetch(members)
        decisions = []
        for member in members:
            electors = batch.candidates.get(member.membership_number, ())
            scored = score_best(
                member, electors, batch.frequencies, self.model, keep=REVIEW_CANDIDATES
            )
            decisions.append(self._decide(member, scored, taken))
        return one_member_per_elector(decisions) if one_to_one else decisions

    def _decide(self, member: Member, scored: Scored, taken: Collection[str]) -> Decision:
        number = member.membership_number
        ranked, considered = scored.ranked, scored.considered
        if not ranked:
            return Decision(
                number, NO_MATCH, None, 0.0,
                "no one on the register at or near this address has a similar name",
                {"candidates_considered": 0},
            )  # fmt: skip
        best = ranked[0]
        runner = ranked[1] if len(ranked) > 1 else None
        evidence = _evidence(best, runner, considered)
        strong_address = best.address.rank[0] >= addr.PREMISE_RANK[addr.FLAT_UNKNOWN]
        is_taken = best.elector.elector_id in taken
        explanation = describe(best, member)
        score = best.probability
        slip = None if scored.family_at_home else _number_slip(member, best)
        relative = _known_by_middle(best, scored.known_by_middle, slip is not None)
        if relative is not None and score >= self.model.review_at:
            why = (
                f"{relative.elector.name.display} at the same address has "
                f"'{member.name.raw_forenames.split()[0].title()}' as a middle name"
            )
            shown = _shown(ranked, relative)
            return Decision(
                number, REVIEW, best.elector.elector_id, score,
                f"needs a person: {why}; best fit {who(best)}: {explanation}", evidence, shown,
                ward=best.elector.ward,
            )  # fmt: skip
        moved = _other_district(member, best)
        if slip is not None and _all_agree(member, best, (addr.STREET,)):
            strong_address, explanation = True, f"{explanation}; {slip}"
        # A middle name with a typing slip is as near to a relative's first name as to
        # this elector's: never matched without a person.
        approximate = best.forename.level == "middle" and best.forename.slips == 2
        would_match = (
            score >= self.model.match_at and strong_address and not is_taken and not approximate
        )
        if would_match and (moved is None or _all_agree(member, best)):
            if moved is not None:
                explanation = f"{explanation}; the postcode looks mistyped: {moved}"
            return Decision(
                number, MATCH, best.elector.elector_id, score, explanation, evidence,
                ward=best.elector.ward,
            )  # fmt: skip
        if score >= self.model.review_at or (is_taken and score >= self.model.match_at):
            if would_match and moved is not None:
                why = f"another postcode district and not every detail agrees ({moved})"
            else:
                why = _review_reason(best, runner, strong_address, is_taken, self.model)
                if approximate and score >= self.model.match_at and strong_address:
                    why = "the first name is a middle name with a typing slip"
                if moved is not None:
                    why = f"{why} ({moved})"
            shown = tuple(c.evidence() for c in ranked[:REVIEW_CANDIDATES])
            return Decision(
                number, REVIEW, best.elector.elector_id, score,
                f"needs a person: {why}; best fit {who(best)}: {explanation}", evidence, shown,
                ward=best.elector.ward,
            )  # fmt: skip
        home = scored.at_address
        if home is not None:
            # A careful volunteer never drops someone whose surname is registered at
            # their very house or flat: the first name may be a form nobody listed.
            if scored.at_address_note:
                why = f"same address and {scored.at_address_note}"
            else:
                why = f"same address and surname; {forename_phrase(home.forename)}"
            return Decision(
                number, REVIEW, home.elector.elector_id, home.probability,
                f"needs a person: {why}; best fit {who(home)}: {describe(home, member)}",
                _evidence(home, best if home is not best else runner, considered),
                _shown(ranked, home, first=True), ward=home.elector.ward,
            )  # fmt: skip
        # Two digits of the house number swapped and the first name agrees: perhaps a
        # married name at the right house, not a stranger; a person decides. (Nobody
        # with the member's surname lives at the party's number, or the floor above
        # would have held.)
        near = next((c for c in ranked if _swapped_house(member, c)), None)
        if near is not None:
            why = f"first name agrees and {_number_slip(member, near)}"
            return Decision(
                number, REVIEW, near.elector.elector_id, near.probability,
                f"needs a person: {why}; best fit {who(near)}: {describe(near, member)}",
                _evidence(near, best if near is not best else runner, considered),
                _shown(ranked, near, first=True), ward=near.elector.ward,
            )  # fmt: skip
        return Decision(
            number, NO_MATCH, None, score,
            f"no elector fits well enough; closest is {who(best)}: {explanation}", evidence,
        )  # fmt: skip


def _other_district(member: Member, c: Comparison) -> str | None:
    """``postcode YO11 4XX on the party's record; the register has YO10 4XX`` when the
    candidate's postcode is in another district than the member's, else None."""
    mine, theirs = member.address.postcode, c.elector.address.postcode
    if not (mine and theirs) or addr.outward(mine) == addr.outward(theirs):
        return None
    return (
        f"postcode {addr.spaced(mine)} on the party's record; "
        f"the register has {addr.spaced(theirs)}"
    )


def _number_slip(member: Member, c: Comparison) -> str | None:
    """``the house number looks mistyped (party: 74, register: 47)`` when the
    candidate is in the member's street and postcode at a house number that is the
    member's with two neighbouring digits swapped, else None."""
    level = c.address
    mine, theirs = level.member_number, level.elector_number
    if level.premise != addr.STREET or level.postcode != "exact" or not (mine and theirs):
        return None
    if len(mine) != len(theirs) or mine == theirs or not mine.isdigit():
        return None
    swaps = {mine[:i] + mine[i + 1] + mine[i] + mine[i + 2 :] for i in range(len(mine) - 1)}
    flats = level.member_sub, level.elector_sub
    if theirs not in swaps:
        return None
    if flats[0] and flats[1] and flats[0] != flats[1] and _style(flats[0]) == _style(flats[1]):
        return None  # another flat as well
    return f"the house number looks mistyped (party: {mine}, register: {theirs})"


def _swapped_house(member: Member, c: Comparison) -> bool:
    """At the party's house number with two digits swapped, in its street and
    postcode, with the first name agreeing (the surname may differ)."""
    return _number_slip(member, c) is not None and _all_agree(
        member, c, (addr.STREET,), surname=False
    )


def _all_agree(
    member: Member, c: Comparison, premises: tuple[str, ...] = _AT_HOME, surname: bool = True
) -> bool:
    """Street, house and name agree: enough to take another district's postcode for a
    typing slip (or, with ``premises=(STREET,)``, two swapped digits of a house number
    when nobody is registered at the number on the party's record). ``surname=False``
    leaves the surname out (a married name at a house with swapped digits is reviewed)."""
    street = member.address.street
    return (
        c.address.premise in premises
        and street is not None
        and street == c.elector.address.street
        and c.forename.level in ("exact", "nickname")
        and (not surname or c.surname.level in ("exact", "punctuation", "mac"))
        and not c.swapped
    )


def _known_by_middle(
    best: Comparison, relative: Comparison | None, slip: bool = False
) -> Comparison | None:
    """A housemate whose middle name is the member's first name, when the best fit is
    the one whose first name it is and nothing else tells them apart (``slip``: the
    best fit is at the party's house number with two digits swapped)."""
    if relative is None or best.forename.level not in FORENAME_AGREES:
        return None
    if best.middle.level in ("agree", "initial"):
        return None
    return relative if best.address.premise in _AT_HOME or slip else None


def _shown(
    ranked: list[Comparison], extra: Comparison, first: bool = False
) -> tuple[dict[str, Any], ...]:
    """The review's candidates: the best ones, with ``extra`` always among them."""
    others = [c for c in ranked if c.elector.elector_id != extra.elector.elector_id]
    chosen = [extra, *others] if first else [*others[: REVIEW_CANDIDATES - 1], extra]
    return tuple(c.evidence() for c in chosen[:REVIEW_CANDIDATES])


def _review_reason(
    best: Comparison, runner: Comparison | None, strong_address: bool, taken: bool, model: Model
) -> str:
    if taken:
        return "the best fit is already matched to another member"
    if runner is not None and runner.probability >= best.probability / 10:
        return f"more than one elector fits ({best.probability:.0%} and {runner.probability:.0%})"
    if not strong_address:
        return "the address does not agree well enough to match without a check"
    return f"the evidence is not strong enough to be sure ({best.probability:.0%})"


def _evidence(best: Comparison, runner: Comparison | None, considered: int) -> dict[str, Any]:
    evidence: dict[str, Any] = {
        "register_version": best.elector.register_version,
        "model": "fellegi-sunter/1",
        **best.evidence(),
        "runner_up": runner.evidence() if runner else None,
        "gap_bits": round(best.total - runner.total, 3) if runner else None,
        "candidates_considered": considered,
    }
    return evidence


def contested_reasons(rivals: Iterable[str], reasons: str) -> str:
    """The reasons of a match sent to review because other members fit the elector."""
    return f"needs a person: members {', '.join(rivals)} also fit this elector; {reasons}"


def contested_claims(claims: Iterable[tuple[K, str, str]]) -> dict[K, list[str]]:
    """``(claim, membership number, elector id)`` matches -> for each claim on an
    elector that more than one member would match, the other members, sorted."""
    by_elector: dict[str, list[tuple[K, str]]] = {}
    for claim, member, elector_id in claims:
        by_elector.setdefault(elector_id, []).append((claim, member))
    contested: dict[K, list[str]] = {}
    for claimants in by_elector.values():
        if len(claimants) > 1:
            for index, (claim, _) in enumerate(claimants):
                contested[claim] = sorted(m for i, (_, m) in enumerate(claimants) if i != index)
    return contested


def one_member_per_elector(decisions: list[Decision]) -> list[Decision]:
    """Matches that claim the same elector all become reviews naming each other."""
    contested = contested_claims(
        (n, d.membership_number, d.elector_id)
        for n, d in enumerate(decisions)
        if d.decision == MATCH and d.elector_id
    )
    out = list(decisions)
    for n, rivals in contested.items():
        d = decisions[n]
        out[n] = Decision(
            d.membership_number, REVIEW, d.elector_id, d.score,
            contested_reasons(rivals, d.reasons), d.evidence, (dict(d.evidence),), d.ward,
        )  # fmt: skip
    return out


def match_members(
    members: Sequence[Member],
    source: CandidateSource,
    taken: Collection[str] = frozenset(),
    model: Model | None = None,
) -> list[Decision]:
    """Shorthand for ``Matcher(source, model).match(members, taken)``."""
    return Matcher(source, model).match(members, taken)
