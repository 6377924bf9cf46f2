"""``rollcall verify``: recount a bulletin board and check it was not altered; check a report.

``rollcall verify BOARD`` recounts and checks a bulletin board;
``rollcall verify --report report-N.json`` checks a scrutineer's report
(``services.tally.report``): its checksum and the ballot key's signature.
Given both, the report must also name that board's checksum and key.
Every problem is one line; the command exits 1 if there is any.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click


def _read(path: Path, what: str) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"{path}: cannot read {what}: {exc}") from None
    if not isinstance(loaded, dict):
        raise click.ClickException(f"{path}: {what} is a JSON object")
    return loaded


def _board_problems(
    board: dict[str, Any], key_fingerprint: str | None, no_certificate: bool
) -> list[str]:
    from services.tally import bulletin, certificate

    problems = bulletin.check(board)
    if not no_certificate or key_fingerprint:
        problems += certificate.check(board, key_fingerprint)
    return problems


def _report_problems(
    report: dict[str, Any], key_fingerprint: str | None, board: dict[str, Any] | None
) -> list[str]:
    from services.tally import report as reports

    problems = [f"report: {p}" for p in reports.check(report, key_fingerprint)]
    if board is not None and not problems:
        named = report.get("bulletin")
        if not isinstance(named, dict) or named.get("sha256") != board.get("sha256"):
            problems.append("report: it names another bulletin board (the checksums differ)")
        board_key = board.get("key")
        if not isinstance(board_key, dict) or report["key"]["fingerprint"] != board_key.get(
            "fingerprint"
        ):
            problems.append("report: it is signed by another key than the board's")
    return problems


def _winners(board: dict[str, Any]) -> str:
    """The winners recounted: a list, or on a ballot with contests each contest's in turn."""
    if "contests" not in board:
        return ", ".join(board["counts"]["winners"])
    return "; ".join(
        f"{c['id']}: {', '.join(c['counts']['winners']) or 'nobody'}" for c in board["contests"]
    )


@click.command()
@click.argument(
    "file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--report",
    "report_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A scrutineer's report (rollcall report) whose signature to check.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option(
    "--key-fingerprint",
    default=None,
    help="The ballot key's fingerprint published before the count (GET /api/ballots/ID/key).",
)
@click.option("--no-certificate", is_flag=True, help="Do not require a signed certificate.")
def verify(
    file: Path | None,
    report_file: Path | None,
    as_json: bool,
    key_fingerprint: str | None,
    no_certificate: bool,
) -> None:
    """Check a bulletin board FILE: its SHA-256, its paper count, and a full recount.

    Exits 0 only if the checksum matches, no receipt repeats, the papers
    number what the turnout says, recounting the papers reproduces the
    published winners and every stage (of every contest, on a ballot with
    several), and the certificate is signed by the
    ballot's key (the one given with --key-fingerprint, when given) and states
    exactly what the board holds.

    With --report, checks a scrutineer's report: its SHA-256 and its
    signature by the ballot's key (and, with FILE, that it names that board).
    """
    if file is None and report_file is None:
        raise click.UsageError("give a bulletin board FILE, --report REPORT, or both")
    board = _read(file, "a bulletin board") if file is not None else None
    report = _read(report_file, "a report") if report_file is not None else None
    problems = [] if board is None else _board_problems(board, key_fingerprint, no_certificate)
    if report is not None:
        problems += _report_problems(report, key_fingerprint, board)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "file": None if file is None else str(file),
                    "report": None if report_file is None else str(report_file),
                    "ok": not problems,
                    "problems": problems,
                }
            )
        )
    else:
        for p in problems:
            click.echo(f"FAIL: {p}")
        if not problems and board is not None:
            click.echo(
                f"OK: {len(board['ballots'])} papers, checksum {board['sha256']}, "
                f"recount reproduces winners {_winners(board)}"
                + (
                    ""
                    if no_certificate
                    else f"; certificate signed by key {board['key']['fingerprint']}"
                )
            )
        if not problems and report is not None:
            click.echo(
                f"OK: report {report_file}, checksum {report['sha256']}, "
                f"signed by key {report['key']['fingerprint']}"
            )
    sys.exit(1 if problems else 0)
