"""The member list as CSV: its columns, its quoting, and no formulas."""

from __future__ import annotations

import csv
import io

from gateway import exports

MEMBER = {
    "membership_number": "M1",
    "name": "Ada Byron",
    "association": "HACK",
    "postcode": "E8 1AA",
    "state": "excluded",
    "reason": "excluded: not found on the electoral register, at this address",
    "updated_at": "2026-05-01T12:00:00+00:00",
    "email": "ada@example.org",
}


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_columns_are_the_documented_ones_in_order_and_nothing_else():
    header, row = rows(exports.members_csv([MEMBER]))
    assert header == [
        "membership_number",
        "name",
        "association",
        "postcode",
        "state",
        "reason",
        "updated_at",
    ]
    assert row[0] == "M1" and row[5] == MEMBER["reason"]
    assert "ada@example.org" not in exports.members_csv([MEMBER])


def test_an_empty_list_is_just_the_header():
    assert rows(exports.members_csv([])) == [list(exports.MEMBER_COLUMNS)]


def test_a_cell_a_spreadsheet_would_run_is_defused():
    hostile = {**MEMBER, "name": '=HYPERLINK("http://evil","x")', "postcode": "+44", "state": None}
    (_, row) = rows(exports.members_csv([hostile]))
    assert row[1] == '\'=HYPERLINK("http://evil","x")' and row[3] == "'+44" and row[4] == ""


def test_the_file_name_is_safe():
    assert exports.members_filename(3, "HACK") == "ballot-3-members-HACK.csv"
    assert exports.members_filename(3, None) == "ballot-3-members-all.csv"
    assert exports.members_filename(3, 'a"b/c') == "ballot-3-members-a_b_c.csv"
