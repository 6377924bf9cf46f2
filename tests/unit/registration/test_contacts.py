"""How a member is named and reached: one shape for every event that carries it."""

from __future__ import annotations

from services.registration import contacts
from services.registration.models import Member


def _member(**overrides: str) -> Member:
    fields = {
        "membership_number": "M1",
        "title": "Ms",
        "first_name": "Ada",
        "last_name": "Byron",
        "address_1": "Flat 2",
        "address_2": "",
        "address_3": "10 High Street",
        "town": "London",
        "postcode": "E8 1AA",
        "email": "ada@example.org",
        "phone": "",
    }
    return Member(**{**fields, **overrides})


def test_a_name_has_the_title_unless_asked_not_to_and_skips_empty_parts():
    assert contacts.name(_member()) == "Ms Ada Byron"
    assert contacts.name(_member(), title=False) == "Ada Byron"
    assert contacts.name(_member(title="")) == "Ada Byron"


def test_an_address_keeps_its_lines_in_order_without_the_empty_ones():
    assert contacts.address(_member()) == ["Flat 2", "10 High Street", "London"]


def test_a_voter_carries_who_the_code_goes_to_and_where():
    assert contacts.voter(_member()) == {
        "membership_number": "M1",
        "name": "Ms Ada Byron",
        "email": "ada@example.org",
        "address": ["Flat 2", "10 High Street", "London"],
        "postcode": "E8 1AA",
    }
    assert contacts.contact(_member(phone="0207")) == {
        "email": "ada@example.org",
        "address": ["Flat 2", "10 High Street", "London"],
        "postcode": "E8 1AA",
        "phone": "0207",
    }
