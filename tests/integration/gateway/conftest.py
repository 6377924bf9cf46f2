"""The gateway on the real broker and database, over real HTTP, beside stand-ins.

``launch(*services, rpc_timeout=...)`` starts the gateway (with a fresh
database, its own vhost and a free port) and the given services, and returns
a ``harness.Gateway``: the base URL, an RPC proxy, and helpers to make users
and send requests with their tokens.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace

import pytest

from gateway.remote import TIMEOUT_KEY
from gateway.service import GatewayService
from tests import support
from tests.integration.gateway import standins
from tests.integration.gateway.harness import Gateway, free_port, running


@pytest.fixture
def standin_state() -> Iterator[None]:
    standins.reset()
    yield
    standins.reset()


@pytest.fixture
def launch(make_settings, standin_state):  # type: ignore[no-untyped-def]
    with contextlib.ExitStack() as stack:

        def start(*services: type, rpc_timeout: float = 5.0, databases: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
            settings = replace(make_settings("gateway", *databases), gateway_port=free_port())
            stack.enter_context(
                running(settings, GatewayService, *services, **{TIMEOUT_KEY: rpc_timeout})
            )
            rpc = stack.enter_context(support.rpc_proxy(settings))
            return Gateway(settings, rpc)

        yield start


@pytest.fixture
def gateway(launch) -> Gateway:  # type: ignore[no-untyped-def]
    """The gateway beside every stand-in."""
    return launch(*standins.ALL)
