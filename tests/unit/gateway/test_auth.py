"""Tokens, roles and association scope: the pure rules the gateway asks first."""

from __future__ import annotations

import hashlib

import pytest

from gateway import auth
from gateway.auth import Principal

OPERATOR = Principal(1, "Olu", "operator")
SCRUTINEER = Principal(2, "Sam", "scrutineer")
TELLER = Principal(3, "Tess", "teller", ballot_id=7)
OFFICER = Principal(4, "Orla", "officer", "HACK")

#: Who may do what, written out by hand from ARCHITECTURE.md "Who may do what".
EXPECTED = {
    ("read_marked_register", "operator"): True,
    ("read_marked_register", "scrutineer"): True,
    ("read_marked_register", "teller"): False,
    ("read_marked_register", "officer"): False,
    ("enter_postal_batch", "operator"): True,
    ("enter_postal_batch", "teller"): True,
    ("enter_postal_batch", "scrutineer"): False,
    ("enter_postal_batch", "officer"): False,
    ("read_reconciliation", "operator"): True,
    ("read_reconciliation", "scrutineer"): True,
    ("read_reconciliation", "officer"): True,
    ("read_reconciliation", "teller"): False,
    ("list_reviews", "operator"): True,
    ("list_reviews", "officer"): True,
    ("list_reviews", "scrutineer"): False,
    ("list_reviews", "teller"): False,
    ("decide_review", "operator"): True,
    ("decide_review", "officer"): True,
    ("decide_review", "scrutineer"): False,
    ("decide_review", "teller"): False,
    ("list_members", "operator"): True,
    ("list_members", "scrutineer"): True,
    ("list_members", "officer"): True,
    ("list_members", "teller"): False,
    ("correct_member", "operator"): True,
    ("correct_member", "officer"): True,
    ("correct_member", "scrutineer"): False,
    ("correct_member", "teller"): False,
    ("list_changes", "operator"): True,
    ("list_changes", "scrutineer"): True,
    ("list_changes", "officer"): False,
    ("list_changes", "teller"): False,
    ("decide_change", "operator"): True,
    ("decide_change", "scrutineer"): False,
    ("decide_change", "officer"): False,
    ("decide_change", "teller"): False,
    ("read_audit_heads", "operator"): True,
    ("read_audit_heads", "scrutineer"): True,
    ("read_audit_heads", "officer"): False,
    ("read_audit_heads", "teller"): False,
    ("read_complaints", "operator"): True,
    ("read_complaints", "scrutineer"): True,
    ("read_complaints", "officer"): False,
    ("read_complaints", "teller"): False,
    ("manage_complaints", "operator"): True,
    ("manage_complaints", "scrutineer"): False,
    ("manage_complaints", "officer"): False,
    ("manage_complaints", "teller"): False,
    ("pause_ballot", "operator"): True,
    ("pause_ballot", "scrutineer"): False,
    ("pause_ballot", "officer"): False,
    ("pause_ballot", "teller"): False,
}


def test_every_action_is_in_the_table_above():
    assert {action for action, _ in EXPECTED} == set(auth.PERMISSIONS) == set(auth.DESCRIPTIONS)


def test_tokens_are_long_random_and_distinct():
    tokens = {auth.new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(len(t) >= 43 for t in tokens)  # 32 bytes, URL-safe base64


def test_token_hash_is_sha256_hex_of_the_token_and_not_the_token():
    token = auth.new_token()
    digest = auth.token_hash(token)
    assert digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in digest and len(digest) == 64


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer   abc  ", "abc"),
        (None, None),
        ("", None),
        ("Basic abc", None),
        ("Bearer", None),
        ("Bearer a b", None),
        ("abc", None),
    ],
)
def test_bearer_token_is_read_only_from_a_bearer_header(header, token):
    assert auth.bearer_token(header) == token


@pytest.mark.parametrize(("action", "role"), sorted(EXPECTED))
def test_each_role_may_do_exactly_what_its_role_allows(action, role):
    principal = Principal(9, "Pat", role, "HACK" if role == "officer" else None)
    reasons = auth.refusals(principal, action)
    assert (reasons == []) is EXPECTED[(action, role)]


def test_a_refusal_says_who_may_not_and_who_may():
    (reason,) = auth.refusals(TELLER, "read_marked_register")
    assert reason == (
        "a teller may not read the marked register: that needs the operator or scrutineer role"
    )


def test_an_unknown_action_is_refused_to_everyone():
    assert auth.refusals(OPERATOR, "drop_tables")


def test_an_officer_is_scoped_to_their_own_association():
    assert auth.scope(OFFICER, None) == ("HACK", [])
    assert auth.scope(OFFICER, "HACK") == ("HACK", [])
    association, reasons = auth.scope(OFFICER, "ISLI")
    assert reasons == ["an officer of HACK may not see association ISLI"]


def test_an_officer_without_association_is_refused_rather_than_shown_everything():
    association, reasons = auth.scope(Principal(5, "Nia", "officer", None), None)
    assert association is None and reasons


@pytest.mark.parametrize("principal", [OPERATOR, SCRUTINEER])
def test_other_roles_get_the_association_they_ask_for_or_all(principal):
    assert auth.scope(principal, None) == (None, [])
    assert auth.scope(principal, "ISLI") == ("ISLI", [])


def test_an_officer_may_correct_only_members_of_their_association():
    assert auth.member_refusals(OFFICER, "HACK") == []
    (reason,) = auth.member_refusals(OFFICER, "ISLI")
    assert "belongs to ISLI" in reason and "officer of HACK" in reason
    assert auth.member_refusals(OFFICER, None)
    assert auth.member_refusals(OPERATOR, "ISLI") == []
    assert auth.member_refusals(SCRUTINEER, "HACK")


def test_a_teller_enters_postal_ballots_for_their_ballot_only():
    assert auth.ballot_refusals(TELLER, 7) == []
    (reason,) = auth.ballot_refusals(TELLER, 8)
    assert reason == "a teller for ballot 7 may not enter postal ballots for ballot 8"
    unbound = Principal(6, "Tom", "teller")
    assert "names no ballot" in auth.ballot_refusals(unbound, 7)[0]


def test_operators_enter_postal_ballots_for_any_ballot_and_scrutineers_for_none():
    assert auth.ballot_refusals(OPERATOR, 8) == []
    assert auth.ballot_refusals(SCRUTINEER, 7)


def test_an_officer_may_decide_only_reviews_of_their_association():
    assert auth.review_refusals(OFFICER, "HACK") == []
    assert auth.review_refusals(OFFICER, "ISLI")
    assert auth.review_refusals(OFFICER, None)
    assert auth.review_refusals(OPERATOR, "ISLI") == []
    assert auth.review_refusals(SCRUTINEER, "HACK")


@pytest.mark.parametrize(
    ("name", "role", "association", "fragment"),
    [
        ("", "operator", None, "needs a name"),
        ("Vic", "voter", None, "access code"),
        ("Vic", "admin", None, "unknown role"),
        ("Orla", "officer", None, "needs an association"),
        ("Tess", "teller", "HACK", "only officers"),
        ("Orla", "officer", "X" * 33, "at most 32"),
    ],
)
def test_user_problems_name_what_is_wrong(name, role, association, fragment):
    problems = auth.user_problems(name, role, association, 7 if role == "teller" else None)
    assert any(fragment in p for p in problems), problems


@pytest.mark.parametrize(
    ("role", "ballot_id", "fragment"),
    [
        ("teller", None, "--ballot ID"),
        ("operator", 7, "only tellers belong to a ballot"),
        ("officer", 7, "only tellers belong to a ballot"),
        ("teller", 0, "whole number"),
        ("teller", "7", "whole number"),
        ("teller", True, "whole number"),
    ],
)
def test_a_teller_and_only_a_teller_names_a_ballot(role, ballot_id, fragment):
    association = "HACK" if role == "officer" else None
    problems = auth.user_problems("Pat", role, association, ballot_id)
    assert any(fragment in p for p in problems), problems


@pytest.mark.parametrize(
    ("name", "role", "association", "ballot_id"),
    [
        ("Olu", "operator", None, None),
        ("Orla", "officer", "HACK", None),
        ("Tess", "teller", None, 7),
    ],
)
def test_good_users_have_no_problems(name, role, association, ballot_id):
    assert auth.user_problems(name, role, association, ballot_id) == []


def test_actor_names_the_user_and_role():
    assert OFFICER.actor == "Orla (user 4, officer)"
