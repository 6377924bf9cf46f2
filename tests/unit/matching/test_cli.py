"""``rollcall synth``, ``rollcall match`` and ``rollcall register`` end to end on small files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rollcall.db import make_engine
from rollcall.formats import DECISION_COLUMNS
from rollcall_cli.main import main
from rollcall_tools.synth import read_truth
from services.matching.models import Base
from tests.builders.registers import REGISTER_TABLES


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
        Base.metadata.create_all(make_engine(url), tables=REGISTER_TABLES)

    monkeypatch.setattr("rollcall.db.upgrade", create_register_tables)
    runner = CliRunner()
    result = runner.invoke(main, ["register", "import", str(files / "register.csv"),
                                  "--authority", "hackney", "--label", "2026-11"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["loaded"] == 3000
    listed = runner.invoke(main, ["register", "list"])
    assert listed.exit_code == 0, listed.output
    assert "hackney  2026-11  3000 electors  0 refused  complete" in listed.output
