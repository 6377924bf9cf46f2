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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from services.matching.addresses import Address, parse_address
from services.matching.names import PersonName, parse_name, sound

MEMBER_COLUMNS = (
    "membership_number", "title", "first_name", "last_name", "address_1", "address_2",
    "address_3", "town", "postcode", "email", "phone", "date_of_birth", "joined_on",
    "association", "status",
)  # fmt: skip
REGISTER_COLUMNS = (
    "elector_id", "surname", "forenames", "address_1", "address_2", "address_3",
    "address_4", "address_5", "postcode", "ward", "constituency", "markers", "attainer_dob",
)  # fmt: skip


def _text(row: Mapping[str, str | None], key: str) -> str:
    value = row.get(key)
    return value.strip() if isinstance(value, str) else ""


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


@dataclass(frozen=True, slots=True)
class Elector:
    """An elector on one version of a register."""

    elector_id: str
    name: PersonName
    address: Address
    ward: str
    register_version: str

    @classmethod
    def from_row(cls, row: Mapping[str, str | None], register_version: str) -> Elector:
        lines = tuple(_text(row, f"address_{i}") for i in (1, 2, 3, 4, 5))
        return cls(
            elector_id=_text(row, "elector_id"),
            name=parse_name(_text(row, "forenames"), _text(row, "surname")),
            address=parse_address(lines, _text(row, "postcode")),
            ward=_text(row, "ward"),
            register_version=register_version,
        )

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
    surname_postcode: str | None
    surname_street: str | None
    postcode: str | None

    def all(self) -> tuple[str, ...]:
        keys = [*self.premise_postcode, *self.premise_street]
        keys += [k for k in (self.surname_postcode, self.surname_street, self.postcode) if k]
        return tuple(keys)


def elector_keys(name: PersonName, address: Address) -> ElectorKeys:
    """Keys: premise in postcode, premise in street, surname sound in postcode and in
    street, and the postcode alone (for members whose premise could not be read)."""
    pc, street, snd = address.postcode, address.street, name.surname_sound
    premises = address.premises
    return ElectorKeys(
        premise_postcode=tuple(f"pn|{pc}|{p}" for p in premises) if pc else (),
        premise_street=tuple(f"sn|{street}|{p}" for p in premises) if street else (),
        surname_postcode=f"ps|{pc}|{snd}" if pc and snd else None,
        surname_street=f"ss|{street}|{snd}" if street and snd else None,
        postcode=f"p|{pc}" if pc else None,
    )


def member_keys(member: Member) -> frozenset[str]:
    """Every key under which a candidate elector for ``member`` may be indexed."""
    address, name = member.address, member.name
    pc, street = address.postcode, address.street
    keys: set[str] = set()
    for premise in address.premises:
        if pc:
            keys.add(f"pn|{pc}|{premise}")
        if street:
            keys.add(f"sn|{street}|{premise}")
    sounds = {name.surname_sound, sound(name.first.replace("-", ""))}
    sounds.update(sound(part) for part in name.surname_parts)
    for snd in filter(None, sounds):
        if pc:
            keys.add(f"ps|{pc}|{snd}")
        if street:
            keys.add(f"ss|{street}|{snd}")
    if pc and not address.premises:
        keys.add(f"p|{pc}")
    return frozenset(keys)
