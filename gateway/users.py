"""The gateway's users and their tokens, in the caller's transaction: add, revoke, list, authenticate.

A user is a person; ``add`` makes one with their first token and
``add_token`` gives an existing user another (``rollcall user token ID``), so
a person who needs two tokens stays one user, and the two-person rules,
which compare users, count them once.

Guarantees:

- A token leaves ``add`` or ``add_token`` once, in its return value, and is
  stored only as its hash; nothing here can read a token back.
- Adding and revoking a user append to the gateway's audit log in the same
  transaction, with the actor who did it: the entry commits if and only if
  the change does.
- ``authenticate`` tells a missing token, an unknown one and a revoked one
  (the token's, or its user's) apart (all 401s); it never compares tokens in
  clear. Every token of a user gives the same ``Principal``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import auth
from gateway.errors import InvalidToken, InvalidUser, TokenRevoked, Unauthenticated, UserNotFound
from gateway.models import Token, User
from rollcall import audit


def _as_dict(user: User) -> dict[str, Any]:
    return {
        "user_id": user.id,
        "name": user.name,
        "role": user.role,
        "association": user.association,
        "ballot_id": user.ballot_id,
        "created_at": user.created_at.isoformat(),
        "created_by": user.created_by,
        "revoked_at": user.revoked_at.isoformat() if user.revoked_at else None,
        "revoked_by": user.revoked_by,
        "is_revoked": user.revoked_at is not None,
    }


def add(
    session: Session,
    *,
    name: str,
    role: str,
    association: str | None,
    actor: str,
    token: str,
    now: datetime,
    ballot_id: int | None = None,
) -> dict[str, Any]:
    """Create a user holding ``token``; return ``{"user_id", "token"}``."""
    name = name.strip() if isinstance(name, str) else ""
    association = association.strip() if isinstance(association, str) else None
    problems = auth.user_problems(
        name, role if isinstance(role, str) else "", association or None, ballot_id
    )
    if problems:
        raise InvalidUser("; ".join(problems))
    user = User(
        name=name,
        role=role,
        association=association or None,
        ballot_id=ballot_id,
        created_at=now,
        created_by=actor,
    )
    session.add(user)
    session.flush()
    session.add(
        Token(user_id=user.id, token_hash=auth.token_hash(token), created_at=now, created_by=actor)
    )
    audit.append(
        session,
        actor=actor,
        source="rpc",
        action="user.added",
        subject=f"user:{user.id}",
        details={
            "name": name,
            "role": role,
            "association": user.association,
            "ballot_id": user.ballot_id,
        },
        at=now,
    )
    return {"user_id": user.id, "token": token}


def add_token(
    session: Session, *, user_id: int, actor: str, token: str, now: datetime
) -> dict[str, Any]:
    """Give ``user_id`` another token; return ``{"user_id", "token_id", "token"}``."""
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(f"there is no user {user_id}")
    if user.revoked_at is not None:
        raise InvalidUser(f"user {user_id} has been revoked: add a new user instead")
    row = Token(
        user_id=user.id, token_hash=auth.token_hash(token), created_at=now, created_by=actor
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor=actor,
        source="rpc",
        action="user.token_added",
        subject=f"user:{user.id}",
        details={"token_id": row.id},
        at=now,
    )
    return {"user_id": user.id, "token_id": row.id, "token": token}


def revoke(session: Session, *, user_id: int, actor: str, now: datetime) -> dict[str, Any]:
    """Revoke ``user_id``'s token; revoking twice changes nothing the second time."""
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise UserNotFound(f"there is no user {user_id}")
    already = user.revoked_at is not None
    if not already:
        user.revoked_at = now
        user.revoked_by = actor
        audit.append(
            session,
            actor=actor,
            source="rpc",
            action="user.revoked",
            subject=f"user:{user.id}",
            details={"name": user.name, "role": user.role},
            at=now,
        )
    return {**_as_dict(user), "already_revoked": already}


def listing(session: Session) -> list[dict[str, Any]]:
    """Every user, oldest first, without any token material."""
    return [_as_dict(u) for u in session.scalars(select(User).order_by(User.id))]


def authenticate(session: Session, token: str | None) -> auth.Principal:
    """The user holding ``token``; ``Unauthenticated``, ``InvalidToken`` or ``TokenRevoked``."""
    if token is None:
        raise Unauthenticated()
    found = session.execute(
        select(User, Token)
        .join(Token, Token.user_id == User.id)
        .where(Token.token_hash == auth.token_hash(token))
    ).first()
    if found is None:
        raise InvalidToken()
    user, held = found
    if user.revoked_at is not None or held.revoked_at is not None:
        raise TokenRevoked()
    return auth.Principal(user.id, user.name, user.role, user.association, user.ballot_id)
