"""Benchmark of the roll matcher; prints ONE JSON object on stdout.

    .venv/bin/python bench/match.py [--electors 200000] [--members 20000] [--seed 1]
                                    [--splink/--no-splink] [--db/--no-db]

1. Generates (once, cached under var/bench/) a synthetic register and damaged
   extract with ground truth (``rollcall_tools.synth``).
2. Runs ``rollcall match`` end to end in a child process, timing it and taking
   that process's peak RSS.
3. Scores the decisions against the truth: auto-match precision, the share of
   members on the register at the address the party holds that are matched, and
   matched-or-reviewed, reviews and false matches as shares of all members; the
   same per damage kind and per trap.
4. Loads the register into a scratch PostgreSQL database (``ROLLCALL_TEST_PG``,
   default postgresql://postgres@127.0.0.1:5432/postgres; created and dropped)
   and times single members matched live through ``DatabaseSource`` (p50/p95).
5. If Splink 4 is installed, runs it (DuckDB) on the same files in a child
   process and scores it the same way.
Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOALS = {
    "auto_match_precision": (">=", 0.999),
    "on_register_at_address_auto_matched": (">=", 0.95),
    "on_register_at_address_matched_or_reviewed": (">=", 0.995),
    "reviews_share_of_members": ("<=", 0.05),
    "false_matches_share_of_members": ("<=", 0.001),
}


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        queue.extend(int(c) for c in children)
    return found


def _tree_memory(pid: int, field: str) -> float:
    """A process tree's summed ``VmRSS`` (from ``status``, cheap) or ``Pss`` (from
    ``smaps_rollup``, which walks page tables: seconds of CPU on gigabytes), in MB."""
    total = 0
    for member in _tree(pid):
        try:
            text = Path(f"/proc/{member}/{'status' if field == 'VmRSS' else 'smaps_rollup'}")
            lines = text.read_text().splitlines()
        except OSError:
            continue
        total += sum(int(line.split()[1]) for line in lines if line.startswith(f"{field}:"))
    return total / 1024


class Memory(threading.Thread):
    """Samples a process tree's memory until it ends; keeps the peaks (RSS every
    0.25 s, PSS every 10 s: reading PSS of two 2 GB workers every 2 s took a fifth
    of a core from the run being measured)."""

    def __init__(self, pid: int, every: float = 0.25, pss_every: int = 40) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.pss_every = pid, every, pss_every
        self.peak_rss = self.peak_pss = 0.0
        self.done = threading.Event()

    def run(self) -> None:
        tick = 0
        while not self.done.is_set():
            self.peak_rss = max(self.peak_rss, _tree_memory(self.pid, "VmRSS"))
            if tick % self.pss_every == 0:
                self.peak_pss = max(self.peak_pss, _tree_memory(self.pid, "Pss"))
            tick += 1
            self.done.wait(self.every)


def run_child(args: list[str]) -> tuple[float, dict[str, float], str]:
    """Run a child process; return (wall seconds, memory peaks in MB, stdout).

    Memory: ``largest_process_rss_mb`` is the kernel's high-water mark of the largest
    process in the tree (exact); ``tree_rss_mb`` and ``tree_pss_mb`` are the peaks
    of the whole tree's summed RSS and PSS, sampled every 0.25 and 10 s (summed RSS counts
    pages shared after a fork once per process, so it is the pessimistic one).
    """
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=sys.stderr, text=True, cwd=ROOT)
    memory = Memory(process.pid)
    memory.start()
    assert process.stdout is not None
    out = process.stdout.read()
    memory.done.set()
    memory.join()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{args[:3]} failed with {process.returncode}")
    peaks = {
        "largest_process_rss_mb": round(usage.ru_maxrss / 1024),
        "tree_rss_mb": round(memory.peak_rss),
        "tree_pss_mb": round(memory.peak_pss),
        # The child's CPU and that of the workers it waited for.
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
    }
    return time.perf_counter() - started, peaks, out


def data_dir(electors: int, members: int, seed: int) -> Path:
    directory = ROOT / "var" / "bench" / f"synth-{electors}-{members}-{seed}"
    if not (directory / "truth.csv").exists():
        say(f"generating {electors} electors and {members} members in {directory}")
        started = time.perf_counter()
        from rollcall_tools.synth import generate

        generate(electors, members, seed).write_csv(directory)
        (directory / "generated_seconds").write_text(f"{time.perf_counter() - started:.1f}")
    return directory


def group_of(kind: str) -> str:
    return "two_damages" if "+" in kind else kind


def score(
    decisions: dict[str, tuple[str, str | None]], truth: dict[str, tuple[str | None, str]]
) -> dict[str, Any]:
    """Accuracy of ``decisions`` (number -> (decision, elector_id)) against ``truth``."""
    per_kind: dict[str, Counter[str]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    for number, (elector_id, kind) in truth.items():
        decision, chosen = decisions.get(number, ("no_match", None))
        if decision == "match":
            outcome = "match_right" if chosen == elector_id else "match_wrong"
        else:
            outcome = decision
        at_address = elector_id is not None and kind != "moved"
        for counter in (per_kind[group_of(kind)], totals):
            counter[outcome] += 1
            counter["n"] += 1
        if at_address:
            totals["at_address"] += 1
            totals["at_address_matched"] += outcome == "match_right"
            totals["at_address_matched_or_reviewed"] += outcome in ("match_right", "review")
    matches = totals["match_right"] + totals["match_wrong"]
    n = totals["n"]
    result = {
        "members": n,
        "auto_match_precision": round(totals["match_right"] / max(matches, 1), 5),
        "on_register_at_address": totals["at_address"],
        "on_register_at_address_auto_matched": round(
            totals["at_address_matched"] / max(totals["at_address"], 1), 5
        ),
        "on_register_at_address_matched_or_reviewed": round(
            totals["at_address_matched_or_reviewed"] / max(totals["at_address"], 1), 5
        ),
        "reviews_share_of_members": round(totals["review"] / max(n, 1), 5),
        "false_matches_share_of_members": round(totals["match_wrong"] / max(n, 1), 5),
        "decisions": {k: totals[k] for k in ("match_right", "match_wrong", "review", "no_match")},
    }
    result["goals_met"] = {
        name: (result[name] >= bound if op == ">=" else result[name] <= bound)
        for name, (op, bound) in GOALS.items()
    }
    result["per_kind"] = {
        kind: {
            "n": c["n"],
            **{
                k: round(c[k] / c["n"], 4)
                for k in ("match_right", "match_wrong", "review", "no_match")
                if c[k]
            },
        }
        for kind, c in sorted(per_kind.items(), key=lambda item: -item[1]["n"])
    }
    return result


def read_decisions(path: Path) -> dict[str, tuple[str, str | None]]:
    with path.open(encoding="utf-8") as handle:
        return {
            r["membership_number"]: (r["decision"], r["elector_id"] or None)
            for r in csv.DictReader(handle)
        }


def live_latency(directory: Path, samples: int, seed: int) -> dict[str, Any]:
    """Load the register into a scratch PostgreSQL database (migrated; two loading workers);
    time single live matches and one chunk of 250 as ``bench/load.py`` does."""
    import psycopg2

    from bench.load import live_matching
    from rollcall.db import make_engine, upgrade
    from services.matching.batch.loading import load_register

    server = os.environ.get("ROLLCALL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"rollcall_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(server)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    url = server.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    try:
        upgrade("matching", url)  # partitioned as the service's database is
        say("loading the register into PostgreSQL")
        summary = load_register(
            engine, directory / "register.csv", "london", "bench", batch=100_000, progress=say
        )
        return {
            "load_seconds": round(summary.seconds, 1),
            "load_electors_per_second": round(summary.loaded / summary.seconds),
            "load_phases_seconds": {k: round(v, 1) for k, v in summary.phases.items()},
            **live_matching(engine, directory / "members.csv", samples, seed),
        }
    finally:
        engine.dispose()
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def _street_number(lines: list[str]) -> tuple[str, str]:
    for line in lines:
        found = re.search(r"(\d+)[A-Za-z]?\s+([A-Za-z' ]+)", line)
        if found:
            return found.group(1), found.group(2).upper().strip()
    return "", (lines[0] if lines else "").upper()


def splink_child(directory: Path, out: Path) -> None:
    """Splink 4 on the same files: train m/u, predict, keep each member's best elector.

    Built to fit a London-scale run on this machine: the inputs are built as columns
    (not a row dict each), DuckDB may use at most ``SPLINK_MEMORY`` and spills the
    rest to ``var/bench/duckdb-tmp``, and each member's best elector is picked in SQL
    rather than by pulling every scored pair into pandas."""
    import duckdb
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    def frame(path: Path, kind: str) -> pd.DataFrame:
        columns: dict[str, list[str | None]] = {
            c: [] for c in ("unique_id", "first_name", "surname", "postcode", "number", "street", "flat")
        }  # fmt: skip
        with path.open(encoding="utf-8") as handle:
            for r in csv.DictReader(handle):
                if kind == "register":
                    lines = [r[f"address_{i}"] for i in range(1, 6)]
                    uid, first, last = r["elector_id"], r["forenames"], r["surname"]
                else:
                    lines = [r["address_1"], r["address_2"], r["address_3"]]
                    uid, first, last = r["membership_number"], r["first_name"], r["last_name"]
                number, street = _street_number([x for x in lines if x])
                flat = re.search(r"(?:flat|apartment|apt)\s*(\w+)", " ".join(lines), re.I)
                postcode = re.sub(r"\s+", "", r["postcode"]).upper()
                columns["unique_id"].append(uid)
                columns["first_name"].append((first.split() or [""])[0].upper() or None)
                columns["surname"].append(last.upper() or None)
                columns["postcode"].append(
                    f"{postcode[:-3]} {postcode[-3:]}" if len(postcode) > 4 else None
                )
                columns["number"].append(number or None)
                columns["street"].append(street or None)
                columns["flat"].append(flat.group(1).upper() if flat else None)
        return pd.DataFrame(columns)

    electors, members = (
        frame(directory / "register.csv", "register"),
        frame(directory / "members.csv", "members"),
    )
    spill = ROOT / "var" / "bench" / "duckdb-tmp"
    spill.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(config={
        "memory_limit": os.environ.get("SPLINK_MEMORY", "8GB"), "temp_directory": str(spill),
        "preserve_insertion_order": False,
    })  # fmt: skip
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.PostcodeComparison("postcode"),
            cl.ExactMatch("number"),
            cl.JaroWinklerAtThresholds("street", [0.9]),
            cl.ExactMatch("flat"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("postcode", "number"),
            block_on("street", "number"),
            block_on("postcode", "surname"),
        ],
    )
    linker = Linker([electors, members], settings, DuckDBAPI(connection),
                    input_table_aliases=["electors", "members"], set_up_basic_logging=False)  # fmt: skip
    del electors
    linker.training.estimate_probability_two_random_records_match(
        [block_on("postcode", "number", "surname", "first_name")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("postcode", "number")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("surname", "first_name")
    )
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    best_sql = f"""
        select member, elector, p from (
            select
                case when source_dataset_l = 'members' then unique_id_l else unique_id_r end as member,
                case when source_dataset_l = 'members' then unique_id_r else unique_id_l end as elector,
                match_probability as p,
                row_number() over (
                    partition by case when source_dataset_l = 'members' then unique_id_l else unique_id_r end
                    order by match_probability desc
                ) as rank
            from {predictions.physical_name}
        ) where rank = 1
    """  # fmt: skip
    best = {
        row.member: (row.p, row.elector)
        for row in linker.misc.query_sql(best_sql, output_type="pandas").itertuples()
    }
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["membership_number", "decision", "elector_id", "score"])
        for number in members["unique_id"]:
            p, elector = best.get(number, (0.0, ""))
            decision = "match" if p >= 0.99 else "review" if p >= 0.5 else "no_match"
            writer.writerow(
                [number, decision, elector if decision != "no_match" else "", round(p, 4)]
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--electors", type=int, default=200_000)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--splink", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--db", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--live-samples", type=int, default=300)
    parser.add_argument("--workers", type=int, default=None, help="rollcall match --workers")
    parser.add_argument(
        "--rollcall",
        nargs="+",
        help="the command to run as rollcall (to time another checkout's code the same way)",
    )
    parser.add_argument("--splink-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.splink_child:
        splink_child(Path(args.splink_child[0]), Path(args.splink_child[1]))
        return
    sys.path.insert(0, str(ROOT))
    from rollcall_tools.synth import read_truth

    directory = data_dir(args.electors, args.members, args.seed)
    truth = read_truth(directory / "truth.csv")
    out = directory / "decisions.csv"
    say("matching end to end (rollcall match)")
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    seconds, memory, stdout = run_child([
        *(args.rollcall or [str(Path(sys.executable).parent / "rollcall")]), "match",
        "--register", str(directory / "register.csv"),
        "--members", str(directory / "members.csv"), "--out", str(out),
        *(["--workers", str(args.workers)] if args.workers else []),
    ])  # fmt: skip
    rss = max(memory["tree_rss_mb"], memory["largest_process_rss_mb"])
    result: dict[str, Any] = {
        "electors": args.electors, "members": args.members, "seed": args.seed,
        "generate_seconds": float((directory / "generated_seconds").read_text()) if (directory / "generated_seconds").exists() else None,
        "rollcall": {
            "end_to_end_seconds": round(seconds, 1),
            "members_per_second": round(args.members / seconds),
            "peak_rss_mb": round(rss),
            "memory": memory,
            "load_average_before": load_before,
            "summary": json.loads(stdout.strip().splitlines()[-1]),
            "accuracy": score(read_decisions(out), truth),
        },
    }  # fmt: skip
    result["rollcall"]["goal_3_minutes_met"] = (
        seconds <= 180 if args.electors >= 5_500_000 else None
    )
    result["rollcall"]["goal_4_gb_met"] = rss <= 4096
    if args.db:
        result["rollcall"]["live_database"] = live_latency(directory, args.live_samples, args.seed)
    try:
        import splink  # noqa: F401

        has_splink = True
    except ImportError:
        has_splink = False
    if args.splink and has_splink:
        say("running Splink 4 (DuckDB) on the same files")
        splink_out = directory / "splink_decisions.csv"
        seconds, memory, _ = run_child(
            [sys.executable, __file__, "--splink-child", str(directory), str(splink_out)]
        )
        rss = max(memory["tree_rss_mb"], memory["largest_process_rss_mb"])
        result["splink"] = {
            "end_to_end_seconds": round(seconds, 1),
            "members_per_second": round(args.members / seconds),
            "peak_rss_mb": round(rss),
            "thresholds": "match >= 0.99, review >= 0.5 (Splink's own trained match probability)",
            "accuracy": score(read_decisions(splink_out), truth),
        }
    else:
        result["splink"] = None if not args.splink else "not installed: pip install 'splink>=4,<5'"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
