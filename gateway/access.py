"""Privileged routes: who is asking, whether they may, and the audit entry, in one place.

``@guarded(action, audit)`` under ``@route`` makes a route privileged. Before
its handler runs:

- the caller's bearer token is checked (401 without a valid one);
- the action's rules in ``gateway.permissions`` are applied: its roles, then
  its scope. An association-scoped route loads its query and covers only
  the association the caller may see; a ballot-scoped route only a
  teller's own ballot. An owner-scoped route's handler looks the record up
  and asks ``Access.check_owner``.

Every refusal is a 403 with the reason, appended to the gateway's audit log
with the actor, the subject and the action's name, before any remote call
the refusal is about. The handler is given an ``Access``; once it has
answered, the entry ``audit`` is appended with the actor and whatever the
handler noted in ``Access.details`` and ``Access.reason``. A handler that
raises appends nothing: the action did not happen.

An entry's subject names the ids in the route's path: ``ballot:3``,
``review:7``, ``ballot:3/member:M1``, ``ballot:3/row:12``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema
from werkzeug.wrappers import Request, Response

from gateway import permissions, users
from gateway.auth import Principal, bearer_token
from gateway.base import GatewayBase, now
from gateway.errors import Forbidden
from gateway.permissions import Scope
from gateway.schemas import AssociationQuery, load
from rollcall import audit
from rollcall.runtime import Store

#: The path values that name a subject, in the order a subject names them.
SUBJECTS = {
    "ballot_id": "ballot",
    "review_id": "review",
    "change_id": "change",
    "complaint_id": "complaint",
    "membership_number": "member",
    "row_id": "row",
}
#: A subject quotes at most this much of a value the caller typed.
MAX_SUBJECT_VALUE = 64


def subject_of(values: Mapping[str, Any]) -> str:
    """The audit subject of a request to a path holding ``values``."""
    return "/".join(
        f"{name}:{str(values[key])[:MAX_SUBJECT_VALUE]}"
        for key, name in SUBJECTS.items()
        if key in values
    )


def source(request: Request) -> str:
    return f"http:{request.remote_addr or '-'}"


def record(
    store: Store,
    request: Request,
    principal: Principal,
    action: str,
    subject: str,
    details: Mapping[str, Any] | None = None,
    reason: str = "",
) -> None:
    """Append ``action`` by ``principal`` (or its refusal) to the gateway's audit log."""
    with store.transaction() as session:
        audit.append(
            session,
            actor=principal.actor,
            source=source(request),
            action=action,
            subject=subject,
            details={"user_id": principal.user_id, **(details or {})},
            reason=reason,
            at=now(),
        )


@dataclass(frozen=True, slots=True)
class Guard:
    """What a route declares: the action it takes and the audit entry it appends."""

    action: str
    audit: str
    #: The subject, for a route whose path names none.
    subject: str | None = None
    #: The query string's schema; association-scoped routes default to ``AssociationQuery``.
    query: type[Schema] | None = None


@dataclass(eq=False)
class Access:
    """What a guarded handler is given, and where it notes what the audit entry says."""

    principal: Principal
    action: str
    subject: str
    #: The audit entry appended when the handler answers.
    audit: str
    refuse: Callable[[list[str]], None]
    #: The association the request covers (association scope); ``None``: every one.
    association: str | None = None
    query: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    reason: str = ""

    @property
    def actor(self) -> str:
        return self.principal.actor

    def check_owner(self, association: str | None) -> None:
        """403 unless the record acted on, of ``association``, is the caller's to act on."""
        self.refuse(permissions.owner_refusals(self.principal, self.action, association))
        self.details["association"] = association


def _refuse(
    store: Store,
    request: Request,
    principal: Principal,
    action: str,
    subject: str,
    reasons: list[str],
) -> None:
    if not reasons:
        return
    reason = "; ".join(reasons)
    record(store, request, principal, "access.refused", subject, {"action": action}, reason)
    raise Forbidden(reason)


def admit(
    service: GatewayBase, request: Request, guard: Guard, values: Mapping[str, Any]
) -> Access:
    """The caller's ``Access`` to ``guard``'s action; 401 or 403 (recorded) when they have none."""
    token = bearer_token(request.headers.get("Authorization"))
    with service.store.transaction() as session:
        principal = users.authenticate(session, token)
    subject = guard.subject or subject_of(values)
    refuse = functools.partial(_refuse, service.store, request, principal, guard.action, subject)
    refuse(permissions.refusals(principal, guard.action))
    access = Access(principal, guard.action, subject, guard.audit, refuse)
    scope = permissions.ACTIONS[guard.action].scope
    if scope is Scope.ASSOCIATION:
        access.query = load((guard.query or AssociationQuery)(), request.args.to_dict())
        access.association, reasons = permissions.association_scope(
            principal, access.query["association"]
        )
        refuse(reasons)
        access.details["association"] = access.association
    elif guard.query is not None:
        access.query = load(guard.query(), request.args.to_dict())
    if scope is Scope.BALLOT:
        refuse(permissions.ballot_refusals(principal, guard.action, int(values["ballot_id"])))
    return access


Handler = Callable[..., Response]


def guarded(
    action: str,
    audit: str,
    *,
    subject: str | None = None,
    query: type[Schema] | None = None,
) -> Callable[[Handler], Handler]:
    """Declare the action a route takes and the audit entry it appends (see the module)."""
    if action not in permissions.ACTIONS:
        raise ValueError(f"{action!r} is not an action of gateway.permissions")
    guard = Guard(action, audit, subject, query)

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def checked(service: GatewayBase, request: Request, **values: Any) -> Response:
            access = admit(service, request, guard, values)
            if access.principal.role == "officer" and "ballot_id" in values:
                # Nothing an officer does reaches a test ballot: to them it does not exist.
                service.hide_test_ballot("officer", values["ballot_id"])
            response = handler(service, request, access, **values)
            record(
                service.store,
                request,
                access.principal,
                access.audit,
                access.subject,
                access.details,
                access.reason,
            )
            return response

        checked.guard = guard  # type: ignore[attr-defined]  # read by the route table's tests
        return checked

    return decorate


def guard_of(handler: Any) -> Guard | None:
    """The ``Guard`` a route's handler declared, or ``None`` for a public route."""
    return getattr(handler, "guard", None)
