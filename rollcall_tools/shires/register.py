"""The shires world: dwellings across England, Wales and Scotland, households, and a register.

``build_world(n_electors, rng)`` makes dwellings street by street in each place of
``vocab.PLACES`` (terraces with converted flats, Glasgow ``Flat 2/1`` and Edinburgh
``3F2`` tenements, rural named houses with no number), fills them with households
(single people, couples with or without a shared surname, families whose children share
the parents' surname and sometimes their initials or first name, twins, sharers, a parent
known by a middle name whose child has that name as a first name), and registers most
adults. Some dwellings are empty of electors and some people are not registered: the
extract draws its not-on-the-register members from them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from rollcall_tools.shires.vocab import HOUSE_NAMES, INWARD_LETTERS, ORIGINS, PLACES, SHORT_FORMS

REGISTER_YEAR = 2026

#: Origin mix per country (weights), different from a London mix on purpose.
ORIGIN_MIX: dict[str, dict[str, int]] = {
    "england": {"english": 52, "irish": 6, "south_asian": 13, "polish": 6, "west_african": 8,
                "chinese": 3, "accented": 5, "welsh": 3, "scottish": 4},
    "wales": {"welsh": 55, "english": 24, "irish": 3, "south_asian": 6, "polish": 5,
              "west_african": 3, "accented": 3, "chinese": 1},
    "scotland": {"scottish": 50, "english": 14, "irish": 10, "south_asian": 8, "polish": 9,
                 "chinese": 3, "accented": 3, "west_african": 3},
}  # fmt: skip

#: For naming further streets of a place from its first ones.
ENGLISH_SUFFIXES = (
    "Grove", "Mount", "Place", "Terrace", "View", "Avenue", "Street", "Road", "Walk",
    "Gardens", "Crescent", "Close", "Row", "Drive", "Lane", "Court", "Square", "Way", "Rise",
)  # fmt: skip
SCOTTISH_SUFFIXES = (
    "Street", "Road", "Terrace", "Gardens", "Place", "Drive", "Avenue", "Crescent", "Wynd",
    "Brae", "Loan", "Close", "Court", "Lane", "Quadrant", "Row",
)  # fmt: skip
WELSH_STREET_HEADS = ("Heol", "Ffordd", "Lôn", "Stryd", "Maes", "Clos", "Cae", "Rhodfa", "Llys")
WELSH_STREET_TAILS = (
    "y Felin", "y Parc", "yr Eglwys", "Glyn", "Penrhiw", "Tŷ Gwyn", "Isaf", "Uchaf", "Newydd",
    "y Nant", "y Cwm", "y Dderwen", "Tregof", "Penygraig", "Dewi", "Aneurin", "Glasfryn",
    "Gwynfryn", "Pant", "Bryn Hyfryd", "Cynan", "Emrys", "Hendre", "Llwyn", "Brynteg",
)  # fmt: skip
STREET_STEMS = (
    "Windsor", "Albert", "Victoria", "Beech", "Oak", "Elm", "Chapel", "Church", "Mill", "Park",
    "Station", "School", "Queen's", "King's", "Orchard", "Meadow", "Grange", "Manor", "Cedar",
    "Clarence", "Carlton", "Granville", "Belmont", "Hawthorn", "Rowan", "Wellington",
)  # fmt: skip

#: Share of the register per place (cities larger than villages).
PLACE_WEIGHT = {"terrace": 10, "welsh_town": 9, "glasgow": 10, "edinburgh": 9, "rural": 3}


@dataclass
class Dwelling:
    """One address: the lines are kept apart so the extract can print them its own way."""

    index: int
    place: int
    flat: str  # "" or "Flat 2/1", "3F2", "Ground Floor Flat", "Flat A", ...
    flat_style: str  # "", "glasgow", "edinburgh", "converted"
    number: str  # house number ("" for a named house)
    house_name: str
    street: str
    locality: str
    postcode: str
    ward: str
    constituency: str
    pd: str  # polling district
    people: list[int] = field(default_factory=list)  # person indexes, registered or not


@dataclass
class Person:
    """Someone living in a dwelling; ``elector_id`` is empty when not registered."""

    index: int
    dwelling: int
    origin: str
    sex: str
    forenames: list[str]
    surname: str
    birth: tuple[int, int, int]
    known: int = 0  # index of the forename the person goes by
    prev_surname: str = ""  # birth surname before a marriage
    trap: str = ""  # "middle_relative" when a relative's first name is this one's middle name
    elector_id: str = ""
    markers: str = ""
    attainer: bool = False


@dataclass
class World:
    """Every dwelling and person; ``electors`` lists registered people in register order."""

    dwellings: list[Dwelling]
    people: list[Person]
    electors: list[int]


def _feminine(surname: str, origin: str, sex: str) -> str:
    if origin == "polish" and sex == "F":
        for male, female in (("dzki", "dzka"), ("ski", "ska"), ("cki", "cka")):
            if surname.endswith(male):
                return surname[: -len(male)] + female
    if origin == "irish" and sex == "F" and surname.startswith("Ó "):
        return "Ní " + surname[2:]
    return surname


def _masculine(surname: str) -> str:
    for female, male in (("dzka", "dzki"), ("ska", "ski"), ("cka", "cki")):
        if surname.endswith(female):
            return surname[: -len(female)] + male
    if surname.startswith("Ní "):
        return "Ó " + surname[3:]
    return surname


class _Maker:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.dwellings: list[Dwelling] = []
        self.people: list[Person] = []

    # ------------------------------------------------------------------ names
    def origin(self, country: str) -> str:
        mix = ORIGIN_MIX[country]
        return self.rng.choices(list(mix), weights=list(mix.values()))[0]

    def given(self, origin: str, sex: str) -> str:
        male, female, _ = ORIGINS[origin]
        return self.rng.choice(male if sex == "M" else female)

    def surname(self, origin: str) -> str:
        rng = self.rng
        name = rng.choice(ORIGINS[origin][2])
        if origin in ("english", "welsh") and rng.random() < 0.04:
            other = rng.choice(ORIGINS[origin][2] + ORIGINS["english"][2])
            if other != name and " " not in other and " " not in name:
                name = f"{name}-{other}" if rng.random() < 0.7 else f"{name} {other}"
        return name

    def forenames(self, origin: str, sex: str) -> tuple[list[str], int]:
        rng = self.rng
        first = self.given(origin, sex)
        names = [first]
        known = 0
        if origin == "south_asian" and sex == "M" and rng.random() < 0.3:
            names = [rng.choice(("Mohammed", "Muhammad")), self.given(origin, sex)]
            if names[1] in ("Mohammed", "Muhammad"):
                names[1] = "Imran"
            known = 1 if rng.random() < 0.7 else 0
            return names, known
        p_middle = {"english": 0.7, "welsh": 0.65, "scottish": 0.7, "irish": 0.55,
                    "south_asian": 0.35, "polish": 0.3, "west_african": 0.65,
                    "chinese": 0.05, "accented": 0.4}[origin]  # fmt: skip
        if rng.random() < p_middle:
            pool = origin if rng.random() < 0.85 else "english"
            middle = self.given(pool, sex)
            if middle != first:
                names.append(middle)
                if rng.random() < 0.12:
                    third = self.given(origin, sex)
                    if third not in names:
                        names.append(third)
                if rng.random() < 0.035:
                    known = 1
        return names, known

    def person(self, dwelling: int, origin: str, sex: str, surname: str, year: int) -> Person:
        forenames, known = self.forenames(origin, sex)
        birth = (year, self.rng.randint(1, 12), self.rng.randint(1, 28))
        person = Person(
            index=len(self.people),
            dwelling=dwelling,
            origin=origin,
            sex=sex,
            forenames=forenames,
            surname=_feminine(surname, origin, sex),
            birth=birth,
            known=known,
        )
        self.people.append(person)
        self.dwellings[dwelling].people.append(person.index)
        return person

    # ------------------------------------------------------------- households
    def household(self, d: int, country: str) -> None:
        rng = self.rng
        kind = rng.choices(
            ("single", "couple", "family", "sharers", "generations", "middle_trap"),
            weights=(33, 27, 21, 12, 5, 1.6),
        )[0]
        origin = self.origin(country)
        if kind == "single":
            self.person(d, origin, rng.choice("MF"), self.surname(origin), rng.randint(1936, 2007))
            return
        if kind == "sharers":
            for _ in range(rng.randint(2, 5)):
                o = self.origin(country)
                self.person(d, o, rng.choice("MF"), self.surname(o), rng.randint(1975, 2007))
            return
        family = self.surname(origin)
        year = rng.randint(1940, 1995)
        dad = self.person(d, origin, "M", family, year)
        partner_origin = origin if rng.random() < 0.8 else self.origin(country)
        if rng.random() < 0.72:
            mum = self.person(d, partner_origin, "F", family, year + rng.randint(-4, 6))
            if rng.random() < 0.8:
                maiden = self.surname(partner_origin)
                if maiden != family:
                    mum.prev_surname = _feminine(maiden, partner_origin, "F")
        else:
            other = self.surname(partner_origin)
            self.person(d, partner_origin, "F", other, year + rng.randint(-4, 6))
        if kind == "couple":
            return
        if kind == "generations":
            self.person(d, origin, rng.choice("MF"), family, year - rng.randint(24, 32))
        kids_from = year + rng.randint(22, 36)
        n_kids = rng.randint(1, 3)
        twins = rng.random() < 0.08
        for k in range(n_kids):
            kid_year = min(kids_from + 2 * k, REGISTER_YEAR - 16)
            sex = rng.choice("MF")
            kid = self.person(d, origin, sex, _masculine(family), kid_year)
            if twins and k == 1:
                prev = self.people[kid.index - 1]
                kid.birth = prev.birth
                same_initial = [
                    n
                    for n in ORIGINS[origin][0 if sex == "M" else 1]
                    if n[0] == prev.forenames[0][0] and n != prev.forenames[0]
                ]
                if same_initial:
                    kid.forenames[0] = rng.choice(same_initial)
            elif k == 0 and sex == "M" and rng.random() < 0.2:
                # Named after the father: same first name, or his first name as a middle.
                if rng.random() < 0.6:
                    kid.forenames = [dad.forenames[0]] + kid.forenames[1:2]
                else:
                    kid.forenames = [kid.forenames[0], dad.forenames[0]]
                kid.known = 0
        if kind == "middle_trap":
            # A parent known by a middle name; a child has that name as a first name.
            parent = dad
            if len(parent.forenames) < 2:
                parent.forenames.append(self.given(origin, "M"))
                if parent.forenames[1] == parent.forenames[0]:
                    parent.forenames[1] = "James" if parent.forenames[0] != "James" else "John"
            parent.known = 1
            parent.trap = "middle_relative"
            kid_year = min(kids_from + 1, REGISTER_YEAR - 18)
            kid = self.person(d, origin, "M", _masculine(family), kid_year)
            kid.trap = "named_for_parent_middle"
            tail = kid.forenames[1:2] if rng.random() < 0.6 else []
            kid.forenames = [parent.forenames[1]] + [t for t in tail if t != parent.forenames[1]]
            kid.known = 0

    # ---------------------------------------------------------------- streets
    def place(self, p: int, quota: int, first_pd: int) -> int:
        """Make dwellings in place ``p`` until about ``quota`` people live there."""
        rng = self.rng
        spec = PLACES[p]
        style = str(spec["style"])
        country = str(spec["country"])
        streets = list(spec["streets"])  # type: ignore[call-overload]
        wards = list(spec["wards"])  # type: ignore[call-overload]
        localities = list(spec["localities"])  # type: ignore[call-overload]
        outward = list(spec["outward"])  # type: ignore[call-overload]
        used_postcodes: set[str] = set()
        people_before = len(self.people)
        pd_count = first_pd
        round_no = 0
        seen: set[str] = set(streets)
        while len(self.people) - people_before < quota:
            round_no += 1
            for base_street in streets:
                if len(self.people) - people_before >= quota:
                    break
                street = (
                    base_street if round_no == 1 else self._new_street(base_street, country, seen)
                )
                w = rng.randrange(len(wards))
                ward = wards[w]
                pd = f"{str(spec['town'])[:2].upper()}{chr(65 + w % 26)}{pd_count % 10}"
                pd_count += 1
                locality = rng.choice(localities)
                out = rng.choice(outward)
                self._street(
                    p, style, country, street, locality, out, ward, str(spec["constituency"]),
                    pd, round_no, used_postcodes,
                )  # fmt: skip
        return pd_count

    def _new_street(self, street: str, country: str, seen: set[str]) -> str:
        """Another street of the place, named the way its streets are ('Brudenell Mount')."""
        if not street:
            return ""
        rng = self.rng
        for attempt in range(40):
            welsh_head = street.split(" ")[0] in WELSH_STREET_HEADS
            if country == "wales" and (welsh_head or rng.random() < 0.4):
                name = f"{rng.choice(WELSH_STREET_HEADS)} {rng.choice(WELSH_STREET_TAILS)}"
            else:
                head = street.split(" ")[0] if attempt < 20 else rng.choice(STREET_STEMS)
                suffixes = SCOTTISH_SUFFIXES if country == "scotland" else ENGLISH_SUFFIXES
                name = f"{head} {rng.choice(suffixes)}"
            if name not in seen:
                seen.add(name)
                return name
        name = f"{rng.choice(('Upper', 'Lower', 'North', 'South', 'East', 'West'))} {street}"
        while name in seen:
            name = f"{name} {rng.choice(ENGLISH_SUFFIXES)}"
        seen.add(name)
        return name

    def _postcode(self, out: str, used: set[str]) -> str:
        rng = self.rng
        while True:
            code = (
                f"{out} {rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
            )
            if code not in used:
                used.add(code)
                return code

    def _dwelling(self, **kw: object) -> int:
        d = Dwelling(index=len(self.dwellings), **kw)  # type: ignore[arg-type]
        self.dwellings.append(d)
        return d.index

    def _street(
        self, p: int, style: str, country: str, street: str, locality: str, out: str,
        ward: str, constituency: str, pd: str, round_no: int, used: set[str],
    ) -> None:  # fmt: skip
        rng = self.rng
        base = dict(place=p, street=street, locality=locality, ward=ward,
                    constituency=constituency, pd=pd)  # fmt: skip
        if style == "rural" or (style in ("terrace", "welsh_town") and not street):
            names = list(HOUSE_NAMES[country])
            rng.shuffle(names)
            postcode = self._postcode(out, used)
            for name in names[: rng.randint(4, 12)]:
                d = self._dwelling(flat="", flat_style="", number="", house_name=name,
                                   postcode=postcode, **base)  # fmt: skip
                self._fill(d, country)
            return
        start = 1
        postcode = self._postcode(out, used)
        for n in range(start, start + rng.randint(20, 60)):
            if rng.random() < 0.08:
                postcode = self._postcode(out, used)
            number = str(n)
            if style in ("glasgow", "edinburgh") and rng.random() < 0.8:
                floors = rng.randint(3, 4)
                doors = rng.randint(2, 3)
                for floor in range(floors):
                    for door in range(1, doors + 1):
                        if style == "glasgow":
                            flat = (
                                f"Flat {floor}/{door}" if rng.random() < 0.6 else f"{floor}/{door}"
                            )
                        else:
                            flat = f"{'G' if floor == 0 else floor}F{door}"
                        d = self._dwelling(flat=flat, flat_style=style, number=number,
                                           house_name="", postcode=postcode, **base)  # fmt: skip
                        self._fill(d, country)
                continue
            if rng.random() < (0.3 if style == "terrace" else 0.18):
                flats = rng.choice((
                    ("Ground Floor Flat", "First Floor Flat"),
                    ("Ground Floor Flat", "First Floor Flat", "Second Floor Flat"),
                    ("Basement Flat", "Ground Floor Flat", "Top Flat"),
                    ("Flat A", "Flat B"), ("Flat A", "Flat B", "Flat C"),
                    ("Flat 1", "Flat 2", "Flat 3"),
                ))  # fmt: skip
                for flat in flats:
                    d = self._dwelling(flat=flat, flat_style="converted", number=number,
                                       house_name="", postcode=postcode, **base)  # fmt: skip
                    self._fill(d, country)
                continue
            d = self._dwelling(flat="", flat_style="", number=number, house_name="",
                               postcode=postcode, **base)  # fmt: skip
            self._fill(d, country)

    def _fill(self, d: int, country: str) -> None:
        if self.rng.random() < 0.07:
            self.dwellings[d].pd = "-"  # nobody registered here
        self.household(d, country)


def build_world(n_electors: int, rng: random.Random) -> World:
    """Dwellings and people for about ``n_electors`` registered electors, then the register."""
    maker = _Maker(rng)
    weights = [PLACE_WEIGHT[str(spec["style"])] for spec in PLACES]
    total = sum(weights)
    # About 10% of people are not registered: aim the population a little higher.
    target = int(n_electors * 1.12) + 20
    pd_count = 0
    for p, weight in enumerate(weights):
        quota = max(1, round(target * weight / total))
        pd_count = maker.place(p, quota, pd_count)
    dwellings, people = maker.dwellings, maker.people
    electors: list[int] = []
    counters: dict[str, int] = {}
    for dwelling in dwellings:
        if dwelling.pd == "-":
            continue
        for i in dwelling.people:
            person = people[i]
            adult_year = REGISTER_YEAR - person.birth[0]
            if adult_year < 16:
                continue
            if not person.trap and rng.random() < 0.04:
                continue  # lives here, not registered
            if len(electors) >= n_electors:
                break
            counters[dwelling.pd] = counters.get(dwelling.pd, 0) + 1
            person.elector_id = f"{dwelling.pd}/{counters[dwelling.pd]:04d}"
            person.attainer = adult_year < 18
            roll = rng.random()
            person.markers = "E" if roll < 0.02 else "G" if roll < 0.03 else ""
            electors.append(i)
    # Top up when the population fell short (tiny sizes): register extra sharers.
    while len(electors) < n_electors:
        d = dwellings[rng.randrange(len(dwellings))]
        if d.pd == "-":
            continue
        country = str(PLACES[d.place]["country"])
        o = maker.origin(country)
        person = maker.person(
            d.index, o, rng.choice("MF"), maker.surname(o), rng.randint(1950, 2005)
        )
        counters[d.pd] = counters.get(d.pd, 0) + 1
        person.elector_id = f"{d.pd}/{counters[d.pd]:04d}"
        electors.append(person.index)
    return World(dwellings=dwellings, people=people, electors=electors)


def register_lines(d: Dwelling) -> list[str]:
    """The address lines as the register prints them (up to 5, town last)."""
    town = str(PLACES[d.place]["town"])
    lines: list[str] = []
    if d.flat:
        lines.append(d.flat)
    if d.house_name:
        lines.append(d.house_name)
        if d.street:
            lines.append(d.street)
    else:
        lines.append(f"{d.number} {d.street}")
    if d.locality:
        lines.append(d.locality)
    lines.append(town)
    return lines[:5]


def short_forms(name: str) -> tuple[str, ...]:
    """The short forms of a given name (empty when it has none in the vocabulary)."""
    return SHORT_FORMS.get(name, ())
