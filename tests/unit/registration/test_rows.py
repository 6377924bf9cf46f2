"""Extract rows: validation and conflict detection, pure rules."""

from __future__ import annotations

import dataclasses

import pytest

from rollcall.formats import EXTRACT_COLUMNS, EXTRACT_OPTIONAL_COLUMNS
from services.registration import rows
from services.registration.associations import Directory, Entry
from tests.builders import ballots as builders


def test_a_good_row_is_accepted_with_its_postcode_normalised():
    member = rows.validate_row(builders.member_values("M1", postcode="e81aa"))
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
        ({"association": "Hackney Association"}, "association code 'Hackney Association'"),
        ({"address_1": "", "address_2": "", "postcode": ""}, "no address and no postcode"),
    ],
)
def test_each_bad_field_is_rejected_with_a_reason_an_officer_can_act_on(change, reason):
    result = rows.validate_row(builders.member_values("M1", **change))
    assert isinstance(result, list) and any(reason in r for r in result), result


def test_a_row_intake_found_problems_in_is_rejected_with_those_words_first():
    problem = "the row has 14 fields but the header has 15"
    result = rows.validate_row(builders.member_values("M1", email="nope"), [problem])
    assert isinstance(result, list) and result[0] == problem and len(result) == 2


def test_a_list_record_is_read_by_its_header_and_a_short_one_is_a_problem():
    values, problems = rows.from_list(["Membership Number", "TITLE"], ["M1", "Ms"])
    assert values == {"membership_number": "M1", "title": "Ms"} and problems == []
    assert rows.from_list(builders.HEADER, ["M1", "Ms"])[1] == [
        "the row has 2 fields but the header has 15"
    ]


def test_the_association_resolves_through_the_partys_list():
    known = Directory([Entry("HACK", "Hackney Association", ("Hackney Central",))])
    member = rows.validate_row(
        builders.member_values("M1", association="hackney central"), (), known
    )
    assert isinstance(member, rows.MemberRow) and member.association == "HACK"


def test_copies_that_differ_name_the_fields_and_spacing_or_case_do_not_count():
    first = rows.validate_row(builders.member_values("M1"))
    same = rows.validate_row(builders.member_values("M1", postcode="e81aa", status="Current"))
    moved = rows.validate_row(
        builders.member_values("M1", address_2="11 High Street", email="a@b.org")
    )
    assert isinstance(first, rows.MemberRow) and isinstance(same, rows.MemberRow)
    assert isinstance(moved, rows.MemberRow)
    assert rows.differing(first.as_dict(), same.as_dict()) == []
    assert rows.differing(first.as_dict(), moved.as_dict()) == ["address_2", "email"]


def test_a_member_row_holds_exactly_the_extract_columns():
    names = [f.name for f in dataclasses.fields(rows.MemberRow)]
    assert names == list(EXTRACT_COLUMNS + EXTRACT_OPTIONAL_COLUMNS)
