"""``rollcall verify``: recount a bulletin board and check it was not altered."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click


def _winners(board: dict[str, Any]) -> str:
    """The winners recounted: a list, or on a ballot with contests each contest's in turn."""
    if "contests" not in board:
        return ", ".join(board["counts"]["winners"])
    return "; ".join(
        f"{c['id']}: {', '.join(c['counts']['winners']) or 'nobody'}" for c in board["contests"]
    )


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option(
    "--key-fingerprint",
    default=None,
    help="The ballot key's fingerprint published before the count (GET /api/ballots/ID/key).",
)
@click.option("--no-certificate", is_flag=True, help="Do not require a signed certificate.")
def verify(file: Path, as_json: bool, key_fingerprint: str | None, no_certificate: bool) -> None:
    """Check a bulletin board FILE: its SHA-256, its paper count, and a full recount.

    Exits 0 only if the checksum matches, no receipt repeats, the papers
    number what the turnout says, recounting the papers reproduces the
    published winners and every stage (of every contest, on a ballot with
    several), and the certificate is signed by the
    ballot's key (the one given with --key-fingerprint, when given) and states
    exactly what the board holds.
    """
    from services.tally import bulletin, certificate

    try:
        board = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"{file}: cannot read a bulletin board: {exc}") from None
    if not isinstance(board, dict):
        raise click.ClickException(f"{file}: a bulletin board is a JSON object")
    problems = bulletin.check(board)
    if not no_certificate or key_fingerprint:
        problems += certificate.check(board, key_fingerprint)
    if as_json:
        click.echo(json.dumps({"file": str(file), "ok": not problems, "problems": problems}))
    else:
        for p in problems:
            click.echo(f"FAIL: {p}")
        if not problems:
            click.echo(
                f"OK: {len(board['ballots'])} papers, checksum {board['sha256']}, "
                f"recount reproduces winners {_winners(board)}"
                + (
                    ""
                    if no_certificate
                    else f"; certificate signed by key {board['key']['fingerprint']}"
                )
            )
    sys.exit(1 if problems else 0)
