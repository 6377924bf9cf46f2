"""A service's /metrics listens on the configured interface (metrics_host), not on every one."""

from __future__ import annotations

import socket
import urllib.request

import pytest

from services.tally.service import TallyService
from tests import support


def outward_address() -> str | None:
    """This host's address on its outward interface, if it has one besides loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


def test_metrics_listen_on_loopback_only_when_so_configured(make_settings):
    outward = outward_address()
    if outward is None:
        pytest.skip("this host has no interface besides loopback to show the difference")
    port = support.free_port()
    settings = make_settings("tally", metrics_ports={"tally": port}, metrics_host="127.0.0.1")
    with support.running(settings, TallyService):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            assert answer.status == 200 and b"rollcall_" in answer.read()
        with pytest.raises(OSError):
            socket.create_connection((outward, port), timeout=2).close()
