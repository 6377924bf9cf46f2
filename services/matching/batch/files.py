"""Matching from files: a register CSV and an extract CSV in, a decisions CSV out.

This is the I/O shell around the pure matcher that ``rollcall match`` and
``bench/match.py`` share (``match_files``). It streams the register, keeping only
electors that share a blocking key with some member, so memory follows the number
of members rather than the size of the register.

It uses every core it is given (``workers``, default: the usable CPUs, at most
four) by splitting the work by postcode district, not by sharing one index:

1. The parent reads the extract's postcodes and shares the districts out between
   the workers (``districts``); each member's *home* is the worker of its district.
2. Each worker reads its own members and the rows of its own districts, swaps with
   the others, through the parent, the candidates and name counts a member in one
   district may need from another, and matches its members in chunks into a part
   file (``worker``, ``processes``).
3. The parent merges the parts in extract order and applies one member to one
   elector over the whole file (``merging``). So the decisions do not depend on
   the number of workers or the chunk size.

Python objects cannot be shared between processes without copying (reference
counts write to every page read), which is why the register is split rather than
indexed once and read by all: each elector is parsed and held by one process only.

Guarantees: every member row gets exactly one decisions row, in extract order;
a register row that cannot be read is counted in ``MatchRun.register_refused``
with its line number, never silently dropped; no elector is matched to two
members; a bad register header fails the run before any work; a worker that fails
or dies fails the whole run and nothing is written to ``out``.
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from services.matching.batch.districts import Districts
from services.matching.batch.merging import merge_parts
from services.matching.batch.processes import run_workers
from services.matching.batch.reading import register_header
from services.matching.batch.worker import Plan
from services.matching.matcher.deciding import MATCH, REVIEW
from services.matching.matcher.probabilities import Model

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
        register_header(register, csv.reader(handle))  # a bad file fails here, before any work
    say(f"matching with {run.workers} worker(s)")
    workdir = Path(tempfile.mkdtemp(prefix="rollcall-match-", dir=Path(out).resolve().parent))
    try:
        districts = Districts.balanced(Path(members_path), run.workers)
        plan = Plan(
            Path(register), Path(members_path), districts, chunk, model, workdir,
            evidence is not None,
        )  # fmt: skip
        results = run_workers(plan, say)
        for result in results:
            run.members += result.members
            run.electors += result.electors
            run.electors_kept += result.kept
            run.register_refused += result.refused
            run.shared_candidates += result.crossed
        run.seconds_loading = max(r.seconds_loading for r in results)
        run.worker_cpu_seconds = [round(r.cpu_seconds, 1) for r in results]
        run.worker_phases = [r.phases for r in results]
        run.counts = dict(sum((Counter(r.counts) for r in results), Counter()))
        claims = (c for r in results for c in r.claims)
        run.contested = merge_parts(
            workdir, run.workers, claims, Path(out), Path(evidence) if evidence else None
        )
        run.counts[MATCH] = run.counts.get(MATCH, 0) - run.contested
        run.counts[REVIEW] = run.counts.get(REVIEW, 0) + run.contested
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    run.seconds_matching = time.perf_counter() - started - run.seconds_loading
    return run
