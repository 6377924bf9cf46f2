"""The output of a file run: the workers' part files merged in extract order, with one
member per elector applied over the whole file.

Each worker decides its own members alone, so two members in different workers (or
in different chunks of one) may both be matched to one elector. Here every such
match becomes a review naming the other members (``deciding.contested_claims``,
the same rule the service applies within a chunk), in the decisions file and in
the evidence file alike.

Guarantees: one decisions row per part row, in the order of the members' rows in
the extract, under the ``DECISION_COLUMNS`` header; no elector is matched to two
members; the evidence file, when asked for, has one line per decision in the same
order and says the same decision.
"""

from __future__ import annotations

import csv
import heapq
import json
from collections.abc import Iterable
from pathlib import Path

from rollcall.formats import DECISION_COLUMNS
from services.matching.batch.worker import Claim, part_file
from services.matching.matcher.deciding import REVIEW, contested_claims, contested_reasons


def merge_parts(
    workdir: Path, workers: int, claims: Iterable[Claim], out: Path, evidence: Path | None
) -> int:
    """Write ``out`` (and ``evidence``) from the part files; how many matches were
    turned into reviews because another member claimed the same elector."""
    demoted = contested_claims(claims)
    _merge_decisions(workdir, workers, demoted, out)
    if evidence is not None:
        _merge_evidence(workdir, workers, demoted, evidence)
    return len(demoted)


def _merge_decisions(workdir: Path, workers: int, demoted: dict[int, list[str]], out: Path) -> None:
    handles = [
        part_file(workdir, p, ".csv").open(newline="", encoding="utf-8") for p in range(workers)
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


def _merge_evidence(
    workdir: Path, workers: int, demoted: dict[int, list[str]], evidence: Path
) -> None:
    parts = [part_file(workdir, p, ".jsonl").open(encoding="utf-8") for p in range(workers)]
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
