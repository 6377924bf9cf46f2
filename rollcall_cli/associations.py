"""The party's associations: add one, list them, load them from a CSV or .xlsx file.

The file's columns are ``code``, ``name`` and optionally ``aliases`` (several
separated by ``;``), read by ``rollcall.intake`` like an extract (any
encoding, delimiter or column order it reads).
"""

from __future__ import annotations

from pathlib import Path

import click

from rollcall.intake import Refused, open_export
from rollcall_cli.common import cli_actor, cluster, echo_json

COLUMNS = ("code", "name")
OPTIONAL_COLUMNS = ("aliases",)
ALIAS_SEPARATOR = ";"


@click.group()
def association() -> None:
    """Associations: code, name and aliases; extracts may name them any of these ways."""


@association.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--alias", "aliases", multiple=True, help="Another name it goes by (repeatable).")
def association_add(code: str, name: str, aliases: tuple[str, ...]) -> None:
    """Add the association CODE (or change its name and aliases)."""
    with cluster() as rpc:
        echo_json(rpc.registration.add_association(code, name, list(aliases), actor=cli_actor()))


@association.command("list")
def association_list() -> None:
    with cluster() as rpc:
        echo_json(rpc.registration.list_associations())


def read_associations(path: Path, sheet: str | None = None) -> list[dict[str, object]]:
    """The associations in ``path``; a ClickException (one line) if it cannot be read."""
    try:
        export = open_export(path, required=COLUMNS, optional=OPTIONAL_COLUMNS, sheet=sheet)
    except Refused as exc:
        raise click.ClickException(str(exc)) from None
    rows = []
    for record in export.records():
        if record.problems:
            raise click.ClickException(
                f"{path.name}, line {record.line}: {'; '.join(record.problems)}"
            )
        aliases = [a.strip() for a in record.values["aliases"].split(ALIAS_SEPARATOR)]
        rows.append(
            {"code": record.values["code"], "name": record.values["name"], "aliases": aliases}
        )
    return rows


@association.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sheet", default=None)
def association_load(file: Path, sheet: str | None) -> None:
    """Add every association in FILE (columns code, name, aliases): all or none."""
    rows = read_associations(file, sheet)
    with cluster() as rpc:
        loaded = rpc.registration.load_associations(rows, actor=cli_actor())
    click.echo(f"{len(loaded)} association(s) loaded from {file.name}", err=True)
    echo_json(loaded)
