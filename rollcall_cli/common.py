"""What every RPC-using command shares: settings, a cluster proxy, JSON output."""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import socket
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


#: A named person to record beside the login (``ROLLCALL_OPERATOR="Olu Okafor"``), where
#: several people share one login on the operations host.
OPERATOR_VARIABLE = "ROLLCALL_OPERATOR"


def cli_actor() -> str:
    """Who a command acts as in the audit logs: the OS login on this host, and a named operator.

    ``os:ada@ops-1``, or ``Olu Okafor (os:ada@ops-1)`` when ``ROLLCALL_OPERATOR``
    names one. Never the bare word ``cli``: two people must never look alike
    to a two-person rule.
    """
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a bare container): the numeric id
        login = f"uid{os.getuid()}"
    who = f"os:{login}@{socket.gethostname()}"
    named = os.environ.get(OPERATOR_VARIABLE, "").strip()
    return f"{named} ({who})" if named else who


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
