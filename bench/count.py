"""Benchmark reading and counting: a corpus of published BLT files, the real elections,
and a 1,000,000-ballot count.

Prints ONE JSON object:

- ``corpus``: the 1,100-contest BLT corpus of ``tests/builders/bltcorpus.py``
  (about 5.6 million ballots, 6-12 candidates, 1-4 seats: the scale of Scottish
  council elections), written once under ``var/bench/`` (``--corpus`` elsewhere)
  in the published styles and in strict BLT. For each form, every file is read and
  counted by IRV and by Scottish STV (the seats in its header), ``--repeat`` times
  (default 3); the median wall-clock and CPU seconds of each step and of the whole
  are reported, with the goal (10 s for the published corpus) and the files
  refused. Run against an older checkout (copy this script and the builder into
  it), it measures the code before a change on the same files;

- ``elections``: every ballot file under shared/elections (``ROLLCALL_ELECTIONS``
  overrides), read once (time to read), then counted by IRV and by Scottish
  STV with the seats in expected.json, by Rollcall and, in the same run, by
  the reference library stvpoll: both times, every disagreement between the
  two, and every disagreement of Rollcall with expected.json;
- ``synthetic``: a seeded 1,000,000-ballot, 12-candidate, 5-seat Scottish STV
  count (goal: at most 3 s), run in a fresh process so its peak memory is its
  own: time, tracemalloc peak of a second, traced run, and ru_maxrss.

Everything is seeded, so two runs count the same ballots and draw the same
lots. Run: ``.venv/bin/python bench/count.py`` (a few minutes, mostly stvpoll
on the two Minneapolis files with write-ins); ``--only corpus`` (or
``elections``, ``synthetic``, repeatable) runs just those parts, and
``--skip-stvpoll`` times only Rollcall on the real elections.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import multiprocessing
import os
import platform
import random
import resource
import statistics
import sys
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from services.tally.ballotfiles import BallotFileError, ElectionFile, read_election  # noqa: E402
from services.tally.counting import count_ballots  # noqa: E402
from tests.builders.bltcorpus import write_corpus  # noqa: E402

try:
    from services.tally.counting import count_rows  # type: ignore[attr-defined]
except ImportError:  # an older checkout: count from (names, weight) pairs
    count_rows = None

LOT_SEED = "rollcall-bench"
SYNTHETIC_SEED = 20070503
SYNTHETIC = {"ballots": 1_000_000, "candidates": 12, "seats": 5, "goal_seconds": 3.0}
# The two Minneapolis files with write-ins are not in expected.json; they are
# the same contests as -00000002 (3 seats) and -00000004 (2 seats).
EXTRA_SEATS = {
    "other/00018_minneapolis/00018-00000001.soi": 3,
    "other/00018_minneapolis/00018-00000003.soi": 2,
}


CORPUS = {"files": 1100, "mean_ballots": 5100, "seed": 2017, "goal_seconds": 10.0}


def count_file(method: str, data: ElectionFile, seats: int, seed: str) -> Any:
    """Count one read file the fastest way the checkout offers."""
    if count_rows is not None and hasattr(data, "prefs"):
        return count_rows(method, data.candidates, data.prefs, data.weights, seats, seed)
    return count_ballots(method, data.candidates, data.ballots, seats, seed)


def corpus_dir(folder: Path | None) -> Path:
    """The corpus folder, written first if it is not there yet."""
    root = folder or REPO / "var" / "bench" / (
        f"blt-corpus-{CORPUS['files']}-{CORPUS['mean_ballots']}-{CORPUS['seed']}"
    )
    done = root / "WRITTEN"
    if not done.exists():
        write_corpus(root, CORPUS["files"], CORPUS["mean_ballots"], CORPUS["seed"])
        done.write_text("ok\n", encoding="utf-8")
    return root


def read_and_count(paths: list[Path]) -> dict[str, Any]:
    """One pass: read every file, then count each by IRV and by STV; wall and CPU times."""
    clock = {"wall": time.perf_counter, "cpu": time.process_time}
    start = {k: f() for k, f in clock.items()}
    files: list[ElectionFile] = []
    refused: list[str] = []
    for path in paths:
        try:
            files.append(read_election(path))
        except BallotFileError as err:
            refused.append(str(err))
    read = {k: f() for k, f in clock.items()}
    irv = [count_file("irv", d, 1, LOT_SEED) for d in files]
    counted_irv = {k: f() for k, f in clock.items()}
    stv = [count_file("stv", d, d.seats or 1, LOT_SEED) for d in files]
    end = {k: f() for k, f in clock.items()}
    out: dict[str, Any] = {"read": len(files), "refused": len(refused)}
    for k in clock:
        out[f"read_{k}_s"] = read[k] - start[k]
        out[f"irv_{k}_s"] = counted_irv[k] - read[k]
        out[f"stv_{k}_s"] = end[k] - counted_irv[k]
        out[f"total_{k}_s"] = end[k] - start[k]
    out["ballots"] = sum(int(d.voters) for d in files)
    out["winners"] = [r.winners for r in irv] + [r.winners for r in stv]
    out["first_refusal"] = refused[0] if refused else None
    return out


def corpus(folder: Path | None, repeat: int, forms: list[str]) -> dict[str, Any]:
    root = corpus_dir(folder)
    report: dict[str, Any] = {"dir": str(root), **CORPUS, "repeat": repeat}
    winners: dict[str, Any] = {}
    for form, where in (("published", root), ("strict", root / "strict")):
        if form not in forms:
            continue
        paths = sorted(where.glob("*.blt"))
        runs = [read_and_count(paths) for _ in range(repeat)]
        first = runs[0]
        winners[form] = first.pop("winners")
        timing = {
            key: round(statistics.median(run[key] for run in runs), 3)
            for key in first
            if key.endswith("_s")
        }
        report[form] = {
            "files": len(paths),
            "read": first["read"],
            "refused": first["refused"],
            "first_refusal": first["first_refusal"],
            "ballots": first["ballots"],
            "median_seconds": timing,
            "all_total_wall_s": [round(run["total_wall_s"], 3) for run in runs],
            "within_goal": timing["total_wall_s"] <= CORPUS["goal_seconds"],
        }
    if len(winners) == 2 and report["published"]["refused"] == 0:
        report["same_winners_published_and_strict"] = winners["published"] == winners["strict"]
    return report


def elections_dir() -> Path:
    return Path(os.environ.get("ROLLCALL_ELECTIONS", REPO.parent / "shared" / "elections"))


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def stvpoll_counts(
    data: ElectionFile, seats: int
) -> tuple[list[str], list[str], bool, float, float]:
    """stvpoll's IRV and Scottish STV winners and times; stvpoll shuffles, so it is seeded."""
    from stvpoll.irv import calculate_irv
    from stvpoll.scottish_stv import calculate_scottish_stv

    ballots: dict[tuple[str, ...], int] = {}
    for choices, weight in data.ballots:
        ballots[choices] = ballots.get(choices, 0) + weight
    random.seed(0)
    irv, irv_s = timed(calculate_irv, data.candidates, ballots)
    incomplete = not irv.complete
    if incomplete:
        # stvpoll's IRV wants a majority of all ballots and stops when exhausted
        # papers make that impossible; its one-seat Scottish STV finishes the count.
        random.seed(0)
        irv, more = timed(calculate_scottish_stv, data.candidates, ballots, 1)
        irv_s += more
    random.seed(0)
    stv, stv_s = timed(calculate_scottish_stv, data.candidates, ballots, seats)
    return list(irv), list(stv), incomplete, irv_s, stv_s


def compare(ours: list[str], theirs: list[str]) -> str | None:
    if ours == theirs:
        return None
    return "order differs" if sorted(ours) == sorted(theirs) else "winners differ"


def real_elections(with_stvpoll: bool = True) -> dict[str, Any]:
    root = elections_dir()
    cpu_start = time.process_time()
    expected = json.loads((root / "expected.json").read_text(encoding="utf-8"))
    paths = sorted(p for ext in ("soi", "toi", "soc", "toc", "blt") for p in root.rglob(f"*.{ext}"))
    files, read_s = timed(lambda: {p.relative_to(root).as_posix(): read_election(p) for p in paths})
    ours_irv_s = ours_stv_s = poll_irv_s = poll_stv_s = 0.0
    slowest: list[tuple[float, str]] = []
    vs_expected: list[dict[str, Any]] = []
    vs_stvpoll: list[dict[str, Any]] = []
    poll_incomplete: list[str] = []
    lots = 0
    for rel, data in files.items():
        want = expected.get(rel)
        seats = want["seats"] if want else EXTRA_SEATS.get(rel, 1)
        irv, t_irv = timed(count_file, "irv", data, 1, LOT_SEED)
        stv, t_stv = timed(count_file, "stv", data, seats, LOT_SEED)
        ours_irv_s += t_irv
        ours_stv_s += t_stv
        lots += sum(t.method == "lot" for t in irv.ties + stv.ties)
        if not with_stvpoll:
            p_irv, p_stv, incomplete, t_pirv, t_pstv = irv.winners, stv.winners, False, 0.0, 0.0
        else:
            p_irv, p_stv, incomplete, t_pirv, t_pstv = stvpoll_counts(data, seats)
        poll_irv_s += t_pirv
        poll_stv_s += t_pstv
        slowest.append((t_pirv + t_pstv, rel))
        if incomplete:
            poll_incomplete.append(rel)
        for method, mine, theirs in (("irv", irv, p_irv), ("stv", stv, p_stv)):
            if why := compare(mine.winners, theirs):
                vs_stvpoll.append(
                    {
                        "file": rel,
                        "method": method,
                        "seats": mine.seats,
                        "rollcall": mine.winners,
                        "stvpoll": theirs,
                        "difference": why,
                        "rollcall_lots": [t.to_dict() for t in mine.ties if t.method == "lot"],
                    }
                )
        if want:
            for method, mine, theirs in (
                ("irv", irv.winners, [want["irv_winner"]]),
                ("stv", stv.winners, want["stv_winners"]),
            ):
                if why := compare(mine, theirs):
                    vs_expected.append(
                        {
                            "file": rel,
                            "method": method,
                            "rollcall": mine,
                            "expected": theirs,
                            "difference": why,
                        }
                    )
    ours_s = ours_irv_s + ours_stv_s
    poll_s = poll_irv_s + poll_stv_s
    report: dict[str, Any] = {
        "dir": str(root),
        "files": len(files),
        "in_expected_json": sum(rel in expected for rel in files),
        "ballots": sum(d.voters for d in files.values()),
        "read_seconds": round(read_s, 3),
        "rollcall": {
            "irv_seconds": round(ours_irv_s, 3),
            "stv_seconds": round(ours_stv_s, 3),
            "count_seconds": round(ours_s, 3),
            "total_seconds_with_reading": round(ours_s + read_s, 3),
            "lots_drawn": lots,
            "disagreements_with_expected_count": len(vs_expected),
            "disagreements_with_expected": vs_expected,
        },
        "stvpoll": {
            "version": importlib.metadata.version("stvpoll"),
            "irv_seconds": round(poll_irv_s, 3),
            "stv_seconds": round(poll_stv_s, 3),
            "count_seconds": round(poll_s, 3),
            "slowest_files": [
                {"file": rel, "seconds": round(s, 2)}
                for s, rel in sorted(slowest, reverse=True)[:3]
            ],
            "irv_incomplete_finished_by_one_seat_stv": poll_incomplete,
        },
        "stvpoll_over_rollcall_time": round(poll_s / ours_s, 1) if ours_s else None,
        "disagreements_rollcall_vs_stvpoll": vs_stvpoll,
    }
    if not with_stvpoll:
        for key in ("stvpoll", "stvpoll_over_rollcall_time", "disagreements_rollcall_vs_stvpoll"):
            del report[key]
        report["cpu_seconds_read_and_count"] = round(time.process_time() - cpu_start, 3)
    return report


def synthetic_ballots(
    n: int, k: int, seed: int
) -> tuple[list[str], list[tuple[tuple[str, ...], int]]]:
    """Plackett-Luce preferences over Dirichlet popularities, ballots cut to 1..k preferences."""
    rng = np.random.default_rng(seed)
    names = [f"Candidate {chr(ord('A') + i)}" for i in range(k)]
    popularity = rng.dirichlet(np.full(k, 2.0))
    order = np.argsort(-(np.log(popularity) + rng.gumbel(size=(n, k))), axis=1)
    lengths = np.minimum(rng.geometric(0.3, size=n), k)
    shared: dict[tuple[int, ...], tuple[str, ...]] = {}
    ballots = []
    for row, length in zip(order.tolist(), lengths.tolist(), strict=True):
        key = tuple(row[:length])
        choices = shared.get(key)
        if choices is None:
            choices = shared[key] = tuple(names[c] for c in key)
        ballots.append((choices, 1))
    return names, ballots


def synthetic_count() -> dict[str, Any]:
    """Runs in a fresh process: generate, count (timed), count again under tracemalloc."""
    (names, ballots), gen_s = timed(
        synthetic_ballots, SYNTHETIC["ballots"], SYNTHETIC["candidates"], SYNTHETIC_SEED
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result, count_s = timed(count_ballots, "stv", names, ballots, SYNTHETIC["seats"], LOT_SEED)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    traced, traced_s = timed(count_ballots, "stv", names, ballots, SYNTHETIC["seats"], LOT_SEED)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert traced.to_dict() == result.to_dict()
    return {
        **SYNTHETIC,
        "method": "stv",
        "numpy_seed": SYNTHETIC_SEED,
        "lot_seed": LOT_SEED,
        "distinct_ballots": len(set(b for b, _ in ballots)),
        "generate_seconds": round(gen_s, 3),
        "count_seconds": round(count_s, 3),
        "within_goal": count_s <= SYNTHETIC["goal_seconds"],
        "stages": len(result.rounds),
        "winners": result.winners,
        "tracemalloc_peak_mib": round(peak / 2**20, 1),
        "count_seconds_under_tracemalloc": round(traced_s, 3),
        "ru_maxrss_mib_after_generating": round(rss_before / 1024, 1),
        "ru_maxrss_mib_after_counting": round(rss_after / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=("corpus", "elections", "synthetic"))
    parser.add_argument("--corpus", type=Path, default=None, help="corpus folder")
    parser.add_argument("--repeat", type=int, default=3, help="corpus passes (median)")
    parser.add_argument(
        "--skip-stvpoll", action="store_true", help="time only Rollcall on the real elections"
    )
    parser.add_argument(
        "--form",
        action="append",
        choices=("published", "strict"),
        help="which form of the corpus to time [default: both]",
    )
    args = parser.parse_args()
    parts = set(args.only or ("corpus", "elections", "synthetic"))
    report: dict[str, Any] = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "count_path": "count_rows" if count_rows is not None else "count_ballots",
    }
    if "corpus" in parts:
        report["corpus"] = corpus(args.corpus, args.repeat, args.form or ["published", "strict"])
    if "elections" in parts:
        report["elections"] = real_elections(not args.skip_stvpoll)
    if "synthetic" in parts:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            report["synthetic"] = pool.submit(synthetic_count).result()
    report["load_average_at_end"] = os.getloadavg()
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
