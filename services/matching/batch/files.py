"""Matching from files: a register CSV and an extract CSV in, a decisions CSV out.

This is the I/O shell around the pure matcher that ``rollcall match`` and
``bench/match.py`` share. It streams the register, keeping only electors that
share a blocking key with some member, so memory follows the number of members
rather than the size of the register.

It uses every core it is given (``workers``, default: the usable CPUs, at most
four) by splitting the work by postcode district, not by sharing one index:

1. The parent reads the extract and gives each member a *home* worker, the one
   owning the member's postcode district (a member with no usable postcode gets
   one by membership number). Every blocking key is either *local* (it holds the
   member's postcode or ``@district``, so only electors of that district can carry
   it) or *shared* (a flat in a named building looked up by street, or a street
   looked up city-wide for a member with no postcode).
2. Each worker (a forked process) reads the whole file but parses only the rows of
   its own districts (a row's district comes from its postcode text alone), indexing
   them under the local keys of its members and every shared key.
3. Workers swap, through the parent, what their districts hold under other workers'
   members' shared keys, and the name counts of their rows (term frequencies are
   over the whole register). Every member thus sees exactly the candidates a single
   index over the whole file would give.
4. Each worker matches its own members in chunks and writes them to a part file;
   the parent merges the parts in extract order and applies one member to one
   elector over the whole file: an elector that more than one member would match
   sends all of them to review, naming the others. So the decisions do not depend
   on the number of workers or the chunk size (a test checks 1 against 2 workers).

Python objects cannot be shared between processes without copying (reference
counts write to every page read), which is why the register is split rather than
indexed once and read by all: each elector is parsed and held by one process only.

Guarantees: every member row gets exactly one decisions row, in extract order;
a register row that cannot be read is counted in ``MatchRun.register_refused``
with its line number, never silently dropped; no elector is matched to two
members; a worker that fails or dies fails the whole run (nothing is written to
``out`` but what was merged before the failure is discarded with it).
"""

from __future__ import annotations

import csv
import gc
import heapq
import json
import multiprocessing
import os
import pickle
import re
import shutil
import sys
import tempfile
import time
import traceback
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from rollcall.formats import DECISION_COLUMNS
from services.matching.matcher.addresses import normalise_postcode, outward
from services.matching.matcher.deciding import (
    MATCH,
    REVIEW,
    CandidateBatch,
    Decision,
    Matcher,
    MemoryIndex,
    contested_claims,
    contested_reasons,
)
from services.matching.matcher.records import Elector, Member, member_keys
from services.matching.matcher.scoring import Model, NameFrequencies

#: At most this many workers by default: beyond it the whole-file read each worker
#: repeats costs more than its share of the parsing saves.
MAX_DEFAULT_WORKERS = 4


@dataclass
class MatchRun:
    """What a file run did, for people and for the benchmark."""

    members: int = 0
    electors: int = 0
    electors_kept: int = 0
    register_refused: list[tuple[int, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    workers: int = 1
    #: Shared-key candidates that crossed from one worker's districts to another's.
    shared_candidates: int = 0
    #: Matches turned into reviews because another member fit the same elector.
    contested: int = 0
    #: CPU seconds of each worker (on a busy machine, wall time says less).
    worker_cpu_seconds: list[float] = field(default_factory=list)
    #: Wall seconds of each worker's phases: members, register, swap, matching.
    worker_phases: list[dict[str, float]] = field(default_factory=list)
    seconds_loading: float = 0.0
    seconds_matching: float = 0.0


def default_workers() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), MAX_DEFAULT_WORKERS))


def read_members(path: str | Path) -> list[Member]:
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        return [Member.from_row(row) for row in csv.DictReader(handle)]


def register_rows(path: str | Path, refused: list[tuple[int, str]]) -> Iterator[dict[str, str]]:
    """Rows of a register CSV; a row with the wrong number of fields is refused."""
    return _register_rows(path, refused, 0, Districts(1))


_NOT_ALPHANUMERIC = re.compile(r"[^A-Z0-9]")


@dataclass(frozen=True)
class Districts:
    """Which worker owns each postcode district.

    ``balanced`` reads the extract's postcodes and hands districts out largest first to
    the least loaded worker, so every worker gets about the same number of members
    (and, since members follow electors, of electors). A district no member lives in
    goes by a hash: only shared keys can reach its electors, and those are swapped.
    """

    workers: int
    owner: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def balanced(cls, members: Path, workers: int) -> Districts:
        if workers == 1:
            return cls(1)
        sizes: Counter[str] = Counter()
        load = [0] * workers
        with members.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            at_number, at_postcode = (
                _column(header, "membership_number"),
                _column(header, "postcode"),
            )
            for row in filter(None, reader):
                postcode = normalise_postcode(_cell(row, at_postcode).strip())
                if postcode:
                    sizes[outward(postcode)] += 1
                else:
                    load[_by_number(_cell(row, at_number), workers)] += 1
        owner: dict[str, int] = {}
        for district, size in sorted(sizes.items(), key=lambda item: (-item[1], item[0])):
            lightest = min(range(workers), key=lambda w: (load[w], w))
            owner[district] = lightest
            load[lightest] += size
        return cls(workers, owner)

    def of_postcode(self, postcode: str | None) -> int:
        """The worker of a normalised postcode's district (0 when there is none)."""
        if self.workers == 1 or not postcode:
            return 0
        return self._of_district(outward(postcode))

    def _of_district(self, district: str) -> int:
        found = self.owner.get(district)
        return zlib.crc32(district.encode()) % self.workers if found is None else found

    def of_text(self, text: str) -> int:
        """``of_postcode`` of a register row's postcode text, without the full check:
        for every text ``normalise_postcode`` accepts it gives the same worker (the
        outward code is what precedes the last three characters either way); any other
        text gets one worker too, and such a row has no postcode keys, only shared ones."""
        if self.workers == 1:
            return 0
        code = text.replace(" ", "").upper()
        if not (code.isalnum() and code.isascii()):
            code = _NOT_ALPHANUMERIC.sub("", code)
        return self._of_district(code[:-3]) if 5 <= len(code) <= 7 else 0

    def of_member(self, number: str, postcode: str) -> int:
        """A member's home worker, from the extract's text: the postcode district's, or
        one by membership number for a member with no usable postcode."""
        if self.workers == 1:
            return 0
        normalised = normalise_postcode(postcode.strip())
        if normalised:
            return self.of_postcode(normalised)
        return _by_number(number, self.workers)


def _by_number(number: str | None, workers: int) -> int:
    return zlib.crc32((number or "").strip().encode()) % workers


def _column(header: list[str], name: str) -> int | None:
    return header.index(name) if name in header else None


def _cell(row: list[str], at: int | None) -> str:
    return row[at] if at is not None and at < len(row) else ""


def _header(path: str | Path, reader: Iterator[list[str]]) -> list[str]:
    header = next(reader, [])
    missing = [c for c in ("elector_id", "surname", "forenames", "postcode") if c not in header]
    if missing:
        raise ValueError(f"{path}: register header lacks {', '.join(missing)}")
    return header


def _register_rows(
    path: str | Path, refused: list[tuple[int, str]], part: int, districts: Districts
) -> Iterator[dict[str, str]]:
    """The rows of worker ``part``'s districts; refused rows are reported by worker 0."""
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = _header(path, reader)
        width, at_id, at_postcode = (
            len(header),
            header.index("elector_id"),
            header.index("postcode"),
        )
        for line, row in enumerate(reader, start=2):
            if len(row) != width or not row[at_id].strip():
                if part == 0:
                    reason = "wrong number of fields" if len(row) != width else "no elector_id"
                    refused.append((line, reason))
                continue
            if districts.workers > 1 and districts.of_text(row[at_postcode]) != part:
                continue
            yield dict(zip(header, row, strict=True))


@dataclass(frozen=True)
class _Plan:
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


def _own_members(plan: _Plan, part: int) -> list[tuple[int, Member]]:
    """(row index, member) of the members whose home is worker ``part``.

    The home is decided from the postcode text alone, so each worker parses only its
    own members."""
    found = []
    with plan.members.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        at_number, at_postcode = _column(header, "membership_number"), _column(header, "postcode")
        for number, row in enumerate(reader):
            if not row:  # a blank line is no member (csv.DictReader skips it too)
                continue
            if plan.districts.of_member(_cell(row, at_number), _cell(row, at_postcode)) == part:
                # As csv.DictReader would give it: short rows padded, long rows cut.
                found.append((number, Member.from_row(dict(zip(header, row, strict=False)))))
    return found


def _split_keys(
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
    return local, shared


class _PartSource:
    """A worker's candidates: its own districts' index plus what others sent it."""

    def __init__(
        self,
        index: MemoryIndex,
        members: Sequence[tuple[int, Member]],
        sent: dict[int, list[Elector]],
        frequencies: NameFrequencies,
    ) -> None:
        self.index, self.sent, self.frequencies = index, sent, frequencies
        self.rows = {id(member): number for number, member in members}

    def fetch(self, members: Sequence[Member]) -> CandidateBatch:
        found: dict[str, list[Elector]] = {}
        for member in members:
            seen: dict[str, Elector] = {}
            for key in member_keys(member):
                for elector in self.index.lookup(key):
                    seen.setdefault(elector.elector_id, elector)
            for elector in self.sent.get(self.rows[id(member)], ()):
                seen.setdefault(elector.elector_id, elector)
            found[member.membership_number] = [seen[e] for e in sorted(seen)]
        return CandidateBatch(found, self.frequencies)


def _counts(frequencies: NameFrequencies) -> tuple[dict[str, int], dict[str, int], int]:
    return frequencies.forenames, frequencies.surnames, frequencies.total


def _merge_counts(parts: Sequence[tuple[dict[str, int], dict[str, int], int]]) -> NameFrequencies:
    forenames: Counter[str] = Counter()
    surnames: Counter[str] = Counter()
    for fore, sur, _ in parts:
        forenames.update(fore)
        surnames.update(sur)
    return NameFrequencies(forenames, surnames, sum(total for *_, total in parts))


def _work(
    plan: _Plan, part: int, parent: Connection | None, say: Callable[[str], None]
) -> dict[str, Any]:
    """One worker: read its members, index its districts, swap shared keys and
    candidates through the parent, match its members."""
    started, cpu = time.perf_counter(), time.process_time()
    phases: dict[str, float] = {}

    def phase(name: str, since: float) -> float:
        now = time.perf_counter()
        phases[name] = round(now - since, 1)
        return now

    gc.disable()  # millions of long-lived objects: collecting while building them is waste
    try:
        members = _own_members(plan, part)
        wanted, shared = _split_keys(members, part)
        if parent is not None:
            parent.send_bytes(_KEYS + pickle.dumps(shared, pickle.HIGHEST_PROTOCOL))
            for blob in parent.recv():  # the other workers' shared keys
                for key, wanting in pickle.loads(blob[len(_KEYS) :]).items():
                    shared.setdefault(key, []).extend(wanting)
        wanted.update(shared)
        mark = phase("members", started)
        refused: list[tuple[int, str]] = []
        rows = _register_rows(plan.register, refused, part, plan.districts)
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
    sent: dict[int, list[Elector]] = {}
    frequencies = index.frequencies
    crossed = 0
    if parent is not None:
        outgoing: list[dict[int, list[Elector]]] = [{} for _ in range(plan.workers)]
        for key, wanting in shared.items():
            found = index.lookup(key)
            if found:
                for number, home in wanting:
                    if home != part:
                        outgoing[home].setdefault(number, []).extend(found)
        crossed = sum(len(v) for out in outgoing for v in out.values())
        blobs = [pickle.dumps(out, pickle.HIGHEST_PROTOCOL) if out else b"" for out in outgoing]
        del outgoing
        parent.send((_counts(frequencies), blobs))
        del blobs
        frequencies, inbound = parent.recv()
        for blob in inbound:
            for number, electors in pickle.loads(blob).items():
                sent.setdefault(number, []).extend(electors)
        del inbound
        mark = phase("swap", mark)
    del shared
    loaded = time.perf_counter()
    matcher = Matcher(_PartSource(index, members, sent, frequencies), plan.model)
    counts: Counter[str] = Counter()
    claims: list[tuple[int, str, str]] = []
    evidence_path = plan.workdir / f"part-{part}.jsonl" if plan.evidence else None
    with (plan.workdir / f"part-{part}.csv").open("w", newline="", encoding="utf-8") as out:
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
                        evidence.write(f"{number}\t{json.dumps(_evidence_record(decision))}\n")
                done = min(start + plan.chunk, len(members))
                say(f"worker {part}: matched {done}/{len(members)}")
        finally:
            if evidence is not None:
                evidence.close()
    gc.unfreeze()
    return {
        "members": len(members), "electors": index.frequencies.total, "kept": len(index.electors),
        "refused": refused,
        "counts": dict(counts), "claims": claims, "crossed": crossed,
        "seconds_loading": loaded - started, "seconds_matching": time.perf_counter() - loaded,
        "phases": {**phases, "matching": round(time.perf_counter() - loaded, 1)},
        "cpu_seconds": time.process_time() - cpu,
    }  # fmt: skip


def _evidence_record(decision: Decision) -> dict[str, Any]:
    record: dict[str, Any] = {
        **decision.csv_row(),
        "ward": decision.ward,
        "evidence": decision.evidence,
    }
    if decision.decision == REVIEW:
        record["candidates"] = list(decision.candidates)
    return record


def _child(plan: _Plan, part: int, connection: Connection, say: Callable[[str], None]) -> None:
    try:
        connection.send(("done", _work(plan, part, connection, say)))
    except BaseException:  # noqa: BLE001 - the parent reports it and fails the run
        connection.send(("failed", traceback.format_exc()))
    finally:
        connection.close()


def _receive(connection: Connection, part: int) -> Any:
    try:
        message = connection.recv()
    except EOFError:
        raise RuntimeError(f"matching worker {part} died (out of memory?)") from None
    if isinstance(message, tuple) and message and message[0] == "failed":
        raise RuntimeError(f"matching worker {part} failed:\n{message[1]}")
    return message


#: Marks a worker's pickled shared keys, which the parent relays without unpickling
#: (anything else on that turn is a worker's failure report).
_KEYS = b"rollcall-keys:"


def _receive_bytes(connection: Connection, part: int) -> bytes:
    try:
        data = connection.recv_bytes()
    except EOFError:
        raise RuntimeError(f"matching worker {part} died (out of memory?)") from None
    if not data.startswith(_KEYS):
        _, report = pickle.loads(data)
        raise RuntimeError(f"matching worker {part} failed:\n{report}")
    return data


def _run_workers(plan: _Plan, say: Callable[[str], None]) -> list[dict[str, Any]]:
    if plan.workers == 1:
        return [_work(plan, 0, None, say)]
    context = multiprocessing.get_context("fork")
    pipes = [context.Pipe() for _ in range(plan.workers)]
    processes = [
        context.Process(target=_child, args=(plan, part, child, say), daemon=True)
        for part, (_, child) in enumerate(pipes)
    ]
    try:
        sys.stdout.flush()  # or the children inherit unwritten output and write it again
        sys.stderr.flush()
        for process in processes:
            process.start()
        for _, child in pipes:
            child.close()
        # The parent only relays: what workers send each other stays pickled here.
        keys = [_receive_bytes(parent, part) for part, (parent, _) in enumerate(pipes)]
        for part, (parent, _) in enumerate(pipes):
            parent.send([blob for other, blob in enumerate(keys) if other != part])
        del keys
        swaps = [_receive(parent, part) for part, (parent, _) in enumerate(pipes)]
        frequencies = _merge_counts([counts for counts, _ in swaps])
        for part, (parent, _) in enumerate(pipes):
            parent.send((frequencies, [blobs[part] for _, blobs in swaps if blobs[part]]))
        del swaps
        results = [_receive(parent, part)[1] for part, (parent, _) in enumerate(pipes)]
        for process in processes:
            process.join()
        return results
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()


def match_files(
    register: str | Path,
    members_path: str | Path,
    out: str | Path,
    *,
    chunk: int = 2000,
    model: Model | None = None,
    evidence: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> MatchRun:
    """Match every member of ``members_path`` against ``register``; write ``out``."""
    say = progress or (lambda _msg: None)
    run = MatchRun(workers=workers or default_workers())
    started = time.perf_counter()
    with Path(register).open(newline="", encoding="utf-8-sig") as handle:
        _header(register, csv.reader(handle))  # a bad file fails here, before any work
    say(f"matching with {run.workers} worker(s)")
    workdir = Path(tempfile.mkdtemp(prefix="rollcall-match-", dir=Path(out).resolve().parent))
    try:
        districts = Districts.balanced(Path(members_path), run.workers)
        plan = _Plan(
            Path(register), Path(members_path), districts, chunk, model, workdir,
            evidence is not None,
        )  # fmt: skip
        results = _run_workers(plan, say)
        for result in results:
            run.members += result["members"]
            run.electors += result["electors"]
            run.electors_kept += result["kept"]
            run.register_refused += result["refused"]
            run.shared_candidates += result["crossed"]
        run.seconds_loading = max(r["seconds_loading"] for r in results)
        run.worker_cpu_seconds = [round(r["cpu_seconds"], 1) for r in results]
        run.worker_phases = [r["phases"] for r in results]
        run.counts = dict(sum((Counter(r["counts"]) for r in results), Counter()))
        demoted = contested_claims(c for r in results for c in r["claims"])
        run.contested = len(demoted)
        run.counts[MATCH] = run.counts.get(MATCH, 0) - len(demoted)
        run.counts[REVIEW] = run.counts.get(REVIEW, 0) + len(demoted)
        _merge(workdir, run.workers, demoted, Path(out), Path(evidence) if evidence else None)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    run.seconds_matching = time.perf_counter() - started - run.seconds_loading
    return run


def _merge(
    workdir: Path, workers: int, demoted: dict[int, list[str]], out: Path, evidence: Path | None
) -> None:
    """The parts in extract order, with contested matches turned into reviews."""
    handles = [
        (workdir / f"part-{p}.csv").open(newline="", encoding="utf-8") for p in range(workers)
    ]
    try:
        rows = heapq.merge(*(csv.reader(h) for h in handles), key=lambda row: int(row[0]))
        with out.open("w", newline="", encoding="utf-8") as target:
            writer = csv.writer(target)
            writer.writerow(DECISION_COLUMNS)
            for number, member, decision, elector_id, score, reasons in rows:
                rivals = demoted.get(int(number))
                if rivals is not None:
                    decision, reasons = REVIEW, contested_reasons(rivals, reasons)
                writer.writerow([member, decision, elector_id, score, reasons])
    finally:
        for handle in handles:
            handle.close()
    if evidence is None:
        return
    parts = [(workdir / f"part-{p}.jsonl").open(encoding="utf-8") for p in range(workers)]
    try:
        lines = heapq.merge(*parts, key=lambda line: int(line.split("\t", 1)[0]))
        with evidence.open("w", encoding="utf-8") as target:
            for line in lines:
                number, text = line.split("\t", 1)
                rivals = demoted.get(int(number))
                if rivals is not None:
                    record = json.loads(text)
                    record["decision"] = REVIEW
                    record["reasons"] = contested_reasons(rivals, record["reasons"])
                    record["candidates"] = [record["evidence"]]
                    text = json.dumps(record) + "\n"
                target.write(text)
    finally:
        for handle in parts:
            handle.close()


__all__ = [
    "MatchRun", "default_workers", "match_files",
    "read_members", "register_rows",
]  # fmt: skip
