"""Extract rows: validation, pure rules."""

from __future__ import annotations

import dataclasses

import pytest

from rollcall.formats import EXTRACT_COLUMNS, EXTRACT_OPTIONAL_COLUMNS
from services.registration import rows
from tests.builders import ballots as builders


def test_a_good_row_is_accepted_with_its_postcode_normalised():
    member = rows.validate_row(builders.HEADER, builders.member_record("M1", postcode="e81aa"))
    assert isinstance(member, rows.MemberRow) and member.postcode == "E8 1AA"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"membership_number": ""}, "membership number is empty"),
        ({"last_name": ""}, "last name is empty"),
        ({"email": "nope"}, "email address 'nope' is not valid"),
        ({"joined_on": "31/02/2019"}, "joined on '31/02/2019' is not a date"),
        ({"status": "unknown"}, "status 'unknown'"),
        ({"association": ""}, "association is empty"),
        ({"address_1": "", "address_2": "", "postcode": ""}, "no address and no postcode"),
    ],
)
def test_each_bad_field_is_rejected_with_a_reason_an_officer_can_act_on(change, reason):
    result = rows.validate_row(builders.HEADER, builders.member_record("M1", **change))
    assert isinstance(result, list) and any(reason in r for r in result), result


def test_a_row_with_the_wrong_number_of_fields_is_rejected_not_guessed():
    assert rows.validate_row(builders.HEADER, ["M1", "Ms"]) == [
        "the row has 2 fields but the header has 15"
    ]


def test_a_header_missing_or_repeating_columns_makes_the_file_unreadable():
    problems = rows.check_header([c for c in builders.HEADER if c != "email"] + ["status"])
    assert any("lacks column(s): email" in p for p in problems)
    assert any("repeats column(s): status" in p for p in problems)
    assert rows.check_header(builders.HEADER) == []


def test_a_member_row_holds_exactly_the_extract_columns():
    names = [f.name for f in dataclasses.fields(rows.MemberRow)]
    assert names == list(EXTRACT_COLUMNS + EXTRACT_OPTIONAL_COLUMNS)
