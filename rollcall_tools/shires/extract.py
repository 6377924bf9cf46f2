"""The shires membership extract: members drawn from the world, their records damaged, and truth.

Each member is one of: a registered person at the address the party holds (most), a
registered person whose address the party holds is not the one on the register (moved),
or someone not on the register (in an empty dwelling, or living with registered relatives
who share the surname and sometimes an initial or a first name). The record is then
damaged the way membership systems damage records (``damage``).

The truth row says the true elector (empty when not on the register), the ``kind`` (how
the record was made and damaged, parts joined with ``+``), how many electors the record
fits equally well (``right_electors``: 0 off the register, 1 normally, 2 or more when a
relative at the same address fits as well) and whether the member is on the register at
the address the party holds (``at_held_address``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from rollcall_tools.shires.damage import fold, member_name, party_address
from rollcall_tools.shires.register import REGISTER_YEAR, Dwelling, Person, World, short_forms
from rollcall_tools.shires.vocab import PLACES, TITLES_F, TITLES_M


@dataclass
class Member:
    """One extract row and its truth."""

    row: dict[str, str]
    elector_id: str
    kind: str
    right_electors: int
    at_held_address: bool


def _fit(given: str, other: Person) -> int:
    """How well a first name fits a person: 3 first name or its short form, 2 initial, 1 other."""
    g = fold(given.split(" ")[0]) if given else ""
    if not g:
        return 0
    first = other.forenames[0]
    if g == fold(first) or g in {fold(s) for s in short_forms(first)}:
        return 3
    if len(g) == 1 and g == fold(first)[:1]:
        return 2
    if any(g == fold(n) or g in {fold(s) for s in short_forms(n)} for n in other.forenames[1:]):
        return 1
    return 0


def _same_family(a: Person, b: Person) -> bool:
    fa = {fold(a.surname), fold(a.prev_surname)} - {""}
    fb = {fold(b.surname), fold(b.prev_surname)} - {""}
    return bool(fa & fb)


def right_electors(world: World, p: Person, meant: str) -> int:
    """1 + the other electors at the same address the record fits at least as well as ``p``.

    ``meant`` is the first name the member gave before any typo.
    """
    mine = max(_fit(meant, p), 1)
    count = 1
    for i in world.dwellings[p.dwelling].people:
        other = world.people[i]
        if i == p.index or not other.elector_id or not _same_family(p, other):
            continue
        if _fit(meant, other) >= mine:
            count += 1
    return count


def _tag_place(d: Dwelling, kinds: list[str]) -> None:
    if PLACES[d.place]["country"] == "wales":
        kinds.append("welsh_address")
    if d.flat_style in ("glasgow", "edinburgh"):
        kinds.append("scottish_tenement")
    elif d.flat_style == "converted":
        kinds.append("converted_flat")
    if d.house_name:
        kinds.append("rural_named_house")


def _contact(p: Person, rng: random.Random) -> dict[str, str]:
    y, m, day = p.birth
    local_name = fold(p.forenames[p.known]) or "member"
    local_surname = fold(p.surname) or "x"
    email = ""
    roll = rng.random()
    if roll < 0.35:
        email = f"{local_name}.{local_surname}{rng.randint(1, 99)}@example.org"
    elif roll < 0.5:
        email = f"{local_name[0]}{local_surname}@example.net"
    elif roll < 0.62:
        email = f"{rng.choice(('red', 'blue', 'hill', 'dragon', 'thistle', 'rover'))}{rng.randint(10, 9999)}@example.com"
    phone = f"07{rng.randint(100000000, 999999999)}" if rng.random() < 0.6 else ""
    dob = f"{y:04d}-{m:02d}-{day:02d}" if rng.random() < 0.85 else ""
    joined_year = rng.randint(max(y + 14, 1985), 2025)
    joined = f"{joined_year:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    title = rng.choice(TITLES_M if p.sex == "M" else TITLES_F)
    if p.sex == "F" and title == "Miss" and REGISTER_YEAR - y > 50:
        title = "Mrs"
    status = rng.choices(("current", "lapsed", "suspended", "supporter"), (93, 5, 1, 1))[0]
    return {"title": title, "email": email, "phone": phone, "date_of_birth": dob,
            "joined_on": joined, "status": status}  # fmt: skip


def make_members(world: World, n_members: int, rng: random.Random) -> list[Member]:
    """``n_members`` members with truth, in a shuffled order, numbered ``SH0000001``..."""
    people = world.people
    registered = [i for i in world.electors if not people[i].attainer or rng.random() < 0.1]
    traps = [
        i
        for i in registered
        if people[i].trap == "middle_relative"
        and any(
            people[j].trap == "named_for_parent_middle" and people[j].elector_id
            for j in world.dwellings[people[i].dwelling].people
        )
    ]
    unregistered = [
        p.index for p in people if not p.elector_id and REGISTER_YEAR - p.birth[0] >= 18
    ]
    rng.shuffle(registered)
    rng.shuffle(traps)
    rng.shuffle(unregistered)
    taken: set[int] = set()
    dwellings_by_place: dict[int, list[int]] = {}
    for d in world.dwellings:
        dwellings_by_place.setdefault(d.place, []).append(d.index)
    members: list[Member] = []
    pools = {"registered": registered, "trap": traps, "unregistered": unregistered}
    cursor = dict.fromkeys(pools, 0)

    def draw(pool: str) -> int | None:
        items = pools[pool]
        while cursor[pool] < len(items):
            i = items[cursor[pool]]
            cursor[pool] += 1
            if i not in taken:
                taken.add(i)
                return i
        return None

    while len(members) < n_members:
        scenario = rng.choices(
            ("at_address", "middle_trap", "moved", "not_registered"), (832, 13, 35, 120)
        )[0]
        pool = {"middle_trap": "trap", "not_registered": "unregistered"}.get(scenario, "registered")
        i = draw(pool)
        if i is None:
            i = draw("registered")
            scenario = "at_address"
            if i is None:
                raise ValueError("not enough electors for that many members")
        p = people[i]
        kinds: list[str] = []
        held = world.dwellings[p.dwelling]
        if scenario == "moved":
            kinds.append(rng.choice(("moved_not_reregistered", "party_address_stale")))
            choices = dwellings_by_place[held.place]
            held = world.dwellings[rng.choice(choices)]
            if held.index == p.dwelling:
                held = world.dwellings[choices[(choices.index(held.index) + 7) % len(choices)]]
        elif scenario == "not_registered":
            d = world.dwellings[p.dwelling]
            relatives = [
                j
                for j in d.people
                if j != i and people[j].elector_id and _same_family(p, people[j])
            ]
            if d.pd == "-":
                kinds.append("not_registered_empty_address")
            elif any(_fit(p.forenames[p.known], people[j]) >= 2 for j in relatives):
                # A registered relative has the same first name, a short form of it or
                # (only) its initial: the record cannot tell them apart.
                kinds.append("not_registered_namesake_at_address")
            elif relatives:
                kinds.append("not_registered_relative_at_address")
            else:
                kinds.append("not_registered")
        given, surname, meant = member_name(p, rng, kinds)
        address = party_address(held, rng, kinds)
        if not kinds:
            kinds.append("exact")
        _tag_place(held, kinds)
        if scenario == "not_registered":
            n_right, at_held = 0, False
        elif scenario == "moved":
            n_right, at_held = 1, False
        else:
            n_right, at_held = right_electors(world, p, meant), True
            if n_right > 1:
                kinds.append("ambiguous_relative")
        row = {"membership_number": f"SH{len(members) + 1:07d}", "first_name": given,
               "last_name": surname, **address, **_contact(p, rng),
               "association": str(PLACES[held.place]["town"])[:4].upper() + "CLP"}  # fmt: skip
        members.append(Member(row, p.elector_id, "+".join(kinds), n_right, at_held))
    order = list(range(len(members)))
    rng.shuffle(order)
    shuffled = [members[k] for k in order]
    for n, m in enumerate(shuffled, 1):
        m.row["membership_number"] = f"SH{n:07d}"
    return shuffled
