"""Postcodes and address lines are parsed and compared as the matcher needs."""

from __future__ import annotations

import pytest

from services.matching.matcher.addresses import (
    compare_addresses,
    normalise_postcode,
    normalise_street,
    parse_address,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("e8 1ab", "E81AB"), ("E81AB", "E81AB"), ("E8 IAB", "E81AB"), ("n16 7ox", "N167OX"),
     ("SW1A 1AA", "SW1A1AA"), ("xx", None), ("", None), ("E8 1A", None), ("12345", None),
     ("E8 AAA", None)],
)  # fmt: skip
def test_postcodes_are_normalised(text: str, expected: str | None) -> None:
    assert normalise_postcode(text) == expected


def test_street_types_are_spelled_out_but_a_leading_st_is_saint() -> None:
    assert normalise_street("St John's Rd") == "SAINT JOHNS ROAD"
    assert normalise_street("High St.") == "HIGH STREET"
    assert normalise_street("Amhurst Gdns") == "AMHURST GARDENS"


@pytest.mark.parametrize(
    "lines",
    [("Flat 2, 10 High St",), ("2/10 High Street",), ("Flat 2", "10 High Street", "London"),
     ("FLAT 02", "10 HIGH STREET"), ("Apt 2", "10 High St")],
)  # fmt: skip
def test_flats_written_many_ways_parse_alike(lines: tuple[str, ...]) -> None:
    address = parse_address(lines, "E8 1AB")
    assert (address.sub, address.number, address.street) == ("2", "10", "HIGH STREET")


def test_a_house_suffix_compares_equal_to_a_lettered_flat() -> None:
    suffix = parse_address(("10B High Street",), "E8 1AB")
    flat = parse_address(("Flat B", "10 High Street"), "E8 1AB")
    assert (suffix.number, suffix.suffix) == ("10", "B")
    assert compare_addresses(suffix, flat).premise == "flat_same"


def test_a_numbered_flat_in_a_named_block_parses() -> None:
    register = parse_address(("12 Alder House", "Mare Street"), "E8 3EF")
    party = parse_address(("Flat 12 Alder House", "Mare St"), "E8 3EF")
    assert (register.sub, register.building, register.street) == (
        "12",
        "ALDER HOUSE",
        "MARE STREET",
    )
    assert compare_addresses(party, register).premise == "flat_same"


def test_different_flats_of_one_building_conflict_and_a_missing_flat_is_unknown() -> None:
    two = parse_address(("Flat 2", "10 High Street"), "E8 1AB")
    three = parse_address(("Flat 3", "10 High Street"), "E8 1AB")
    whole = parse_address(("10 High Street",), "E8 1AB")
    assert compare_addresses(two, three).premise == "flat_different"
    assert compare_addresses(whole, three).premise == "flat_unknown"


def test_a_floor_and_a_letter_cannot_be_compared() -> None:
    ground = parse_address(("Ground Floor Flat", "10 High Street"), "E8 1AB")
    lettered = parse_address(("Flat A", "10 High Street"), "E8 1AB")
    assert compare_addresses(ground, lettered).premise == "flat_unknown"


def test_another_house_number_is_only_the_same_street() -> None:
    ten = parse_address(("10 High Street",), "E8 1AB")
    twelve = parse_address(("12 High Street",), "E8 1AB")
    assert compare_addresses(ten, twelve).premise == "street"
