"""Benchmark of loading a register into PostgreSQL and matching live; prints ONE JSON object.

    .venv/bin/python bench/load.py [REGISTER.csv] [--workers 2] [--samples 300] [--seed 1]

1. Creates a scratch PostgreSQL database (``ROLLCALL_TEST_PG``, default
   postgresql://postgres@127.0.0.1:5432/postgres), migrated as the service's is.
2. Loads the register (default: the 5.5M-elector London-scale file under
   var/bench/) with ``load_register``: seconds, electors per second, seconds per
   phase, the peak RSS of this process and its workers together (sampled from
   /proc), the CPU seconds of this process tree and of the PostgreSQL server
   (the server's only when it runs on this machine and /proc shows it).
3. Matches single members live through ``DatabaseSource`` (``--samples`` drawn
   from the members.csv beside the register: p50 and p95) and one chunk of 250.
4. Drops the database. The load average before and after goes in the output,
   since other work on the machine changes every figure. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "var" / "bench" / "synth-5500000-500000-1" / "register.csv"


def say(message: str) -> None:
    print(f"[bench] {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class TreeRss:
    """The peak of the summed RSS of this process and its descendants, sampled."""

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            tree, pending = [], [os.getpid()]
            while pending:
                pid = pending.pop()
                tree.append(pid)
                pending += _children(pid)
            self.peak_mb = max(self.peak_mb, sum(_rss_mb(pid) for pid in tree))
            self._stop.wait(self.every)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _cpu_of(pid: int, children: bool) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        ticks += int(fields[13]) + int(fields[14])  # of children it has waited for
    return ticks / os.sysconf("SC_CLK_TCK")


def server_cpu(postmaster: int | None) -> float | None:
    """CPU seconds of the PostgreSQL server so far: the postmaster, its live children and
    the children it has reaped (backends that ended)."""
    if postmaster is None:
        return None
    try:
        live = sum(_cpu_of(pid, children=False) for pid in _children(postmaster))
        return _cpu_of(postmaster, children=True) + live
    except OSError:
        return None


def own_cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + workers.ru_utime + workers.ru_stime


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def live_matching(engine: Any, members_path: Path, samples: int, seed: int) -> dict[str, Any]:
    """Single members (p50, p95) and one chunk of 250 through ``DatabaseSource``."""
    from services.matching.batch.reading import read_members
    from services.matching.batch.source import DatabaseSource
    from services.matching.matcher.deciding import match_members

    members = read_members(members_path)
    picked = random.Random(seed).sample(members, min(samples, len(members)))
    source = DatabaseSource(engine)
    match_members(picked[:5], source)  # warm the connection pool
    timings = []
    for member in picked:
        started = time.perf_counter()
        match_members([member], source)
        timings.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    match_members(members[:250], source)
    chunk_seconds = time.perf_counter() - started
    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    return {
        "single_member_ms_p50": round(timings[len(timings) // 2], 1),
        "single_member_ms_p95": round(p95, 1),
        "single_member_samples": len(timings),
        "chunk_of_250_seconds": round(chunk_seconds, 2),
        "goal_p95_ms_met": p95 <= 300,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("register", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import psycopg2

    from rollcall.db import make_engine, upgrade
    from services.matching.batch.loading import load_register

    server = os.environ.get("ROLLCALL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"rollcall_bench_load_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(server)
    admin.autocommit = True
    cursor = admin.cursor()
    cursor.execute("SELECT pg_backend_pid()")
    (backend,) = cursor.fetchone()
    try:
        postmaster: int | None = int(Path(f"/proc/{backend}/stat").read_text().split()[3])
    except OSError:
        postmaster = None
    cursor.execute(f"CREATE DATABASE {name}")
    url = server.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    result: dict[str, Any] = {"register": str(args.register), "workers": args.workers}
    try:
        upgrade("matching", url)
        result["loadavg_before"] = loadavg()
        cpu_before, server_before = own_cpu(), server_cpu(postmaster)
        say(f"loading {args.register} (load average {result['loadavg_before']})")
        with TreeRss() as rss:
            summary = load_register(
                engine, args.register, "london", "bench", workers=args.workers, progress=say
            )
        server_after = server_cpu(postmaster)
        result["load"] = {
            "electors": summary.loaded,
            "refused": summary.refused,
            "seconds": round(summary.seconds, 1),
            "electors_per_second": round(summary.loaded / summary.seconds),
            "phases_seconds": {k: round(v, 1) for k, v in summary.phases.items()},
            "peak_rss_mb_process_tree": round(rss.peak_mb),
            "cpu_seconds_process_tree": round(own_cpu() - cpu_before, 1),
            "cpu_seconds_postgresql": (
                round(server_after - server_before, 1)
                if server_after is not None and server_before is not None
                else None
            ),
            "goal_2_minutes_met": summary.seconds <= 120,
        }
        result["loadavg_after_load"] = loadavg()
        say(f"loaded: {json.dumps(result['load'])}")
        members = args.register.with_name("members.csv")
        if members.exists():
            say("matching live through DatabaseSource")
            result["live"] = live_matching(engine, members, args.samples, args.seed)
        result["loadavg_after"] = loadavg()
    finally:
        engine.dispose()
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
