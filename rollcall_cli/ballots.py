"""Ballot, extract and reconciliation commands (clients of the registration service)."""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import yaml

from rollcall_cli.common import cluster, echo_json


@click.group()
def ballot() -> None:
    """Ballots: create, open, close, show."""


@ballot.command("create")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def ballot_create(file: Path) -> None:
    """Create a ballot from a YAML or JSON definition FILE."""
    try:
        definition = yaml.safe_load(file.read_text())
    except yaml.YAMLError as exc:
        raise click.ClickException(f"{file}: not valid YAML/JSON: {exc}") from None
    with cluster() as rpc:
        created = rpc.registration.create_ballot(definition, actor="cli")
    echo_json(created)


def _phase(ballot_id: int, phase: str, reason: str) -> None:
    with cluster() as rpc:
        echo_json(rpc.registration.change_phase(ballot_id, phase, actor="cli", reason=reason))


@ballot.command("open")
@click.argument("ballot_id", type=int)
@click.option("--reason", default="")
def ballot_open(ballot_id: int, reason: str) -> None:
    """Open a ballot for voting."""
    _phase(ballot_id, "open", reason)


@ballot.command("close")
@click.argument("ballot_id", type=int)
@click.option("--reason", default="")
def ballot_close(ballot_id: int, reason: str) -> None:
    """Close a ballot; the tally then counts it and writes the bulletin board."""
    _phase(ballot_id, "closed", reason)


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


def read_records(
    path: Path, chunk_size: int
) -> tuple[list[str], Iterator[tuple[int, list[list[str]]]]]:
    """The header, and chunks of (first line number, records)."""
    f = path.open(newline="", encoding="utf-8-sig")
    reader = csv.reader(f)
    try:
        header = next(reader)
    except StopIteration:
        f.close()
        raise click.ClickException(f"{path} is empty: not even a header row") from None

    def chunks() -> Iterator[tuple[int, list[list[str]]]]:
        with f:
            batch: list[list[str]] = []
            first = start = reader.line_num + 1
            for record in reader:
                if not batch:
                    first = start
                batch.append(record)
                start = reader.line_num + 1
                if len(batch) >= chunk_size:
                    yield first, batch
                    batch = []
            if batch:
                yield first, batch

    return header, chunks()


def count_records(path: Path) -> int:
    with path.open(newline="", encoding="utf-8-sig") as f:
        return max(sum(1 for _ in csv.reader(f)) - 1, 0)


def import_extract(
    rpc: Any,
    path: Path,
    ballot_id: int,
    *,
    source: str = "membership-system",
    chunk_size: int = 250,
    progress: Callable[[int], None] = lambda n: None,
) -> dict[str, Any]:
    """Send an extract file to registration in chunks; return its summary."""
    sha = file_sha256(path)
    rows = count_records(path)
    manifest_path = path.with_name(path.name + ".manifest.json")
    refusal, declared, extract_id = "", None, f"{path.stem}-{sha[:12]}"
    if manifest_path.exists():
        try:
            manifest = json.loads(manifest_path.read_text())
            extract_id = str(manifest.get("extract_id") or extract_id)
            source = str(manifest.get("source") or source)
            declared = int(manifest["row_count"])
            if manifest.get("sha256") and manifest["sha256"].lower() != sha:
                refusal = (
                    f"the file's SHA-256 {sha} differs from the manifest's {manifest['sha256']}"
                )
            elif declared != rows:
                refusal = f"the manifest declares {declared} rows but the file holds {rows}"
        except (ValueError, KeyError, TypeError) as exc:
            refusal = f"the manifest {manifest_path.name} cannot be read: {exc!r}"
    header, chunks = read_records(path, chunk_size)
    summary = rpc.registration.begin_extract(
        ballot_id=ballot_id,
        extract_id=extract_id,
        source=source,
        file_name=path.name,
        header=header,
        declared_rows=declared if declared is not None else rows,
        sha256=sha,
        refusal=refusal,
    )
    if summary["status"] != "receiving":
        return summary
    n = 0
    sent = 0
    for n, (first_line, records) in enumerate(chunks):
        rpc.registration.add_extract_rows(extract_id, n, first_line, records)
        sent += len(records)
        progress(sent)
    return rpc.registration.finish_extract(extract_id, n + 1 if sent else 0)


@extract.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--ballot", "ballot_id", type=int, required=True)
@click.option("--source", default="membership-system", show_default=True)
@click.option("--chunk-size", default=250, show_default=True)
def extract_import(file: Path, ballot_id: int, source: str, chunk_size: int) -> None:
    """Import a membership extract FILE (with FILE.manifest.json if present) into a ballot.

    Every row ends up accepted, rejected (kept with its reasons) or a
    duplicate (kept, with where it was first seen). Exits non-zero if the
    extract was refused or does not balance.
    """
    with cluster(timeout=120) as rpc:
        summary = import_extract(
            rpc,
            file,
            ballot_id,
            source=source,
            chunk_size=chunk_size,
            progress=lambda n: click.echo(f"\r{n} rows sent", nl=False, err=True),
        )
    click.echo("", err=True)
    echo_json(summary)
    if summary["status"] != "complete" or not summary["balanced"]:
        sys.exit(1)


def print_reconciliation(report: dict[str, Any]) -> None:
    click.echo(f"Ballot {report['ballot_id']} ({report['phase']})")
    for e in report["extracts"]:
        mark = "balances" if e["balanced"] else "DOES NOT BALANCE"
        click.echo(
            f"  extract {e['extract_id']} [{e['status']}]: declared {e['declared']} = accepted {e['accepted']}"
            f" + rejected {e['rejected']} + duplicates {e['duplicates']}  ({mark})"
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


@click.command()
@click.option("--ballot", "ballot_id", type=int, required=True)
@click.option("--association", default=None)
@click.option("--json", "as_json", is_flag=True)
def reconcile(ballot_id: int, association: str | None, as_json: bool) -> None:
    """Count every member in each ledger state; exit non-zero if any is unaccounted for."""
    with cluster() as rpc:
        report = rpc.registration.reconcile(ballot_id, association)
    if as_json:
        echo_json(report)
    else:
        print_reconciliation(report)
    if report["unaccounted"] or not report["balanced"]:
        sys.exit(1)
