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


# -- dropped extract rows ---------------------------------------------------------------

DROPPED = {
    "id": 12,
    "kind": "conflict",
    "status": "open",
    "extract_id": "x1",
    "file_name": "members.csv",
    "line": 7,
    "association": "HACK",
    "association_as_given": "Hackney Association",
    "membership_number": "H2",
    "row": {"membership_number": "H2", "last_name": "=1+2", "email": "@home", "town": "-"},
    "extra": {"notes": "+44 call"},
    "reasons": ["H2 was first seen on line 2", "its email differs"],
    "first_seen": "members.csv line 2",
    "differs": ["email", "town"],
    "outcome": None,
    "decided_by": None,
    "decided_at": None,
}


def test_a_dropped_row_has_what_it_is_every_reason_and_the_row_as_received():
    header, row = rows(exports.dropped_rows_csv([DROPPED]))
    assert header == [*exports.DROPPED_ROW_COLUMNS, *exports.RECEIVED_COLUMNS]
    cell = dict(zip(header, row, strict=True))
    assert (cell["id"], cell["line"], cell["kind"], cell["status"]) == (
        "12",
        "7",
        "conflict",
        "open",
    )
    assert (cell["membership_number"], cell["association"]) == ("H2", "HACK")
    assert cell["association_as_given"] == "Hackney Association"
    assert cell["reasons"] == "H2 was first seen on line 2; its email differs"
    assert cell["differs"] == "email, town"
    assert cell["outcome"] == "" and cell["received_first_name"] == ""
    assert cell["received_membership_number"] == "H2"
    assert header[-1] == "received_extra"


def test_no_cell_of_a_dropped_row_runs_as_a_formula():
    header, row = rows(exports.dropped_rows_csv([DROPPED]))
    cell = dict(zip(header, row, strict=True))
    assert cell["received_last_name"] == "'=1+2"
    assert cell["received_email"] == "'@home"
    assert cell["received_town"] == "'-"
    assert cell["received_extra"] == "notes=+44 call"
    hostile = {**DROPPED, "reasons": ["=cmd|' /C calc'!A0"], "extra": {"+x": "1"}}
    (_, row) = rows(exports.dropped_rows_csv([hostile]))
    cell = dict(zip(header, row, strict=True))
    assert cell["reasons"] == "'=cmd|' /C calc'!A0" and cell["received_extra"] == "'+x=1"


def test_a_dropped_row_file_name_is_safe():
    assert exports.dropped_rows_filename(3, "HACK") == "ballot-3-dropped-rows-HACK.csv"
    assert exports.dropped_rows_filename(3, None) == "ballot-3-dropped-rows-all.csv"
    assert exports.dropped_rows_filename(3, "../x") == "ballot-3-dropped-rows-___x.csv"
