"""Synthetic register and membership extract with ground truth, for tests, demo and bench.

``generate(n_electors, n_members, seed, wards=None) -> SynthData``:

- ``.register_rows``: dicts with the register CSV columns (``rollcall.formats.REGISTER_COLUMNS``);
- ``.member_rows``: dicts with every extract column (``rollcall.formats.EXTRACT_COLUMNS``);
  about one member in seven has no email (they get a letter);
- ``.truth``: membership_number -> (elector_id or None, kind), where kind is
  ``clean``, a damage name from ``damage.DAMAGES`` (or two joined by ``+``),
  ``middle_name``, ``married_name``, ``moved`` or a trap (``TRAPS``);
- ``.write_csv(directory)`` streams register.csv, members.csv and truth.csv.

Guarantees: the same arguments give byte-identical files; nothing is held per
elector, so 5.5M electors stream to disk in about a minute; ``register_rows``
materialises the register and is meant for small sizes only.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rollcall.formats import EXTRACT_COLUMNS, REGISTER_COLUMNS
from rollcall_tools.synth.damage import DAMAGES, Damage, Place, member_address
from rollcall_tools.synth.world import Household, Names, Person, World

#: Kinds whose truth is None: the member is not on the register.
UNREGISTERED = ("unregistered_at_address", "not_registered", "trap_namesake_unregistered")
#: Kinds planted to fool a matcher, and the share of members given each.
TRAPS = {
    "trap_relative_same_name": 0.005, "trap_same_initial_full": 0.004,
    "trap_same_initial_only": 0.004, "trap_namesake_street": 0.004,
    "trap_namesake_unregistered": 0.004, "trap_namesake_building": 0.002,
}  # fmt: skip
SHARES = {"unregistered_at_address": 0.04, "not_registered": 0.03, "moved": 0.01, **TRAPS}


@dataclass
class _Candidate:
    person: Person
    place: Place
    association: str
    elector_id: str | None
    kind: str


@dataclass
class _Pools:
    registered: list[_Candidate] = field(default_factory=list)
    by_kind: dict[str, list[_Candidate]] = field(default_factory=dict)
    ward_places: dict[str, list[Place]] = field(default_factory=dict)

    def add(self, kind: str, candidate: _Candidate) -> None:
        self.by_kind.setdefault(kind, []).append(candidate)


class _Picker:
    """Watches households stream past and keeps enough candidates of every kind."""

    def __init__(self, n_electors: int, n_members: int, rng: random.Random, names: Names) -> None:
        self.rng, self.names, self.pools = rng, names, _Pools()
        households = max(n_electors / 2.3, 1)
        self.p_registered = min(1.0, 1.5 * n_members / max(n_electors, 1))
        self.p_household = {k: min(1.0, 3 * s * n_members / households) for k, s in SHARES.items()}

    def __call__(self, household: Household) -> None:
        rng, pools, place = self.rng, self.pools, household.place
        for person in household.people:
            if rng.random() < self.p_registered:
                pools.registered.append(
                    _Candidate(person, place, household.association, person.elector_id, "")
                )
        places = pools.ward_places.setdefault(place.ward, [])
        if len(places) < 64:
            places.append(place)
        elif rng.random() < 0.05:
            places[rng.randrange(64)] = place
        p = self.p_household
        first = household.people[0]
        for tag in household.tags:
            if tag == "junior":
                self._keep("trap_relative_same_name", rng.choice(household.people[:2]), household)
            elif tag == "initial":
                kind = "trap_same_initial_full" if rng.random() < 0.5 else "trap_same_initial_only"
                self._keep(kind, rng.choice(household.people[:2]), household)
            elif tag.startswith("namesake:"):
                kind = "trap_namesake_building" if place.is_block else "trap_namesake_street"
                self._keep(kind, first, household)
                if not place.is_block:
                    ghost = Person(
                        "", first.first, first.middle, first.surname, first.male, first.group
                    )
                    self._keep("trap_namesake_unregistered", ghost, household, _elsewhere(place))
        if rng.random() < p["unregistered_at_address"]:
            used = {q.first for q in household.people}
            extra = _stranger(self.names, household, used, rng)
            self._keep("unregistered_at_address", extra, household)
        if rng.random() < p["not_registered"]:
            group = self.names.group(rng)
            male = rng.random() < 0.5
            person = Person("", self.names.forename(group, male, rng), "",
                            self.names.surname(group, rng), male, group)  # fmt: skip
            self._keep("not_registered", person, household, _elsewhere(place))

    def _keep(
        self, kind: str, person: Person, household: Household, place: Place | None = None
    ) -> None:
        elector_id = None if kind in UNREGISTERED else person.elector_id
        candidate = _Candidate(
            person, place or household.place, household.association, elector_id, kind
        )
        self.pools.add(kind, candidate)


def _elsewhere(place: Place) -> Place:
    """An address on the same street that is not on the register."""
    if place.is_block:
        return Place("Flat 99", place.number, place.building, place.street, place.locality,
                     place.postcode, place.ward, True)  # fmt: skip
    number = str(int("".join(c for c in (place.number or "1") if c.isdigit()) or 1) + 100)
    return Place(None, number, None, place.street, place.locality, place.postcode, place.ward)


def _stranger(names: Names, household: Household, used: set[str], rng: random.Random) -> Person:
    group = household.group
    for _ in range(20):
        male = rng.random() < 0.5
        first = names.forename(group, male, rng)
        if first not in used:
            break
    surname = household.people[0].surname if rng.random() < 0.7 else names.surname(group, rng)
    return Person("", first, "", surname, male, group)


def _extra_damages(names: Names) -> dict[str, tuple[Damage, float]]:
    def middle_name(record: dict[str, str], place: Place, rng: random.Random) -> bool:
        middle = record.pop("_middle", "")
        if not middle:
            return False
        record["first_name"] = middle
        return True

    def married_name(record: dict[str, str], place: Place, rng: random.Random) -> bool:
        new = names.surname(record.get("_group", "british"), rng)
        if new == record["last_name"]:
            return False
        record["last_name"] = new
        return True

    return {"middle_name": (middle_name, 4), "married_name": (married_name, 4)}


@dataclass
class SynthData:
    """A generated register and extract; see the module docstring."""

    n_electors: int
    n_members: int
    seed: int
    wards: tuple[str, ...] | None = None
    _members: list[dict[str, str]] | None = None
    _truth: dict[str, tuple[str | None, str]] | None = None
    _register: list[dict[str, str]] | None = None

    def iter_register_rows(self) -> Iterator[list[str]]:
        """Yield register rows as lists; when exhausted, members and truth are known."""
        rng = random.Random(self.seed)
        world = World(self.n_electors, self.wards, rng)
        picker = _Picker(self.n_electors, self.n_members, random.Random(self.seed + 1), world.names)
        yield from world.run(picker)
        self._members, self._truth = _select(picker, self.n_members, random.Random(self.seed + 2))

    @property
    def register_rows(self) -> list[dict[str, str]]:
        if self._register is None:
            self._register = [
                dict(zip(REGISTER_COLUMNS, row, strict=True)) for row in self.iter_register_rows()
            ]
        return self._register

    @property
    def member_rows(self) -> list[dict[str, str]]:
        if self._members is None:
            for _ in self.iter_register_rows():
                pass
        assert self._members is not None
        return self._members

    @property
    def truth(self) -> dict[str, tuple[str | None, str]]:
        self.member_rows  # noqa: B018 - computes truth alongside
        assert self._truth is not None
        return self._truth

    def write_csv(self, directory: str | Path) -> dict[str, Path]:
        """Write register.csv, members.csv and truth.csv in one pass; return their paths."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        paths = {name: out / f"{name}.csv" for name in ("register", "members", "truth")}
        with paths["register"].open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(REGISTER_COLUMNS)
            writer.writerows(self.iter_register_rows())
        write_members(paths["members"], self.member_rows)
        write_truth(paths["truth"], self.truth)
        return paths


def write_members(path: Path, rows: Sequence[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=EXTRACT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def write_truth(path: Path, truth: dict[str, tuple[str | None, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["membership_number", "elector_id", "kind"])
        for number, (elector_id, kind) in truth.items():
            writer.writerow([number, elector_id or "", kind])


def read_truth(path: str | Path) -> dict[str, tuple[str | None, str]]:
    with Path(path).open(newline="", encoding="utf-8") as handle:
        return {
            r["membership_number"]: (r["elector_id"] or None, r["kind"])
            for r in csv.DictReader(handle)
        }


def _select(
    picker: _Picker, n_members: int, rng: random.Random
) -> tuple[list[dict[str, str]], dict[str, tuple[str | None, str]]]:
    pools = picker.pools
    chosen: list[_Candidate] = []
    used: set[str] = set()
    for kind, share in SHARES.items():
        if kind == "moved":
            continue
        pool = pools.by_kind.get(kind, [])
        want = min(len(pool), round(share * n_members))
        for candidate in rng.sample(pool, want):
            if candidate.elector_id and candidate.elector_id in used:
                continue
            used.add(candidate.elector_id or "")
            chosen.append(candidate)
    registered = [c for c in pools.registered if c.elector_id not in used]
    rng.shuffle(registered)
    n_moved = round(SHARES["moved"] * n_members)
    for candidate in registered[: max(0, n_members - len(chosen))]:
        kind = ""
        if n_moved > 0 and len(pools.ward_places.get(candidate.place.ward, [])) > 1:
            others = [
                p for p in pools.ward_places[candidate.place.ward] if p is not candidate.place
            ]
            candidate = _Candidate(candidate.person, rng.choice(others), candidate.association,
                                   candidate.elector_id, "moved")  # fmt: skip
            n_moved -= 1
            kind = "moved"
        candidate.kind = kind
        chosen.append(candidate)
    chosen = chosen[:n_members]
    rng.shuffle(chosen)
    damages = {**DAMAGES, **_extra_damages(picker.names)}
    members, truth = [], {}
    for index, candidate in enumerate(chosen):
        number = f"M{index + 1:07d}"
        record = _record(number, candidate, rng)
        kind = candidate.kind or _damage(record, candidate.place, damages, rng)
        if kind == "trap_same_initial_only":
            record["first_name"] = record["first_name"][0]
        for private in ("_middle", "_group"):
            record.pop(private, None)
        members.append(record)
        truth[number] = (candidate.elector_id, kind)
    return members, truth


def _damage(
    record: dict[str, str],
    place: Place,
    damages: dict[str, tuple[Damage, float]],
    rng: random.Random,
) -> str:
    roll = rng.random()
    wanted = 0 if roll < 0.45 else 1 if roll < 0.9 else 2
    names = list(damages)
    weights = [damages[n][1] for n in names]
    applied: list[str] = []
    for _ in range(8):
        if len(applied) >= wanted:
            break
        name = rng.choices(names, weights)[0]
        if name not in applied and damages[name][0](record, place, rng):
            applied.append(name)
    return "+".join(sorted(applied)) or "clean"


def _record(number: str, c: _Candidate, rng: random.Random) -> dict[str, str]:
    p = c.person
    title = "Mr" if p.male else rng.choice(["Ms", "Mrs", "Miss", "Ms"])
    if rng.random() < 0.03:
        title = "Dr"
    lines = (member_address(c.place, rng) + ["", "", ""])[:3]
    email = ""
    if rng.random() < 0.86:
        local = f"{p.first}.{p.surname}".lower().replace(" ", "").replace("'", "")
        email = f"{local}{rng.randint(1, 99)}@example.{rng.choice(['org', 'com', 'net'])}"
    phone = f"07{rng.randint(100000000, 999999999)}" if rng.random() < 0.7 else ""
    dob = f"{rng.randint(1940, 2007)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    joined = f"{rng.randint(2000, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return {
        "membership_number": number, "title": title, "first_name": p.first, "last_name": p.surname,
        "address_1": lines[0], "address_2": lines[1], "address_3": lines[2], "town": "London",
        "postcode": c.place.postcode, "email": email, "phone": phone, "date_of_birth": dob,
        "joined_on": joined, "association": c.association, "status": "current",
        "_middle": p.middle, "_group": p.group,
    }  # fmt: skip


def generate(
    n_electors: int, n_members: int, seed: int, wards: Sequence[str] | None = None
) -> SynthData:
    """A reproducible synthetic register and extract; nothing is generated until asked for."""
    return SynthData(n_electors, n_members, seed, tuple(wards) if wards is not None else None)
