"""A London-like electoral register, generated one household at a time.

``World.run(observe)`` walks wards, streets and buildings, yields each register
row (a list in ``REGISTER_COLUMNS`` order) and calls ``observe`` with each
household, so the caller can pick members as the register streams past without
holding it in memory.

What it plants, on purpose: converted houses with flats (``Flat A``, ``Flat 2``,
``Ground Floor Flat``), purpose-built blocks, numbered and named houses, ``10A``
houses, street names repeated across wards, families sharing a surname, couples
and flat-sharers who do not, a father and son with one forename, relatives
sharing an initial, and namesakes next door or in the next flat.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from rollcall_tools.synth import vocab as vocab
from rollcall_tools.synth.damage import Place

_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


class Draw:
    """Weighted draws from a ranked list (Zipf-like), fast enough for millions."""

    def __init__(self, items: Sequence[str], exponent: float = 0.9) -> None:
        self.items = list(items)
        weights = [1 / (rank + 3) ** exponent for rank in range(len(self.items))]
        self.cumulative = list(itertools.accumulate(weights))

    def __call__(self, rng: random.Random) -> str:
        x = rng.random() * self.cumulative[-1]
        return self.items[bisect.bisect_right(self.cumulative, x)]


@dataclass(slots=True)
class Person:
    """One elector as generated, before it becomes a register row."""

    elector_id: str
    first: str
    middle: str
    surname: str
    male: bool
    group: str
    place: Place | None = None


@dataclass(slots=True)
class Household:
    place: Place
    people: list[Person]
    group: str
    association: str
    #: Tags the member picker uses: "junior", "initial", "namesake:<elector_id>".
    tags: list[str]


class Names:
    """Forename and surname draws per cultural group, with a long tail of rare surnames."""

    def __init__(self) -> None:
        self.groups = list(vocab.NAME_GROUPS)
        self.group_draw = Draw(self.groups, 0.0)
        shares = [vocab.NAME_GROUPS[g][0] for g in self.groups]
        self.group_cumulative = list(itertools.accumulate(shares))
        self.male = {g: Draw(v[1].split(), 0.7) for g, v in vocab.NAME_GROUPS.items()}
        self.female = {g: Draw(v[2].split(), 0.7) for g, v in vocab.NAME_GROUPS.items()}
        self.surnames = {g: Draw(v[3].split(), 1.0) for g, v in vocab.NAME_GROUPS.items()}

    def group(self, rng: random.Random) -> str:
        x = rng.random() * self.group_cumulative[-1]
        return self.groups[bisect.bisect_right(self.group_cumulative, x)]

    def forename(self, group: str, male: bool, rng: random.Random) -> str:
        return (self.male if male else self.female)[group](rng)

    def surname(self, group: str, rng: random.Random) -> str:
        if rng.random() < 0.05:
            parts = [rng.choice(vocab.RARE_SYLLABLES) for _ in range(rng.randint(2, 3))]
            return "".join(parts).title()
        return self.surnames[group](rng)


class World:
    """Generates ``n_electors`` register rows over ``wards``."""

    def __init__(self, n_electors: int, wards: Sequence[str] | None, rng: random.Random) -> None:
        self.rng = rng
        self.names = Names()
        self.n_electors = n_electors
        self.wards = _ward_table(wards)
        self.made = 0
        self._postcodes: dict[str, int] = {}

    def run(self, observe: Callable[[Household], None]) -> Iterator[list[str]]:
        """Yield register rows; call ``observe`` with each household once its rows are out."""
        count = len(self.wards)
        for index, ward in enumerate(self.wards):
            quota = self.n_electors // count + (1 if index < self.n_electors % count else 0)
            yield from self._ward(ward, index, quota, observe)

    def _postcode(self, district: str) -> str:
        n = self._postcodes.get(district, 0)
        self._postcodes[district] = n + 1
        letters = _INWARD_LETTERS
        pair = letters[n % 20] + letters[(n // 20) % 20]
        return f"{district} {(n // 400) % 10}{pair}"

    def _ward(self, ward: tuple[str, str, str, tuple[str, ...], str, int], index: int, quota: int,
              observe: Callable[[Household], None]) -> Iterator[list[str]]:  # fmt: skip
        rng = self.rng
        name, borough, association, districts, constituency, style = ward
        prefix = f"{association[:2]}{index:03d}"
        pd_number, pd_count, seq = 1, 0, 0
        used_streets: set[str] = set()
        made = 0
        while made < quota:
            street = self._street_name(used_streets)
            district = rng.choice(districts)
            numbers = rng.randint(8, 90)
            postcode, run_left = self._postcode(district), rng.randint(6, 16)
            recent: list[Person] = []
            for number in range(1, numbers + 1):
                if made >= quota:
                    break
                run_left -= 1
                if run_left <= 0:
                    postcode, run_left = self._postcode(district), rng.randint(6, 16)
                for household in self._premise(number, street, name, borough, postcode, recent):
                    household.association = association
                    rows = []
                    for person in household.people:
                        if made >= quota:
                            break
                        if pd_count >= 2500:
                            pd_number, pd_count, seq = pd_number + 1, 0, 0
                        seq += 1
                        pd_count += 1
                        person.elector_id = f"{prefix}{chr(64 + pd_number)}-{seq}"
                        rows.append(_row(person, household.place, constituency, style, rng))
                        made += 1
                    household.people = household.people[: len(rows)]
                    yield from rows
                    if household.people:
                        recent.extend(household.people)
                        del recent[:-40]
                        observe(household)
        self.made += made

    def _street_name(self, used: set[str]) -> str:
        rng = self.rng
        for _ in range(50):
            if rng.random() < 0.12:
                street = rng.choice(vocab.COMMON_STREETS)
            else:
                kind = _STREET_TYPES(rng)
                street = f"{rng.choice(vocab.STREET_STEMS)} {kind}"
            if street not in used:
                used.add(street)
                return street
        return f"{rng.choice(vocab.STREET_STEMS)} {rng.choice(vocab.STREET_STEMS)} Road"

    def _premise(self, number: int, street: str, ward: str, locality: str, postcode: str,
                 recent: list[Person]) -> list[Household]:  # fmt: skip
        rng = self.rng
        roll = rng.random()

        def place(sub: str | None, num: str | None, building: str | None, pc: str = postcode,
                  block: bool = False) -> Place:  # fmt: skip
            return Place(sub, num, building, street, locality, pc, ward, is_block=block)

        if roll < 0.60:
            places = [place(None, str(number), None)]
        elif roll < 0.80:
            flats = rng.randint(2, 4)
            style = rng.random()
            labels = (
                [f"Flat {c}" for c in "ABCD"[:flats]] if style < 0.4
                else [f"Flat {i}" for i in range(1, flats + 1)] if style < 0.8
                else ["Ground Floor Flat", "First Floor Flat", "Second Floor Flat", "Top Floor Flat"][:flats]
            )  # fmt: skip
            places = [place(label, str(number), None) for label in labels]
        elif roll < 0.83:
            places = [place(None, f"{number}{rng.choice('AB')}", None)]
        elif roll < 0.86:
            numbered = str(number) if rng.random() < 0.5 else None
            places = [place(None, numbered, rng.choice(vocab.HOUSE_NAMES))]
        elif roll < 0.93:
            building = f"{rng.choice(vocab.BLOCK_NAMES)} {rng.choice(vocab.BLOCK_WORDS)}"
            numbered = str(number) if rng.random() < 0.3 else None
            code = self._postcode(postcode.split()[0])
            places = [
                place(f"Flat {i}", numbered, building, code, block=True)
                for i in range(1, rng.randint(8, 60) + 1)
            ]
        else:
            return []
        return [self._household(place, recent) for place in places]

    def _household(self, place: Place, recent: list[Person]) -> Household:
        rng, names = self.rng, self.names
        size = _SIZES(rng)
        group = names.group(rng)
        surname = names.surname(group, rng)
        shape = rng.random()
        people: list[Person] = []
        firsts: set[str] = set()
        for i in range(int(size)):
            male = rng.random() < 0.5
            g = group if shape < 0.85 or i == 0 else names.group(rng)
            family = shape < 0.7 or (shape < 0.85 and i != 1)
            last = surname if family else names.surname(g, rng)
            # Families rarely give two members one forename (the junior trap does, below).
            first = names.forename(g, male, rng)
            for _ in range(5):
                if first not in firsts:
                    break
                first = names.forename(g, male, rng)
            middle = names.forename(g, male, rng) if rng.random() < 0.45 else ""
            if middle == first or (middle in firsts and rng.random() < 0.8):
                middle = ""
            firsts.add(first)
            people.append(Person("", first, middle, last, male, g, place))
        tags: list[str] = []
        if len(people) >= 2 and shape < 0.7:
            elder, second = people[0], people[1]
            roll = rng.random()
            if roll < 0.01:
                second.first, second.male = elder.first, elder.male
                second.middle = "" if rng.random() < 0.5 else second.middle
                tags.append("junior")
            elif roll < 0.06:
                same = [n for n in names.male[group].items + names.female[group].items
                        if n[0] == elder.first[0] and n != elder.first]  # fmt: skip
                if same:
                    second.first = rng.choice(same)
                    tags.append("initial")
        if recent and rng.random() < 0.006:
            twin = rng.choice(recent)
            people[0].first, people[0].middle = twin.first, twin.middle
            people[0].surname, people[0].male = twin.surname, twin.male
            tags.append(f"namesake:{twin.elector_id}")
        return Household(place, people, group, "", tags)


def _row(person: Person, place: Place, constituency: str, style: int,
         rng: random.Random) -> list[str]:  # fmt: skip
    street = f"{place.number} {place.street}" if place.number else place.street
    if place.is_block:
        label = place.sub.split()[1] if place.sub else ""
        if place.number:
            lines = [place.sub or "", place.building or "", street]
        else:
            lines = [f"{label} {place.building}", street]
    elif place.building:
        lines = [place.building, street]
    elif place.sub:
        lines = [place.sub, street]
    else:
        lines = [street]
    lines += [place.locality, "London"] if style else ["London"]
    lines = (lines + ["", "", "", "", ""])[:5]
    forenames = f"{person.first} {person.middle}".strip()
    markers, attainer = "", ""
    roll = rng.random()
    if roll < 0.01:
        markers, attainer = (
            "F",
            f"{rng.randint(2008, 2009)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        )
    elif roll < 0.04:
        markers = "G"
    return [person.elector_id, person.surname, forenames, *lines, place.postcode, place.ward,
            constituency, markers, attainer]  # fmt: skip


_SIZES = Draw(["1", "2", "3", "4", "5"], 0.0)
_SIZES.cumulative = list(itertools.accumulate([30, 35, 17, 12, 6]))
_STREET_TYPES = Draw([t for t, _ in vocab.STREET_TYPES], 0.0)
_STREET_TYPES.cumulative = list(itertools.accumulate(w for _, w in vocab.STREET_TYPES))


def _ward_table(
    wards: Sequence[str] | None,
) -> list[tuple[str, str, str, tuple[str, ...], str, int]]:
    """(ward, borough, association, districts, constituency, address style) per ward."""
    known = {w: b for b in vocab.BOROUGHS for w in b[3]}
    if wards is None:
        wards = [w for b in vocab.BOROUGHS for w in b[3]]
    table = []
    for index, ward in enumerate(wards):
        borough = known.get(ward)
        if borough is None:
            code = "".join(c for c in ward.upper() if c.isalpha())[:4] or "ASSN"
            name, districts = ward, vocab.BOROUGHS[index % len(vocab.BOROUGHS)][2]
        else:
            name, code, districts = borough[0], borough[1], borough[2]
        style = 1 if len(name) % 2 else 0
        table.append(
            (ward, name, code, districts, f"{name} {'North' if index % 2 else 'South'}", style)
        )
    return table
