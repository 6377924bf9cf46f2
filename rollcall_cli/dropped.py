"""Dropped extract rows from the command line: list them (or write them as CSV), correct, resolve.

Clients of registration's dropped-rows RPCs, for operators; officers use the
gateway, which scopes the same calls to their association.
"""

from __future__ import annotations

from pathlib import Path

import click

from rollcall_cli.common import cli_actor, cluster, echo_json


@click.command("rejected")
@click.option("--ballot", "ballot_id", type=int, required=True)
@click.option("--association", default=None, help="Only this association's rows.")
@click.option("--kind", type=click.Choice(["rejected", "duplicate", "conflict"]), default=None)
@click.option("--status", type=click.Choice(["open", "corrected", "resolved"]), default=None)
@click.option(
    "--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Write the rows to this CSV file (formula-safe) instead of printing them.",
)  # fmt: skip
def extract_rejected(
    ballot_id: int,
    association: str | None,
    kind: str | None,
    status: str | None,
    csv_path: Path | None,
) -> None:
    """List a ballot's dropped extract rows: rejected, duplicates and conflicts, with reasons."""
    with cluster() as rpc:
        rows = rpc.registration.list_dropped_rows(ballot_id, association, kind, status)
    if csv_path is None:
        echo_json(rows)
        return
    from gateway.exports import dropped_rows_csv

    csv_path.write_text(dropped_rows_csv(rows), encoding="utf-8", newline="")
    click.echo(f"{len(rows)} dropped row(s) written to {csv_path}", err=True)


def _assignments(pairs: tuple[str, ...]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        field, sep, value = pair.partition("=")
        if not sep or not field.strip():
            raise click.BadParameter(f"{pair!r} is not field=value", param_hint="FIELD=VALUE")
        values[field.strip()] = value
    return values


@click.command("correct")
@click.option("--ballot", "ballot_id", type=int, required=True)
@click.argument("row_id", type=int)
@click.argument("assignments", nargs=-1, metavar="FIELD=VALUE...")
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@click.option(
    "--actor", default=cli_actor, show_default="your login", help="Who is acting (audited)."
)
def extract_correct(
    ballot_id: int, row_id: int, assignments: tuple[str, ...], reason: str, actor: str
) -> None:
    """Correct a rejected row and admit it to the ballot; exit 1 if it is still rejected."""
    with cluster() as rpc:
        result = rpc.registration.correct_dropped_row(
            ballot_id, row_id, _assignments(assignments), actor, reason
        )
    if result.get("status") == "still_rejected":
        raise click.ClickException(
            f"row {row_id} is still rejected: {'; '.join(result['reasons'])}"
        )
    echo_json(result)


@click.command("resolve")
@click.option("--ballot", "ballot_id", type=int, required=True)
@click.argument("row_id", type=int)
@click.option("--keep", type=click.Choice(["first", "second"]), required=True)
@click.option("--reason", default="", help="Why (kept in the audit log).")
@click.option(
    "--actor", default=cli_actor, show_default="your login", help="Who is acting (audited)."
)
def extract_resolve(ballot_id: int, row_id: int, keep: str, reason: str, actor: str) -> None:
    """Decide a conflicting duplicate: keep the first copy's data or the second's."""
    with cluster() as rpc:
        echo_json(rpc.registration.resolve_conflict(ballot_id, row_id, keep, actor, reason))
