"""UK postal addresses: postcodes, parsing free address lines, and comparing two addresses.

An address is parsed into a *sub-building* (flat, apartment, floor), a *premise*
(house number and/or building name), a *street* and a *postcode*. Parsing is
heuristic and forgiving: it never raises, and a part it cannot find is ``None``.

Guarantees:

- ``Flat 2, 10 High St``, ``2/10 High Street`` and ``Flat 2`` / ``10 High Street``
  on two lines parse to the same sub-building, number and street; ``10B High
  Street`` keeps ``B`` as a suffix that compares equal to ``Flat B``.
- Street types are spelled out (``St`` -> ``STREET``, ``Rd`` -> ``ROAD``), except a
  leading ``St`` which is ``SAINT``.
- A postcode is upper-case without spaces; an inward code with ``O`` for ``0`` (or
  ``0`` for ``O``) is repaired; text that cannot be a postcode gives ``None``.
- ``compare_addresses`` is pure and returns levels only; weights live in
  ``scoring``.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from services.matching.matcher.names import fold

STREET_TYPES = {
    "ST": "STREET", "STR": "STREET", "RD": "ROAD", "AVE": "AVENUE", "AV": "AVENUE",
    "AVE.": "AVENUE", "LN": "LANE", "GDNS": "GARDENS", "GDN": "GARDENS", "GRN": "GREEN",
    "GR": "GROVE", "GRV": "GROVE", "CRES": "CRESCENT", "CRESC": "CRESCENT",
    "CR": "CRESCENT", "CL": "CLOSE", "CT": "COURT", "DR": "DRIVE", "DRV": "DRIVE", "GRO": "GROVE", "CRT": "COURT", "PL": "PLACE",
    "SQ": "SQUARE", "TER": "TERRACE", "TERR": "TERRACE", "TCE": "TERRACE", "PK": "PARK",
    "PDE": "PARADE", "WK": "WALK", "HL": "HILL", "MWS": "MEWS", "BLDGS": "BUILDINGS",
    "HSE": "HOUSE", "HO": "HOUSE", "COTT": "COTTAGE", "COTTS": "COTTAGES", "MT": "MOUNT", "EST": "ESTATE", "NTH": "NORTH",
    "STH": "SOUTH", "WY": "WAY", "BVD": "BOULEVARD", "BLVD": "BOULEVARD", "APTS": "APARTMENTS",
    "MANS": "MANSIONS", "CTS": "COURTS", "RW": "ROW", "CNR": "CORNER", "UPR": "UPPER",
    "LWR": "LOWER", "GT": "GREAT", "LT": "LITTLE",
}  # fmt: skip
STREET_WORDS = frozenset(
    "STREET ROAD AVENUE LANE GARDENS GREEN GROVE CRESCENT CLOSE DRIVE PLACE SQUARE TERRACE "
    "PARK PARADE WALK HILL MEWS WAY ROW RISE VALE YARD GATE PASSAGE BOULEVARD EMBANKMENT "
    "APPROACH VILLAS PATH CIRCUS BROADWAY HIGHWAY MARKET END WHARF COURT".split()
)
BUILDING_WORDS = frozenset(
    "HOUSE COURT COTTAGE COTTAGES LODGE MANSIONS BUILDINGS TOWER POINT HALL FARM VILLA "
    "BLOCK APARTMENTS CHAMBERS STUDIOS HEIGHTS WORKS MILL BARN CENTRE RESIDENCE ESTATE "
    "COURTS PLACE WHARF".split()
)
_FLAT = re.compile(
    r"^(?:FLAT|FLT|APARTMENT|APT|UNIT|ROOM|STUDIO|MAISONETTE|SUITE)\s*(?:NO\s*)?"
    r"(\d+\s*[/-]\s*\d+(?=\s*$)|[G\d]F\d+|\d+[A-Z]?|[A-Z]\d*|ONE|TWO|THREE|FOUR|FIVE|SIX)\b\s*(.*)$"
)
#: A flat by its floor and door, as Scottish tenements write it: ``2/1`` (Glasgow),
#: ``2F1``, ``GF1`` (Edinburgh) are the second floor's first door, the ground floor's.
_POSITION = re.compile(r"^([G\d])F(\d+)\b\s*(.*)$")
#: ``Ground Floor Left``, ``2 Floor Right``: a floor and a side.
_SIDE = re.compile(r"^(GROUND|\d+)(?:ST|ND|RD|TH)?\s+FLOOR\s+(LEFT|RIGHT)\b\s*(.*)$")
_WORDS = {"ONE": "1", "TWO": "2", "THREE": "3", "FOUR": "4", "FIVE": "5", "SIX": "6"}
_FLOOR = re.compile(
    r"^(GROUND|LOWER GROUND|BASEMENT|FIRST|1ST|SECOND|2ND|THIRD|3RD|FOURTH|4TH|TOP|UPPER)"
    r"(?:\s+(?:FLOOR|FLR))?(?:\s+(?:FLAT|MAISONETTE|APARTMENT))?\b\s*(.*)$"
)
_FLOORS = {
    "GROUND": "GF", "LOWER GROUND": "LGF", "BASEMENT": "LGF", "FIRST": "1F", "1ST": "1F",
    "SECOND": "2F", "2ND": "2F", "THIRD": "3F", "3RD": "3F", "FOURTH": "4F", "4TH": "4F",
    "TOP": "TOP", "UPPER": "TOP",
}  # fmt: skip
#: Floors as letting agents and membership systems shorten them: ``GFF`` (ground floor
#: flat), ``FFF``, ``SFF``, ``Flat LG`` / ``LGF`` (lower ground), ``Flat GF``, ``Attic
#: Flat`` (the top). ``TFF`` is left alone: top or third floor, nobody can say.
_FLOOR_SHORT = re.compile(r"^(?:FLAT\s+)?(GFF|FFF|SFF|LGF|LG|GF|ATTIC)(?:\s+FLAT)?\b\s*(.*)$")
_FLOORS_SHORT = {
    "GFF": "GF", "GF": "GF", "FFF": "1F", "SFF": "2F", "LGF": "LGF", "LG": "LGF", "ATTIC": "TOP",
}  # fmt: skip
_SLASH = re.compile(r"^(\d+[A-Z]?)\s*/\s*(\d+)\s*([A-Z])?\b\s*(.*)$")
_NUMBER = re.compile(r"^(\d+)\s*([A-Z])?(?:\s*-\s*\d+[A-Z]?)?\b\s*(.*)$")
_POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}$")


@lru_cache(maxsize=200_000)
def normalise_postcode(text: str) -> str | None:
    """``e8 1ab`` -> ``E81AB``; ``E8 IAB`` -> ``E81AB``; ``None`` when it cannot be one."""
    code = re.sub(r"[^A-Z0-9]", "", (text or "").upper())
    if not 5 <= len(code) <= 7:
        return None
    digit = code[-3].replace("O", "0").replace("I", "1")
    letters = code[-2:].replace("0", "O").replace("1", "I")
    code = code[:-3] + digit + letters
    return code if _POSTCODE.match(code) else None


def outward(postcode: str) -> str:
    return postcode[:-3]


def spaced(postcode: str | None) -> str:
    return f"{postcode[:-3]} {postcode[-3:]}" if postcode else ""


@lru_cache(maxsize=200_000)
def normalise_street(text: str) -> str:
    """Spell out street types: ``St John's Rd`` -> ``SAINT JOHNS ROAD``."""
    tokens = fold(text).replace("-", " ").split()
    out = []
    for i, token in enumerate(tokens):
        if token == "ST" and i == 0 and len(tokens) > 1:
            out.append("SAINT")
        else:
            out.append(STREET_TYPES.get(token, token))
    if out and out[0] == "THE" and len(out) > 1:
        out.pop(0)
    return " ".join(out)


@dataclass(slots=True, unsafe_hash=True)  # not frozen, for speed: see PersonName
class Address:
    """A parsed address. ``lines`` keeps the text as given, for people to read."""

    lines: tuple[str, ...]
    sub: str | None
    number: str | None
    suffix: str | None
    building: str | None
    street: str | None
    postcode: str | None
    #: ``12/5 Leith Walk`` is flat 12 of number 5 in London but flat 5 of number 12
    #: in Edinburgh: the other reading, as (number, flat).
    other: tuple[str, str] | None = None

    def __reduce__(self) -> tuple[type[Address], tuple[object, ...]]:
        # Pickled by position: much faster than the dataclass's field-by-field state
        # (matching workers exchange hundreds of thousands of electors).
        return Address, (
            self.lines, self.sub, self.number, self.suffix, self.building, self.street,
            self.postcode, self.other,
        )  # fmt: skip

    @property
    def premises(self) -> tuple[str, ...]:
        """Blocking tokens for the premise: the house number and/or the building name."""
        tokens = []
        if self.number:
            tokens.append(self.number)
        if self.building:
            tokens.append(self.building.replace(" ", ""))
        return tuple(tokens)

    @property
    def display(self) -> str:
        return ", ".join([line for line in self.lines if line] + [spaced(self.postcode)])


_KEEP: dict[int, str | None] = {
    ord(c): " " for c in map(chr, range(128)) if not (c.isalnum() or c in "/- ")
}
_KEEP[ord("'")] = None


def _clean(segment: str) -> str:
    """Upper-case ASCII letters, digits, ``/`` and ``-``; everything else a space."""
    if not segment.isascii():
        decomposed = unicodedata.normalize("NFKD", segment)
        segment = "".join(c for c in decomposed if not unicodedata.combining(c) and c.isascii())
    return " ".join(segment.upper().translate(_KEEP).split())


def _sub_label(token: str) -> str:
    """One spelling per flat: ``02`` -> ``2``, ``Two`` -> ``2``, ``2-1`` / ``2 / 1`` /
    ``2F1`` -> ``2/1`` (floor and door), ``GF1`` -> ``0/1``."""
    position = _POSITION.match(token)
    if position:
        floor = "0" if position.group(1) == "G" else position.group(1)
        return f"{floor}/{_number(position.group(2))}"
    if "/" in token or "-" in token:
        floor, door = re.split(r"\s*[/-]\s*", token, maxsplit=1)
        return f"{_number(floor)}/{_number(door)}"
    return _WORDS.get(token) or _number(token)


def _number(token: str) -> str:
    return token.lstrip("0") or "0"


def _is_street(text: str) -> bool:
    words = normalise_street(text).split()
    return bool(words) and words[-1] in STREET_WORDS


def _is_building(text: str) -> bool:
    words = normalise_street(text).split()
    return bool(words) and words[-1] in BUILDING_WORDS


#: Registers list a household's electors together, so a small cache catches nearly
#: every repeat (a 500,000-entry one held 500 MB of row text per matching worker
#: and did not run faster).
RECENT = 8192


@lru_cache(maxsize=RECENT)
def parse_address(lines: tuple[str, ...], postcode: str) -> Address:
    """Parse address lines (without the postcode) and a postcode into an ``Address``."""
    segments = [_clean(part) for line in lines for part in (line or "").split(",")]
    segments = [s for s in segments if s]
    sub = number = suffix = building = street = None
    other: tuple[str, str] | None = None
    for index, segment in enumerate(segments):
        later = segments[index + 1 :]
        match = _FLAT.match(segment)
        if match and sub is None:
            sub, segment = _sub_label(match.group(1)), match.group(2).strip()
        elif sub is None and (match := _POSITION.match(segment) or _SIDE.match(segment)):
            if match.re is _SIDE:
                floor = "0" if match.group(1) == "GROUND" else _number(match.group(1))
                sub = f"{floor}{match.group(2)[0]}"
            else:
                sub = _sub_label(segment[: match.start(3)].strip())
            segment = match.group(3).strip()
        elif sub is None and (match := _FLOOR_SHORT.match(segment)):
            sub, segment = _FLOORS_SHORT[match.group(1)], match.group(2).strip()
        else:
            match = _FLOOR.match(segment)
            if match and sub is None and (match.group(2) == "" or "FLOOR" in segment):
                sub, segment = _FLOORS[match.group(1)], match.group(2).strip()
        segment = segment.replace(" - ", "-").strip(" -/")
        if not segment:
            continue
        match = _SLASH.match(segment)
        if match and number is None:
            if not match.group(4) and not match.group(3) and later and later[0][:1].isdigit():
                # ``2/1`` on its own before ``10 High Street``: a flat by floor and door.
                sub = sub or _sub_label(segment)
                continue
            first, second = _number(match.group(1)), _number(match.group(2))
            if sub is None and first.isdigit():
                other = (first, second + (match.group(3) or ""))
            sub = sub or first
            number, suffix, street = second, match.group(3), match.group(4)
            continue
        if (
            sub is None
            and number is None
            and later
            and later[0][:1].isdigit()
            and (segment.isdigit() or (len(segment) == 1 and segment.isalpha()))
        ):
            # ``1, 51 Lon Pant`` or ``A, 23 Llys Penygraig``: a flat on its own before
            # the house number.
            sub = _number(segment) if segment.isdigit() else segment
            continue
        match = _NUMBER.match(segment)
        if match and number is None and street is None:
            rest = match.group(3).strip()
            digits, letter = match.group(1).lstrip("0") or "0", match.group(2)
            if not rest and later and not any(c.isdigit() for c in later[0]):
                number, suffix, street = digits, letter, later[0]
                continue
            if rest and _is_building(rest) and later and _is_street(later[0]) and sub is None:
                sub, building = digits + (letter or ""), rest
                continue
            if rest:
                number, suffix, street = digits, letter, rest
                continue
        if any(c.isdigit() for c in segment):
            continue
        if street is None and number is None and building is None:
            # A house known by its name alone ("Tigh na Mara") is a building, even
            # with no street or locality after it.
            if _is_street(segment) and not _is_building(segment):
                street = segment
            else:
                building = segment
        elif street is None and _is_street(segment):
            street = segment
        elif street is None and building is not None and number is None and index == 1:
            street = segment
    return Address(
        lines=tuple(sys.intern(line.strip()) for line in lines if line and line.strip()),
        # Flat and house numbers repeat on every street: one copy of each.
        sub=sys.intern(sub) if sub else sub,
        number=sys.intern(number) if number else number,
        suffix=sys.intern(suffix) if suffix else suffix,
        building=normalise_street(building) if building else None,
        street=normalise_street(street) if street else None,
        postcode=normalise_postcode(postcode),
        other=other,
    )


# Premise levels, best first. The rank orders them for "at least as good as".
FLAT_SAME = "flat_same"
FLAT_UNKNOWN = "flat_unknown"
FLAT_DIFFERENT = "flat_different"
STREET = "street"
POSTCODE = "postcode"
AREA = "area"
NONE = "none"
PREMISE_RANK = {FLAT_SAME: 6, FLAT_UNKNOWN: 5, FLAT_DIFFERENT: 4, STREET: 3, POSTCODE: 2, AREA: 1, NONE: 0}  # fmt: skip
#: Postcode levels, best first.
PC_RANK = {"exact": 4, "near": 3, "missing": 2, "district": 1, "different": 0}


@dataclass(slots=True, eq=False)  # not frozen: made for every pair compared (see Comparison)
class AddressLevel:
    """How a member's address agrees with an elector's."""

    premise: str
    postcode: str
    member_sub: str | None = None
    elector_sub: str | None = None
    member_number: str | None = None
    elector_number: str | None = None
    street_written_differently: bool = False

    @property
    def rank(self) -> tuple[int, int]:
        return PREMISE_RANK[self.premise], PC_RANK[self.postcode]

    @property
    def same_premise(self) -> bool:
        return PREMISE_RANK[self.premise] >= PREMISE_RANK[FLAT_DIFFERENT]


def compare_postcodes(a: str | None, b: str | None) -> str:
    """``exact``, ``near`` (one typing slip), ``district``, ``missing`` or ``different``."""
    if not a or not b:
        return "missing"
    if a == b:
        return "exact"
    if OSA.distance(a, b, score_cutoff=1) <= 1:
        return "near"
    if outward(a) == outward(b):
        return "district"
    return "different"


def _same_street(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return a == b or fuzz.ratio(a, b, score_cutoff=88) > 0


def _subs(member: Address, elector: Address) -> tuple[str | None, str | None]:
    m_sub = member.sub or (member.suffix if member.suffix and elector.sub else None)
    e_sub = elector.sub or (elector.suffix if elector.suffix and member.sub else None)
    if member.sub and member.suffix and elector.sub and elector.suffix:
        m_sub, e_sub = member.sub + "/" + member.suffix, elector.sub + "/" + elector.suffix
    elif not m_sub and not e_sub and (member.suffix or elector.suffix):
        m_sub, e_sub = member.suffix, elector.suffix
    return m_sub, e_sub


@lru_cache(maxsize=4096)
def _style(label: str) -> str:
    """How a flat is named: by floor and door (``2/1``), by floor (``GF``), by floor and
    side (``2R``), by number or by letter. Two styles cannot be compared."""
    if "/" in label:
        return "position"
    if label in _FLOOR_LABELS:
        return "floor"
    if label[:-1].isdigit() and label[-1:] in ("L", "R"):
        return "side"
    return "number" if label[:1].isdigit() else "letter"


_FLOOR_LABELS = frozenset(_FLOORS.values())
#: How a flat is named (``position``, ``floor``, ``side``, ``number``, ``letter``).
flat_style = _style


def compare_addresses(member: Address, elector: Address) -> AddressLevel:
    """The premise level and postcode level of ``member`` against ``elector``; a
    ``12/5`` house is read both ways (flat 12 of 5, flat 5 of 12) and the better
    reading kept."""
    level = _compare(member, elector)
    if (member.other is None and elector.other is None) or level.same_premise:
        return level
    for m, e in ((other_reading(member), elector), (member, other_reading(elector))):
        if m is not member or e is not elector:
            again = _compare(m, e)
            if again.rank > level.rank:
                level = again
    return level


def other_reading(address: Address) -> Address:
    """The address with a ``12/5`` house read the other way (itself if there is none)."""
    if not address.other:
        return address
    number, sub = address.other
    return Address(
        address.lines, sub, number, None, address.building, address.street, address.postcode
    )


def _house_in_building(a: Address, b: Address) -> Address | None:
    """``b`` when ``a`` read ``2 Church Cottages`` as flat 2 of the building ``Church
    Cottages`` (no house number) and ``b`` read it as number 2 of the street ``Church
    Cottages`` (``22 Cowper Court, Hyde Park`` and ``22 Cowper Court`` likewise)."""
    if a.number or not a.sub or not a.building or b.number != a.sub or not b.street:
        return None
    same = b.street == a.building or fuzz.ratio(b.street, a.building, score_cutoff=88) > 0
    return b if same else None


def _compare(member: Address, elector: Address) -> AddressLevel:
    pc = compare_postcodes(member.postcode, elector.postcode)
    street_same = _same_street(member.street, elector.street)
    number_same = bool(member.number) and member.number == elector.number
    building_same = bool(member.building and elector.building) and (
        member.building == elector.building
        or fuzz.token_set_ratio(member.building or "", elector.building or "", score_cutoff=90) > 0
    )
    no_street = not member.street or not elector.street
    pc_close = pc in ("exact", "near")
    premise = (
        (number_same and (street_same or (no_street and pc_close)))
        # Two houses of one name on two streets are one only with the same postcode.
        or (building_same and (street_same or no_street or pc == "exact"))
        or (number_same and pc_close and building_same)
    )
    written_differently = member.street != elector.street and street_same
    if not premise and pc_close:
        house = _house_in_building(member, elector) or _house_in_building(elector, member)
        if house is not None:
            # ``2 Church Cottages`` read as number 2 of a street on one side and as
            # cottage 2 of a building on the other: one house, whose flat (if any) is
            # only on the side that read the number as a number.
            flat = house.sub
            return AddressLevel(
                FLAT_UNKNOWN if flat else FLAT_SAME, pc,
                flat if house is member else None, flat if house is elector else None,
                house.number, house.number, True,
            )  # fmt: skip
    if premise:
        m_sub, e_sub = _subs(member, elector)
        if m_sub == e_sub:
            level = FLAT_SAME
        elif not m_sub or not e_sub or _style(m_sub) != _style(e_sub):
            level = FLAT_UNKNOWN
        else:
            level = FLAT_DIFFERENT
        return AddressLevel(
            level, pc, m_sub, e_sub, member.number, elector.number, written_differently
        )
    if street_same and (pc_close or pc == "missing" or pc == "district"):
        level = STREET
    elif pc_close:
        level = POSTCODE
    elif pc == "district":
        level = AREA
    else:
        level = NONE
    return AddressLevel(
        level, pc, member.sub, elector.sub, member.number, elector.number, written_differently
    )
