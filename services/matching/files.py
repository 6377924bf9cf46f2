"""Matching from files: a register CSV and an extract CSV in, a decisions CSV out.

This is the I/O shell around the pure matcher that ``rollcall match`` and
``bench/match.py`` share. It streams the register once, keeping only electors
that share a blocking key with some member, so memory follows the number of
members rather than the size of the register.

Guarantees: every member row gets exactly one decisions row, in extract order;
a register row that cannot be read is counted in ``MatchRun.register_refused``
with its line number, never silently dropped; one member to one elector holds
across the whole file (chunks share the ``taken`` set and contested electors
go to review).
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from services.matching.matcher import MATCH, REVIEW, Decision, Matcher, MemoryIndex
from services.matching.records import REGISTER_COLUMNS, Member
from services.matching.scoring import Model

DECISION_COLUMNS = ("membership_number", "decision", "elector_id", "score", "reasons")


@dataclass
class MatchRun:
    """What a file run did, for people and for the benchmark."""

    members: int = 0
    electors: int = 0
    electors_kept: int = 0
    register_refused: list[tuple[int, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    seconds_loading: float = 0.0
    seconds_matching: float = 0.0


def read_members(path: str | Path) -> list[Member]:
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        return [Member.from_row(row) for row in csv.DictReader(handle)]


def register_rows(path: str | Path, refused: list[tuple[int, str]]) -> Iterator[dict[str, str]]:
    """Rows of a register CSV; a row with the wrong number of fields is refused."""
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        missing = [c for c in ("elector_id", "surname", "forenames", "postcode") if c not in header]
        if missing:
            raise ValueError(f"{path}: register header lacks {', '.join(missing)}")
        width = len(header)
        for line, row in enumerate(reader, start=2):
            if len(row) != width or not row[header.index("elector_id")].strip():
                refused.append(
                    (line, "wrong number of fields" if len(row) != width else "no elector_id")
                )
                continue
            yield dict(zip(header, row, strict=True))


def match_files(
    register: str | Path,
    members_path: str | Path,
    out: str | Path,
    *,
    chunk: int = 2000,
    model: Model | None = None,
    evidence: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> MatchRun:
    """Match every member of ``members_path`` against ``register``; write ``out``."""
    say = progress or (lambda _msg: None)
    run = MatchRun()
    started = time.perf_counter()
    members = read_members(members_path)
    run.members = len(members)
    say(f"read {run.members} members")
    counted = _Counting(register_rows(register, run.register_refused))
    index = MemoryIndex.from_rows(counted, version=Path(register).name, keep_for=members)
    run.electors, run.electors_kept = counted.count, len(index.electors)
    say(f"read {run.electors} electors, kept {run.electors_kept} near a member")
    run.seconds_loading = time.perf_counter() - started
    matcher = Matcher(index, model)
    taken: set[str] = set()
    with _Output(out, evidence) as output:
        for start in range(0, len(members), chunk):
            batch = matcher.match(members[start : start + chunk], taken=taken)
            for d in batch:
                if d.decision == MATCH and d.elector_id:
                    taken.add(d.elector_id)
                run.counts[d.decision] = run.counts.get(d.decision, 0) + 1
            output.write(batch)  # written as it goes: evidence is kilobytes a member
            say(f"matched {min(start + chunk, len(members))}/{len(members)}")
    run.seconds_matching = time.perf_counter() - started - run.seconds_loading
    return run


class _Counting:
    def __init__(self, rows: Iterator[dict[str, str]]) -> None:
        self.rows, self.count = rows, 0

    def __iter__(self) -> Iterator[dict[str, str]]:
        for row in self.rows:
            self.count += 1
            yield row


class _Output:
    """The decisions CSV and, if asked for, the evidence as JSON lines."""

    def __init__(self, out: str | Path, evidence: str | Path | None) -> None:
        self._paths = (Path(out), Path(evidence) if evidence else None)

    def __enter__(self) -> _Output:
        out, evidence = self._paths
        self._handle = out.open("w", newline="", encoding="utf-8")
        self._csv = csv.DictWriter(self._handle, fieldnames=DECISION_COLUMNS)
        self._csv.writeheader()
        self._evidence = evidence.open("w", encoding="utf-8") if evidence else None
        return self

    def write(self, decisions: list[Decision]) -> None:
        self._csv.writerows(d.csv_row() for d in decisions)
        if self._evidence is not None:
            for d in decisions:
                record: dict[str, object] = {**d.csv_row(), "ward": d.ward, "evidence": d.evidence}
                if d.decision == REVIEW:
                    record["candidates"] = list(d.candidates)
                self._evidence.write(json.dumps(record) + "\n")

    def __exit__(self, *_exc: object) -> None:
        self._handle.close()
        if self._evidence is not None:
            self._evidence.close()


__all__ = ["DECISION_COLUMNS", "REGISTER_COLUMNS", "MatchRun", "match_files", "read_members"]
