"""``rollcall audit``: verify and read each service's hash-chained audit log.

``verify`` reads every entry of each chosen service's ``audit_log``, walks the
chain and prints one line per service. It exits non-zero when any chain is
broken, when a database cannot be read, or when a head published earlier
(``--expect-head SERVICE=HASH``, from a ballot's bulletin board) is no longer
in the chain, which is how a consistent rewrite of the whole chain shows.
It only reads: it never creates a database or a table.
"""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import Engine, MetaData, inspect, or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from rollcall import audit as audit_log
from rollcall.config import SERVICES, load_settings
from rollcall.db import is_sqlite, make_engine


class NoAuditLog(Exception):
    """The service's database, or its audit_log table, does not exist yet."""


def _open(service: str) -> Engine:
    url = load_settings().database_url(service)
    if is_sqlite(url):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and not Path(path).is_file():
            raise NoAuditLog(f"no database at {path} (has the service run yet?)")
    engine = make_engine(url, pool_size=1)
    if not inspect(engine).has_table(audit_log.TABLE_NAME):
        where = engine.url.render_as_string(hide_password=True)
        engine.dispose()
        raise NoAuditLog(f"no audit_log table in {where} (migrations not run yet?)")
    return engine


def _parse_heads(values: tuple[str, ...]) -> dict[str, str]:
    heads: dict[str, str] = {}
    for value in values:
        service, sep, digest = value.partition("=")
        digest = digest.strip().lower()
        if not sep or service not in SERVICES:
            raise click.BadParameter(
                f"{value!r}: expected SERVICE=HASH with SERVICE one of {', '.join(SERVICES)}",
                param_hint="--expect-head",
            )
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise click.BadParameter(
                f"{value!r}: the hash must be 64 hexadecimal digits", param_hint="--expect-head"
            )
        heads[service] = digest
    return heads


def _verify_one(service: str, expected: str | None) -> bool:
    name = f"{service:<13}"
    try:
        engine = _open(service)
    except NoAuditLog as exc:
        if expected is not None:
            click.echo(f"{name}FAILED  {exc}; expected head {expected}")
            return False
        click.echo(f"{name}no audit log yet: {exc}")
        return True
    except OperationalError as exc:
        click.echo(f"{name}FAILED  cannot read the database: {exc.orig}")
        return False
    try:
        with Session(engine) as session:
            report = audit_log.verify(audit_log.read_chain(session), expect_head=expected)
    except OperationalError as exc:
        click.echo(f"{name}FAILED  cannot read the audit log: {exc.orig}")
        return False
    finally:
        engine.dispose()
    head = f"head {report.head_seq}:{report.head_hash}"
    if report.ok:
        published = f"; published head {expected} found" if expected else ""
        click.echo(f"{name}ok      {report.checked} entries checked, {head}{published}")
        return True
    problem = report.problem
    assert problem is not None
    where: str = problem.kind
    if problem.seq is not None:
        where = (
            f"first bad entry seq {problem.seq} ({problem.action} {problem.subject}): "
            f"{problem.kind}"
        )
    click.echo(
        f"{name}FAILED  {report.checked} of {report.total} entries good, {head}; "
        f"{where}: {problem.why}"
    )
    return False


@click.group()
def audit() -> None:
    """Verify and read the tamper-evident audit logs."""


@audit.command("verify")
@click.option(
    "--service",
    "services",
    multiple=True,
    type=click.Choice(SERVICES),
    help="A service whose log to verify (repeatable).",
)
@click.option("--all", "all_services", is_flag=True, help="Verify every service's log.")
@click.option(
    "--expect-head",
    "expect_heads",
    multiple=True,
    metavar="SERVICE=HASH",
    help="A head published earlier, which the service's chain must still contain.",
)
def verify_command(
    services: tuple[str, ...], all_services: bool, expect_heads: tuple[str, ...]
) -> None:
    """Walk each audit chain and name the first entry that breaks it.

    With neither --service nor --all, verifies every service. Exits 1 when
    any chain is broken, cannot be read, or lacks its expected head.
    """
    if services and all_services:
        raise click.UsageError("give --service or --all, not both")
    heads = _parse_heads(expect_heads)
    chosen = [s for s in SERVICES if s in services or s in heads] if services else list(SERVICES)
    results = [_verify_one(service, heads.get(service)) for service in chosen]
    if not all(results):
        raise SystemExit(1)


@audit.command("show")
@click.option("--service", required=True, type=click.Choice(SERVICES))
@click.option(
    "--subject",
    default=None,
    help="Only this subject and those under it (ballot:3 also shows ballot:3/member:M1).",
)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
def show_command(service: str, subject: str | None, limit: int) -> None:
    """Print the newest entries of a service's audit log, oldest first."""
    try:
        engine = _open(service)
    except NoAuditLog as exc:
        click.echo(f"{service}: no audit log yet: {exc}")
        return
    table = audit_log.audit_table(MetaData())
    query = select(table).order_by(table.c.seq.desc()).limit(limit)
    if subject:
        escaped = subject.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(
            or_(table.c.subject == subject, table.c.subject.like(f"{escaped}/%", escape="\\"))
        )
    try:
        with engine.connect() as connection:
            rows = [audit_log.as_entry(r) for r in connection.execute(query)]
    finally:
        engine.dispose()
    for entry in reversed(rows):
        reason = f"  reason: {entry.reason}" if entry.reason else ""
        click.echo(
            f"{entry.seq:>6}  {entry.at}  {entry.actor} via {entry.source}  "
            f"{entry.action}  {entry.subject}  {entry.details}{reason}"
        )
