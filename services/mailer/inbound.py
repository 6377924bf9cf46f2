"""The mailer's own SMTP endpoint for bounces (delivery-status notifications).

``BounceEndpoint`` runs an aiosmtpd server inside the mailer process while
``bounce_smtp_port`` is set (0: off). Every message it is given is stored by
``bounces.receive`` before the server answers 250, so a message the remote
server was told we took is never lost: a DSN, a forged one, or something
that is not a DSN at all (kept for review with why). If it cannot be stored
(the database is away) the answer is a 451 and the remote server tries
again later. It never relays anything anywhere.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.controller import Controller
from nameko.extensions import DependencyProvider
from sqlalchemy.exc import SQLAlchemyError

from rollcall import metrics
from rollcall.runtime import Database, settings_of
from services.mailer import bounces

log = logging.getLogger(__name__)
#: The largest report taken; a DSN with the original message is far smaller.
MAX_MESSAGE = 2_000_000


def take(database: Database, key: bytes, raw: bytes, recipients: list[str]) -> list[str]:
    """Store what arrived; the status of each report stored (duplicates store nothing)."""
    try:
        reports: list[bounces.Report] | bounces.Unreadable = bounces.read_dsn(raw, recipients)
    except bounces.Unreadable as exc:
        reports = exc
    text = raw.decode("utf-8", "replace")
    with database.transaction() as session:
        stored = bounces.receive(session, key, "smtp", text, reports, datetime.now(UTC))
        statuses = [row.status for row in stored]
    for status in statuses:
        metrics.BOUNCES.labels("smtp", status).inc()
    return statuses


class _Handler:
    def __init__(self, endpoint: BounceEndpoint) -> None:
        self.endpoint = endpoint

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        try:
            statuses = take(
                self.endpoint.database,
                self.endpoint.key,
                bytes(envelope.original_content or envelope.content),
                list(envelope.rcpt_tos),
            )
        except SQLAlchemyError:
            log.exception("a bounce could not be stored; the sender is asked to try again")
            return "451 4.3.0 cannot store the report now, try again later"
        log.info("bounce report from %s: %s", envelope.mail_from, statuses or ["duplicate"])
        return "250 2.0.0 report taken"


class BounceEndpoint(DependencyProvider):
    """Serves SMTP on ``bounce_smtp_host:bounce_smtp_port`` for as long as the service runs."""

    database = Database()

    def setup(self) -> None:
        self.settings = settings_of(self.container)
        self.controller: Controller | None = None

    def start(self) -> None:
        if not self.settings.bounce_smtp_port:
            return
        self.key = bounces.token_key(self.settings.secret("mail_seal_key"))
        self.controller = Controller(
            _Handler(self),
            hostname=self.settings.bounce_smtp_host,
            port=self.settings.bounce_smtp_port,
            data_size_limit=MAX_MESSAGE,
            decode_data=False,
        )
        self.controller.start()
        log.info(
            "bounce endpoint listening on %s:%s",
            self.settings.bounce_smtp_host,
            self.settings.bounce_smtp_port,
        )

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> BounceEndpoint:
        return self
