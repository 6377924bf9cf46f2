"""``rollcall register``: load an electoral register as a new version, list versions.

Talks to the matching service's database directly (the URL from configuration:
``ROLLCALL_DATABASE_URL_MATCHING``, else an SQLite file under ``var/``), after
bringing it to the newest migration. A load is a batch job, not an RPC: it
streams millions of rows with COPY.
"""

from __future__ import annotations

import json

import click
from sqlalchemy import Engine


def _engine() -> Engine:
    from rollcall.config import load_settings
    from rollcall.db import make_engine, upgrade

    url = load_settings().database_url("matching")
    upgrade("matching", url)
    return make_engine(url)


@click.group()
def register() -> None:
    """Electoral registers held by the matching service."""


@register.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--authority", required=True, help="Issuing authority, e.g. 'hackney'.")
@click.option("--label", default=None, help="Version label, e.g. '2026-11' (default: file name).")
def import_register(file: str, authority: str, label: str | None) -> None:
    """Load FILE as a new version of AUTHORITY's register; refused rows are kept."""
    from sqlalchemy.exc import SQLAlchemyError

    from services.matching.batch.loading import RegisterFileInvalid, load_register

    try:
        summary = load_register(
            _engine(), file, authority, label, progress=lambda m: click.echo(m, err=True)
        )
    except RegisterFileInvalid as exc:
        raise click.ClickException(str(exc)) from exc
    except SQLAlchemyError as exc:
        raise click.ClickException(f"the matching database refused the load: {exc}") from exc
    for line, reason in summary.refusals[:20]:
        click.echo(f"line {line} refused: {reason}", err=True)
    click.echo(json.dumps(summary.as_dict()))


@register.command("list")
def list_registers() -> None:
    """Every register version, newest first; only complete ones are used for matching."""
    from services.matching.batch.loading import list_versions

    for version in list_versions(_engine()):
        state = "complete" if version["is_complete"] else "INCOMPLETE (not used)"
        click.echo(
            f"#{version['id']}  {version['authority']}  {version['label']}  "
            f"{version['elector_count']} electors  {version['refused_count']} refused  "
            f"{state}  loaded {version['started_at']:%Y-%m-%d %H:%M}"
        )
