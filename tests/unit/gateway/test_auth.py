"""Tokens, roles and association scope: the pure rules the gateway asks first."""

from __future__ import annotations

import hashlib

import pytest

from gateway import auth
from gateway.auth import Principal

OPERATOR = Principal(1, "Olu", "operator")
SCRUTINEER = Principal(2, "Sam", "scrutineer")
TELLER = Principal(3, "Tess", "teller")
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
}


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
    problems = auth.user_problems(name, role, association)
    assert any(fragment in p for p in problems), problems


@pytest.mark.parametrize(
    ("name", "role", "association"),
    [("Olu", "operator", None), ("Orla", "officer", "HACK"), ("Tess", "teller", None)],
)
def test_good_users_have_no_problems(name, role, association):
    assert auth.user_problems(name, role, association) == []


def test_actor_names_the_user_and_role():
    assert OFFICER.actor == "Orla (user 4, officer)"
