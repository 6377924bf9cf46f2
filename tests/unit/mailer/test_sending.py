"""When an email that did not arrive falls back to a letter (``sending.postal_fallback``)."""

from __future__ import annotations

from datetime import UTC, datetime

from services.mailer.sending import postal_fallback

NOW = datetime(2026, 12, 10, 12, tzinfo=UTC)
ADDRESS = {"email": "m1@example.org", "address": ["1 High Street", "London"], "postcode": "E8"}


def test_a_member_with_an_address_gets_a_letter_before_the_postal_cut_off():
    assert postal_fallback(ADDRESS, {"postal_cutoff": "2026-12-15T17:00:00+00:00"}, NOW) == ""


def test_a_member_with_an_address_gets_a_letter_when_the_timetable_sets_no_cut_off():
    assert postal_fallback(ADDRESS, {"closes_at": "2026-12-01T17:00:00+00:00"}, NOW) == ""
    assert postal_fallback(ADDRESS, None, NOW) == ""


def test_no_letter_once_the_postal_cut_off_has_passed_and_the_reason_names_it():
    cutoff = "2026-12-10T12:00:00+00:00"
    assert postal_fallback(ADDRESS, {"postal_cutoff": cutoff}, NOW) == (
        f"the postal cut-off ({cutoff}) has passed, so no letter was sent"
    )


def test_no_letter_without_a_postal_address():
    contact = {"email": "m1@example.org", "address": [], "postcode": ""}
    assert postal_fallback(contact, {}, NOW) == "no postal address to send a letter to"
