"""``rollcall count``: count ballot files offline with the tally's counting core.

Reads each FILE (PrefLib ``.soi``/``.toi``/``.soc``/``.toc`` or BLT, in any of
the published styles ``services.tally.ballotfiles`` accepts), counts it by
``--method`` and prints a one-line summary, a stage table (``--table``), one
JSON object per line (``--json``) and/or a PNG chart per file (``--chart
DIR``). Seats default to the BLT header's, else 1 (IRV always fills one).
From a ranked file, FPTP takes each ballot's first ``seats`` preferences as
its X's and approval takes every ranked candidate as approved.

Where the file gives candidates' parties, the summary, the table and the chart
show ``Name (Party)`` and the JSON adds ``parties``; the names counted are the
names alone.

A bulletin board (``.json``, as ``GET /api/ballots/N/bulletin`` gives it) is
counted contest by contest, each by its own method and seats
(``rollcall_cli.count_board``); ``--contest ID`` picks one.

A file that cannot be read or counted is reported on stderr as one line,
``error: FILE:LINE:COLUMN: problem (expected ...)`` (or ``error: FILE:
problem``), never a traceback; the remaining files are still counted and the
command exits 1. See docs/counting.md for the rules.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from rollcall_cli.count_board import BoardError, count_board, is_board, read_board
from services.tally.ballotfiles import BallotFileError, ElectionFile, read_election
from services.tally.counting import (
    METHODS,
    CountingError,
    CountResult,
    count_ballots,
    count_rows,
)
from services.tally.counting.model import RON_NOTE, relabel


def _count(election: ElectionFile, method: str, seats: int, seed: str) -> CountResult:
    if election.fractional:
        raise CountingError(
            "the file gives fractional ballot weights; "
            f"{method} counts whole ballots (expected whole-number weights)"
        )
    if method == "fptp":
        ballots = [(choices[:seats], int(weight)) for choices, weight in election.ballots]
        return count_ballots(method, election.candidates, ballots, seats=seats, seed=seed)
    return count_rows(
        method, election.candidates, election.prefs, election.weights, seats=seats, seed=seed
    )


def _json_line(path: Path, election: ElectionFile, result: CountResult) -> str:
    out: dict[str, Any] = {"file": str(path), "title": election.title}
    out.update(result.to_dict())
    out["overvotes"] = int(election.overvotes)
    out["withdrawn"] = list(election.withdrawn)
    if election.parties:
        out["parties"] = dict(election.parties)
    return json.dumps(out, ensure_ascii=False)


def _summary(path: Path, result: CountResult) -> str:
    winners = "; ".join(result.winners) or "nobody"
    lots = sum(1 for tie in result.ties if tie.method == "lot")
    extra = f" ({lots} tie(s) decided by lot)" if lots else ""
    if result.ron_elected:
        extra += f"; {RON_NOTE}"
    return f"{path}: {result.method}, {result.seats} seat(s): {winners}{extra}"


def _count_board(
    path: Path, contest: str | None, as_json: bool, table: bool, chart: Path | None
) -> bool:
    """Count a bulletin board's contests (``rollcall_cli.count_board``); False if it could not."""
    try:
        board = read_board(path)
        counted = list(count_board(path, board, contest))
    except BoardError as err:
        click.echo(f"error: {err}", err=True)
        return False
    title = str(board["ballot"].get("title", ""))
    for each, result in counted:
        heading = f"{title}: {each['title']}" if each["title"] != title else title
        if as_json:
            out = {"file": str(path), "contest": each["id"], "title": heading, **result.to_dict()}
            click.echo(json.dumps(out, ensure_ascii=False))
        else:
            click.echo(_summary(Path(f"{path} [{each['id']}]"), result))
        if table:
            from services.tally.rendering import stage_table

            click.echo(stage_table(result, heading), err=as_json)
        if chart is not None:
            from services.tally.rendering import stage_chart

            written = stage_chart(result, chart / f"{path.stem}-{each['id']}.png", heading)
            click.echo(f"chart: {written}", err=True)
    return True


@click.command("count")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--method",
    type=click.Choice(METHODS),
    default=None,
    help="Counting rule (required for ballot files; a board's contests use their own).",
)
@click.option(
    "--contest", default=None, help="Of a bulletin board, count only this contest (its id)."
)
@click.option(
    "--seats",
    type=click.IntRange(min=1),
    default=None,
    help="Seats to fill [default: the BLT header's, else 1].",
)
@click.option("--seed", default="", help="Seed for drawing lots, published before the count.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per file.")
@click.option("--table", is_flag=True, help="Print the stage table (to stderr with --json).")
@click.option(
    "--chart",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write a PNG of the stages per file into this directory.",
)
def count(
    files: tuple[Path, ...],
    method: str | None,
    contest: str | None,
    seats: int | None,
    seed: str,
    as_json: bool,
    table: bool,
    chart: Path | None,
) -> None:
    """Count ballot FILEs (PrefLib .soi/.toi/.soc or BLT) or bulletin boards (.json, every
    contest by its own method) and report the winners."""
    failed = False
    for path in files:
        if is_board(path):
            failed = not _count_board(path, contest, as_json, table, chart) or failed
            continue
        if method is None:
            click.echo(f"error: {path}: give --method to count a ballot file", err=True)
            failed = True
            continue
        try:
            election = read_election(path)
            wanted = seats or (1 if method == "irv" else election.seats or 1)
            result = _count(election, method, wanted, seed)
        except BallotFileError as err:
            click.echo(f"error: {err}", err=True)
            failed = True
            continue
        except CountingError as err:
            click.echo(f"error: {path}: {err}", err=True)
            failed = True
            continue
        if not seed and any(tie.method == "lot" for tie in result.ties):
            click.echo(
                f"warning: {path}: a lot was drawn with an empty seed; "
                "publish a seed before the count and pass --seed",
                err=True,
            )
        shown = relabel(result, {name: election.label(name) for name in election.parties})
        if as_json:
            click.echo(_json_line(path, election, result))
        else:
            click.echo(_summary(path, shown))
        if table:
            from services.tally.rendering import stage_table

            click.echo(stage_table(shown, election.title or path.name), err=as_json)
        if chart is not None:
            from services.tally.rendering import stage_chart

            written = stage_chart(shown, chart / f"{path.stem}-{method}.png", election.title)
            click.echo(f"chart: {written}", err=True)
    if failed:
        sys.exit(1)
