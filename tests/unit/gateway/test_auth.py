"""Tokens, the principal behind one, and who may be made a user."""

from __future__ import annotations

import hashlib

import pytest

from gateway import auth
from gateway.auth import Principal

OFFICER = Principal(4, "Orla", "officer", "HACK")


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
