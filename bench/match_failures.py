"""Reads the ``failures.jsonl`` that ``bench/match_independent.py`` writes and groups the
failures by cause; prints ONE JSON object on stdout (and, with ``--show N``, N rows of
each group on stderr, for a person to read).

    .venv/bin/python bench/match_failures.py var/bench/independent-shires-200000-20000-1 \
        [--failure false_match|lost_no_match|avoidable_review] [--show 3]

A *cause* is the decision's reason with the names, figures and addresses taken out
(``needs a person: same address and surname; first name differs``), so members sent
the same way for the same reason fall in one group; each group counts the truth's
damage ``kind`` parts too, which says what the generator did to those records.

``judgements`` sorts the failures the goals count into those the record itself decides
and the rest (``judge``), without changing what the goals count:

- a false match *indistinguishable* from a right one: the chosen elector lives at the
  address the party holds and the record's names fit them fully (first name as written
  or a listed short form of it, or its initial when only an initial is given; surname the
  same but for spacing, accents or Mac/Mc; no middle name on the record that conflicts),
  yet the truth is someone else of that name (an unregistered namesake living there, or
  a member who moved away from a namesake). Nothing the matcher reads tells the two
  apart; a record of the chosen elector would be the same.
- an avoidable review *required by issue 10*: the rule "known by a middle name against a
  housemate whose first name is that name: review". The record's first name is one
  elector's first name and a housemate's middle name; the truth file calls the
  first-name reading its only right elector, but records of the other reading look the
  same (``middle_name_known_relative`` in the shires truth).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.matching.matcher.names import (  # noqa: E402
    compare_forenames,
    compare_middle,
    compare_surnames,
    parse_name,
)

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


_AT_HELD = ("same flat", "same house", "same building")


def judge(line: dict[str, Any]) -> str:
    """``indistinguishable`` (a false match the record cannot avoid), ``issue rule`` (an
    avoidable review issue 10's housemate rule asks for) or ``matcher``; see the module
    docstring."""
    reasons = line.get("reasons") or ""
    if line["failure"] == "false_match":
        member, chosen = line.get("member"), line.get("chosen_elector")
        if not (member and chosen) or not reasons.startswith(_AT_HELD):
            return "matcher"
        record = parse_name(member["first_name"], member["last_name"])
        elector = parse_name(chosen["forenames"], chosen["surname"])
        fore = compare_forenames(record.forenames, elector.forenames).level
        initial = fore == "initial" and len(record.first) == 1
        # A listed short form counts only written short (``Kit`` for ``Christopher``):
        # ``Leonard`` on the record is no usual way to write an elector named ``Leo``.
        short = fore == "nickname" and len(record.first) < len(elector.first)
        fits = fore == "exact" or short or initial
        same_surname = compare_surnames(record, elector).level in ("exact", "punctuation", "mac")
        middle = compare_middle(record.forenames, elector.forenames, fore).level
        return "indistinguishable" if fits and same_surname and middle != "conflict" else "matcher"
    if line["failure"] == "avoidable_review" and _NAMED.match(
        reasons.removeprefix("needs a person: ")
    ):
        return "issue rule"
    return "matcher"


def judgements(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Per failure type, how many each ``judge`` verdict holds, with examples."""
    out: dict[str, Any] = {}
    for line in lines:
        verdict = judge(line)
        slot = out.setdefault(line["failure"], {}).setdefault(verdict, {"count": 0, "examples": []})
        slot["count"] += 1
        if len(slot["examples"]) < 5:
            slot["examples"].append(line["membership_number"])
    return out


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
    report = {"bench": "match_failures", "file": str(path), **grouped,
              "judgements": judgements(lines)}  # fmt: skip
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
