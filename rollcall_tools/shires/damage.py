"""How a membership system damages a member's record: this generator's own mix and rates.

Names: short forms, short forms that are also mistyped ('Bil' for William), typos,
initials, middle names, whole forenames, swapped names, married and birth surnames,
accents lost, Mac/Mc and Gaelic/anglicised surnames, double-barrelled surnames cut to
one part. Addresses: flats written another way or left out, missing and extra lines,
abbreviated streets, Welsh town names, postcodes mistyped, unspaced, lower case or
missing. Each damage applied is named in ``kinds``, which becomes the truth's ``kind``.
"""

from __future__ import annotations

import random
import unicodedata

from rollcall_tools.shires.register import Dwelling, Person, short_forms
from rollcall_tools.shires.vocab import INWARD_LETTERS, PLACES, STREET_ABBREV

#: Gaelic surnames and the anglicised form a membership system may hold instead.
ANGLICISED = {
    "Ó Súilleabháin": "O'Sullivan", "Ó Briain": "O'Brien", "Ní Bhriain": "O'Brien",
    "Ó Conaill": "O'Connell", "Mac Cárthaigh": "McCarthy", "Ó Néill": "O'Neill",
    "Ó Dónaill": "O'Donnell", "Ní Shúilleabháin": "O'Sullivan", "Ní Chonaill": "O'Connell",
}  # fmt: skip


def fold(text: str) -> str:
    """Lower case, accents off, letters only: how this module compares names."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return "".join(c for c in decomposed.lower() if c.isalpha())


def strip_accents(text: str) -> str:
    text = text.replace("ł", "l").replace("Ł", "L").replace("ø", "o").replace("Ø", "O")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def typo(word: str, rng: random.Random) -> str:
    """One keyboard slip: a letter dropped, doubled, swapped with the next, or replaced."""
    if len(word) < 3:
        return word + word[-1]
    for _ in range(10):
        i = rng.randrange(1, len(word))
        how = rng.random()
        if how < 0.3:
            out = word[:i] + word[i + 1 :]
        elif how < 0.5:
            out = word[:i] + word[i] + word[i:]
        elif how < 0.75 and i < len(word) - 1:
            out = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        else:
            repl = rng.choice("aeiouy" if word[i].lower() in "aeiou" else "bcdfghklmnprstvw")
            out = word[:i] + repl + word[i + 1 :]
        if fold(out) != fold(word):
            return out
    return word[:-1]


def short_typo(short: str, rng: random.Random) -> str:
    """A short form mistyped: a doubled letter single ('Bil'), else one slip."""
    for i in range(1, len(short)):
        if short[i] == short[i - 1] and rng.random() < 0.8:
            return short[:i] + short[i + 1 :]
    return typo(short, rng)


def _postcode_typo(postcode: str, rng: random.Random) -> str:
    out, inward = postcode.split(" ")
    roll = rng.random()
    if roll < 0.35:  # inward letter replaced
        i = rng.choice((1, 2))
        letters = [c for c in INWARD_LETTERS if c != inward[i]]
        inward = inward[:i] + rng.choice(letters) + inward[i + 1 :]
    elif roll < 0.6:  # inward digit replaced
        inward = str((int(inward[0]) + rng.choice((1, 2, 8))) % 9 + 1) + inward[1:]
    elif roll < 0.8 and inward[1] != inward[2]:  # inward letters swapped
        inward = inward[0] + inward[2] + inward[1]
    else:  # district digit replaced
        digits = [i for i, c in enumerate(out) if c.isdigit()]
        i = digits[-1]
        out = out[:i] + str((int(out[i]) + rng.choice((1, 3))) % 10) + out[i + 1 :]
        if out.endswith("0") and len(out) == 2:
            out = out[:-1] + "1"
    return f"{out} {inward}"


def _abbreviate(street: str, rng: random.Random) -> str:
    words = street.split(" ")
    for i, w in enumerate(words):
        if w in STREET_ABBREV and (i == len(words) - 1 or w == "Great"):
            words[i] = rng.choice(STREET_ABBREV[w])
            return " ".join(words)
    return street


def _flat_variant(d: Dwelling, rng: random.Random) -> str:
    flat = d.flat
    if d.flat_style == "glasgow":
        pos = flat.replace("Flat ", "")
        floor, door = pos.split("/")
        return rng.choice((
            pos if flat.startswith("Flat") else f"Flat {pos}", f"Flat {floor}-{door}",
            f"{floor}/{door}", f"Flat {floor}{door}", f"Flat {int(floor) * 2 + int(door)}",
            f"{'Ground' if floor == '0' else floor} Floor {'Left' if door == '1' else 'Right'}",
        ))  # fmt: skip
    if d.flat_style == "edinburgh":
        floor, door = flat.split("F")
        n = (0 if floor == "G" else int(floor)) * 2 + int(door)
        return rng.choice((f"Flat {flat}", flat.lower(), f"Flat {floor}/{door}", f"{d.number}/{n}",
                           f"Flat {n}", f"{floor}F{door}"))  # fmt: skip
    table = {
        "Ground Floor Flat": ("GFF", "Ground Flr Flat", "Flat 1", "Ground Floor", "Flat G"),
        "First Floor Flat": ("FFF", "1st Floor Flat", "Flat 2", "First Floor", "1st Flr"),
        "Second Floor Flat": ("SFF", "2nd Floor Flat", "Flat 3", "Second Floor"),
        "Basement Flat": ("Lower Ground Floor Flat", "Flat LG", "Basement"),
        "Top Flat": ("Top Floor Flat", "Top Floor", "Attic Flat"),
        "Flat A": ("A", f"{d.number}A", "Flat a", "Flat 1"),
        "Flat B": ("B", f"{d.number}B", "Flat b", "Flat 2"),
        "Flat C": ("C", f"{d.number}C", "Flat c", "Flat 3"),
        "Flat 1": ("1", "Flat One", "Apartment 1", f"1/{d.number}"),
        "Flat 2": ("2", "Flat Two", "Apartment 2", f"2/{d.number}"),
        "Flat 3": ("3", "Flat Three", "Apartment 3", f"3/{d.number}"),
    }
    return rng.choice(table.get(flat, (flat,)))


def party_address(d: Dwelling, rng: random.Random, kinds: list[str]) -> dict[str, str]:
    """The address as the party holds it, with its own damage (kinds appended)."""
    spec = PLACES[d.place]
    town = str(spec["town"])
    street = d.street
    flat = d.flat
    number = d.number
    house_name = d.house_name
    locality = d.locality
    if flat and rng.random() < 0.06:
        kinds.append("flat_missing")
        flat = ""
    elif flat and rng.random() < 0.45:
        kinds.append("flat_format")
        flat = _flat_variant(d, rng)
    if street and rng.random() < 0.16:
        short = _abbreviate(street, rng)
        if short != street:
            kinds.append("street_abbreviation")
            street = short
    if number and rng.random() < 0.006:
        kinds.append("house_number_typo")
        number = (
            number[::-1] if len(number) > 1 and number[0] != number[1] else str(int(number) + 2)
        )
    if house_name and street and rng.random() < 0.3:
        kinds.append("street_missing")
        street = ""
    if house_name and rng.random() < 0.08:
        kinds.append("house_name_variant")
        house_name = house_name.replace("Cottage", "Cott").replace("The ", "").replace("Tŷ", "Ty")
        if house_name == d.house_name:
            house_name = house_name + " House" if "House" not in house_name else house_name
    if locality and rng.random() < 0.25:
        kinds.append("locality_missing")
        locality = ""
    alt = str(spec["alt_town"])
    if spec["country"] == "wales" and alt != town and rng.random() < 0.3:
        kinds.append("welsh_town_name")
        town = alt
    elif spec["country"] == "scotland" and alt and rng.random() < 0.02:
        kinds.append("gaelic_town_name")
        town = alt
    elif locality and rng.random() < 0.06:
        kinds.append("town_is_locality")
        town, locality = locality, ""
    embeds_number = bool(flat) and (
        (d.flat_style == "edinburgh" and flat.startswith(f"{d.number}/"))
        or (d.flat_style == "converted" and flat in {f"{d.number}{x}" for x in "ABC"})
        or (d.flat_style == "converted" and flat in {f"{x}/{d.number}" for x in "123"})
    )
    if embeds_number:
        lines = [f"{flat} {street}"]  # "14A Acacia Road", "14/5 Montgomery Street", "1/14 ..."
    elif d.flat and flat and rng.random() < 0.55:
        lines = [f"{flat}, {number} {street}"]
    else:
        lines = [flat] if flat else []
        if house_name:
            lines.append(house_name)
            if street:
                lines.append(street)
        else:
            lines.append(f"{number} {street}")
    if locality:
        lines.append(locality)
    if rng.random() < 0.06:
        kinds.append("county_added")
        lines.append(str(spec["county"]))
    while len(lines) > 3:
        lines[0:2] = [f"{lines[0]}, {lines[1]}"]
    lines += [""] * (3 - len(lines))
    postcode = d.postcode
    roll = rng.random()
    if roll < 0.025:
        kinds.append("postcode_typo")
        postcode = _postcode_typo(postcode, rng)
    elif roll < 0.04:
        kinds.append("postcode_missing")
        postcode = ""
    elif roll < 0.11:
        kinds.append("postcode_unspaced")
        postcode = postcode.replace(" ", "")
    elif roll < 0.14:
        kinds.append("postcode_lower")
        postcode = postcode.lower()
    address = {"address_1": lines[0], "address_2": lines[1], "address_3": lines[2], "town": town}
    roll = rng.random()
    if roll < 0.04:
        kinds.append("address_upper")
        address = {k: v.upper() for k, v in address.items()}
    elif roll < 0.06:
        kinds.append("address_lower")
        address = {k: v.lower() for k, v in address.items()}
    address["postcode"] = postcode
    return address


def member_name(p: Person, rng: random.Random, kinds: list[str]) -> tuple[str, str, str]:
    """First and last name as the party holds them (kinds appended), and the first name meant.

    The third value is the first name before any typo (a short form, a middle name): what
    a reader who saw through the typo would compare with the relatives' names.
    """
    given = p.forenames[p.known]
    surname = p.surname
    if p.known:
        if p.trap == "middle_relative" and p.elector_id:
            kinds.append("middle_name_known_relative")
        elif p.forenames[0] in ("Mohammed", "Muhammad"):
            kinds.append("known_by_second_name")
        else:
            kinds.append("middle_name_known")
    if p.prev_surname and rng.random() < 0.15:
        kinds.append("married_name")
        surname = p.prev_surname
    shorts = short_forms(given)
    damage = rng.choices(
        ("none", "nickname", "short_and_typo", "typo_first", "typo_last", "both_typos",
         "initial_only", "all_forenames"),
        (560, 150, 45, 55, 55, 13, 30, 40),
    )[0]  # fmt: skip
    meant = given
    if damage == "nickname" and shorts:
        kinds.append("nickname")
        given = meant = rng.choice(shorts)
    elif damage == "short_and_typo" and shorts:
        kinds.append("short_and_typo")
        meant = rng.choice(shorts)
        given = short_typo(meant, rng)
    elif damage == "typo_first":
        kinds.append("typo_first")
        given = typo(given, rng)
    elif damage == "typo_last":
        kinds.append("typo_last")
        surname = typo(surname, rng)
    elif damage == "both_typos":
        kinds.append("typo_first+typo_last")
        given, surname = typo(given, rng), typo(surname, rng)
    elif damage == "initial_only":
        kinds.append("initial_only")
        given = meant = given[0] + ("." if rng.random() < 0.6 else "")
    elif damage == "all_forenames" and len(p.forenames) > 1 and not p.known:
        kinds.append("all_forenames")
        given = " ".join(p.forenames)
    if any(ord(c) > 127 for c in given + surname) and rng.random() < 0.6:
        kinds.append("accents_stripped")
        given, surname = strip_accents(given), strip_accents(surname)
    if surname in ANGLICISED and rng.random() < 0.35:
        kinds.append("surname_anglicised")
        surname = ANGLICISED[surname]
    if ("-" in surname or surname.count(" ") == 1) and not surname.startswith(
        ("ap ", "ab ", "Ó ", "Ní ", "Mac ", "O ")
    ):
        if rng.random() < 0.5:
            kinds.append("double_barrel_part")
            parts = surname.replace("-", " ").split(" ")
            surname = rng.choice((parts[-1], parts[0], " ".join(parts), "".join(parts)))
    if surname.startswith(("Mac", "Mc")) and not surname.startswith("Mac ") and rng.random() < 0.3:
        kinds.append("mac_mc_variant")
        surname = "Mc" + surname[3:] if surname.startswith("Mac") else "Mac" + surname[2:]
    if surname.startswith("O'") and rng.random() < 0.3:
        kinds.append("apostrophe_dropped")
        surname = rng.choice(("O" + surname[2:], "O " + surname[2:]))
    if surname.startswith(("ap ", "ab ")) and rng.random() < 0.4:
        kinds.append("welsh_ap_variant")
        surname = rng.choice(
            (surname.capitalize(), surname.replace(" ", "").capitalize(), surname[3:])
        )
    roll = rng.random()
    if roll < 0.02:
        kinds.append("name_swap")
        given, surname = surname, given
    elif roll < 0.05:
        kinds.append("name_upper")
        given, surname = given.upper(), surname.upper()
    elif roll < 0.065:
        kinds.append("name_lower")
        given, surname = given.lower(), surname.lower()
    return given, surname, meant
