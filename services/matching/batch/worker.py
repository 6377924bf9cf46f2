"""One worker of a file run: its members, its districts' index, its half of the swap,
its decisions in a part file.

A worker reads the whole register but parses only the rows of its own districts
(``Districts``), indexing them under the local keys of its own members and every
shared key. A key is *local* when it holds the member's postcode or ``@district``,
so only electors of that district can carry it; any other key (a flat in a named
building looked up by street, a street looked up city-wide for a member with no
postcode) is *shared*. Through the parent (``processes``) it first sends the shared
keys of its members and gets everyone else's, then sends what its districts hold
under other workers' members' shared keys, with the name counts of its rows, and
gets the same back with the counts over the whole register. Every member thus sees
exactly the candidates, and the term frequencies, one index over the whole file
would give.

It then matches its members in chunks and writes one row per member, prefixed by
the member's row number in the extract, to ``part-<n>.csv`` (and its evidence to
``part-<n>.jsonl``), and returns its matches as claims for ``merging``.

With one worker there is no parent to swap with and nothing crosses.
"""

from __future__ import annotations

import csv
import gc
import json
import pickle
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from rollcall.formats import DECISION_COLUMNS
from services.matching.batch.districts import Districts
from services.matching.batch.reading import cell, column, register_rows
from services.matching.matcher.addresses import outward
from services.matching.matcher.candidates import CandidateBatch, MemoryIndex
from services.matching.matcher.deciding import MATCH, REVIEW, Decision, Matcher
from services.matching.matcher.probabilities import Model, NameFrequencies
from services.matching.matcher.records import (
    Elector,
    Member,
    found_at_house,
    inward_keys,
    member_keys,
)

#: Marks a worker's pickled shared keys, which the parent relays without unpickling
#: (anything else on that turn is a worker's failure report).
KEYS = b"rollcall-keys:"

#: Name counts as they cross between processes: forenames, surnames, electors.
Counts = tuple[dict[str, int], dict[str, int], int]
#: Candidates other workers sent, by the member's row number: under the first round's
#: keys, and under ``inward_keys`` (used only when the first round found nobody at home).
Sent = tuple[dict[int, list[Elector]], dict[int, list[Elector]]]
#: A match: the member's row number in the extract, membership number, elector id.
Claim = tuple[int, str, str]


@dataclass(frozen=True)
class Plan:
    """What every worker is forked with."""

    register: Path
    members: Path
    districts: Districts
    chunk: int
    model: Model | None
    workdir: Path
    evidence: bool

    @property
    def workers(self) -> int:
        return self.districts.workers

    def part_file(self, part: int, suffix: str) -> Path:
        return part_file(self.workdir, part, suffix)


def part_file(workdir: Path, part: int, suffix: str) -> Path:
    """Where worker ``part`` writes its decisions (``.csv``) or evidence (``.jsonl``)."""
    return workdir / f"part-{part}{suffix}"


@dataclass
class PartResult:
    """What one worker did: its share of ``MatchRun``, and its matches as claims."""

    members: int
    electors: int
    kept: int
    refused: list[tuple[int, str]]
    counts: dict[str, int]
    claims: list[Claim]
    crossed: int
    seconds_loading: float
    phases: dict[str, float]
    cpu_seconds: float


def own_members(plan: Plan, part: int) -> list[tuple[int, Member]]:
    """(row index, member) of the members whose home is worker ``part``.

    The home is decided from the postcode text alone, so each worker parses only its
    own members."""
    found = []
    with plan.members.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        at_number, at_postcode = column(header, "membership_number"), column(header, "postcode")
        for number, row in enumerate(reader):
            if not row:  # a blank line is no member (csv.DictReader skips it too)
                continue
            if plan.districts.of_member(cell(row, at_number), cell(row, at_postcode)) == part:
                # As csv.DictReader would give it: short rows padded, long rows cut.
                found.append((number, Member.from_row(dict(zip(header, row, strict=False)))))
    return found


def split_keys(
    members: Sequence[tuple[int, Member]], part: int
) -> tuple[set[str], dict[str, list[tuple[int, int]]]]:
    """The local keys of a worker's members, and their shared keys with (row, home)."""
    local: set[str] = set()
    shared: dict[str, list[tuple[int, int]]] = {}
    for number, member in members:
        postcode = member.address.postcode
        district = f"@{outward(postcode)}" if postcode else None
        for key in member_keys(member):
            if district and (key.endswith(district) or key.split("|", 2)[1] == postcode):
                local.add(key)
            else:
                shared.setdefault(key, []).append((number, part))
        for key in inward_keys(member):  # across the area's districts, by design
            shared.setdefault(key, []).append((number, part))
    return local, shared


class PartSource:
    """A worker's candidates: its own districts' index plus what others sent it
    (``sent`` under the first round's keys, ``sent_inward`` under ``inward_keys``)."""

    def __init__(
        self,
        index: MemoryIndex,
        members: Sequence[tuple[int, Member]],
        sent: Sent,
        frequencies: NameFrequencies,
    ) -> None:
        self.index, self.frequencies = index, frequencies
        self.sent, self.sent_inward = sent
        self.rows = {id(member): number for number, member in members}

    def fetch(self, members: Sequence[Member]) -> CandidateBatch:
        found: dict[str, list[Elector]] = {}
        for member in members:
            seen: dict[str, Elector] = {}
            for key in member_keys(member):
                for elector in self.index.lookup(key):
                    seen.setdefault(elector.elector_id, elector)
            row = self.rows[id(member)]
            for elector in self.sent.get(row, ()):
                seen.setdefault(elector.elector_id, elector)
            if not found_at_house(member, seen.values()):
                for key in inward_keys(member):
                    for elector in self.index.lookup(key):
                        seen.setdefault(elector.elector_id, elector)
                for elector in self.sent_inward.get(row, ()):
                    seen.setdefault(elector.elector_id, elector)
            found[member.membership_number] = [seen[e] for e in sorted(seen)]
        return CandidateBatch(found, self.frequencies)


def _swap_keys(parent: Connection, shared: dict[str, list[tuple[int, int]]]) -> None:
    """Send this worker's shared keys; add every other worker's to ``shared``."""
    parent.send_bytes(KEYS + pickle.dumps(shared, pickle.HIGHEST_PROTOCOL))
    for blob in parent.recv():
        for key, wanting in pickle.loads(blob[len(KEYS) :]).items():
            shared.setdefault(key, []).extend(wanting)


def _swap_candidates(
    parent: Connection,
    plan: Plan,
    part: int,
    index: MemoryIndex,
    shared: dict[str, list[tuple[int, int]]],
) -> tuple[Sent, NameFrequencies, int]:
    """Send other workers' members what this worker's districts hold under their shared
    keys, with this worker's name counts; get the same for its own members, and the
    name frequencies of the whole register. Also how many candidates it sent."""
    outgoing: list[Sent] = [({}, {}) for _ in range(plan.workers)]
    for key, wanting in shared.items():
        found = index.lookup(key)
        if found:
            inward = key.startswith("pi|")
            for number, home in wanting:
                if home != part:
                    outgoing[home][inward].setdefault(number, []).extend(found)
    crossed = sum(len(v) for out in outgoing for side in out for v in side.values())
    blobs = [
        pickle.dumps(out, pickle.HIGHEST_PROTOCOL) if out[0] or out[1] else b"" for out in outgoing
    ]
    del outgoing
    frequencies = index.frequencies
    counts: Counts = (frequencies.forenames, frequencies.surnames, frequencies.total)
    parent.send((counts, blobs))
    del blobs
    whole, inbound = parent.recv()
    sent: Sent = ({}, {})
    for blob in inbound:
        for side, got in zip(sent, pickle.loads(blob), strict=True):
            for number, electors in got.items():
                side.setdefault(number, []).extend(electors)
    return sent, whole, crossed


def evidence_record(decision: Decision) -> dict[str, Any]:
    """One line of the evidence file: the decisions row, the ward, the evidence and,
    for a review, the candidates."""
    record: dict[str, Any] = {
        **decision.csv_row(),
        "ward": decision.ward,
        "evidence": decision.evidence,
    }
    if decision.decision == REVIEW:
        record["candidates"] = list(decision.candidates)
    return record


def _match_part(
    plan: Plan,
    part: int,
    members: Sequence[tuple[int, Member]],
    matcher: Matcher,
    say: Callable[[str], None],
) -> tuple[Counter[str], list[Claim]]:
    """Match the members in chunks, writing the part files; the decisions' counts and
    the matches as claims."""
    counts: Counter[str] = Counter()
    claims: list[Claim] = []
    evidence_path = plan.part_file(part, ".jsonl") if plan.evidence else None
    with plan.part_file(part, ".csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        evidence = evidence_path.open("w", encoding="utf-8") if evidence_path else None
        try:
            for start in range(0, len(members), plan.chunk):
                chunk = members[start : start + plan.chunk]
                decisions = matcher.match([m for _, m in chunk], one_to_one=False)
                for (number, _), decision in zip(chunk, decisions, strict=True):
                    row = decision.csv_row()
                    writer.writerow([number, *(row[c] for c in DECISION_COLUMNS)])
                    counts[decision.decision] += 1
                    if decision.decision == MATCH and decision.elector_id:
                        claims.append((number, decision.membership_number, decision.elector_id))
                    if evidence is not None:
                        evidence.write(f"{number}\t{json.dumps(evidence_record(decision))}\n")
                done = min(start + plan.chunk, len(members))
                say(f"worker {part}: matched {done}/{len(members)}")
        finally:
            if evidence is not None:
                evidence.close()
    return counts, claims


def work(
    plan: Plan, part: int, parent: Connection | None, say: Callable[[str], None]
) -> PartResult:
    """Worker ``part``: read its members, index its districts, swap shared keys and
    candidates through ``parent`` (none with one worker), match its members."""
    started, cpu = time.perf_counter(), time.process_time()
    phases: dict[str, float] = {}

    def phase(name: str, since: float) -> float:
        now = time.perf_counter()
        phases[name] = round(now - since, 1)
        return now

    gc.disable()  # millions of long-lived objects: collecting while building them is waste
    try:
        members = own_members(plan, part)
        wanted, shared = split_keys(members, part)
        if parent is not None:
            _swap_keys(parent, shared)
        wanted.update(shared)
        mark = phase("members", started)
        refused: list[tuple[int, str]] = []
        owner = plan.districts.of_text if plan.workers > 1 else None
        rows = register_rows(plan.register, refused, owner, part)
        index = MemoryIndex.from_rows(rows, version=plan.register.name, wanted=wanted)
        del wanted
        mark = phase("register", mark)
    finally:
        gc.freeze()
        gc.enable()
    say(
        f"worker {part}: {len(members)} members; {index.frequencies.total} electors in its districts, "
        f"kept {len(index.electors)}; {phases}"
    )
    sent: Sent = ({}, {})
    frequencies = index.frequencies
    crossed = 0
    if parent is not None:
        sent, frequencies, crossed = _swap_candidates(parent, plan, part, index, shared)
        mark = phase("swap", mark)
    del shared
    loaded = time.perf_counter()
    matcher = Matcher(PartSource(index, members, sent, frequencies), plan.model)
    counts, claims = _match_part(plan, part, members, matcher, say)
    gc.unfreeze()
    matching = time.perf_counter() - loaded
    return PartResult(
        members=len(members), electors=index.frequencies.total, kept=len(index.electors),
        refused=refused, counts=dict(counts), claims=claims, crossed=crossed,
        seconds_loading=loaded - started,
        phases={**phases, "matching": round(matching, 1)},
        cpu_seconds=time.process_time() - cpu,
    )  # fmt: skip
