"""How a privileged request is named in the audit log."""

from __future__ import annotations

from gateway import access


def test_a_subject_names_the_ids_in_the_path():
    assert access.subject_of({"ballot_id": 3}) == "ballot:3"
    assert access.subject_of({"review_id": 7}) == "review:7"
    assert access.subject_of({"membership_number": "M1", "ballot_id": 3}) == "ballot:3/member:M1"


def test_a_subject_quotes_at_most_64_characters_of_what_was_typed():
    subject = access.subject_of({"ballot_id": 3, "membership_number": "M" * 500})
    assert subject == "ballot:3/member:" + "M" * 64
