"""What every RPC-using command shares: settings, a cluster proxy, JSON output."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any

import click

SERVICE_CLASSES = {
    "registration": "services.registration.service:RegistrationService",
    "matching": "services.matching.service:MatchingService",
    "codes": "services.codes.service:CodesService",
    "mailer": "services.mailer.service:MailerService",
    "tally": "services.tally.service:TallyService",
    "gateway": "gateway.service:GatewayService",
}


def green() -> None:
    """Monkey-patch for eventlet; nameko's client needs it. Called first in RPC commands."""
    import eventlet

    eventlet.monkey_patch()


def service_class(name: str) -> type:
    import importlib

    module, attr = SERVICE_CLASSES[name].split(":")
    return getattr(importlib.import_module(module), attr)


@contextlib.contextmanager
def cluster(timeout: float = 60.0) -> Iterator[Any]:
    """A nameko RPC proxy to the running services, with clear errors."""
    green()
    from nameko.exceptions import RemoteError
    from nameko.standalone.rpc import ClusterRpcProxy

    from rollcall.config import load_settings
    from rollcall.runtime import nameko_config

    settings = load_settings()
    try:
        with ClusterRpcProxy(nameko_config(settings), timeout=timeout) as rpc:
            yield rpc
    except RemoteError as exc:
        raise click.ClickException(f"{exc.exc_type}: {exc.value}") from None
    except OSError as exc:
        raise click.ClickException(
            f"cannot reach the broker at {settings.amqp_uri}: {exc}"
        ) from None


def echo_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")
