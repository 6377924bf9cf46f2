"""Who may do what through the gateway: tokens, roles and the rules between them.

Pure: no I/O, no clock, no configuration. The gateway asks these functions
before it makes any remote call, and turns every refusal they return into a
403 carrying the reason.

Guarantees:

- ``new_token`` draws 256 bits from ``secrets``; ``token_hash`` is the only
  form of a token that is ever stored (hex SHA-256), so a copy of the
  database does not let anyone act as a user.
- ``refusals`` and ``scope`` return the reasons an action may not happen, in
  words a volunteer understands; an empty list means it may.
- An officer is bound to exactly one association and can never see or act on
  another's members or reviews, whatever the request asks for.
- A teller is bound to exactly one ballot and can enter postal ballots for
  that ballot only.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

#: Roles a user (a token) can hold. Voters hold an access code, never a token.
ROLES: tuple[str, ...] = ("operator", "officer", "teller", "scrutineer")

#: Each privileged action, and the roles that may perform it.
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "read_marked_register": ("operator", "scrutineer"),
    "enter_postal_batch": ("operator", "teller"),
    "read_reconciliation": ("operator", "scrutineer", "officer"),
    "list_reviews": ("operator", "officer"),
    "decide_review": ("operator", "officer"),
    "list_members": ("operator", "scrutineer", "officer"),
    "correct_member": ("operator", "officer"),
    "list_changes": ("operator", "scrutineer"),
    "decide_change": ("operator",),
    "read_audit_heads": ("operator", "scrutineer"),
    "read_complaints": ("operator", "scrutineer"),
    "manage_complaints": ("operator",),
    "pause_ballot": ("operator",),
}

#: How each action reads in a refusal.
DESCRIPTIONS: dict[str, str] = {
    "read_marked_register": "read the marked register",
    "enter_postal_batch": "enter postal ballots",
    "read_reconciliation": "read the reconciliation of the roll",
    "list_reviews": "see the match reviews",
    "decide_review": "decide a match review",
    "list_members": "see the members of a ballot",
    "correct_member": "correct a member's details",
    "list_changes": "see the changes waiting for approval",
    "decide_change": "approve or refuse a change to a member's contact details",
    "read_audit_heads": "read the heads of the audit logs",
    "read_complaints": "read the complaints",
    "manage_complaints": "open or update a complaint",
    "pause_ballot": "pause or resume a ballot",
}

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


def _article(role: str) -> str:
    return "an" if role[0] in "aeiou" else "a"


def refusals(principal: Principal, action: str) -> list[str]:
    """Why ``principal`` may not perform ``action``; empty when it may."""
    allowed = PERMISSIONS.get(action)
    if allowed is None:
        return [f"{action!r} is not an action anyone may perform"]
    if principal.role in allowed:
        return []
    needed = " or ".join(allowed)
    return [
        f"{_article(principal.role)} {principal.role} may not "
        f"{DESCRIPTIONS[action]}: that needs the {needed} role"
    ]


def scope(principal: Principal, requested: str | None) -> tuple[str | None, list[str]]:
    """The association a request may cover, and the reasons it may not.

    An officer always gets their own association (asking for none means
    theirs); asking for another is refused. Other roles get what they asked
    for, ``None`` meaning every association.
    """
    if principal.role != "officer":
        return requested, []
    own = principal.association
    if own is None:
        return None, ["this officer's token names no association; ask an operator to reissue it"]
    if requested is not None and requested != own:
        return own, [f"an officer of {own} may not see association {requested}"]
    return own, []


def member_refusals(principal: Principal, member_association: str | None) -> list[str]:
    """Why ``principal`` may not correct a member of ``member_association``."""
    reasons = refusals(principal, "correct_member")
    if reasons or principal.role != "officer":
        return reasons
    if member_association is None or member_association != principal.association:
        where = member_association or "no association"
        return [
            f"this member belongs to {where}; an officer of {principal.association} "
            "may only correct members of their own association"
        ]
    return []


def ballot_refusals(principal: Principal, ballot_id: int) -> list[str]:
    """Why ``principal`` may not enter postal ballots for ``ballot_id``."""
    reasons = refusals(principal, "enter_postal_batch")
    if reasons or principal.role != "teller":
        return reasons
    if principal.ballot_id is None:
        return ["this teller's token names no ballot; ask an operator to reissue it (--ballot ID)"]
    if principal.ballot_id != ballot_id:
        return [
            f"a teller for ballot {principal.ballot_id} may not enter postal ballots "
            f"for ballot {ballot_id}"
        ]
    return []


def review_refusals(principal: Principal, review_association: str | None) -> list[str]:
    """Why ``principal`` may not decide a review of ``review_association``."""
    reasons = refusals(principal, "decide_review")
    if reasons or principal.role != "officer":
        return reasons
    if review_association is None or review_association != principal.association:
        where = review_association or "no association"
        return [
            f"this review belongs to {where}; an officer of {principal.association} "
            "may only decide reviews of their own association"
        ]
    return []


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
        problems.append(f"only officers belong to an association, not {_article(role)} {role}")
    if association and len(association) > MAX_ASSOCIATION:
        problems.append(f"an association code has at most {MAX_ASSOCIATION} characters")
    if role == "teller" and ballot_id is None:
        problems.append("a teller enters postal ballots for one ballot: give it (--ballot ID)")
    if role in ROLES and role != "teller" and ballot_id is not None:
        problems.append(f"only tellers belong to a ballot, not {_article(role)} {role}")
    if ballot_id is not None and (
        isinstance(ballot_id, bool) or not isinstance(ballot_id, int) or ballot_id < 1
    ):
        problems.append("a ballot is a whole number, 1 or more")
    return problems
