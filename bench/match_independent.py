"""The roll matcher scored on independently generated data; prints ONE JSON object on stdout.

    .venv/bin/python bench/match_independent.py [--source shires|synth] [--data DIR]
        [--electors 200000] [--members 20000] [--seed 1] [--workers N]

1. Generates a register, a damaged extract and the truth with ``rollcall_tools.shires``
   (written independently of the matcher and of ``rollcall_tools.synth``), or with
   ``rollcall synth`` when ``--source synth``; ``--data DIR`` reuses files already there.
2. Runs ``rollcall match`` over the files in a child process, timing it and sampling the
   resident memory of it and its workers (peak of the sum, and of the largest one).
3. Scores ``decisions.csv`` against ``truth.csv`` (``score``): the four goals of issue 10
   (auto-match precision; false matches per member; members on the register at the
   address the party holds who end ``no_match``; avoidable reviews, i.e. members with
   exactly one right elector who went to review, per member) and a breakdown of every
   failure by ``kind`` (whole and by part) with example membership numbers.
4. Writes ``failures.jsonl`` beside the decisions: each failing member's row, the true
   elector's row, the chosen elector's row and the matcher's reasons.

The synth truth has ``membership_number, elector_id, kind``: there a member is at the
held address when it has an elector and its kind does not mention ``moved``, and has
exactly one right elector when it has an elector. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ROLLCALL = ROOT / ".venv" / "bin" / "rollcall"
GOALS = {
    "auto_match_precision": (">=", 0.999),
    "false_matches_share_of_members": ("<=", 0.001),
    "at_held_address_no_match_share": ("<=", 0.001),
    "avoidable_reviews_share_of_members": ("<=", 0.03),
}
EXAMPLES = 5


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def normalise_truth(rows: Iterable[Mapping[str, str]]) -> dict[str, dict[str, Any]]:
    """Truth by membership number with ``elector_id``, ``kind``, ``right``, ``at_held``.

    Shires truth says ``right_electors`` and ``at_held_address``; synth truth does not,
    so they are derived from its elector and kind (see the module docstring).
    """
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        elector = row.get("elector_id", "") or ""
        kind = row.get("kind", "") or ""
        if "right_electors" in row and row["right_electors"] != "":
            right = int(row["right_electors"])
        else:
            right = 1 if elector else 0
        if "at_held_address" in row and row["at_held_address"] != "":
            at_held = row["at_held_address"] == "1"
        else:
            at_held = bool(elector) and "moved" not in kind
        out[row["membership_number"]] = {
            "elector_id": elector,
            "kind": kind,
            "right": right,
            "at_held": at_held,
        }
    return out


def _parts(kind: str) -> list[str]:
    return [p for p in kind.split("+") if p] or ["(none)"]


def score(
    decisions: Iterable[Mapping[str, str]], truth_rows: Iterable[Mapping[str, str]]
) -> dict[str, Any]:
    """Score decisions against truth: counts, the four goal figures and failures by kind."""
    truth = normalise_truth(truth_rows)
    decided = {row["membership_number"]: row for row in decisions}
    members = len(truth)
    counts: Counter[str] = Counter()
    failures: dict[str, list[str]] = {
        "false_match": [],
        "lost_no_match": [],
        "avoidable_review": [],
    }
    for number, t in truth.items():
        d = decided.get(number)
        decision = d["decision"] if d else "missing"
        chosen = (d.get("elector_id") or "") if d else ""
        counts[decision] += 1
        if t["elector_id"]:
            counts["on_register"] += 1
        if t["at_held"]:
            counts["at_held_address"] += 1
        if t["right"] == 1:
            counts["one_right_elector"] += 1
        if decision == "match":
            if t["elector_id"] and chosen == t["elector_id"]:
                counts["auto_correct"] += 1
            else:
                counts["auto_wrong"] += 1
                failures["false_match"].append(number)
        if t["at_held"]:
            if decision == "match" and chosen == t["elector_id"]:
                counts["at_held_address_auto_matched"] += 1
            if decision == "no_match" or decision == "missing":
                failures["lost_no_match"].append(number)
        if decision == "review":
            if t["right"] == 1:
                failures["avoidable_review"].append(number)
                if t["at_held"]:
                    counts["avoidable_review_at_held_address"] += 1
            if t["elector_id"] and chosen == t["elector_id"]:
                counts["review_offers_true_elector"] += 1
    autos = counts["match"]
    held = counts["at_held_address"]
    figures = {
        "auto_match_precision": counts["auto_correct"] / autos if autos else 1.0,
        "false_matches_share_of_members": counts["auto_wrong"] / members if members else 0.0,
        "at_held_address_no_match_share": len(failures["lost_no_match"]) / held if held else 0.0,
        "avoidable_reviews_share_of_members": (
            len(failures["avoidable_review"]) / members if members else 0.0
        ),
    }
    goals = {}
    for name, (op, target) in GOALS.items():
        value = figures[name]
        met = value >= target if op == ">=" else value <= target
        goals[name] = {"value": round(value, 5), "goal": f"{op} {target}", "met": met}
    with_part: Counter[str] = Counter(p for t in truth.values() for p in _parts(t["kind"]))
    breakdown: dict[str, Any] = {}
    for failure, numbers in failures.items():
        by_kind: dict[str, list[str]] = defaultdict(list)
        by_part: dict[str, list[str]] = defaultdict(list)
        for number in numbers:
            kind = truth[number]["kind"]
            by_kind[kind].append(number)
            for part in _parts(kind):
                by_part[part].append(number)
        breakdown[failure] = {
            "count": len(numbers),
            "by_kind": {
                k: {"count": len(v), "examples": v[:EXAMPLES]}
                for k, v in sorted(by_kind.items(), key=lambda kv: (-len(kv[1]), kv[0]))
            },
            "by_part": {
                k: {"count": len(v), "of_members_with_part": with_part[k], "examples": v[:EXAMPLES]}
                for k, v in sorted(by_part.items(), key=lambda kv: (-len(kv[1]), kv[0]))
            },
        }
    return {
        "members": members,
        "counts": dict(sorted(counts.items())),
        "informational": {
            "at_held_address_auto_matched_share": (
                round(counts["at_held_address_auto_matched"] / held, 5) if held else 0.0
            ),
            "reviews_share_of_members": round(counts["review"] / members, 5) if members else 0.0,
            "avoidable_reviews_at_held_address_share_of_members": (
                round(counts["avoidable_review_at_held_address"] / members, 5) if members else 0.0
            ),
        },
        "goals": goals,
        "all_goals_met": all(g["met"] for g in goals.values()),
        "failures": breakdown,
        "_failures": failures,
    }


# ----------------------------------------------------------------- running


def _tree_rss(pid: int) -> tuple[int, int]:
    """(sum, largest) resident kB of ``pid`` and its descendants."""
    total = largest = 0
    queue = [pid]
    while queue:
        current = queue.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                kb = int(line.split()[1])
                total += kb
                largest = max(largest, kb)
        queue.extend(int(c) for c in children)
    return total, largest


def run_match(data: Path, out: Path, workers: int | None) -> dict[str, Any]:
    """Run ``rollcall match`` as a child process; its seconds, peak RSS and summary line."""
    cmd = [str(ROLLCALL), "match", "--register", str(data / "register.csv"),
           "--members", str(data / "members.csv"), "--out", str(out)]  # fmt: skip
    if workers:
        cmd += ["--workers", str(workers)]
    say(" ".join(cmd))
    peak = {"sum_kb": 0, "largest_kb": 0}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            total, largest = _tree_rss(proc.pid)
            peak["sum_kb"] = max(peak["sum_kb"], total)
            peak["largest_kb"] = max(peak["largest_kb"], largest)
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"rollcall match failed ({proc.returncode}):\n{stderr[-3000:]}")
    summary: dict[str, Any] = {}
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            summary = json.loads(line)
            break
    return {
        "seconds": round(seconds, 1),
        "peak_rss_mb_sum_of_processes": round(peak["sum_kb"] / 1024, 1),
        "peak_rss_mb_largest_process": round(peak["largest_kb"] / 1024, 1),
        "summary": {
            k: summary[k] for k in ("match", "review", "no_match", "workers") if k in summary
        },
    }


def make_data(source: str, out: Path, electors: int, members: int, seed: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if source == "shires":
        sys.path.insert(0, str(ROOT))
        from rollcall_tools.shires import generate, write

        write(generate(electors, members, seed), out)
    else:
        cmd = [str(ROLLCALL), "synth", "--electors", str(electors), "--members", str(members),
               "--seed", str(seed), "--out", str(out)]  # fmt: skip
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    say(f"generated {source} data in {time.perf_counter() - started:.1f}s under {out}")


def write_failures(
    data: Path, decisions: list[dict[str, str]], result: dict[str, Any], path: Path
) -> None:
    """One JSON line per failing member: member row, true and chosen elector rows, reasons."""
    wanted = {n for numbers in result["_failures"].values() for n in numbers}
    members = {
        r["membership_number"]: r
        for r in read_csv(data / "members.csv")
        if r["membership_number"] in wanted
    }
    truth = {r["membership_number"]: r for r in read_csv(data / "truth.csv")}
    decided = {r["membership_number"]: r for r in decisions}
    ids = {truth[n]["elector_id"] for n in wanted} | {
        decided[n]["elector_id"] for n in wanted if n in decided
    }
    electors = {
        r["elector_id"]: r for r in read_csv(data / "register.csv") if r["elector_id"] in ids
    }
    with path.open("w", encoding="utf-8") as f:
        for failure, numbers in result["_failures"].items():
            for n in numbers:
                d = decided.get(n, {})
                line = {"failure": failure, "membership_number": n, "kind": truth[n]["kind"],
                        "decision": d.get("decision"), "score": d.get("score"),
                        "reasons": d.get("reasons"), "member": members.get(n),
                        "true_elector": electors.get(truth[n]["elector_id"]),
                        "chosen_elector": electors.get(d.get("elector_id", ""))}  # fmt: skip
                f.write(json.dumps(line, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", choices=("shires", "synth"), default="shires")
    parser.add_argument("--data", type=Path, help="reuse register.csv, members.csv, truth.csv here")
    parser.add_argument("--electors", type=int, default=200_000)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    data = args.data or (
        ROOT
        / "var"
        / "bench"
        / f"independent-{args.source}-{args.electors}-{args.members}-{args.seed}"
    )
    if not (data / "truth.csv").exists():
        make_data(args.source, data, args.electors, args.members, args.seed)
    else:
        say(f"reusing {data}")
    out = data / "decisions.csv"
    run = run_match(data, out, args.workers)
    decisions = read_csv(out)
    result = score(decisions, read_csv(data / "truth.csv"))
    failures_path = data / "failures.jsonl"
    write_failures(data, decisions, result, failures_path)
    del result["_failures"]
    report = {"bench": "match_independent", "source": args.source, "data": str(data),
              "electors": sum(1 for _ in (data / "register.csv").open(encoding="utf-8")) - 1,
              "note": "taken on a shared 2-core machine; timings are indicative",
              "match_run": run, **result, "failures_file": str(failures_path)}  # fmt: skip
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
