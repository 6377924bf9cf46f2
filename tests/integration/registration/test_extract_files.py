"""Extract files as people export them, through the real `rollcall` command and service.

Each file is built here. Every one ends in a balanced extract or a one-line
refusal, and no output ever holds a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from services.registration.service import RegistrationService
from tests import support
from tests.builders import ballots as builders
from tests.integration.registration.queries import rows as db_rows

ROLLCALL = str(Path(sys.executable).with_name("rollcall"))
NAMES = ["Zoë", "Siân", "Ó Súilleabháin", "Muñoz", "Lefèvre"]


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def summary(self) -> dict[str, Any]:
        return json.loads(self.out)

    def refusal(self) -> str:
        """The one line a refused command says (and that nothing else was said)."""
        assert self.code == 1, (self.code, self.out, self.err)
        lines = [line for line in self.err.splitlines() if line.strip()]
        assert self.out == "" and len(lines) == 1 and lines[0].startswith("Error: "), self.err
        return lines[0]


@dataclass
class Cli:
    settings: Any
    rpc: Any
    folder: Path

    def __call__(self, *args: str) -> Ran:
        env = {
            **os.environ,
            "ROLLCALL_AMQP_URI": self.settings.amqp_uri,
            # eventlet's own deprecation notice, printed when rollcall_cli.common imports it
            "PYTHONWARNINGS": "ignore::Warning:rollcall_cli.common",
        }
        done = subprocess.run(
            [ROLLCALL, *args], capture_output=True, text=True, env=env, timeout=120
        )
        ran = Ran(done.returncode, done.stdout, done.stderr)
        assert "Traceback" not in done.stdout + done.stderr, done.stderr
        return ran

    def ballot(self) -> int:
        return self.rpc.registration.create_ballot(builders.ballot_definition())["ballot_id"]

    def file(self, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = self.folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    def imported(self, path: Path, ballot_id: int, *extra: str) -> dict[str, Any]:
        """Import ``path``; it must complete and balance."""
        ran = self("extract", "import", str(path), "--ballot", str(ballot_id), *extra)
        assert ran.code == 0, (ran.out, ran.err)
        summary = ran.summary
        assert summary["status"] == "complete" and summary["balanced"], summary
        assert (
            summary["declared"] == summary["accepted"] + summary["rejected"] + summary["duplicates"]
        )
        return summary

    def refused(self, path: Path, ballot_id: int, *extra: str) -> str:
        return self("extract", "import", str(path), "--ballot", str(ballot_id), *extra).refusal()


@pytest.fixture
def cli(make_settings, tmp_path) -> Iterator[Cli]:
    settings = make_settings("registration")
    with support.running(settings, RegistrationService), support.rpc_proxy(settings) as rpc:
        yield Cli(settings, rpc, tmp_path)


def _members(cli: Cli, ballot_id: int) -> dict[str, Any]:
    found = db_rows(
        cli.settings,
        "registration",
        "SELECT membership_number, first_name, last_name, address_2, association FROM members"
        " WHERE ballot_id = :b",
        b=ballot_id,
    )
    return {r[0]: r for r in found}


def _rows(n: int, **overrides: str) -> list[list[str]]:
    return [builders.member_record(f"M{i}", **overrides) for i in range(1, n + 1)]


def test_utf8_with_bom_and_crlf_is_read_and_its_encoding_recorded(cli):
    path = cli.file("bom.csv", "\ufeff" + builders.extract_text(_rows(3), newline="\r\n"))
    summary = cli.imported(path, cli.ballot())
    assert summary["accepted"] == 3
    assert summary["read_as"]["encoding"] == "utf-8-sig"


def test_windows_1252_names_are_kept_exactly(cli):
    rows = [
        builders.member_record(f"M{i}", first_name=name, last_name=name)
        for i, name in enumerate(NAMES)
    ]
    path = cli.file("legacy.csv", builders.extract_text(rows, newline="\r\n"), "cp1252")
    bid = cli.ballot()
    summary = cli.imported(path, bid)
    assert summary["accepted"] == 5 and summary["read_as"]["encoding"] == "windows-1252"
    assert [_members(cli, bid)[f"M{i}"][1] for i in range(5)] == NAMES


def test_an_xlsx_workbook_is_read_from_the_named_sheet_and_the_first_sheet_refused(cli):
    path = cli.folder / "members.xlsx"
    builders.extract_workbook(path, _rows(4))
    bid = cli.ballot()
    refusal = cli.refused(path, bid)
    assert "the header lacks column(s) membership_number" in refusal and "line" not in refusal
    summary = cli.imported(path, bid, "--sheet", "Members")
    assert summary["accepted"] == 4
    assert (summary["read_as"]["kind"], summary["read_as"]["sheet"]) == ("xlsx", "Members")


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolon"), ("\t", "tab")])
def test_semicolon_and_tab_exports_are_read_and_the_delimiter_recorded(cli, delimiter, name):
    path = cli.file(f"{name}.csv", builders.extract_text(_rows(3), delimiter=delimiter))
    summary = cli.imported(path, cli.ballot())
    assert summary["accepted"] == 3 and summary["read_as"]["delimiter"] == delimiter
    assert f"{name}-separated" in summary["read_as"]["described"]


def test_reordered_and_extra_columns_are_read_and_the_extras_kept_with_a_dropped_row(cli):
    columns = ["Branch", *reversed(builders.HEADER), "Notes"]
    rows = [
        ["North", *reversed(builders.member_record("M1")), "paid"],
        ["South", *reversed(builders.member_record("M2", last_name="")), "=1+1"],
    ]
    bid = cli.ballot()
    summary = cli.imported(cli.file("extra.csv", builders.extract_text(rows, columns)), bid)
    assert (summary["accepted"], summary["rejected"]) == (1, 1)
    assert summary["read_as"]["extra_columns"] == ["Branch", "Notes"]
    (dropped,) = cli.rpc.registration.list_dropped_rows(bid)
    assert dropped["extra"] == {"Branch": "South", "Notes": "=1+1"}
    assert dropped["reasons"] == ["the last name is empty"]


def test_a_missing_column_refuses_the_file_in_one_line_and_records_the_refusal(cli):
    columns = [c for c in builders.HEADER if c != "postcode"]
    rows = [
        [v for c, v in zip(builders.HEADER, r, strict=True) if c != "postcode"] for r in _rows(2)
    ]
    bid = cli.ballot()
    refusal = cli.refused(cli.file("short.csv", builders.extract_text(rows, columns)), bid)
    assert "short.csv, line 1: the header lacks column(s) postcode" in refusal
    (extract,) = cli.rpc.registration.reconcile(bid)["extracts"]
    assert extract["status"] == "refused" and "lacks column(s) postcode" in extract["refusal"]


def test_a_200_kb_field_an_embedded_newline_and_formula_cells_are_each_that_rows_business(cli):
    rows = [
        builders.member_record("M1", address_2="x" * 200_000),
        builders.member_record("M2", address_2="Flat 2\nRear building"),
        builders.member_record("M3", first_name='=HYPERLINK("http://x")', last_name="@SUM(A1)"),
    ]
    bid = cli.ballot()
    summary = cli.imported(cli.file("odd.csv", builders.extract_text(rows)), bid)
    assert (summary["accepted"], summary["rejected"]) == (2, 1)
    (dropped,) = cli.rpc.registration.list_dropped_rows(bid)
    assert dropped["line"] == 2 and "200,000 characters, over the limit" in dropped["reasons"][0]
    members = _members(cli, bid)
    assert members["M2"][3] == "Flat 2\nRear building"
    assert members["M3"][1:3] == ('=HYPERLINK("http://x")', "@SUM(A1)")


def test_a_truncated_last_row_is_rejected_with_its_reason_and_the_rest_imported(cli):
    text = builders.extract_text(_rows(3)).rstrip("\n")
    cut = text[: text.rindex(",")] + ',"curr'
    bid = cli.ballot()
    summary = cli.imported(cli.file("cut.csv", cut), bid)
    assert (summary["accepted"], summary["rejected"]) == (2, 1)
    (dropped,) = cli.rpc.registration.list_dropped_rows(bid)
    assert dropped["line"] == 4 and "cut short" in dropped["reasons"][0]


def test_associations_by_name_and_alias_resolve_and_an_unknown_one_names_the_nearest(cli):
    listed = cli.file(
        "associations.csv",
        "code,name,aliases\nHACK,Hackney Association,Hackney CLP; Hackney & Stoke Newington\n"
        "ISL,Islington Association,\n",
    )
    loaded = cli("association", "load", str(listed))
    assert loaded.code == 0 and len(json.loads(loaded.out)) == 2
    added = cli("association", "add", "CAM", "--name", "Camden Association", "--alias", "Camden")
    assert added.code == 0
    rows = [
        builders.member_record("M1", association="Hackney Association"),
        builders.member_record("M2", association="hackney clp"),
        builders.member_record("M3", association="camden"),
        builders.member_record("M4", association="Hackny Asociation"),
    ]
    bid = cli.ballot()
    summary = cli.imported(cli.file("named.csv", builders.extract_text(rows)), bid)
    assert (summary["accepted"], summary["rejected"]) == (3, 1)
    assert [m[4] for _, m in sorted(_members(cli, bid).items())] == ["HACK", "HACK", "CAM"]
    (dropped,) = cli.rpc.registration.list_dropped_rows(bid)
    assert dropped["reasons"] == [
        "the association 'Hackny Asociation' is not known; nearest: HACK (Hackney Association)"
        + dropped["reasons"][0].split("HACK (Hackney Association)", 1)[1]
    ]
    assert dropped["association"] == "" and dropped["association_as_given"] == "Hackny Asociation"


def test_the_same_file_is_a_new_extract_in_another_ballot_and_already_imported_in_its_own(cli):
    path = cli.file("twice.csv", builders.extract_text(_rows(3)))
    first, second = cli.ballot(), cli.ballot()
    one = cli.imported(path, first)
    two = cli.imported(path, second)
    assert one["extract_id"] != two["extract_id"] and two["accepted"] == 3
    again = cli("extract", "import", str(path), "--ballot", str(first))
    assert again.code == 0 and "was already imported into ballot" in again.err
    assert again.summary["already_imported"] and again.summary["accepted"] == 3
    assert len(_members(cli, first)) == 3
    assert len(cli.rpc.registration.reconcile(first)["extracts"]) == 1


def test_a_conflicting_duplicate_is_flagged_and_an_officer_keeps_the_second_copy(cli):
    rows = [
        builders.member_record("M1"),
        builders.member_record("M1", address_2="12 Mare Street"),
        builders.member_record("M1"),
    ]
    bid = cli.ballot()
    summary = cli.imported(cli.file("conflict.csv", builders.extract_text(rows)), bid)
    assert (summary["accepted"], summary["duplicates"]) == (1, 2)
    conflict, duplicate = cli.rpc.registration.list_dropped_rows(bid)
    assert (conflict["kind"], conflict["differs"]) == ("conflict", ["address_2"])
    assert duplicate["kind"] == "duplicate" and duplicate["first_seen"].endswith("line 2")
    resolved = cli(
        "extract", "resolve", "--ballot", str(bid), str(conflict["id"]), "--keep", "second",
        "--reason", "the member moved",
    )  # fmt: skip
    assert resolved.code == 0 and resolved.summary["status"] == "resolved"
    assert _members(cli, bid)["M1"][3] == "12 Mare Street"


def test_a_rejected_row_corrected_joins_the_ballot_and_the_extract_says_so(cli):
    rows = [builders.member_record("M1"), builders.member_record("M2", email="not-an-email")]
    bid = cli.ballot()
    cli.imported(cli.file("fix.csv", builders.extract_text(rows)), bid)
    (dropped,) = cli.rpc.registration.list_dropped_rows(bid, association="HACK")
    csv_path = cli.folder / "dropped.csv"
    listed = cli("extract", "rejected", "--ballot", str(bid), "--csv", str(csv_path))
    assert listed.code == 0 and "not-an-email" in csv_path.read_text()
    still = cli(
        "extract", "correct", "--ballot", str(bid), str(dropped["id"]), "email=still bad",
        "--reason", "typo",
    )  # fmt: skip
    assert "is still rejected: the email address 'still bad' is not valid" in still.refusal()
    fixed = cli(
        "extract", "correct", "--ballot", str(bid), str(dropped["id"]), "email=m2@example.org",
        "--reason", "typo",
    )  # fmt: skip
    assert fixed.code == 0 and fixed.summary["outcome"] == "accepted as member M2"
    report = cli("reconcile", "--ballot", str(bid))
    assert "rejected 1 (1 since corrected)" in report.out and report.code == 0
    assert cli.rpc.registration.count_dropped_rows(bid)["totals"]["corrected"] == 1


def test_empty_header_only_and_binary_files_end_in_one_line_or_a_balanced_empty_extract(cli):
    bid = cli.ballot()
    assert "empty" in cli.refused(cli.file("empty.csv", b""), bid)
    assert cli.imported(cli.file("header.csv", builders.extract_text([])), bid)["declared"] == 0
    junk = bytes(range(256)) * 40
    assert "is not text: the byte at offset" in cli.refused(cli.file("junk.csv", junk), bid)
    assert "is not text" in cli.refused(cli.file("junk.csv", junk), bid)  # again: still one line
