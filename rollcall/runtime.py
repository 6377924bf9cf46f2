"""What every nameko service shares at run time: settings, database, messaging.

- ``settings_of(container)``: the ``Settings`` a container runs with (from its
  config key ``ROLLCALL_SETTINGS`` when a test or the runner passes one, else
  from the environment).
- ``Database``: one engine and session factory per container.
- ``Messaging``: one confirming publisher per container, and the topology,
  declared in full before any consumer starts.
- ``Store``: the dependency handlers use for a unit of work.
- ``MetricsServer``: serves ``/metrics`` on the service's port.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from nameko.extensions import DependencyProvider, SharedExtension
from sqlalchemy.orm import Session

from rollcall.config import Settings, load_settings
from rollcall.db import make_engine, session_factory
from rollcall.messaging.publisher import ConfirmingPublisher
from rollcall.messaging.topology import Topology

SETTINGS_KEY = "ROLLCALL_SETTINGS"


def settings_of(container: Any) -> Settings:
    settings = container.config.get(SETTINGS_KEY)
    if isinstance(settings, Settings):
        return settings
    return load_settings()


def nameko_config(settings: Settings, **extra: Any) -> dict[str, Any]:
    """The nameko config dict for a service running with ``settings``."""
    return {
        "AMQP_URI": settings.amqp_uri,
        "max_workers": settings.max_workers,
        "parent_calls_tracked": 10,
        "WEB_SERVER_ADDRESS": f"{settings.gateway_host}:{settings.gateway_port}",
        SETTINGS_KEY: settings,
        **extra,
    }


class Database(SharedExtension):
    """The service's engine and session factory, one per container."""

    def setup(self) -> None:
        url = settings_of(self.container).database_url(self.container.service_name)
        self.engine = make_engine(url)
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


class Messaging(SharedExtension):
    """The container's publisher and topology; declares the topology at setup."""

    def setup(self) -> None:
        settings = settings_of(self.container)
        self.topology = Topology(settings.namespace, settings.retry_delays)
        self.publisher = ConfirmingPublisher(settings.amqp_uri)
        channel = self.publisher.channel()
        try:
            self.topology.declare(channel)
        finally:
            channel.close()

    def stop(self) -> None:
        self.publisher.close()

    def kill(self) -> None:
        self.publisher.close()


class Store(DependencyProvider):
    """Gives a worker the service's ``Database`` (``self.store.transaction()``)."""

    database = Database()

    def get_dependency(self, worker_ctx: Any) -> Database:
        return self.database


class MetricsServer(SharedExtension):
    """Serves Prometheus ``/metrics`` on the service's configured port (0 = off)."""

    _started: set[int] = set()

    def start(self) -> None:
        from prometheus_client import start_http_server

        port = settings_of(self.container).metrics_port(self.container.service_name)
        if port and port not in MetricsServer._started:
            start_http_server(port)
            MetricsServer._started.add(port)


class Metrics(DependencyProvider):
    """Declare on a service to have its ``/metrics`` served."""

    server = MetricsServer()

    def get_dependency(self, worker_ctx: Any) -> None:
        return None
