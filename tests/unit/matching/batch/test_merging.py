"""The parts of a file run merge in extract order, and a match another member also
claims becomes a review in the decisions and the evidence alike."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from rollcall.formats import DECISION_COLUMNS
from services.matching.batch.merging import merge_parts
from services.matching.batch.worker import part_file


def _part(workdir: Path, part: int, rows: list[tuple[int, str, str, str]]) -> None:
    """Part files as a worker writes them: row number first, then the decision."""
    with part_file(workdir, part, ".csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        for number, member, decision, elector_id in rows:
            writer.writerow([number, member, decision, elector_id, "0.9900", "same person"])
    with part_file(workdir, part, ".jsonl").open("w", encoding="utf-8") as out:
        for number, member, decision, elector_id in rows:
            record = {"membership_number": member, "decision": decision,
                      "elector_id": elector_id, "reasons": "same person",
                      "evidence": {"elector_id": elector_id}}  # fmt: skip
            out.write(f"{number}\t{json.dumps(record)}\n")


def test_contested_matches_become_reviews_in_both_files_in_extract_order(
    tmp_path: Path,
) -> None:
    _part(tmp_path, 0, [(0, "M1", "match", "E1"), (3, "M4", "no_match", "")])
    _part(tmp_path, 1, [(1, "M2", "match", "E2"), (2, "M3", "match", "E1")])
    claims = [(0, "M1", "E1"), (1, "M2", "E2"), (2, "M3", "E1")]
    out, evidence = tmp_path / "d.csv", tmp_path / "e.jsonl"

    assert merge_parts(tmp_path, 2, claims, out, evidence) == 2

    with out.open(encoding="utf-8") as handle:
        reader = csv.reader(handle)
        assert next(reader) == list(DECISION_COLUMNS)
        rows = list(reader)
    assert [(r[0], r[1]) for r in rows] == [
        ("M1", "review"), ("M2", "match"), ("M3", "review"), ("M4", "no_match")
    ]  # fmt: skip
    assert rows[0][4] == "needs a person: members M3 also fit this elector; same person"
    assert rows[2][4] == "needs a person: members M1 also fit this elector; same person"
    records = [json.loads(line) for line in evidence.read_text("utf-8").splitlines()]
    assert [(r["membership_number"], r["decision"]) for r in records] == [
        (r[0], r[1]) for r in rows
    ]
    assert records[0]["reasons"] == rows[0][4]
    assert records[0]["candidates"] == [{"elector_id": "E1"}]
    assert "candidates" not in records[1]
