"""Checks a service runs before it starts: its settings and every secret it uses.

A service that is missing a secret, or holds one in the wrong format, must
not start and fail on first use (a parked message, an HTTP 500): it stops at
once, one line per problem, each naming the setting, the environment
variable and the file it looked in. ``rollcall run`` calls
``service_problems`` before it migrates or starts anything; ``rollcall check``
calls it for every service and then tests the broker, the databases, the
SMTP server and the gateway.

``SECRETS`` is the one place that says which service uses which secret, what
format each must have and how to make a good one (``rollcall init`` does).
Nothing here touches the network.
"""

from __future__ import annotations

import os
import secrets as _random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from rollcall.config import SERVICES, ConfigError, Settings


@dataclass(frozen=True)
class Problem:
    """One thing wrong, with where it was looked for and how to put it right."""

    subject: str
    message: str
    fix: str

    def line(self, prefix: str = "") -> str:
        lead = f"{prefix}: " if prefix else ""
        return f"{lead}{self.subject}: {self.message}; {self.fix}"


@dataclass(frozen=True)
class SecretSpec:
    """What a secret is for, the format it must have, and how to make one."""

    meaning: str
    format: str
    generate: Callable[[], bytes]
    valid: Callable[[bytes], bool]


def _long_random() -> bytes:
    return _random.token_urlsafe(32).encode()


def _at_least(n: int) -> Callable[[bytes], bool]:
    return lambda value: len(value) >= n


def _is_fernet_key(value: bytes) -> bool:
    from cryptography.fernet import Fernet

    try:
        Fernet(value)
    except (ValueError, TypeError):
        return False
    return True


def _fernet_key() -> bytes:
    from rollcall.sealing import new_key

    return new_key()


SECRET_SPECS: dict[str, SecretSpec] = {
    "code_hash_key": SecretSpec(
        "keys the hash of every access code at rest",
        "at least 32 characters of random text",
        _long_random,
        _at_least(32),
    ),
    "mail_seal_key": SecretSpec(
        "seals access codes on their way from codes to the mailer",
        "a Fernet key (32 random bytes, url-safe base64: 44 characters)",
        _fernet_key,
        _is_fernet_key,
    ),
    "signing_key_passphrase": SecretSpec(
        "encrypts the tally's key that signs results",
        "at least 16 characters",
        _long_random,
        _at_least(16),
    ),
    "bounce_webhook_secret": SecretSpec(
        "checks the signature of the mail provider's bounce webhook calls",
        "at least 32 characters of random text",
        _long_random,
        _at_least(32),
    ),
    "personal_data_key": SecretSpec(
        "keys the hashes of personal data in audit entries and complaints",
        "at least 32 characters of random text",
        _long_random,
        _at_least(32),
    ),
}

#: The secrets each service reads; a service checks these, and only these, at start.
SECRETS: dict[str, tuple[str, ...]] = {
    "registration": ("personal_data_key",),
    "matching": (),
    "codes": ("code_hash_key", "mail_seal_key"),
    "mailer": ("mail_seal_key",),
    "tally": ("signing_key_passphrase",),
    "gateway": (),
}


#: Secrets a service can do without (a feature answers "not configured" instead); when
#: present they must be well-formed.
OPTIONAL_SECRETS: dict[str, tuple[str, ...]] = {"gateway": ("bounce_webhook_secret",)}


def secret_file(settings: Settings, name: str) -> Path:
    return Path(settings.secrets_dir or Path(settings.var_dir) / "secrets") / name


def secret_problem(settings: Settings, name: str) -> Problem | None:
    """What is wrong with secret ``name`` (absent, empty, unreadable, wrong format), or None."""
    spec = SECRET_SPECS[name]
    variable = f"ROLLCALL_SECRET_{name.upper()}"
    path = secret_file(settings, name)
    where = f"set {variable} or write {path} ({spec.format})"
    if os.environ.get(variable):
        value, source = os.environ[variable].encode(), variable
    elif path.is_file():
        try:
            value, source = path.read_bytes().strip(), str(path)
        except OSError as exc:
            return Problem(f"secret {name}", f"cannot read {path}: {exc.strerror}", where)
        if not value:
            return Problem(f"secret {name}", f"{path} is empty", where)
    else:
        return Problem(f"secret {name}", f"missing: neither {variable} nor {path} is set", where)
    if not spec.valid(value):
        return Problem(f"secret {name}", f"the value in {source} is not {spec.format}", where)
    return None


def _setting(name: str) -> str:
    """Where a setting comes from, for a problem's fix."""
    return f"set ROLLCALL_{name.upper()} or {name} in the file ROLLCALL_CONFIG names"


def _port_problems(settings: Settings, service: str) -> list[Problem]:
    problems = []
    ports = {"metrics_ports": settings.metrics_port(service)}
    if service == "gateway":
        ports["gateway_port"] = settings.gateway_port
    if service == "mailer":
        ports["smtp_port"] = settings.smtp_port
    for name, port in ports.items():
        if not 0 <= port <= 65535:
            fix = _setting(name)
            if name == "metrics_ports":
                fix = f"set ROLLCALL_METRICS_PORT_{service.upper()} or metrics_ports.{service}"
            problems.append(Problem(name, f"{port} is not a TCP port (0-65535)", fix))
    return problems


def _url_problem(name: str, url: str, schemes: tuple[str, ...]) -> Problem | None:
    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.hostname:
        return Problem(
            name, f"{url!r} is not a {' or '.join(schemes)} URL with a host", _setting(name)
        )
    return None


def _database_problem(settings: Settings, service: str) -> Problem | None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    url = settings.database_url(service)
    variable = f"ROLLCALL_DATABASE_URL_{service.upper()}"
    fix = f"set {variable} or database_urls.{service} (postgresql://... or sqlite:///...)"
    try:
        parsed = make_url(url)
    except ArgumentError:
        return Problem(f"database_urls.{service}", f"{url!r} is not a database URL", fix)
    if parsed.get_backend_name() not in ("postgresql", "sqlite"):
        return Problem(
            f"database_urls.{service}", f"{parsed.get_backend_name()!r} is not supported", fix
        )
    return None


def _writable(name: str, path: Path, fix: str) -> Problem | None:
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        return Problem(name, f"{path} cannot be written (nor created) by this user", fix)
    return None


def service_problems(settings: Settings, service: str) -> list[Problem]:
    """Everything wrong with ``settings`` for running ``service``: empty when it may start."""
    if service not in SERVICES:
        raise ConfigError(f"unknown service {service!r}")
    found: list[Problem | None] = [
        *[
            _url_problem("amqp_uri", uri, ("amqp", "amqps"))
            for uri in settings.amqp_uris() or [settings.amqp_uri]
        ],
        _database_problem(settings, service),
    ]
    unknown = set(settings.database_urls) - set(SERVICES)
    if unknown:
        found.append(
            Problem(
                "database_urls",
                f"no service is called {', '.join(sorted(unknown))}",
                f"use the names {', '.join(SERVICES)}",
            )
        )
    found += _port_problems(settings, service)
    for name in ("chunk_size", "relay_batch", "max_workers"):
        if getattr(settings, name) < 1:
            found.append(
                Problem(name, f"{getattr(settings, name)} is not positive", _setting(name))
            )
    if not settings.retry_delays or min(settings.retry_delays) <= 0:
        found.append(
            Problem("retry_delays", "needs one or more positive delays", _setting("retry_delays"))
        )
    if service in ("gateway", "registration", "mailer"):
        found.append(_url_problem("public_url", settings.public_url, ("http", "https")))
    if service == "mailer":
        if "@" not in settings.mail_from:
            found.append(
                Problem(
                    "mail_from", f"{settings.mail_from!r} is not an address", _setting("mail_from")
                )
            )
        found.append(_writable("postal_dir", settings.postal_path(), _setting("postal_dir")))
    if service == "tally":
        found.append(
            _writable("var_dir", Path(settings.var_dir) / "bulletins", _setting("var_dir"))
        )
    found += [secret_problem(settings, name) for name in SECRETS[service]]
    for name in OPTIONAL_SECRETS.get(service, ()):
        problem = secret_problem(settings, name)
        if problem and not problem.message.startswith("missing"):
            found.append(problem)
    return [p for p in found if p is not None]


def new_secrets(directory: Path) -> list[Path]:
    """Write every secret Rollcall uses into ``directory`` (mode 0600), keeping any that exist.

    Returns the files written. The directory is made private (0700).
    """
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    written = []
    for name, spec in SECRET_SPECS.items():
        path = directory / name
        if path.exists() and path.stat().st_size:
            continue
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(spec.generate() + b"\n")
        path.chmod(0o600)
        written.append(path)
    return written
