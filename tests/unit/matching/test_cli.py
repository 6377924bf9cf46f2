"""``rollcall synth``, ``rollcall match`` and ``rollcall register`` end to end on small files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rollcall.cli.main import main
from services.matching.files import DECISION_COLUMNS
from services.matching.synth import read_truth


@pytest.fixture
def files(tmp_path: Path) -> Path:
    out = tmp_path / "synth"
    result = CliRunner().invoke(main, ["synth", "--electors", "3000", "--members", "300",
                                       "--seed", "4", "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def test_match_writes_one_decision_per_member(files: Path, tmp_path: Path) -> None:
    out = tmp_path / "decisions.csv"
    result = CliRunner().invoke(main, [
        "match", "--register", str(files / "register.csv"), "--members", str(files / "members.csv"),
        "--out", str(out), "--evidence", str(tmp_path / "evidence.jsonl"),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == DECISION_COLUMNS
    truth = read_truth(files / "truth.csv")
    assert [r["membership_number"] for r in rows] == list(truth)
    matched = [r for r in rows if r["decision"] == "match"]
    assert len(matched) > 200
    assert all(r["elector_id"] == truth[r["membership_number"]][0] for r in matched)
    assert all(r["reasons"] and 0 <= float(r["score"]) <= 1 for r in rows)
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["members"] == 300 and summary["match"] == len(matched)
    first = json.loads((tmp_path / "evidence.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert "weights" in first["evidence"]


def test_match_reports_a_missing_file_clearly(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["match", "--register", str(tmp_path / "no.csv"),
                                       "--members", str(tmp_path / "no.csv"), "--out", "x.csv"])  # fmt: skip
    assert result.exit_code != 0
    assert "does not exist" in result.output


def test_register_import_then_list(
    files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'matching.sqlite'}"
    monkeypatch.setenv("ROLLCALL_DATABASE_URL_MATCHING", url)

    def create_register_tables(service: str, url: str, revision: str = "head") -> None:
        from rollcall.db import make_engine
        from services.matching import register_models

        register_models.Base.metadata.create_all(make_engine(url), tables=[
            t.__table__ for t in (register_models.RegisterVersion, register_models.RegisterElector,
                                  register_models.RegisterRefusal, register_models.RegisterNameFrequency)
        ])  # fmt: skip

    monkeypatch.setattr("rollcall.db.upgrade", create_register_tables)
    runner = CliRunner()
    result = runner.invoke(main, ["register", "import", str(files / "register.csv"),
                                  "--authority", "hackney", "--label", "2026-11"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["loaded"] == 3000
    listed = runner.invoke(main, ["register", "list"])
    assert listed.exit_code == 0, listed.output
    assert "hackney  2026-11  3000 electors  0 refused  complete" in listed.output


def test_forked_workers_decide_exactly_as_one_process(files: Path, tmp_path: Path) -> None:
    """Chunks decided in forked workers give the same decisions and evidence, with
    ``taken`` across chunks and contested electors within a chunk applied alike."""
    from services.matching.files import match_files

    with (files / "members.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, list(reader)
    assert fields is not None
    # Copies of early members far later (taken by an earlier chunk) and right after
    # the original (contested within one chunk).
    copies = [{**r, "membership_number": f"X{r['membership_number']}"} for r in rows[:20]]
    twins = [{**r, "membership_number": f"T{r['membership_number']}"} for r in rows[100:110]]
    members = tmp_path / "members.csv"
    with members.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows[:100] + twins + rows[100:] + copies)
    outputs = []
    for workers in (1, 2):
        out, evidence = tmp_path / f"d{workers}.csv", tmp_path / f"e{workers}.jsonl"
        run = match_files(files / "register.csv", members, out, chunk=50, evidence=evidence,
                          workers=workers)  # fmt: skip
        outputs.append((out.read_text(encoding="utf-8"), evidence.read_text(encoding="utf-8")))
        assert run.members == len(rows) + 30
    assert outputs[0] == outputs[1]
    decisions = outputs[0][0]
    assert "already matched to another member" in decisions
    assert "also fit this elector" in decisions
