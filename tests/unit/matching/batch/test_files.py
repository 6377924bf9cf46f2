"""``match_files``: the same decisions from one worker or several, one member per elector
over the whole file, and nothing dropped on the way."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from rollcall.formats import EXTRACT_COLUMNS, REGISTER_COLUMNS
from rollcall_cli.main import main
from services.matching.batch.files import match_files
from tests.builders.registers import write_lines


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    result = CliRunner().invoke(main, ["synth", "--electors", "6000", "--members", "600",
                                       "--seed", "8", "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def _run(synth: Path, out: Path, workers: int, chunk: int = 2000) -> tuple[str, str, object]:
    run = match_files(
        synth / "register.csv", synth / "members.csv", out / "d.csv",
        evidence=out / "e.jsonl", workers=workers, chunk=chunk,
    )  # fmt: skip
    return (out / "d.csv").read_text("utf-8"), (out / "e.jsonl").read_text("utf-8"), run


@pytest.mark.parametrize(("workers", "chunk"), [(2, 2000), (3, 2000), (2, 7)])
def test_several_workers_decide_exactly_as_one(
    synth: Path, tmp_path: Path, workers: int, chunk: int
) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "many").mkdir()
    decisions, evidence, one = _run(synth, tmp_path / "one", 1)
    split_decisions, split_evidence, many = _run(synth, tmp_path / "many", workers, chunk)
    assert split_decisions == decisions
    assert split_evidence == evidence
    assert many.workers == workers  # type: ignore[attr-defined]
    # The swap of shared-key candidates between workers was exercised, and needed:
    # members with no postcode look streets up city-wide, across every district.
    assert many.shared_candidates > 0  # type: ignore[attr-defined]
    assert many.electors == one.electors == 6000  # type: ignore[attr-defined]
    assert many.electors_kept == one.electors_kept  # type: ignore[attr-defined]


@pytest.mark.parametrize("workers", [1, 2])
def test_two_members_fitting_one_elector_both_go_to_review_whatever_the_chunks(
    tmp_path: Path, workers: int
) -> None:
    register = write_lines(tmp_path / "r.csv", REGISTER_COLUMNS, [
        "E1,Okonkwo,Adaeze,12 Mare Street,,,,,E8 1AB,Hackney Central,Hackney,,",
        "E2,Smith,John,14 Mare Street,,,,,E8 1AB,Hackney Central,Hackney,,",
    ])  # fmt: skip
    member = ",Ms,Adaeze,Okonkwo,12 Mare Street,,,London,E8 1AB,,,,,HACK,current"
    members = write_lines(tmp_path / "m.csv", EXTRACT_COLUMNS, [f"M1{member}", f"M2{member}"])
    run = match_files(register, members, tmp_path / "d.csv", chunk=1, workers=workers)
    with (tmp_path / "d.csv").open(encoding="utf-8") as handle:
        rows = {r["membership_number"]: r for r in csv.DictReader(handle)}
    assert [rows[m]["decision"] for m in ("M1", "M2")] == ["review", "review"]
    assert "members M2 also fit this elector" in rows["M1"]["reasons"]
    assert "members M1 also fit this elector" in rows["M2"]["reasons"]
    assert run.contested == 2 and run.counts.get("match", 0) == 0 and run.counts["review"] == 2


@pytest.mark.parametrize("workers", [1, 2])
def test_a_district_digit_slip_finds_the_house_in_the_next_district_whatever_the_workers(
    tmp_path: Path, workers: int
) -> None:
    register = write_lines(tmp_path / "r.csv", REGISTER_COLUMNS, [
        "Y1,Calvert,Harriet,12 Heslington Lane,York,,,,YO10 4XX,Fishergate,York,,",
        "Y2,Okafor,Chidi,3 Main Street,York,,,,YO11 2AB,Scarborough,York,,",
    ])  # fmt: skip
    members = write_lines(tmp_path / "m.csv", EXTRACT_COLUMNS, [
        "M1,Ms,Harriet,Calvert,12 Heslington Lane,,,York,YO11 4XX,,,,,HACK,current",
        "M2,Mr,Chidi,Okafor,3 Main Street,,,York,YO11 2AB,,,,,HACK,current",
        "M3,Ms,Ada,Lovelace,9 Fulford Road,,,York,YO10 4PJ,,,,,HACK,current",
    ])  # fmt: skip
    run = match_files(register, members, tmp_path / "d.csv", workers=workers)
    with (tmp_path / "d.csv").open(encoding="utf-8") as handle:
        rows = {r["membership_number"]: r for r in csv.DictReader(handle)}
    assert (rows["M1"]["decision"], rows["M1"]["elector_id"]) == ("match", "Y1")
    assert "the register has YO10 4XX" in rows["M1"]["reasons"]
    # YO11 and YO10 are on different workers: the house crossed in the swap.
    assert run.shared_candidates == (1 if workers == 2 else 0)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_broken_register_row_is_counted_once_and_a_bad_header_fails_first(
    tmp_path: Path, workers: int
) -> None:
    register = write_lines(tmp_path / "r.csv", REGISTER_COLUMNS, [
        "E1,Okonkwo,Adaeze,12 Mare Street,,,,,E8 1AB,Hackney Central,Hackney,,",
        "E2,Smith,John,14 Mare Street",
        "E3,Patel,Ravi,3 Amhurst Road,,,,,N16 7UB,Stoke Newington,Hackney,,",
    ])  # fmt: skip
    members = write_lines(tmp_path / "m.csv", EXTRACT_COLUMNS, [
        "M1,Ms,Adaeze,Okonkwo,12 Mare Street,,,London,E8 1AB,,,,,HACK,current",
    ])  # fmt: skip
    run = match_files(register, members, tmp_path / "d.csv", workers=workers)
    assert run.register_refused == [(3, "wrong number of fields")]
    assert run.electors == 2
    bad = write_lines(tmp_path / "bad.csv", ["elector_id", "surname"], ["E1,Okonkwo"])
    with pytest.raises(ValueError, match="register header lacks forenames, postcode"):
        match_files(bad, members, tmp_path / "d2.csv", workers=workers)


@pytest.mark.parametrize("workers", [1, 2])
def test_blank_and_short_extract_lines_are_read_as_the_csv_module_reads_them(
    tmp_path: Path, workers: int
) -> None:
    register = write_lines(tmp_path / "r.csv", REGISTER_COLUMNS, [
        "E1,Okonkwo,Adaeze,12 Mare Street,,,,,E8 1AB,Hackney Central,Hackney,,",
    ])  # fmt: skip
    members = write_lines(tmp_path / "m.csv", EXTRACT_COLUMNS, [
        "M1,Ms,Adaeze,Okonkwo,12 Mare Street,,,London,E8 1AB,,,,,HACK,current", "",
        "M2,Mr,Tunde,Okonkwo,12 Mare Street,,,London,E8 1AB",
    ])  # fmt: skip
    run = match_files(register, members, tmp_path / "d.csv", workers=workers)
    with (tmp_path / "d.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["membership_number"] for r in rows] == ["M1", "M2"]
    assert run.members == 2 and rows[0]["decision"] == "match"


@pytest.mark.parametrize("where", ["from_rows", "own_members"])
def test_a_failing_worker_fails_the_run_with_its_traceback_and_writes_nothing(
    synth: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    from services.matching.batch import worker
    from services.matching.matcher.candidates import MemoryIndex

    def broken(*_args: object, **_kwargs: object) -> None:
        raise MemoryError("no room for the index")

    # Forked workers inherit the patch: one fails building its index, the other
    # before it has sent its shared keys.
    monkeypatch.setattr(MemoryIndex if where == "from_rows" else worker, where, broken)
    with pytest.raises(RuntimeError, match="matching worker [01] failed") as failure:
        match_files(synth / "register.csv", synth / "members.csv", tmp_path / "d.csv", workers=2)
    assert "no room for the index" in str(failure.value)
    assert not (tmp_path / "d.csv").exists()
    assert not list(tmp_path.glob("rollcall-match-*"))  # the part files are cleared away
