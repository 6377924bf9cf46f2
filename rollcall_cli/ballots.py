"""Ballot, extract and reconciliation commands (clients of the registration service)."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import click
import yaml

from rollcall.formats import EXTRACT_COLUMNS, EXTRACT_OPTIONAL_COLUMNS
from rollcall.intake import Export, Record, Refused, open_export
from rollcall_cli.common import cli_actor, cluster, echo_json
from rollcall_cli.dropped import extract_correct, extract_rejected, extract_resolve

EXTRACT_FIELDS = EXTRACT_COLUMNS + EXTRACT_OPTIONAL_COLUMNS


def _iso_dates(value: Any) -> Any:
    """``value`` with the dates and times YAML made of unquoted timestamps turned back into ISO text."""
    if isinstance(value, dict):
        return {k: _iso_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso_dates(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


@click.group()
def ballot() -> None:
    """Ballots: create, open, close, withdraw a candidate, show."""


def read_definition(text: str) -> Any:
    """A ballot definition from YAML or JSON text, as registration takes it.

    YAML reads an unquoted ``2026-11-01T00:00:00+00:00`` as a datetime; the
    message to registration would carry it as one, and the definition's
    schema takes times as ISO text. So dates and times go back to ISO text.
    """
    return _iso_dates(yaml.safe_load(text))


@ballot.command("create")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def ballot_create(file: Path) -> None:
    """Create a ballot from a YAML or JSON definition FILE."""
    try:
        definition = read_definition(file.read_text())
    except yaml.YAMLError as exc:
        raise click.ClickException(f"{file}: not valid YAML/JSON: {exc}") from None
    with cluster() as rpc:
        created = rpc.registration.create_ballot(definition, actor=cli_actor())
    echo_json(created)


def _phase(ballot_id: int, phase: str, reason: str, force: bool = False) -> None:
    if force and not reason.strip():
        raise click.UsageError("--force needs --reason saying why (it goes in the audit log)")
    with cluster() as rpc:
        echo_json(
            rpc.registration.change_phase(
                ballot_id, phase, actor=cli_actor(), reason=reason, force=force
            )
        )


FORCE_HELP = "Go ahead despite the reasons given against it (needs --reason; audited)."


@ballot.command("open")
@click.argument("ballot_id", type=int)
@click.option("--reason", default="")
@click.option("--force", is_flag=True, help=FORCE_HELP)
def ballot_open(ballot_id: int, reason: str, force: bool) -> None:
    """Open a ballot for voting.

    Refused, with the reasons, before the timetable's freeze_at or opens_at,
    or while members are unaccounted for or waiting for review.
    """
    _phase(ballot_id, "open", reason, force)


@ballot.command("close")
@click.argument("ballot_id", type=int)
@click.option("--reason", default="")
@click.option("--force", is_flag=True, help=FORCE_HELP)
def ballot_close(ballot_id: int, reason: str, force: bool) -> None:
    """Close a ballot; the tally then counts it and writes the bulletin board.

    Refused, with the reasons, before the timetable's closes_at or while
    members are waiting for review.
    """
    _phase(ballot_id, "closed", reason, force)


@ballot.command("withdraw")
@click.argument("ballot_id", type=int)
@click.option("--candidate", required=True, help="The candidate's name as on the ballot.")
@click.option("--contest", default=None, help="The contest's id (needed on a ballot with several).")
@click.option("--reason", required=True, help="Why they withdrew (it goes in the audit log).")
def ballot_withdraw(ballot_id: int, candidate: str, contest: str | None, reason: str) -> None:
    """Withdraw a candidate after the papers are out; the count excludes them.

    Refused, with the reasons, once the ballot has closed, for someone not a
    candidate in that contest, for one already withdrawn, or when fewer
    candidates than seats would be left. Asked again with the same reason, it
    says so and changes nothing.
    """
    if not reason.strip():
        raise click.UsageError("--reason must say why (it goes in the audit log)")
    with cluster() as rpc:
        echo_json(rpc.tally.withdraw_candidate(ballot_id, candidate, contest, reason, cli_actor()))


@ballot.command("show")
@click.argument("ballot_id", type=int)
def ballot_show(ballot_id: int) -> None:
    with cluster() as rpc:
        echo_json(rpc.registration.get_ballot(ballot_id))


@click.group()
def extract() -> None:
    """Membership extracts."""


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _extract_id(name: str, ballot_id: int) -> str:
    """The extract's id: the file's (or its manifest's) name, in this ballot (64 characters at most)."""
    suffix = f"-b{ballot_id}"
    return name[: 64 - len(suffix)] + suffix


def _manifest(path: Path, sha: str, rows: int) -> tuple[str | None, str | None, int | None, str]:
    """The manifest beside ``path``: (extract name, source, declared rows, refusal), Nones if absent."""
    manifest_path = path.with_name(path.name + ".manifest.json")
    if not manifest_path.exists():
        return None, None, None, ""
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8-sig"))
        declared = int(manifest["row_count"])
        name = str(manifest.get("extract_id") or "") or None
        source = str(manifest.get("source") or "") or None
    except (ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        return None, None, None, f"the manifest {manifest_path.name} cannot be read: {exc!r}"
    if manifest.get("sha256") and str(manifest["sha256"]).lower() != sha:
        return (
            name,
            source,
            declared,
            (f"the file's SHA-256 {sha} differs from the manifest's {manifest['sha256']}"),
        )
    if declared != rows:
        return (
            name,
            source,
            declared,
            f"the manifest declares {declared} rows but the file holds {rows}",
        )
    return name, source, declared, ""


def _wire(record: Record) -> dict[str, Any]:
    """What registration receives of one record (``add_extract_rows``)."""
    return {
        "line": record.line,
        "values": [record.values.get(c, "") for c in EXTRACT_FIELDS],
        "extra": record.extra,
        "raw": record.raw,
        "problems": record.problems,
    }


def _chunks(export: Export, size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for record in export.records():
        batch.append(_wire(record))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def import_extract(
    rpc: Any,
    path: Path,
    ballot_id: int,
    *,
    source: str = "membership-system",
    chunk_size: int = 250,
    sheet: str | None = None,
    progress: Callable[[int], None] = lambda n: None,
    described: Callable[[str], None] = lambda line: None,
) -> dict[str, Any]:
    """Send an extract file to registration in chunks; return its summary.

    A file intake refuses is recorded as a refused extract (its summary says
    why in one line), under an id of its own so that reading the same file
    again another way (``sheet``) is not taken for a re-import;
    ``described`` is told how the file was read.
    """
    try:
        export = open_export(
            path, required=EXTRACT_COLUMNS, optional=EXTRACT_OPTIONAL_COLUMNS, sheet=sheet
        )
    except Refused as exc:
        sha = file_sha256(path)
        return rpc.registration.begin_extract(
            ballot_id=ballot_id,
            extract_id=_extract_id(f"{path.stem}-{sha[:12]}-refused", ballot_id),
            source=source,
            file_name=path.name,
            header=[],
            declared_rows=None,
            sha256=sha,
            refusal=str(exc),
        )
    described(export.describe())
    rows = export.count()
    name, given_source, declared, refusal = _manifest(path, export.sha256, rows)
    extract_id = _extract_id(name or f"{path.stem}-{export.sha256[:12]}", ballot_id)
    summary = rpc.registration.begin_extract(
        ballot_id=ballot_id,
        extract_id=extract_id,
        source=given_source or source,
        file_name=path.name,
        header=list(export.header),
        declared_rows=declared if declared is not None else rows,
        sha256=export.sha256,
        refusal=refusal,
        read_as={**export.summary(), "described": export.describe()},
    )
    if summary["status"] != "receiving":
        return summary
    chunks = sent = 0
    for chunks, records in enumerate(_chunks(export, chunk_size), start=1):
        rpc.registration.add_extract_rows(extract_id, chunks - 1, records[0]["line"], records)
        sent += len(records)
        progress(sent)
    return rpc.registration.finish_extract(extract_id, chunks)


def _import_failure(exc: Exception) -> click.ClickException:
    """One line for a failure no check foresaw: never a traceback from the import command."""
    what = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
    return click.ClickException(
        f"the import stopped unexpectedly ({what}); nothing more was sent: "
        "report this to the operations team with the file"
    )


@extract.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--ballot", "ballot_id", type=int, required=True)
@click.option("--source", default="membership-system", show_default=True)
@click.option("--chunk-size", default=250, show_default=True)
@click.option(
    "--sheet", default=None, help="The worksheet of an .xlsx workbook (default: the first)."
)
def extract_import(
    file: Path, ballot_id: int, source: str, chunk_size: int, sheet: str | None
) -> None:
    """Import a membership extract FILE (with FILE.manifest.json if present) into a ballot.

    CSV (UTF-8, Windows-1252; comma, semicolon or tab separated) or .xlsx.
    Every row ends up accepted, rejected (kept with its reasons) or a
    duplicate (kept, with where it was first seen). Importing the same file
    into the same ballot again shows what it did the first time. Exits
    non-zero if the extract was refused or does not balance.
    """
    try:
        with cluster(timeout=120) as rpc:
            summary = import_extract(
                rpc,
                file,
                ballot_id,
                source=source,
                chunk_size=chunk_size,
                sheet=sheet,
                progress=lambda n: click.echo(f"\r{n} rows sent", nl=False, err=True),
                described=lambda line: click.echo(f"{file.name}: {line}", err=True),
            )
    except click.ClickException:
        raise
    except Exception as exc:  # noqa: BLE001 - the command's promise: one line, never a traceback
        raise _import_failure(exc) from None
    click.echo("", err=True)
    if summary.get("already_imported"):
        click.echo(
            f"{file.name} was already imported into ballot {ballot_id} as extract "
            f"{summary['extract_id']}: nothing imported again; its summary follows",
            err=True,
        )
    if summary["status"] == "refused":
        raise click.ClickException(f"{file.name} was refused: {summary['refusal']}")
    echo_json(summary)
    if summary["status"] != "complete" or not summary["balanced"]:
        sys.exit(1)


def _since_corrected(extract: dict[str, Any]) -> str:
    corrected = extract.get("corrected") or 0
    return f" ({corrected} since corrected)" if corrected else ""


def print_reconciliation(report: dict[str, Any]) -> None:
    click.echo(f"Ballot {report['ballot_id']} ({report['phase']})")
    for e in report["extracts"]:
        mark = "balances" if e["balanced"] else "DOES NOT BALANCE"
        click.echo(
            f"  extract {e['extract_id']} [{e['status']}]: declared {e['declared']} = accepted {e['accepted']}"
            f" + rejected {e['rejected']}{_since_corrected(e)} + duplicates {e['duplicates']}  ({mark})"
        )
        if e["refusal"]:
            click.echo(f"    refused: {e['refusal']}")
    click.echo(f"  accepted members: {report['accepted']}; in the ledger: {report['in_ledger']}")
    for state, n in report["ledger"].items():
        click.echo(f"    {state:<15} {n:>8}  {report['state_meanings'].get(state, '')}")
    click.echo(f"  in flight: {report['in_flight']}")
    click.echo(f"  unaccounted: {report['unaccounted']}")
    for m in report["unaccounted_members"]:
        click.echo(f"    {m['membership_number']} ({m['association']})")
    if report["unaccounted_list_truncated"]:
        click.echo("    ... list cut at 1000")
    click.echo(f"  not reached: {report['not_reached']}")
    for m in report["not_reached_members"]:
        click.echo(f"    {m['membership_number']} ({m['association']}): {m['reason']}")
    if report["not_reached_list_truncated"]:
        click.echo("    ... list cut")
    replaced = report["replacements"]
    click.echo(f"  replacement codes sent: {replaced['reissued']}")
    for source, outcomes in sorted(replaced["by_source"].items()):
        shown = ", ".join(f"{outcome} {n}" for outcome, n in sorted(outcomes.items()))
        click.echo(f"    asked by {source}: {shown}")
    reminders = report.get("reminders", {})
    if reminders is None:
        click.echo("  reminders: the mailer did not answer")
    elif reminders:
        total = ", ".join(f"{n} {what}" for what, n in sorted(reminders["total"].items()))
        click.echo(f"  reminders (whole ballot): {total or 'none yet'}")
        for slot, outcomes in reminders["slots"].items():
            click.echo(f"    {slot}: {', '.join(f'{n} {w}' for w, n in sorted(outcomes.items()))}")


def _reminders(ballot_id: int) -> dict[str, Any] | None:
    """The ballot's reminders by outcome, from the mailer (which keeps them and knows no
    associations); None if the mailer does not answer: the roll's figures stand without them."""
    from nameko.exceptions import RpcTimeout, UnknownService

    try:
        with cluster(timeout=10.0) as rpc:
            return dict(rpc.mailer.get_reminders(ballot_id))
    except (RpcTimeout, UnknownService):
        return None


@click.command()
@click.option("--ballot", "ballot_id", type=int, required=True)
@click.option("--association", default=None)
@click.option("--json", "as_json", is_flag=True)
def reconcile(ballot_id: int, association: str | None, as_json: bool) -> None:
    """Count every member in each ledger state; exit non-zero if any is unaccounted for."""
    with cluster() as rpc:
        report = rpc.registration.reconcile(ballot_id, association)
    report["reminders"] = _reminders(ballot_id)
    if as_json:
        echo_json(report)
    else:
        print_reconciliation(report)
    if report["unaccounted"] or not report["balanced"]:
        sys.exit(1)


extract.add_command(extract_rejected)
extract.add_command(extract_correct)
extract.add_command(extract_resolve)
