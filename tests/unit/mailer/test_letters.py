"""What a voter receives: one Message-ID per (ballot, voter, kind), and the words each kind says."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.mailer import letters

SENDER = "ballots@party.example"
CONTACT = {
    "membership_number": "M7",
    "name": "Ada Byron",
    "email": "ada@example.org",
    "address": ["Flat 2", "10 High Street", "London"],
    "postcode": "E8 1AA",
}


def _email(**overrides):
    args = {
        "ballot_id": 3,
        "title": "Selection for Hackney North",
        "contact": CONTACT,
        "code": "ABCD-EFGH-JKLM",
        "kind": "initial",
        "sender": SENDER,
        "vote_url": "https://vote.example/",
    }
    return letters.email(**{**args, **overrides})


def test_the_same_email_sent_twice_carries_the_same_message_id():
    first, again = _email(), _email()
    assert first["Message-ID"] == again["Message-ID"] == "<ballot-3.M7.initial@party.example>"


def test_a_reissued_code_is_a_different_message_from_the_first():
    assert _email()["Message-ID"] != _email(kind="reissue-1")["Message-ID"]
    assert _email(kind="reissue-1")["Subject"].startswith("Your new access code:")
    assert _email()["Subject"] == "Your access code: Selection for Hackney North"


parts = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)


@given(
    st.tuples(st.integers(1, 10**6), parts, parts), st.tuples(st.integers(1, 10**6), parts, parts)
)
def test_message_ids_are_equal_exactly_when_ballot_voter_and_kind_are(a, b):
    same = letters.message_id(*a, "party.example") == letters.message_id(*b, "party.example")
    assert same == (a == b)


def test_the_code_email_goes_to_the_voter_with_the_code_and_where_to_vote():
    msg = _email()
    body = msg.get_content()
    assert msg["To"] == "ada@example.org" and msg["From"] == SENDER
    assert "ABCD-EFGH-JKLM" in body and "https://vote.example/ (ballot 3)" in body
    assert body.startswith("Dear Ada Byron,")


def test_a_contact_change_notice_names_the_fields_in_words_and_carries_no_code():
    contact = {**CONTACT, "fields_changed": ["email", "address_1"]}
    msg = letters.notice(ballot_id=3, title="T", contact=contact, kind="notice-old", sender=SENDER)
    assert msg["Subject"] == "Your contact details were changed: T"
    assert msg["Message-ID"] == "<ballot-3.M7.notice-old@party.example>"
    assert "(email, address 1)" in msg.get_content()
    assert "(email, address 1)" in letters.notice_text("notice-old", contact)


def test_a_roll_answer_says_the_answer_and_its_letter_says_only_that():
    contact = {**CONTACT, "answer": "You are on the roll."}
    msg = letters.roll_answer(
        ballot_id=3, title="T", contact=contact, kind="notice-roll-1", sender=SENDER
    )
    assert msg["Subject"] == "Are you on the roll? T"
    assert "You are on the roll." in msg.get_content()
    assert letters.notice_text("notice-roll-1", contact) == "You are on the roll."


def test_a_postal_row_fills_every_print_column_and_points_to_the_vote_only_with_a_code():
    row = letters.postal_row(
        ballot_id=3, contact=CONTACT, code="ABCD-EFGH-JKLM", vote_url="https://vote.example/"
    )
    assert tuple(row) == letters.POSTAL_COLUMNS
    assert row["address"] == "Flat 2 / 10 High Street / London" and row["ballot_id"] == "3"
    assert row["vote_at"] == "https://vote.example/"
    notice = letters.postal_row(
        ballot_id=3, contact=CONTACT, code="", vote_url="https://vote.example/", message="hello"
    )
    assert notice["vote_at"] == "" and notice["message"] == "hello"


EXCLUDED = {
    **CONTACT,
    "why": "not found on the electoral register at this address",
    "fix": "Register to vote at https://www.gov.uk/register-to-vote.",
    "fix_by": "2026-12-20T00:00:00+00:00",
}
ROLL_CHECK = "https://vote.example/roll-check?ballot=3"


def test_an_exclusion_notice_says_why_how_to_fix_it_by_when_and_where_to_check():
    kind = letters.exclusion_kind("not_on_register")
    msg = letters.exclusion(
        ballot_id=3,
        title="T",
        contact=EXCLUDED,
        kind=kind,
        sender=SENDER,
        roll_check_url=ROLL_CHECK,
    )
    body = msg.get_content()
    assert msg["To"] == "ada@example.org" and msg["Subject"] == "You are not on the roll yet: T"
    assert msg["Message-ID"] == "<ballot-3.M7.notice-excluded-not_on_register@party.example>"
    assert "not on the roll for this ballot: not found on the electoral register" in body
    assert "How to fix it: Register to vote at https://www.gov.uk/register-to-vote." in body
    assert "before 2026-12-20" in body and ROLL_CHECK in body


def test_an_exclusion_letter_says_the_same_on_one_line_and_without_a_freeze_names_no_date():
    kind = letters.exclusion_kind("address_differs")
    text = letters.notice_text(kind, {**EXCLUDED, "fix_by": None}, ROLL_CHECK)
    assert "\n" not in text and "How to fix it: Register to vote" in text
    assert "before" not in text and text.endswith(ROLL_CHECK)


def test_each_reason_is_its_own_notice_kind():
    kinds = {letters.exclusion_kind(r) for r in ("not_on_register", "address_differs")}
    assert len(kinds) == 2 and all(k.startswith(letters.EXCLUDED) for k in kinds)
