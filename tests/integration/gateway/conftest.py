"""The gateway on the real broker and database, over real HTTP, beside stand-ins.

``launch(*services, rpc_timeout=..., databases=...)`` starts the gateway (with
a fresh database, its own vhost and a free port) and the given services for
one test, and returns a ``harness.Gateway``: the base URL, an RPC proxy, and
helpers to make users and send requests with their tokens.

``module_launch`` does the same once for a whole module. Starting and
stopping nameko containers costs seconds, so tests that can share them do:
each makes its own users, ballots and ids, and reads the audit log from a
sequence number it noted. ``gateway`` is the gateway beside every stand-in,
shared by a module; a test needing a fresh one uses ``launch``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from gateway.remote import TIMEOUT_KEY
from gateway.service import GatewayService
from rollcall.config import Settings
from tests import support
from tests.integration.gateway import standins
from tests.integration.gateway.harness import Gateway, free_port, running


@pytest.fixture(autouse=True)
def standin_state() -> Iterator[None]:
    standins.reset()
    yield
    standins.reset()


def _starter(stack: contextlib.ExitStack, settings_for: Any) -> Any:
    def start(
        *services: type, rpc_timeout: float = 5.0, databases: tuple[str, ...] = ()
    ) -> Gateway:
        settings: Settings = replace(settings_for("gateway", *databases), gateway_port=free_port())
        stack.enter_context(
            running(settings, GatewayService, *services, **{TIMEOUT_KEY: rpc_timeout})
        )
        rpc = stack.enter_context(support.rpc_proxy(settings))
        return Gateway(settings, rpc)

    return start


@pytest.fixture
def launch(make_settings):  # type: ignore[no-untyped-def]
    with contextlib.ExitStack() as stack:
        yield _starter(stack, make_settings)


@pytest.fixture(scope="module")
def module_launch(broker, databases, tmp_path_factory):  # type: ignore[no-untyped-def]
    with contextlib.ExitStack() as stack:
        vhost = stack.enter_context(broker.vhost())
        tmp = tmp_path_factory.mktemp("gateway")
        secrets_dir = support.write_secrets(tmp / "secrets")

        def settings_for(*services: str) -> Settings:
            urls = {s: databases.fresh(s) for s in services}
            return support.settings_for_test(
                vhost, urls, secrets_dir=str(secrets_dir), var_dir=str(tmp / "var")
            )

        yield _starter(stack, settings_for)


@pytest.fixture(scope="module")
def gateway(module_launch) -> Gateway:  # type: ignore[no-untyped-def]
    """The gateway beside every stand-in, shared by the module's tests."""
    return module_launch(*standins.ALL)
