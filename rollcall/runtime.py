"""What every nameko service shares at run time: settings, database, loops, metrics.

- ``settings_of(container)``: the ``Settings`` a container runs with (from its
  config key ``ROLLCALL_SETTINGS`` when a test or the runner passes one, else
  from the environment).
- ``Database``: one engine and session factory per container.
- ``Store``: the dependency handlers use for a unit of work.
- ``BackgroundLoop``: a loop beside the handlers (the outbox relay, the mailer's dispatcher).
- ``MetricsServer``: serves ``/metrics`` on the service's port.
- ``ExpectedErrors``: an RPC's expected refusal (a wrong access code, a ballot not
  open) is logged as nameko's one-line warning, without the traceback nameko adds.

The messaging extension (``rollcall.messaging.publisher.Messaging``) builds on this.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import eventlet
from nameko.extensions import DependencyProvider, SharedExtension
from sqlalchemy.orm import Session

from rollcall.config import Settings, load_settings
from rollcall.db import make_engine, session_factory

SETTINGS_KEY = "ROLLCALL_SETTINGS"
#: Config key: bind the metrics and HTTP servers on free ports of their own choosing.
ANY_PORT_KEY = "ROLLCALL_ANY_PORT"
log = logging.getLogger(__name__)


class ExpectedErrors(logging.Filter):
    """Drops the traceback from nameko's "(expected) error handling worker" warning.

    nameko logs every exception an entrypoint lists as expected (``expected_exceptions``:
    a wrong access code, a ballot not open, a lockout) with its traceback, so each voter's
    mistyped code put a dozen lines of stack in the codes service's log. The warning stays,
    one line naming the worker and the error; an unexpected error keeps its traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("(expected) error handling worker"):
            record.exc_info = None
            record.exc_text = None
        return True


logging.getLogger("nameko.containers").addFilter(ExpectedErrors())


def settings_of(container: Any) -> Settings:
    settings = container.config.get(SETTINGS_KEY)
    if isinstance(settings, Settings):
        return settings
    return load_settings()


def nameko_config(settings: Settings, *, any_port: bool = False, **extra: Any) -> dict[str, Any]:
    """The nameko config dict for a service running with ``settings``.

    ``any_port``: the gateway and the metrics server bind free ports of their
    own choosing (``bound_ports`` says which) rather than the configured ones.
    """
    port = 0 if any_port else settings.gateway_port
    return {
        "AMQP_URI": settings.amqp_uri,
        "max_workers": settings.max_workers,
        "parent_calls_tracked": 10,
        "WEB_SERVER_ADDRESS": f"{settings.gateway_host}:{port}",
        SETTINGS_KEY: settings,
        ANY_PORT_KEY: any_port,
        **extra,
    }


def bound_ports(container: Any) -> dict[str, int]:
    """The ports a started container serves on: ``metrics``; for the gateway ``http``; for
    the mailer with its bounce endpoint on, ``bounce`` (an extension that ``serves`` it)."""
    from nameko.web.server import WebServer

    ports: dict[str, int] = {}
    for extension in container.extensions:
        if isinstance(extension, MetricsServer) and extension.port:
            ports["metrics"] = extension.port
        if getattr(extension, "serves", None) == "bounce" and extension.port:
            ports["bounce"] = int(extension.port)
        sock = getattr(extension, "_sock", None)
        if isinstance(extension, WebServer) and sock is not None:
            ports["http"] = int(sock.getsockname()[1])
    return ports


class Database(SharedExtension):
    """The service's engine and session factory, one per container."""

    def setup(self) -> None:
        settings = settings_of(self.container)
        url = settings.database_url(self.container.service_name)
        self.engine = make_engine(url, pool_size=settings.database_pool_size)
        self.factory = session_factory(self.engine)

    def stop(self) -> None:
        self.engine.dispose()

    def kill(self) -> None:
        self.engine.dispose()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any exception."""
        with self.factory() as session, session.begin():
            yield session


class Store(DependencyProvider):
    """Gives a worker the service's ``Database`` (``self.store.transaction()``)."""

    database = Database()

    def get_dependency(self, worker_ctx: Any) -> Database:
        return self.database


class BackgroundLoop(DependencyProvider):
    """Runs ``step()`` in a managed green thread for the service's lifetime.

    While ``step()`` reports work done it runs again at once; otherwise the
    loop calls ``idle()`` and sleeps ``interval`` seconds or until ``kick()``.
    A step that raises is logged and tried again with exponential backoff (at
    most ten seconds apart): the loop outlives any one bad step.
    """

    interval = 1.0
    #: Seconds to wait after a ``kick()`` before the step, so work that arrives just after
    #: the first is done in the same step (0: at once).
    linger = 0.0

    def __init__(self) -> None:
        self._running = False
        self._kick = eventlet.event.Event()

    def setup(self) -> None:
        self.settings = settings_of(self.container)

    def start(self) -> None:
        self._running = True
        self.container.spawn_managed_thread(self._run, identifier=type(self).__name__)

    def stop(self) -> None:
        self._running = False
        self.kick()

    def kill(self) -> None:
        self._running = False

    def kick(self) -> None:
        """Run the next step now rather than after the interval."""
        if not self._kick.ready():
            self._kick.send(True)

    def get_dependency(self, worker_ctx: Any) -> BackgroundLoop:
        return self

    def step(self) -> int:
        raise NotImplementedError

    def idle(self) -> None:
        """Called when a step found nothing to do."""

    def _run(self) -> None:
        failures = 0
        while self._running:
            try:
                if self.step():
                    failures = 0
                    continue
                failures = 0
                self.idle()
            except Exception:  # noqa: BLE001 - the loop must outlive any one bad step
                failures += 1
                log.exception(
                    "%s of %s failed; will retry", type(self).__name__, self.container.service_name
                )
            self._kick = eventlet.event.Event()
            with eventlet.Timeout(min(self.interval * (2**failures), 10.0), False):
                self._kick.wait()
            if self.linger and self._running and self._kick.ready():
                eventlet.sleep(self.linger)


class MetricsServer(SharedExtension):
    """Serves the service's own Prometheus ``/metrics`` on ``metrics_host`` and its port (0 = off).

    With ``ANY_PORT_KEY`` set in the container's config it binds a free port
    of its own choosing instead (the demo, many stacks on one host) and keeps
    it in ``port``; ``rollcall run --ports-file`` reports it.
    """

    _started: set[int] = set()
    port: int = 0

    def start(self) -> None:
        from prometheus_client import start_http_server

        from rollcall.metrics import registry_for

        service = self.container.service_name
        registry = registry_for(service)
        if self.container.config.get(ANY_PORT_KEY):
            server, _ = start_http_server(0, addr="127.0.0.1", registry=registry)
            self.port = int(server.server_port)
            return
        settings = settings_of(self.container)
        port = settings.metrics_port(service)
        if port and port not in MetricsServer._started:
            start_http_server(port, addr=settings.metrics_host, registry=registry)
            MetricsServer._started.add(port)
            self.port = port


class Secrets(DependencyProvider):
    """The named secrets, read once as the container starts (a missing one stops it there,
    naming what is missing), and handed to each worker as a tuple of bytes in that order.

    A service that checks a keyed hash on every request read its key files each time."""

    def __init__(self, *names: str) -> None:
        self.names = names
        self.values: tuple[bytes, ...] = ()

    def setup(self) -> None:
        settings = settings_of(self.container)
        self.values = tuple(settings.secret(name) for name in self.names)

    def get_dependency(self, worker_ctx: Any) -> tuple[bytes, ...]:
        return self.values


class Metrics(DependencyProvider):
    """Declare on a service to have its ``/metrics`` served."""

    server = MetricsServer()

    def get_dependency(self, worker_ctx: Any) -> None:
        return None
