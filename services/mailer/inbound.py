"""The mailer's own SMTP endpoint for bounces (delivery-status notifications).

``BounceEndpoint`` runs an aiosmtpd server inside the mailer process while
``bounce_smtp_port`` is set (0: off); a process started to bind ports of its
own choosing (``rollcall run --ports-file``, the demo) binds a free port
instead, holding it from the bind to the listen so no other process can be
handed it, and reports it as ``bounce``. Every message it is given is stored by
``bounces.receive`` before the server answers 250, so a message the remote
server was told we took is never lost: a DSN, a forged one, or something
that is not a DSN at all (kept for review with why). If it cannot be stored
(the database is away) the answer is a 451 and the remote server tries
again later. It never relays anything anywhere.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.controller import Controller
from nameko.extensions import DependencyProvider
from sqlalchemy.exc import SQLAlchemyError

from rollcall import metrics
from rollcall.runtime import ANY_PORT_KEY, Database, settings_of
from services.mailer import bounces, reminding

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
        tests = reminding.test_ballots(session)
        counted = [(row.status, row.ballot_id in tests) for row in stored]
    for status, test in counted:
        metrics.count(metrics.BOUNCES, "smtp", status, test=test)
    return [status for status, _ in counted]


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


class _OwnPortController(Controller):
    """An aiosmtpd controller on a socket already bound (to a port the system chose)."""

    def __init__(self, handler: Any, sock: socket.socket, **kwargs: Any) -> None:
        host, port = sock.getsockname()[:2]
        super().__init__(handler, hostname=host, port=port, **kwargs)
        self._sock = sock

    def _create_server(self) -> Awaitable[Any]:
        return self.loop.create_server(self._factory_invoker, sock=self._sock)


class BounceEndpoint(DependencyProvider):
    """Serves SMTP on ``bounce_smtp_host:bounce_smtp_port`` for as long as the service runs."""

    database = Database()
    #: Reported by ``rollcall run --ports-file`` under this name (``runtime.bound_ports``).
    serves = "bounce"

    def setup(self) -> None:
        self.settings = settings_of(self.container)
        self.controller: Controller | None = None
        #: The port it listens on once started (0: off).
        self.port = 0

    def start(self) -> None:
        if not self.settings.bounce_smtp_port:
            return
        self.key = bounces.token_key(self.settings.secret("mail_seal_key"))
        options: dict[str, Any] = {"data_size_limit": MAX_MESSAGE, "decode_data": False}
        if self.container.config.get(ANY_PORT_KEY):
            sock = socket.socket()
            sock.bind((self.settings.bounce_smtp_host, 0))
            sock.listen(128)
            self.controller = _OwnPortController(_Handler(self), sock, **options)
        else:
            self.controller = Controller(
                _Handler(self),
                hostname=self.settings.bounce_smtp_host,
                port=self.settings.bounce_smtp_port,
                **options,
            )
        self.controller.start()
        self.port = int(self.controller.port)
        log.info("bounce endpoint listening on %s:%s", self.settings.bounce_smtp_host, self.port)

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> BounceEndpoint:
        return self
