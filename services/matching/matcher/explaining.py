"""Plain-words explanations of a comparison, for the volunteers who read decisions.

Guarantees: pure; every phrase comes from the levels ``scoring`` recorded, so an
explanation never claims more than the evidence; names and addresses are quoted
as the party and the register wrote them.
"""

from __future__ import annotations

from services.matching.matcher import addresses as addr
from services.matching.matcher.addresses import spaced
from services.matching.matcher.names import NameLevel
from services.matching.matcher.records import Member
from services.matching.matcher.scoring import Comparison


def _title(token: str) -> str:
    return token.title() if token else token


def _flat(label: str | None) -> str:
    names = {"GF": "Ground Floor Flat", "LGF": "Basement Flat", "1F": "First Floor Flat",
             "2F": "Second Floor Flat", "3F": "Third Floor Flat", "4F": "Fourth Floor Flat",
             "TOP": "Top Floor Flat"}  # fmt: skip
    if not label:
        return "no flat"
    return names.get(label, f"Flat {label}")


def address_phrase(c: Comparison, member: Member) -> str:
    level, m_addr, e_addr = c.address, member.address, c.elector.address
    if level.premise == addr.FLAT_SAME:
        if level.member_sub:
            text = "same flat and street"
            if (m_addr.sub is None) != (e_addr.sub is None):
                text += f", written differently ('{m_addr.lines[0]}' / '{e_addr.lines[0]}')"
            return text
        if m_addr.building and not m_addr.number:
            return f"same house ('{_title(m_addr.building)}') and street"
        return "same house and street"
    if level.premise == addr.FLAT_UNKNOWN:
        if not level.member_sub:
            return "same building and street; the party's record has no flat number"
        if not level.elector_sub:
            return "same building and street; the register has no flat number"
        return (
            f"same building; flats named differently "
            f"('{_flat(level.member_sub)}' / '{_flat(level.elector_sub)}')"
        )
    if level.premise == addr.FLAT_DIFFERENT:
        return (
            f"same building but a different flat "
            f"(party: {_flat(level.member_sub)}, register: {_flat(level.elector_sub)})"
        )
    if level.premise == addr.STREET:
        if level.member_number and level.elector_number:
            return (
                f"same street but a different house number "
                f"(party: {level.member_number}, register: {level.elector_number})"
            )
        return "same street, but the house cannot be compared"
    if level.premise == addr.POSTCODE:
        return "same postcode, but the street or house differs"
    if level.premise == addr.AREA:
        return "only the postcode district agrees"
    return "the addresses differ"


def postcode_phrase(c: Comparison, member: Member) -> str:
    m_pc, e_pc = member.address.postcode, c.elector.address.postcode
    return {
        "exact": "same postcode",
        "near": f"postcode differs by one character ({spaced(m_pc)} / {spaced(e_pc)})",
        "missing": "no postcode on the party's record"
        if not m_pc
        else "no postcode on the register",
        "district": f"postcode differs but is in the same district ({spaced(m_pc)} / {spaced(e_pc)})",
        "different": f"postcode is in another district ({spaced(m_pc)} / {spaced(e_pc)})",
    }[c.address.postcode]


def forename_phrase(level: NameLevel) -> str:
    m, e = _title(level.member), _title(level.elector)
    return {
        "exact": "first name identical",
        "nickname": f"'{m}' is a short form of '{e}'",
        "typo": f"first name differs by a typing slip ('{m}' / '{e}')",
        "sounds": f"first name sounds the same ('{m}' / '{e}')",
        "short": f"first name may be a short form ('{m}' / '{e}')",
        "middle": f"known by a middle name ('{m}' is a forename of '{e}')",
        "initial": f"only an initial to compare ('{m}' / '{e}')",
        "different": f"first name differs ('{m}' / '{e}')",
        "missing": "no first name to compare",
    }[level.level]


def surname_phrase(level: NameLevel) -> str:
    m, e = level.member, level.elector
    return {
        "exact": "surname identical",
        "punctuation": f"surname identical apart from spacing or punctuation ('{m}' / '{e}')",
        "mac": f"surname the same but for Mac and Mc ('{m}' / '{e}')",
        "part": f"surname is part of a double-barrelled name ('{m}' / '{e}')",
        "typo": f"surname differs by a typing slip ('{m}' / '{e}')",
        "sounds": f"surname sounds the same ('{m}' / '{e}')",
        "different": f"surname differs, perhaps a married or maiden name ('{m}' / '{e}')",
        "missing": "no surname to compare",
    }[level.level]


def middle_phrase(level: NameLevel) -> str | None:
    m, e = _title(level.member), _title(level.elector)
    return {
        "agree": "middle name agrees",
        "initial": "middle initial agrees",
        "conflict": f"middle names differ ('{m}' / '{e}')",
        "member_only": f"the register has no middle name ('{m}' on the party's record)",
    }.get(level.level)


def describe(c: Comparison, member: Member) -> str:
    """``same flat and street; 'Bob' is a short form of 'Robert'; surname identical; ...``."""
    parts = [address_phrase(c, member), postcode_phrase(c, member)]
    if c.swapped:
        parts.append("first and last names are the wrong way round")
    parts += [forename_phrase(c.forename), surname_phrase(c.surname)]
    middle = middle_phrase(c.middle)
    if middle:
        parts.append(middle)
    return "; ".join(parts)


def who(c: Comparison) -> str:
    """``Robert James SMITH (Flat 2, 10 High Street, E8 1AB)``."""
    return f"{c.elector.name.display} ({c.elector.address.display})"
