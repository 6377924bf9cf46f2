"""The ways a party's record of a member drifts from the electoral register.

Each damage is a function ``(record, place, rng) -> bool`` that edits a member
record (a dict of extract columns) in place and says whether it applied: a
flat-format damage does not apply to a house. ``DAMAGES`` names them all; the
generator labels every member with the damage it applied (``truth.csv``).
All randomness comes from the ``rng`` passed in, so the generator is reproducible.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_KEYBOARD_NEIGHBOURS = {
    "a": "qsz", "b": "vgn", "c": "xdv", "d": "sfe", "e": "wrd", "f": "dgr", "g": "fht",
    "h": "gjy", "i": "uok", "j": "hku", "k": "jli", "l": "ko", "m": "nj", "n": "bmh",
    "o": "ipl", "p": "o", "q": "wa", "r": "etf", "s": "adw", "t": "ryg", "u": "yij",
    "v": "cb", "w": "qes", "x": "zc", "y": "tuh", "z": "xa",
}  # fmt: skip
ABBREVIATIONS = {
    "Street": "St", "Road": "Rd", "Avenue": "Ave", "Lane": "Ln", "Gardens": "Gdns",
    "Grove": "Gr", "Place": "Pl", "Close": "Cl", "Crescent": "Cres", "Terrace": "Terr",
    "Square": "Sq", "Drive": "Dr", "Park": "Pk", "Court": "Ct", "House": "Ho",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Place:
    """Where a household lives, as the generator knows it (clean)."""

    sub: str | None  # "Flat 2", "Flat B", "Ground Floor Flat"
    number: str | None  # "10", "10A"
    building: str | None  # "Alder House", "Rose Cottage"
    street: str
    locality: str
    postcode: str
    ward: str
    is_block: bool = False


def slip(word: str, rng: random.Random) -> str:
    """One typing slip: swap two letters, drop, double or hit a neighbouring key."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.3 and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind < 0.5:
        return word[:i] + word[i + 1 :]
    if kind < 0.65:
        return word[:i] + word[i] + word[i:]
    low = word[i].lower()
    options = _KEYBOARD_NEIGHBOURS.get(low, "")
    if not options:
        return word[:i] + word[i + 1 :]
    new = rng.choice(options)
    return word[:i] + (new.upper() if word[i].isupper() else new) + word[i + 1 :]


@lru_cache(maxsize=1)
def _short_form_table() -> dict[str, tuple[str, ...]]:
    text = resources.files("services.matching.matcher").joinpath("nicknames.csv").read_text("utf-8")
    table: dict[str, list[str]] = {}
    for line in text.splitlines()[1:]:
        canonical, _, variants = line.partition(",")
        table.setdefault(canonical.title(), []).extend(v.title() for v in variants.split())
    return {name: tuple(forms) for name, forms in table.items()}


def short_forms(name: str) -> tuple[str, ...]:
    """Short forms of a forename from the packaged nickname table (``Robert`` -> ``Bob``...)."""
    return _short_form_table().get(name, ())


def street_line(place: Place, abbreviate: bool = False) -> str:
    street = place.street
    if abbreviate:
        words = street.split()
        words[-1] = ABBREVIATIONS.get(words[-1], words[-1])
        street = " ".join(words)
    return f"{place.number} {street}" if place.number else street


def member_address(place: Place, rng: random.Random) -> list[str]:
    """How the party writes a clean address: up to three lines."""
    street = street_line(place)
    if place.is_block:
        if place.number:
            return [f"{place.sub}, {place.building}", street]
        return [f"{place.sub} {place.building}", street]
    if place.sub:
        if rng.random() < 0.5:
            return [f"{place.sub}, {street}"]
        return [place.sub, street]
    if place.building:
        return [place.building, street]
    return [street, place.locality] if rng.random() < 0.4 else [street]


def _set_lines(record: dict[str, str], lines: list[str]) -> None:
    lines = (lines + ["", "", ""])[:3]
    record["address_1"], record["address_2"], record["address_3"] = lines


def _typo_first(r: dict[str, str], p: Place, rng: random.Random) -> bool:
    new = slip(r["first_name"], rng)
    changed = new != r["first_name"]
    r["first_name"] = new
    return changed


def _typo_last(r: dict[str, str], p: Place, rng: random.Random) -> bool:
    new = slip(r["last_name"], rng)
    changed = new != r["last_name"]
    r["last_name"] = new
    return changed


def _nickname(r: dict[str, str], p: Place, rng: random.Random) -> bool:
    forms = short_forms(r["first_name"])
    if not forms:
        return False
    r["first_name"] = rng.choice(forms)
    return True


def _initial(r: dict[str, str], p: Place, rng: random.Random) -> bool:
    r["first_name"] = r["first_name"][0] + ("." if rng.random() < 0.5 else "")
    return True


def _surname_punct(r: dict[str, str], p: Place, rng: random.Random) -> bool:
    last = r["last_name"]
    for mark in ("-", "'", " "):
        if mark in last:
            r["last_name"] = last.replace(
                mark, rng.choice([m for m in ("-", " ", "") if m != mark])
            )
            return True
    return False


def _swapped(r: dict[str, str], p: Place, rng: random.Random) -> bool:
    r["first_name"], r["last_name"] = r["last_name"], r["first_name"]
    return True


def _flat_format(r: dict[str, str], p: Place, rng: random.Random) -> bool:
    if not p.sub or not p.number or not p.sub.startswith("Flat "):
        return False
    label = p.sub.split()[1]
    street = street_line(p)
    options = [[f"{label}/{street}"], [f"Apartment {label}", street], [f"Flat {label} {street}"]]
    if label.isalpha():
        options.append([f"{p.number}{label} {p.street}"])
    _set_lines(r, rng.choice(options))
    return True


def _flat_missing(r: dict[str, str], p: Place, rng: random.Random) -> bool:
    if not p.sub:
        return False
    if p.is_block:
        _set_lines(r, [p.building or "", street_line(p)])
    else:
        _set_lines(r, [street_line(p)])
    return True


def _street_abbrev(r: dict[str, str], p: Place, rng: random.Random) -> bool:
    short = street_line(p, abbreviate=True)
    if short == street_line(p):
        return False
    lines = [r["address_1"], r["address_2"], r["address_3"]]
    _set_lines(r, [line.replace(street_line(p), short) for line in lines if line])
    return True


def _house_name(r: dict[str, str], p: Place, rng: random.Random) -> bool:
    if not p.building or p.is_block or p.sub:
        return False
    if p.number:
        _set_lines(r, [street_line(p)] if rng.random() < 0.5 else [p.building, p.street])
    else:
        _set_lines(r, [f"{p.building}, {p.street}"])
    return True


def _postcode_typo(r: dict[str, str], p: Place, rng: random.Random) -> bool:
    code = r["postcode"]
    if len(code) < 5:
        return False
    inward = code[-3:]
    if rng.random() < 0.5:
        inward = inward[0] + inward[2] + inward[1]
    else:
        inward = inward[:2] + rng.choice([c for c in "ABDEFGHJLNPQRSTUWXYZ" if c != inward[2]])
    r["postcode"] = code[:-3] + inward
    return r["postcode"] != code


def _postcode_unspaced(r: dict[str, str], p: Place, rng: random.Random) -> bool:
    if " " not in r["postcode"]:
        return False
    code = r["postcode"].replace(" ", "")
    r["postcode"] = code.lower() if rng.random() < 0.3 else code
    return True


def _postcode_missing(r: dict[str, str], p: Place, rng: random.Random) -> bool:
    r["postcode"] = ""
    return True


def _town_missing(r: dict[str, str], p: Place, rng: random.Random) -> bool:
    r["town"] = ""
    lines = [
        line for line in (r["address_1"], r["address_2"], r["address_3"]) if line != p.locality
    ]
    _set_lines(r, lines)
    return True


Damage = Callable[[dict[str, str], Place, random.Random], bool]
#: name -> (function, share of damaged members that get it)
DAMAGES: dict[str, tuple[Damage, float]] = {
    "typo_first": (_typo_first, 6), "typo_last": (_typo_last, 6), "nickname": (_nickname, 9),
    "initial": (_initial, 4), "surname_punctuation": (_surname_punct, 3),
    "swapped_names": (_swapped, 2), "flat_format": (_flat_format, 10),
    "flat_missing": (_flat_missing, 5), "street_abbreviation": (_street_abbrev, 10),
    "house_name": (_house_name, 3), "postcode_typo": (_postcode_typo, 6),
    "postcode_unspaced": (_postcode_unspaced, 6), "postcode_missing": (_postcode_missing, 5),
    "town_missing": (_town_missing, 6),
}  # fmt: skip
