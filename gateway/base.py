"""What every group of the gateway's routes shares: its dependencies, the access check, the log.

``GatewayBase`` is the base of ``GatewayService`` and of the route groups it
is made of (``gateway.roll``, ``gateway.oversight``). A route asks
``_principal`` (or ``_scoped``) before any remote call: the caller's token
is checked (401 without a valid one), their role is checked against
``gateway.auth`` (403 with the reason), and every refusal is appended to the
gateway's audit log with the actor. ``_record`` appends a privileged action
that went through.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema
from werkzeug.wrappers import Request

from gateway import auth, users
from gateway.errors import Forbidden
from gateway.remote import Remote
from gateway.schemas import AssociationQuery, load
from rollcall.runtime import Metrics, Store

BALLOT = "/api/ballots/<int:ballot_id>"


def now() -> datetime:
    return datetime.now(UTC)


def source(request: Request) -> str:
    return f"http:{request.remote_addr or '-'}"


class GatewayBase:
    store = Store()
    remote = Remote()
    metrics = Metrics()

    def _principal(self, request: Request, action: str, subject: str) -> auth.Principal:
        """The caller, if their role may perform ``action``; else 401 or 403."""
        token = auth.bearer_token(request.headers.get("Authorization"))
        with self.store.transaction() as session:
            principal = users.authenticate(session, token)
        self._refuse_if(request, principal, action, subject, auth.refusals(principal, action))
        return principal

    def _scoped(
        self,
        request: Request,
        action: str,
        subject: str,
        query: Schema | None = None,
    ) -> tuple[auth.Principal, str | None, dict[str, Any]]:
        """The caller, the association the request may cover, and the query it loaded."""
        principal = self._principal(request, action, subject)
        loaded = load(query or AssociationQuery(), request.args.to_dict())
        association, reasons = auth.scope(principal, loaded["association"])
        self._refuse_if(request, principal, action, subject, reasons)
        return principal, association, loaded

    def _refuse_if(
        self,
        request: Request,
        principal: auth.Principal,
        action: str,
        subject: str,
        reasons: list[str],
    ) -> None:
        if not reasons:
            return
        reason = "; ".join(reasons)
        self._record(request, principal, "access.refused", subject, {"action": action}, reason)
        raise Forbidden(reason)

    def _record(
        self,
        request: Request,
        principal: auth.Principal,
        action: str,
        subject: str,
        details: dict[str, Any] | None = None,
        reason: str = "",
    ) -> None:
        with self.store.transaction() as session:
            users.record(
                session,
                principal,
                action=action,
                subject=subject,
                source=source(request),
                details=details,
                reason=reason,
                now=now(),
            )
