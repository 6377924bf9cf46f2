"""``rollcall match`` (members against a register, from files) and ``rollcall synth``.

Both run the matching service's pure code in-process; neither needs a broker or
a database. Progress goes to stderr, so stdout stays clean for a summary.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _input_file(flag: str, text: str) -> Any:
    """A required option naming a file that must exist."""
    return click.option(
        flag, required=True, type=click.Path(exists=True, dir_okay=False), help=text
    )


@click.command()
@_input_file("--register", "Electoral register CSV.")
@_input_file("--members", "Membership extract CSV.")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False),
    help="Where to write the match decisions CSV.",
)
@click.option(
    "--evidence",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write every decision's evidence (JSON lines).",
)
@click.option(
    "--chunk",
    type=click.IntRange(1),
    default=2000,
    show_default=True,
    help="Members matched per chunk.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Processes to match with; the register is split between them by postcode "
    "district [default: the usable CPUs, at most 4].",
)
def match(
    register: str, members: str, out: str, evidence: str | None, chunk: int, workers: int | None
) -> None:
    """Match members to electors; write membership_number, decision, elector_id, score, reasons."""
    from services.matching.batch.files import match_files

    try:
        run = match_files(
            register, members, out, chunk=chunk, evidence=evidence, progress=_progress,
            workers=workers,
        )  # fmt: skip
    except (OSError, ValueError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc
    for line, reason in run.register_refused[:20]:
        click.echo(f"register line {line} refused: {reason}", err=True)
    summary = {
        "members": run.members,
        "electors": run.electors,
        "register_rows_refused": len(run.register_refused),
        **{d: run.counts.get(d, 0) for d in ("match", "review", "no_match")},
        "seconds": round(run.seconds_loading + run.seconds_matching, 1),
        "workers": run.workers,
        "worker_cpu_seconds": run.worker_cpu_seconds,
        "worker_phases": run.worker_phases,
        "shared_candidates": run.shared_candidates,
        "contested_to_review": run.contested,
        "out": out,
    }
    click.echo(json.dumps(summary))


@click.command()
@click.option("--electors", type=click.IntRange(1), required=True, help="Electors on the register.")
@click.option("--members", type=click.IntRange(0), required=True, help="Members in the extract.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False),
    help="Directory for register.csv, members.csv and truth.csv.",
)
@click.option(
    "--wards", default=None, help="Comma-separated ward names (default: built-in London wards)."
)
def synth(electors: int, members: int, seed: int, out: str, wards: str | None) -> None:
    """Generate a synthetic register, a damaged extract and the ground truth."""
    from rollcall_tools.synth import generate

    ward_list = [w.strip() for w in wards.split(",") if w.strip()] if wards else None
    paths = generate(electors, members, seed, ward_list).write_csv(Path(out))
    for name, path in paths.items():
        click.echo(f"{name}: {path}", err=True)
    json.dump({name: str(path) for name, path in paths.items()}, sys.stdout)
    click.echo()
