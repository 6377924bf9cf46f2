"""The two kinds of record the matcher compares, and the blocking keys that pair them.

A ``Member`` comes from a membership-extract row, an ``Elector`` from an
electoral-register row (both formats are in docs/matching.md). Both are frozen
and built by ``from_row`` from a plain mapping of column to text, so they can be
made from a CSV reader, a database row or a test.

Guarantees:

- ``from_row`` never raises on missing or odd columns; an absent column is empty.
- Blocking keys are plain strings, identical for the in-memory index and the
  ``register_electors`` key columns: every key an elector can be found under is in
  ``elector_keys``, and ``member_keys`` is the set a member looks up, which
  includes the keys it would have with first and last names swapped.
- ``inward_keys`` (a house by postcode area, inward code, premise and street,
  ``pi|YO|4XX|12|HESLINGTON LANE``)
  are a second round: a source looks them up only for a member whose own keys found
  nobody at the member's house (``found_at_house``), so a slip in the postcode
  district digit (``YO11`` for ``YO10``) is caught without looking up neighbouring
  districts for everyone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache

from services.matching.matcher.addresses import (
    BUILDING_WORDS,
    RECENT,
    STREET_WORDS,
    Address,
    other_reading,
    outward,
    parse_address,
)
from services.matching.matcher.names import PersonName, parse_name, sound


def _text(row: Mapping[str, str | None], key: str) -> str:
    return (row.get(key) or "").strip()


@lru_cache(maxsize=100_000)
def _ward(text: str) -> str:
    """Ward names repeat on every row: keep one copy of each."""
    return text.strip()


@dataclass(frozen=True, slots=True)
class Member:
    """A party member as the party holds them."""

    membership_number: str
    name: PersonName
    address: Address
    title: str = ""
    association: str = ""

    @classmethod
    def from_row(cls, row: Mapping[str, str | None]) -> Member:
        lines = tuple(_text(row, f"address_{i}") for i in (1, 2, 3))
        return cls(
            membership_number=_text(row, "membership_number"),
            name=parse_name(_text(row, "first_name"), _text(row, "last_name")),
            address=parse_address(lines, _text(row, "postcode")),
            title=_text(row, "title"),
            association=_text(row, "association"),
        )


@dataclass(slots=True, unsafe_hash=True)  # not frozen, for speed: see PersonName
class Elector:
    """An elector on one version of a register."""

    elector_id: str
    name: PersonName
    address: Address
    ward: str
    register_version: str

    @classmethod
    def from_row(cls, row: Mapping[str, str | None], register_version: str) -> Elector:
        get = row.get
        lines = (
            get("address_1") or "", get("address_2") or "", get("address_3") or "",
            get("address_4") or "", get("address_5") or "",
        )  # fmt: skip
        return cls(
            elector_id=(get("elector_id") or "").strip(),
            name=parse_name(get("forenames") or "", get("surname") or ""),
            address=parse_address(lines, get("postcode") or ""),
            ward=_ward(get("ward") or ""),
            register_version=register_version,
        )

    def __reduce__(self) -> tuple[type[Elector], tuple[object, ...]]:
        # Pickled by position, as ``Address`` is.
        return Elector, (
            self.elector_id, self.name, self.address, self.ward, self.register_version,
        )  # fmt: skip

    def summary(self) -> dict[str, str]:
        """What an officer needs to recognise this elector."""
        return {
            "elector_id": self.elector_id,
            "name": self.name.display,
            "address": self.address.display,
            "ward": self.ward,
            "register_version": self.register_version,
        }


@dataclass(frozen=True, slots=True)
class ElectorKeys:
    """The blocking keys of one elector, one per ``register_electors`` key column."""

    premise_postcode: tuple[str, ...]
    premise_street: tuple[str, ...]
    flat_postcode: str | None
    flat_street: str | None
    surname_postcode: str | None
    surname_street: str | None
    postcode: str | None
    premise_inward: str | None = None

    def columns(self) -> tuple[str | None, ...]:
        """Values for ``models.registers.KEY_COLUMNS``, in order."""
        pp = (*self.premise_postcode, None, None)
        ps = (*self.premise_street, None, None)
        return (pp[0], pp[1], ps[0], ps[1], self.flat_postcode, self.flat_street,
                self.surname_postcode, self.surname_street, self.postcode,
                self.premise_inward)  # fmt: skip

    def all(self) -> tuple[str, ...]:
        return tuple(k for k in self.columns() if k)


def _premise_keys(address: Address) -> tuple[list[str], list[str]]:
    pc, street = address.postcode, address.street
    by_pc = [f"pn|{pc}|{p}" for p in address.premises] if pc else []
    by_street = [f"sn|{street}|{p}" for p in address.premises] if street else []
    return by_pc, by_street


def _area(postcode: str) -> str:
    """The postcode area, the outward code's leading letters: ``YO10`` -> ``YO``."""
    return postcode[:2] if postcode[1:2].isalpha() else postcode[:1]


def _inward_key(postcode: str, premise: str, street: str | None) -> str:
    """``pi|YO|4XX|12|HESLINGTON LANE`` for 12 Heslington Lane, YO10 4XX: what a slip in
    the district digit keeps. A house number needs the street to be specific enough to
    swap cheaply; a house name does not (``pi|SY|6WP|BRYNTEG|``), and rural records
    often name no street or put the village there."""
    named = not premise[:1].isdigit()
    return f"pi|{_area(postcode)}|{postcode[-3:]}|{premise}|{'' if named else street or ''}"


def _flat_keys(address: Address) -> list[str]:
    """A flat in a named building, found without fetching the whole building."""
    if not (address.building and address.sub):
        return []
    building = address.building.replace(" ", "")
    return [
        f"pf|{where}|{building}|{address.sub}"
        for where in (address.postcode, address.street)
        if where
    ]


@lru_cache(maxsize=RECENT)
def _address_keys(
    address: Address,
) -> tuple[tuple[str, ...], tuple[str, ...], str | None, str | None]:
    pc, street = address.postcode, address.street
    by_pc, by_street = _premise_keys(address)
    flat = _flat_keys(address)
    return (
        tuple(by_pc),
        tuple(by_street),
        next((k for k in flat if pc and k.startswith(f"pf|{pc}|")), None),
        next((k for k in flat if street and k.startswith(f"pf|{street}|")), None),
    )


def elector_keys(name: PersonName, address: Address) -> ElectorKeys:
    """Keys: premise in postcode, premise in street, flat in a named building (by
    postcode and by street), surname sound in postcode and in street, and the
    postcode alone (for members whose premise could not be read), and the first
    premise by postcode area and inward code (``inward_keys``)."""
    pc, street, snd = address.postcode, address.street, name.surname_sound
    by_pc, by_street, flat_pc, flat_street = _address_keys(address)
    premises = address.premises
    return ElectorKeys(
        premise_postcode=by_pc,
        premise_street=by_street,
        flat_postcode=flat_pc,
        flat_street=flat_street,
        surname_postcode=f"ps|{pc}|{snd}" if pc and snd else None,
        surname_street=f"ss|{street}|{snd}" if street and snd else None,
        postcode=f"p|{pc}" if pc else None,
        premise_inward=_inward_key(pc, premises[0], street) if pc and premises else None,
    )


#: Keys looked up by street: unspecific across a city ("10 HIGH STREET"), so a member
#: with a postcode looks them up within its postcode district, written ``key@E8``.
STREET_PREFIXES = ("sn|", "ss|")


def street_key_in_district(key: str, postcode: str | None) -> str:
    """``sn|HIGH STREET|10`` -> ``sn|HIGH STREET|10@E8`` for a postcode in E8."""
    return f"{key}@{outward(postcode)}" if postcode and key.startswith(STREET_PREFIXES) else key


def key_list(name: PersonName, address: Address) -> list[str]:
    """The in-memory index keys of an elector: ``elector_keys(...).all()`` plus each
    street key within the elector's postcode district (it runs once per row)."""
    by_pc, by_street, flat_pc, flat_street = _address_keys(address)
    keys = [*by_pc, *by_street]
    if flat_pc:
        keys.append(flat_pc)
    if flat_street:
        keys.append(flat_street)
    pc, street, snd = address.postcode, address.street, name.surname_sound
    if pc:
        keys.append(f"p|{pc}")
        if snd:
            keys.append(f"ps|{pc}|{snd}")
    if street and snd:
        keys.append(f"ss|{street}|{snd}")
    if pc:
        district = outward(pc)
        keys += [f"{k}@{district}" for k in keys if k.startswith(STREET_PREFIXES)]
        if address.premises:
            keys.append(_inward_key(pc, address.premises[0], street))
    return keys


def member_keys(member: Member) -> frozenset[str]:
    """Every key under which a candidate elector for ``member`` may be indexed.

    A member in a named building with a flat number looks up that flat, not the
    whole building (a block can hold hundreds of electors), and the house number
    if any; anyone else looks up the whole premise. A member with a postcode
    looks street keys up within its postcode district only: a typing slip in a
    postcode is nearly always in its second half, and "10 High Street" anywhere
    in London is too many candidates.
    """
    address, name = member.address, member.name
    pc, street = address.postcode, address.street
    by_pc, by_street = _premise_keys(address)
    flat = _flat_keys(address)
    if flat:
        building = (address.building or "").replace(" ", "")
        keys = set(flat) | {k for k in by_pc + by_street if not k.endswith(f"|{building}")}
    else:
        keys = set(by_pc + by_street)
    if address.other:  # "12/5 Leith Walk": number 5, or number 12
        keys.update(*_premise_keys(other_reading(address)))
    if address.building and not address.sub:
        # "Bodlondeb House" on the party's record is "Bodlondeb" on the register.
        words = address.building.split()
        if len(words) > 1 and words[-1] in BUILDING_WORDS:
            keys.update(*_premise_keys(replace(address, building=" ".join(words[:-1]))))
    if address.number and address.street and not (address.building or address.sub):
        # "2 Church Cottages" on the party's record is cottage 2 of the building
        # "Church Cottages" on the register (whose street the party left out).
        keys.update(_flat_keys(replace(address, building=address.street, sub=address.number)))
    elif address.sub and address.building and not address.number and not flat:
        # And the other way round: "38 Clepington Court, West End" read as flat 38 of
        # a building is number 38 of the street "Clepington Court" on the register.
        keys.update(_premise_keys(replace(address, number=address.sub, building=None))[0])
        keys.add(f"sn|{address.building}|{address.sub}")
    number = address.number
    if pc and number and len(number) > 1 and number.isdigit():
        # Two digits of the house number swapped (``72`` for ``27``): that house in
        # the member's own postcode too.
        for i in range(len(number) - 1):
            swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
            if swapped != number and swapped[0] != "0":
                keys.add(f"pn|{pc}|{swapped}")
    sounds = {name.surname_sound, sound(name.first.replace("-", ""))}
    sounds.update(sound(part) for part in name.surname_parts)
    for snd in filter(None, sounds):
        if pc:
            keys.add(f"ps|{pc}|{snd}")
        if street:
            keys.add(f"ss|{street}|{snd}")
    if pc and not address.premises:
        keys.add(f"p|{pc}")
    return frozenset(street_key_in_district(k, pc) for k in keys)


def inward_keys(member: Member) -> frozenset[str]:
    """The second round's keys: the member's house by postcode area and inward code,
    for a slip in the district digit (``YO11 4XX`` on the party's record, ``YO10 4XX``
    on the register). They cross districts by design, so a source looks them up only
    when ``found_at_house`` says the first round found nobody at the house."""
    address = member.address
    pc = address.postcode
    if not pc:
        return frozenset()
    premises = set(address.premises)
    if address.other:
        premises.update(other_reading(address).premises)
    if address.building and address.sub:
        # A flat in a named block: the block's name alone would fetch the whole block,
        # as ``member_keys`` avoids (a missing flat is not a mistyped postcode).
        premises.discard(address.building.replace(" ", ""))
        premises.discard(address.building)
    keys = {_inward_key(pc, p, address.street) for p in premises}
    if address.building and not (address.number or address.sub or _a_street(address.street)):
        # A named house with no street on the record (or only its village) has nothing
        # but its postcode to be found by: a slip in the inward code (``SY24 6WP`` for
        # ``SY24 4WP``, ``7FD`` for ``7DF``) is looked up too.
        building = address.building.replace(" ", "")
        keys.update(_inward_key(slipped, building, None) for slipped in inward_slips(pc))
    return frozenset(keys)


#: Welsh street words come first: ``Heol y Nant``, ``Lon Pant``, ``Llys Cynan``.
_WELSH_STREET = frozenset("HEOL FFORDD STRYD LON RHODFA CLOS MAES LLYS CILGANT TERAS".split())


def _a_street(street: str | None) -> bool:
    words = (street or "").split()
    return bool(words) and (words[-1] in STREET_WORDS or words[0] in _WELSH_STREET)


_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters an inward code uses


def inward_slips(postcode: str) -> list[str]:
    """Every postcode one typing slip away in its inward code: a digit or a letter
    replaced, or the two letters swapped (``SY244WP`` -> ``SY240WP``... ``SY244PW``)."""
    out, digit, letters = postcode[:-3], postcode[-3], postcode[-2:]
    found = [f"{out}{d}{letters}" for d in "0123456789" if d != digit]
    found += [f"{out}{digit}{c}{letters[1]}" for c in _INWARD_LETTERS if c != letters[0]]
    found += [f"{out}{digit}{letters[0]}{c}" for c in _INWARD_LETTERS if c != letters[1]]
    if letters[0] != letters[1]:
        found.append(f"{out}{digit}{letters[::-1]}")
    return found


def found_at_house(member: Member, electors: Iterable[Elector]) -> bool:
    """Whether an elector in the member's own postcode lives at one of its premises."""
    address = member.address
    premises = set(address.premises)
    if address.other:
        premises.update(other_reading(address).premises)
    return any(
        e.address.postcode == address.postcode and premises.intersection(e.address.premises)
        for e in electors
    )
