"""A mail provider's bounce events: ``POST /api/mail/bounces``, signed, then handed to the mailer.

The provider holds no bearer token; it proves itself by signing. The header
``X-Rollcall-Signature: t=<unix seconds>,v1=<hex>`` carries the time it
signed and ``HMAC-SHA256(secret, "<t>." + body)`` (more than one ``v1`` while
a secret is being rotated). The secret is ``bounce_webhook_secret`` (a file
in the secrets directory or ``ROLLCALL_SECRET_BOUNCE_WEBHOOK_SECRET``); the
comparison is constant-time; a signature more than
``bounce_webhook_tolerance`` seconds from now is refused, so a captured call
cannot be replayed later. Each check happens before the body is parsed and
before any remote call. A refusal is a 401 (no signature) or a 403 (wrong or
stale), in JSON, counted in ``rollcall_gateway_bounce_webhook_refused_total``
by reason and logged with the client address, never with the body.

The events are validated here and passed to the mailer, which owns
deliveries and bounces: it keeps every event, ties it to its delivery by the
token or the Message-ID, and applies hard bounces
(``services.mailer.bounces``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from typing import Any

from marshmallow import fields, validate
from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Request, Response

from gateway.base import GatewayBase
from gateway.errors import GatewayError
from gateway.schemas import Strict, load
from gateway.web import json_response, limit_body, parse_json, route
from rollcall.config import MissingSecret, Settings
from rollcall.metrics import BOUNCE_WEBHOOK_REFUSED
from rollcall.runtime import settings_of

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Rollcall-Signature"
#: A provider's batch of events is small; this is far more than any needs.
MAX_WEBHOOK_BODY = 1024 * 1024


class SignatureMissing(GatewayError):
    """A bounce webhook call without a signature header."""


class SignatureInvalid(GatewayError):
    """A bounce webhook call whose signature does not match its body."""


class SignatureExpired(GatewayError):
    """A bounce webhook call signed too long ago (or in the future): a replay."""


class WebhookNotConfigured(GatewayError):
    """No webhook secret is set, so no call can be checked."""


def sign(secret: bytes, body: bytes, timestamp: int) -> str:
    """The header value a provider sends for ``body`` signed at ``timestamp``."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def check(header: str | None, body: bytes, secret: bytes, now: float, tolerance: float) -> None:
    """Raise the refusal for a call whose signature header is ``header``; return if it holds."""
    if not header or not header.strip():
        raise SignatureMissing(f"Sign the body and send it in the {SIGNATURE_HEADER} header.")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        parts.setdefault(name, []).append(value)
    stamp = (parts.get("t") or [""])[0]
    if not stamp.isdigit() or not parts.get("v1"):
        raise SignatureInvalid(f"The {SIGNATURE_HEADER} header must read t=<seconds>,v1=<hex>.")
    expected = sign(secret, body, int(stamp)).rsplit("=", 1)[1]
    if not any(hmac.compare_digest(expected, given) for given in parts["v1"]):
        raise SignatureInvalid("The signature does not match the body.")
    if abs(now - int(stamp)) > tolerance:
        raise SignatureExpired(
            f"The signature is from {int(stamp)}, more than {int(tolerance)} seconds from now."
        )


class BounceEventSchema(Strict):
    #: The provider's own id of the event: the same event sent again is kept once.
    id = fields.String(load_default="", validate=validate.Length(max=200))
    type = fields.String(required=True, validate=validate.OneOf(["bounce"]))
    severity = fields.String(required=True, validate=validate.OneOf(["hard", "soft"]))
    recipient = fields.String(load_default="", validate=validate.Length(max=320))
    #: The ``X-Rollcall-Delivery`` header of the email, when the provider returns it.
    token = fields.String(load_default="", validate=validate.Length(max=80))
    message_id = fields.String(load_default="", validate=validate.Length(max=200))
    diagnostic = fields.String(load_default="", validate=validate.Length(max=2000))


class BounceEventsSchema(Strict):
    events = fields.List(
        fields.Nested(BounceEventSchema), required=True, validate=validate.Length(min=1, max=1000)
    )


class GatewaySettings(DependencyProvider):
    """The gateway's ``Settings``."""

    def get_dependency(self, worker_ctx: Any) -> Settings:
        return settings_of(self.container)


class BounceRoutes(GatewayBase):
    settings = GatewaySettings()

    @route("POST", "/api/mail/bounces")
    def receive_bounces(self, request: Request) -> Response:
        limit_body(request, MAX_WEBHOOK_BODY)
        body = request.get_data(cache=True)
        try:
            secret = self.settings.secret("bounce_webhook_secret")
            check(
                request.headers.get(SIGNATURE_HEADER),
                body,
                secret,
                time.time(),
                self.settings.bounce_webhook_tolerance,
            )
        except MissingSecret as exc:
            self._refused("unconfigured", request)
            raise WebhookNotConfigured("The bounce webhook has no secret configured.") from exc
        except SignatureMissing:
            self._refused("missing", request)
            raise
        except SignatureExpired:
            self._refused("stale", request)
            raise
        except SignatureInvalid:
            self._refused("invalid", request)
            raise
        data = parse_json(body)  # the depth limit too: a signed body is still parsed safely
        events = load(BounceEventsSchema(), data)["events"]
        result = self.remote.mailer.record_bounce_events(events, body.decode("utf-8", "replace"))
        return json_response(200, result)

    @staticmethod
    def _refused(reason: str, request: Request) -> None:
        BOUNCE_WEBHOOK_REFUSED.labels(reason).inc()
        log.warning("bounce webhook refused (%s) from %s", reason, request.remote_addr or "-")
