"""Who a caller is: tokens, roles, the principal behind a token, and who may be made a user.

Pure: no I/O, no clock, no configuration. What each role may do is
``gateway.permissions``'s.

Guarantees:

- ``new_token`` draws 256 bits from ``secrets``; ``token_hash`` is the only
  form of a token that is ever stored (hex SHA-256), so a copy of the
  database does not let anyone act as a user.
- ``user_problems`` returns the reasons a user may not be created, in words
  a volunteer understands: an officer names one association, a teller one
  ballot, and no one else either; a voter never gets a token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

#: Roles a user (a token) can hold. Voters hold an access code, never a token.
ROLES: tuple[str, ...] = ("operator", "officer", "teller", "scrutineer")

TOKEN_BYTES = 32
MAX_NAME = 200
MAX_ASSOCIATION = 32


@dataclass(frozen=True, slots=True)
class Principal:
    """The user behind a valid, unrevoked token."""

    user_id: int
    name: str
    role: str
    association: str | None = None
    #: The one ballot a teller enters postal ballots for.
    ballot_id: int | None = None

    @property
    def actor(self) -> str:
        """How this user appears in audit logs and remote calls."""
        return f"{self.name} (user {self.user_id}, {self.role})"


def new_token() -> str:
    """A fresh bearer token: 256 random bits, URL-safe text."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """The stored form of ``token``: hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def bearer_token(header: str | None) -> str | None:
    """The token in an ``Authorization: Bearer <token>`` header, or ``None``."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


def article(role: str) -> str:
    """The article before ``role`` in a sentence: "an operator", "a teller"."""
    return "an" if role[0] in "aeiou" else "a"


def user_problems(
    name: str, role: str, association: str | None, ballot_id: int | None = None
) -> list[str]:
    """Why a user with these details may not be created; empty when they may."""
    problems = []
    if not name.strip():
        problems.append("a user needs a name")
    elif len(name) > MAX_NAME:
        problems.append(f"a name has at most {MAX_NAME} characters")
    if role == "voter":
        problems.append("voters vote with their access code and never get a token")
    elif role not in ROLES:
        problems.append(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if role == "officer" and not (association and association.strip()):
        problems.append("an officer needs an association (--association CODE)")
    if role in ROLES and role != "officer" and association:
        problems.append(f"only officers belong to an association, not {article(role)} {role}")
    if association and len(association) > MAX_ASSOCIATION:
        problems.append(f"an association code has at most {MAX_ASSOCIATION} characters")
    if role == "teller" and ballot_id is None:
        problems.append("a teller enters postal ballots for one ballot: give it (--ballot ID)")
    if role in ROLES and role != "teller" and ballot_id is not None:
        problems.append(f"only tellers belong to a ballot, not {article(role)} {role}")
    if ballot_id is not None and (
        isinstance(ballot_id, bool) or not isinstance(ballot_id, int) or ballot_id < 1
    ):
        problems.append("a ballot is a whole number, 1 or more")
    return problems
