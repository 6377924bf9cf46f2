"""Configuration: environment over a YAML file over safe defaults.

Nothing is read at import time. ``load_settings()`` builds a frozen
``Settings`` from, in rising priority:

1. the defaults below (an SQLite file per service under ``var/``, the local
   broker, localhost SMTP);
2. a YAML file named by ``ROLLCALL_CONFIG`` (keys as in ``Settings``);
3. environment variables ``ROLLCALL_<KEY>`` (for example
   ``ROLLCALL_AMQP_URI``, ``ROLLCALL_DATABASE_URL_CODES``).

Secrets never have a default: ``secret(name)`` reads
``ROLLCALL_SECRET_<NAME>`` or the file ``<secrets_dir>/<name>`` and raises
``MissingSecret`` when neither exists.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

SERVICES = ("registration", "matching", "codes", "mailer", "tally", "gateway")

#: Where each service serves Prometheus /metrics unless configured otherwise.
DEFAULT_METRICS_PORTS = {
    "registration": 9101,
    "matching": 9102,
    "codes": 9103,
    "mailer": 9104,
    "tally": 9105,
    "gateway": 9106,
}


#: The queue types ``queue_type`` may name.
QUEUE_TYPES = ("classic", "quorum")


class MissingSecret(RuntimeError):
    """A secret was asked for and neither its variable nor its file exists."""


class ConfigError(ValueError):
    """The configuration file or an environment variable is malformed."""


@dataclass(frozen=True)
class Settings:
    var_dir: str = "var"
    #: One broker URI, or several separated by ``;`` (the nodes of one
    #: RabbitMQ cluster): every connection takes the first that answers and
    #: fails over to the next when its node goes away.
    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    #: ``classic`` or ``quorum``: the type of every durable queue Rollcall
    #: declares (its handler, delay, parking-lot and unroutable queues, and
    #: nameko's ``rpc-<service>`` queues). ``quorum`` needs RabbitMQ 3.10 or
    #: later and is what a cluster wants: a queue outlives the loss of a node.
    queue_type: str = "classic"
    #: Prefix of every exchange and queue Rollcall declares; tests use a
    #: unique one each so they cannot see each other's messages.
    namespace: str = "rollcall"
    database_urls: dict[str, str] = field(default_factory=dict)
    metrics_ports: dict[str, int] = field(default_factory=dict)
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    #: Proxies whose ``X-Forwarded-For`` the gateway believes: addresses or
    #: networks, comma-separated (``10.0.0.0/8,127.0.0.1``). Empty: none.
    trusted_proxies: str = ""
    #: The address every service's Prometheus ``/metrics`` binds.
    metrics_host: str = "127.0.0.1"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    mail_from: str = "ballots@rollcall.invalid"
    postal_dir: str = ""
    secrets_dir: str = ""
    chunk_size: int = 250
    #: Delays (seconds) of successive retries; after the last, the message parks.
    retry_delays: tuple[float, ...] = (1.0, 5.0, 30.0)
    #: Delays (seconds) before each retry of an email the mail server did not
    #: take for now (no listener, a 4xx); after the last, the delivery fails.
    #: The default catches a mail server's restart within seconds and rides out
    #: a night-long outage: 10 s, 1, 5, 15 and 30 min, 1 h, 2 h, then every
    #: 3 h, about 15.9 h in all.
    mail_retry_delays: tuple[float, ...] = (
        10.0,
        60.0,
        300.0,
        900.0,
        1800.0,
        3600.0,
        7200.0,
        10800.0,
        10800.0,
        10800.0,
        10800.0,
    )
    #: The mailer's own SMTP endpoint for delivery-status notifications
    #: (bounces): off while the port is 0. Mail is sent with the envelope
    #: sender ``bounce+<token>@<bounce_domain>`` (the domain of ``mail_from``
    #: when empty), whose MX must lead here.
    bounce_smtp_host: str = "127.0.0.1"
    bounce_smtp_port: int = 0
    bounce_domain: str = ""
    #: A bounce is applied only this many seconds after its email was sent,
    #: so registration has recorded the sending before it records the bounce.
    bounce_settle_seconds: float = 30.0
    #: How far (seconds) a bounce webhook's signed timestamp may be from now.
    bounce_webhook_tolerance: float = 300.0
    #: Days a ballot's personal data is kept after its result (or after the last
    #: complaint about it was settled; never while one is open): then
    #: ``rollcall retention run`` erases it in every service. 183 is about six months.
    retention_days: int = 183
    relay_interval: float = 0.2
    relay_batch: int = 500
    relay_linger: float = 0.01
    max_workers: int = 10
    #: Connections each service process keeps to its database (and as many again under load).
    database_pool_size: int = 10
    public_url: str = "http://127.0.0.1:8000"

    def __post_init__(self) -> None:
        if self.queue_type not in QUEUE_TYPES:
            raise ConfigError(
                f"setting queue_type: must be one of {', '.join(QUEUE_TYPES)}, "
                f"got {self.queue_type!r}"
            )
        if self.retention_days < 0:
            raise ConfigError(
                f"setting retention_days: needs 0 or more days, got {self.retention_days!r}"
            )
        delays = self.mail_retry_delays
        if not delays or not all(0 < d < float("inf") for d in delays):
            raise ConfigError(
                f"setting mail_retry_delays: needs one or more positive delays in seconds, "
                f"got {delays!r}"
            )

    def amqp_uris(self) -> list[str]:
        """Each broker URI of ``amqp_uri``, in the order they are tried."""
        return [uri.strip() for uri in self.amqp_uri.split(";") if uri.strip()]

    def database_url(self, service: str) -> str:
        if service not in SERVICES:
            raise ConfigError(f"unknown service {service!r}")
        url = self.database_urls.get(service)
        if url:
            return url
        return f"sqlite:///{Path(self.var_dir).resolve() / 'db' / f'{service}.sqlite'}"

    def metrics_port(self, service: str) -> int:
        return int(self.metrics_ports.get(service, DEFAULT_METRICS_PORTS[service]))

    def postal_path(self) -> Path:
        return Path(self.postal_dir or Path(self.var_dir) / "postal")

    def secret(self, name: str) -> bytes:
        """The secret ``name``, from the environment or the secrets directory."""
        env = os.environ.get(f"ROLLCALL_SECRET_{name.upper()}")
        if env:
            return env.encode()
        directory = Path(self.secrets_dir or Path(self.var_dir) / "secrets")
        path = directory / name
        if path.is_file():
            return path.read_bytes().strip()
        raise MissingSecret(
            f"secret {name!r} not set: put it in ROLLCALL_SECRET_{name.upper()} or {path}"
        )


def _coerce(name: str, raw: Any, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            return str(raw).lower() in ("1", "true", "yes")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, tuple):
            items = raw.split(",") if isinstance(raw, str) else raw
            return tuple(float(x) for x in items)
        if isinstance(default, dict):
            return dict(raw)
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}: cannot use {raw!r}: {exc}") from exc


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from defaults, then the YAML file, then the environment, then ``overrides``."""
    env = os.environ if environ is None else environ
    base = Settings()
    values: dict[str, Any] = {}
    config_file = env.get("ROLLCALL_CONFIG")
    if config_file:
        try:
            loaded = yaml.safe_load(Path(config_file).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read config file {config_file}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"config file {config_file} must hold a mapping")
        known = {f.name for f in fields(Settings)}
        unknown = set(loaded) - known
        if unknown:
            raise ConfigError(f"config file {config_file}: unknown keys {sorted(unknown)}")
        values.update(loaded)
    for f in fields(Settings):
        raw = env.get(f"ROLLCALL_{f.name.upper()}")
        if raw is not None and not isinstance(f.default, dict | type(None)):
            values[f.name] = raw
    urls = dict(values.get("database_urls") or {})
    ports = dict(values.get("metrics_ports") or {})
    for service in SERVICES:
        url = env.get(f"ROLLCALL_DATABASE_URL_{service.upper()}")
        if url:
            urls[service] = url
        port = env.get(f"ROLLCALL_METRICS_PORT_{service.upper()}")
        if port:
            ports[service] = int(port)
    values["database_urls"] = urls
    values["metrics_ports"] = ports
    values.update(overrides)
    coerced = {
        name: _coerce(name, value, getattr(base, name))
        for name, value in values.items()
        if name not in ("database_urls", "metrics_ports")
    }
    return replace(base, database_urls=urls, metrics_ports=ports, **coerced)
