"""Helpers for gateway tests over real HTTP: the running gateway and its answers."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import eventlet
import requests
import sqlalchemy as sa
from nameko.containers import ServiceContainer
from requests.adapters import HTTPAdapter

from rollcall.config import Settings
from rollcall.runtime import nameko_config
from tests.builders import ballots as builders


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Gateway:
    settings: Settings
    rpc: Any

    @property
    def base(self) -> str:
        return f"http://{self.settings.gateway_host}:{self.settings.gateway_port}"

    def user(
        self,
        role: str,
        association: str | None = None,
        name: str = "",
        ballot_id: int | None = None,
    ) -> str:
        """A new user's token."""
        made = self.rpc.gateway.add_user(
            name or f"{role} user", role, association, actor="test", ballot_id=ballot_id
        )
        return str(made["token"])

    def request(
        self,
        method: str,
        path: str,
        token: str | None = None,
        *,
        client: str | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """``method path`` with ``token``; from loopback address ``client`` when given."""
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        with requests.Session() as session:
            if client is not None:
                session.mount("http://", FromAddress(client))
            return session.request(method, self.base + path, headers=headers, timeout=30, **kwargs)

    def get(self, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, token, **kwargs)

    def post(self, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, token, **kwargs)

    def rows(self, query: str, service: str = "gateway", **params: Any) -> list[Any]:
        """Rows of ``query`` run on ``service``'s database (the gateway's by default)."""
        engine = sa.create_engine(self.settings.database_url(service), poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                return list(conn.execute(sa.text(query), params))
        finally:
            engine.dispose()

    def execute(self, statement: str) -> None:
        """Run ``statement`` on the gateway's database and commit."""
        engine = sa.create_engine(self.settings.database_url("gateway"), poolclass=sa.pool.NullPool)
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(statement))
        finally:
            engine.dispose()

    def audit_since(self, seq: int) -> list[Any]:
        """The gateway's audit entries after ``seq``, oldest first."""
        return self.rows("select * from audit_log where seq > :seq order by seq", seq=seq)

    def audit_seq(self) -> int:
        (row,) = self.rows("select coalesce(max(seq), 0) as seq from audit_log")
        return int(row.seq)


class FromAddress(HTTPAdapter):
    """Connect from a given loopback address (127.0.0.0/8), as a different client would."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def import_members(rpc: Any, ballot_id: int, records: list[list[str]], extract_id: str) -> None:
    """Import ``records`` (``builders.member_record``) into ``ballot_id`` through registration."""
    rpc.registration.begin_extract(
        ballot_id=ballot_id,
        extract_id=extract_id,
        source="test",
        file_name=f"{extract_id}.csv",
        header=builders.HEADER,
        declared_rows=len(records),
        sha256="0" * 64,
    )
    rpc.registration.add_extract_rows(extract_id, 0, 2, records)
    rpc.registration.finish_extract(extract_id, 1)


STOP_SECONDS = 20


@contextlib.contextmanager
def running(settings: Settings, *service_classes: type, **extra: Any) -> Iterator[None]:
    """Like ``support.running``, but stops the containers side by side.

    Each nameko container takes a second or more to stop; stopping them one
    after another made every test here pay that several times over. A
    container still busy after ``STOP_SECONDS`` (a worker stuck waiting on a
    reply that will never come) is killed and the test fails, rather than
    the run hanging.
    """
    containers = [
        ServiceContainer(cls, config=nameko_config(settings, **extra)) for cls in service_classes
    ]
    try:
        for container in containers:
            container.start()
        yield
    finally:
        pool = eventlet.GreenPool()
        for container in containers:
            pool.spawn(container.stop)
        stuck = eventlet.Timeout(STOP_SECONDS)
        try:
            pool.waitall()
        except eventlet.Timeout as exc:
            if exc is not stuck:
                raise
            for container in containers:
                container.kill()
            raise AssertionError(f"a service was still busy {STOP_SECONDS}s after stop") from None
        finally:
            stuck.cancel()


def error_of(response: requests.Response) -> dict[str, Any]:
    """The ``error`` object of a JSON error response (asserting its shape)."""
    assert response.headers["Content-Type"].startswith("application/json"), response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["message"], body
    return dict(body["error"])
