"""``rollcall report``: write the scrutineer's report of a counted ballot, as JSON and PDF.

Gathers the figures from the running services over RPC
(``gateway.reports.gather``, as the gateway's ``GET /api/ballots/{id}/report``
does), has the tally add the count and sign it with the ballot's key, and
writes ``report-N.json`` and ``report-N.pdf`` (rendered from that JSON) into
``--out``. ``rollcall verify --report report-N.json`` checks it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from rollcall_cli.common import cluster


def make_report(rpc: Any, ballot_id: int) -> dict[str, Any]:
    """The ballot's signed report, gathered from the services behind ``rpc``."""
    from gateway.reports import gather

    def call(service: str, method: str, *args: Any) -> Any:
        return getattr(getattr(rpc, service), method)(*args)

    call("tally", "get_result", ballot_id)  # a ballot not yet counted: refused before the rest
    made: dict[str, Any] = rpc.tally.make_report(ballot_id, gather(call, ballot_id))["report"]
    return made


def write_report(report: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """Write ``report`` and its PDF into ``out``: (JSON path, PDF path)."""
    from services.tally.report_pdf import render

    ballot_id = report["ballot"]["ballot_id"]
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / f"report-{ballot_id}.json"
    pdf_path = out / f"report-{ballot_id}.pdf"
    pdf = render(report)  # first: a report that cannot be rendered leaves no file behind
    _atomically(
        json_path, json.dumps(report, indent=1, sort_keys=True, ensure_ascii=False).encode()
    )
    _atomically(pdf_path, pdf)
    return json_path, pdf_path


def _atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


@click.command("report")
@click.option("--ballot", "ballot_id", type=int, required=True, help="The counted ballot.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Directory to write report-N.json and report-N.pdf into.",
)
def report(ballot_id: int, out: Path) -> None:
    """Write the scrutineer's report of ballot N (JSON, signed with its key, and PDF)."""
    from nameko.exceptions import RpcTimeout, UnknownService

    try:
        with cluster() as rpc:
            made = make_report(rpc, ballot_id)
    except UnknownService as exc:
        raise click.ClickException(
            f"cannot make the report: the {exc._service_name} service is not running"
        ) from None
    except RpcTimeout:
        raise click.ClickException(
            "cannot make the report: a service did not answer in time"
        ) from None
    try:
        json_path, pdf_path = write_report(made, out)
    except OSError as exc:
        raise click.ClickException(f"cannot write the report into {out}: {exc}") from None
    click.echo(f"{json_path}: SHA-256 {made['sha256']}, signed by key {made['key']['fingerprint']}")
    click.echo(f"{pdf_path}")
