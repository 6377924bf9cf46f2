"""``rollcall demo``: a whole ballot, end to end, on the real broker.

It generates a register and a damaged extract (with bad rows and duplicates),
starts an SMTP sink and every service as its own process, then drives the
ballot through the same doors operators and voters use: the extract by RPC in
chunks, votes over HTTP through the gateway, postal papers by a teller over
HTTP. It checks the conservation equations, that every accepted vote is in
the box and on the marked register, and that the bulletin board verifies; it
writes a JSON report and exits non-zero if any check fails.

With ``--contests 2`` the ballot holds two contests (``rollcall_cli.demo.paper``):
voters mark both on one page or one postal pack, some leave one blank, and
the checks add that the page shows each contest with its statements and that
every contest is recounted and certified.

With ``--mail-faults`` the SMTP sink refuses connections for a stretch,
defers some addresses (4xx), refuses others (5xx) and bounces a share of what
it took with a delivery-status notification to the mailer's bounce endpoint
(``rollcall_cli.demo.sink``). Plain or not, the demo waits for the mail to
settle, checks that every eligible member voted, holds a delivered code or is
shown with a reason an officer can act on, and reports the delivery story
(``rollcall_cli.demo.delivery``).

Each run has its own directory under ``var/demo/`` (SQLite databases unless
``ROLLCALL_DATABASE_URL_<SERVICE>`` names others), its own secrets and its own
broker namespace, deleted from the broker at the end, so runs never see each
other's messages.

``processes`` starts and stops the SMTP sink and the services; ``ballot`` drives
the ballot through them; ``output`` is what both print and read back.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command()
@click.option("--members", default=2000, show_default=True, help="Members in the extract.")
@click.option("--seed", default=11, show_default=True)
@click.option(
    "--method",
    default="fptp",
    show_default=True,
    type=click.Choice(["fptp", "approval", "irv", "stv", "meek"]),
)
@click.option("--seats", default=1, show_default=True)
@click.option(
    "--contests",
    default=1,
    show_default=True,
    type=click.IntRange(1, 2),
    help="2: one ballot of two contests, a selection (STV, 1 seat, RON, candidates' "
    "statements) and a yes/no motion; --method and --seats are then theirs.",
)
@click.option("--turnout", default=0.7, show_default=True, help="Share of voters who vote.")
@click.option(
    "--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None
)
@click.option("--keep", is_flag=True, help="Leave the broker namespace in place afterwards.")
@click.option(
    "--serve",
    is_flag=True,
    help="After the ballot, keep the stack running (printing the gateway URL, the metrics "
    "URLs and an operator token) until Ctrl-C.",
)
@click.option(
    "--chaos",
    type=float,
    default=0.0,
    metavar="SECONDS",
    help="Kill a random service (kill -9) about every SECONDS from the import to the close, "
    "restarting it each time; the checks must still pass and the report lists the kills.",
)
@click.option(
    "--mail-faults",
    is_flag=True,
    help="The SMTP sink misbehaves: an outage, deferrals (4xx), refusals (5xx) and late bounces.",
)
@click.option(
    "--fault-rate",
    default=0.15,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="With --mail-faults: the share of addresses deferred, refused or bounced (a third each).",
)
def demo(
    members: int,
    seed: int,
    method: str,
    seats: int,
    contests: int,
    turnout: float,
    report_path: Path | None,
    keep: bool,
    serve: bool,
    chaos: float,
    mail_faults: bool,
    fault_rate: float,
) -> None:
    """Run a demo ballot of MEMBERS members end to end and check every invariant."""
    from rollcall_cli.common import green

    green()
    from rollcall_cli.demo.processes import DemoRun

    run = DemoRun(
        members=members,
        seed=seed,
        method=method,
        seats=seats,
        contests=contests,
        turnout=turnout,
        keep=keep,
        fault_rate=fault_rate if mail_faults else None,
    )
    ok = run.execute(report_path, serve=serve, chaos=chaos)
    sys.exit(0 if ok else 1)
