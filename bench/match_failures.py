"""Reads the ``failures.jsonl`` that ``bench/match_independent.py`` writes and groups the
failures by cause; prints ONE JSON object on stdout (and, with ``--show N``, N rows of
each group on stderr, for a person to read).

    .venv/bin/python bench/match_failures.py var/bench/independent-shires-200000-20000-1 \
        [--failure false_match|lost_no_match|avoidable_review] [--show 3]

A *cause* is the decision's reason with the names, figures and addresses taken out
(``needs a person: same address and surname; first name differs``), so members sent
the same way for the same reason fall in one group; each group counts the truth's
damage ``kind`` parts too, which says what the generator did to those records.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

#: The part of a reason before the best fit's description, names and figures removed.
_QUOTED = re.compile(r"\([^)]*\)|'[^']*'")
_NAMED = re.compile(r"^.*? at the same address has .*? as a middle name")


def cause(reasons: str | None, decision: str | None) -> str:
    """The reason's gist: what the rule said, without whom it said it about."""
    text = reasons or ""
    if decision == "match":
        return "match"
    if text.startswith("needs a person: "):
        text = text[len("needs a person: ") :]
    if _NAMED.match(text):
        return "housemate known by a middle name"
    if text.startswith("members "):
        return "another member fits the elector"
    text = text.split("; best fit", 1)[0].split("; closest is", 1)[0]
    return _QUOTED.sub("(…)", text).strip()


def _row(person: dict[str, str] | None, first: str, last: str) -> str:
    if not person:
        return "-"
    lines = [person.get(k, "") for k in ("address_1", "address_2", "address_3")]
    return (
        f"{person.get(first, '')} | {person.get(last, '')} | "
        f"{', '.join(x for x in lines if x)} | {person.get('postcode', '')}"
    )


def group(lines: list[dict[str, Any]], failure: str | None) -> dict[str, Any]:
    """Failures by failure type, then by cause, with the kinds' parts counted."""
    out: dict[str, Any] = {}
    by_failure: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        if failure is None or line["failure"] == failure:
            by_failure[line["failure"]].append(line)
    for name, rows in sorted(by_failure.items()):
        causes: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            causes[cause(row.get("reasons"), row.get("decision"))].append(row)
        out[name] = {
            "count": len(rows),
            "causes": {
                c: {
                    "count": len(items),
                    "kind_parts": dict(
                        Counter(p for r in items for p in r["kind"].split("+")).most_common(8)
                    ),
                    "examples": [r["membership_number"] for r in items[:5]],
                    "_all": [r["membership_number"] for r in items],
                }
                for c, items in sorted(causes.items(), key=lambda kv: -len(kv[1]))
            },
        }
    return out


def show(lines: list[dict[str, Any]], grouped: dict[str, Any], n: int) -> None:
    by_number = {line["membership_number"]: line for line in lines}
    for name, info in grouped.items():
        for c, g in info["causes"].items():
            print(f"== {name} / {c} ({g['count']})", file=sys.stderr)
            for number in g.pop("_all")[:n]:
                row = by_number[number]
                print(
                    f"  {number} {row['kind']} [{row['decision']} {row['score']}]", file=sys.stderr
                )
                print(
                    f"    member : {_row(row['member'], 'first_name', 'last_name')}",
                    file=sys.stderr,
                )
                print(
                    f"    true   : {_row(row['true_elector'], 'forenames', 'surname')}",
                    file=sys.stderr,
                )
                print(
                    f"    chosen : {_row(row['chosen_elector'], 'forenames', 'surname')}",
                    file=sys.stderr,
                )
                print(f"    why    : {(row['reasons'] or '')[:300]}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, help="the bench's data folder (or a failures.jsonl)")
    parser.add_argument(
        "--failure", choices=("false_match", "lost_no_match", "avoidable_review"), default=None
    )
    parser.add_argument("--show", type=int, default=0, help="rows to print per group (stderr)")
    args = parser.parse_args()
    path = args.data if args.data.suffix == ".jsonl" else args.data / "failures.jsonl"
    lines = [json.loads(x) for x in path.open(encoding="utf-8")]
    grouped = group(lines, args.failure)
    if args.show:
        show(lines, grouped, args.show)
    print(json.dumps({"bench": "match_failures", "file": str(path), **grouped}, ensure_ascii=False))


if __name__ == "__main__":
    main()
