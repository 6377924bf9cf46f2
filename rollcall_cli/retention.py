"""``rollcall retention``: when each ballot's personal data falls due, and erasing it.

``show`` lists every ballot with its retention date (``retention_days`` after the result,
held while a complaint is open), whether it is due, and what each service still holds of
it. ``run`` erases the ballots that are due (or one, ``--ballot``): registration erases its
part and announces ``ballot.erasure_due``, every other service erases its own and audits
it, and ``run`` waits until each says so (docs/retention.md).
"""

from __future__ import annotations

import time
from typing import Any

import click

from rollcall_cli.common import cli_actor, cluster, echo_json

#: The services that hold a ballot's data and answer ``get_retention`` (the gateway holds
#: none of its members' personal data: docs/retention.md).
HOLDERS = ("registration", "matching", "codes", "mailer", "tally")


@click.group()
def retention() -> None:
    """Retention dates of ballots' personal data; erasing it when due."""


#: How long ``show`` and ``run`` wait for one service's answer before calling it down.
ANSWER_TIMEOUT = 10.0


def _services(rpc: Any, ballot_id: int) -> dict[str, dict[str, Any]]:
    """Each service's holdings of the ballot; a service that does not answer says so."""
    from nameko.exceptions import RpcTimeout, UnknownService

    states: dict[str, dict[str, Any]] = {}
    for name in HOLDERS:
        try:
            states[name] = getattr(rpc, name).get_retention(ballot_id)
        except (UnknownService, RpcTimeout):
            states[name] = {"service": name, "erased_at": None, "holds": {}, "answered": False}
    return states


def _held(holds: dict[str, int]) -> str:
    found = [f"{n} {what.replace('_', ' ')}" for what, n in sorted(holds.items()) if n]
    return ", ".join(found) or "nothing personal"


@retention.command("show")
@click.option("--ballot", "ballot_id", type=int, default=None, help="Only this ballot.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
def show(ballot_id: int | None, as_json: bool) -> None:
    """Each ballot's retention date, whether it is due, and what each service holds."""
    with cluster(timeout=ANSWER_TIMEOUT) as rpc:
        ballots = [
            b
            for b in rpc.registration.list_retention()
            if ballot_id is None or b["ballot_id"] == ballot_id
        ]
        if ballot_id is not None and not ballots:
            raise click.ClickException(f"there is no ballot {ballot_id}")
        for b in ballots:
            b["services"] = _services(rpc, b["ballot_id"])
    if as_json:
        echo_json(ballots)
        return
    for b in ballots:
        if b["erased_at"]:
            state = f"erased {b['erased_at'][:16]}"
        elif b["is_due"]:
            state = "DUE"
        else:
            state = "held: " + "; ".join(b["held_because"])
        date = (b["retention_date"] or "none yet")[:10]
        click.echo(f"ballot {b['ballot_id']}  {b['title']}  ({b['phase']})")
        click.echo(f"  retention date {date}  {state}")
        for name, s in b["services"].items():
            if s.get("answered") is False:
                click.echo(f"  {name:<13}not answering (is it running?)")
                continue
            erased = f"  (erased {s['erased_at'][:16]})" if s["erased_at"] else ""
            click.echo(f"  {name:<13}{_held(s['holds'])}{erased}")


def _wait_for_every_service(rpc: Any, ballot_id: int, timeout: float) -> list[str]:
    """Wait until every service recorded its erasure; return those that did not in time."""
    deadline = time.monotonic() + timeout
    while True:
        states = _services(rpc, ballot_id)
        late = [name for name, s in states.items() if not s["erased_at"]]
        if not late or time.monotonic() > deadline:
            return late
        time.sleep(0.5)


@retention.command("run")
@click.option("--ballot", "ballot_id", type=int, default=None, help="Only this ballot.")
@click.option("--dry-run", is_flag=True, help="Say what would be erased; erase nothing.")
@click.option("--reason", default="", help="Why (audited); needed with --force.")
@click.option(
    "--force",
    is_flag=True,
    help="Erase a ballot before its retention date (needs --ballot and a --reason; audited). "
    "Never overrides an open complaint or a ballot without a result.",
)
@click.option("--wait", default=120.0, show_default=True, help="Seconds to wait for every service.")
def run(ballot_id: int | None, dry_run: bool, reason: str, force: bool, wait: float) -> None:
    """Erase the personal data of every ballot that is due (or of --ballot N)."""
    if force and ballot_id is None:
        raise click.UsageError("--force erases one ballot: name it with --ballot")
    if force and not reason.strip():
        raise click.UsageError("--force needs --reason saying why (it goes in the audit log)")
    reason = reason.strip() or "retention date passed"
    actor = cli_actor()
    failed = False
    with cluster(timeout=max(wait, 60.0)) as rpc:
        if ballot_id is None:
            chosen = [b["ballot_id"] for b in rpc.registration.list_retention() if b["is_due"]]
            if not chosen:
                click.echo("no ballot is due for erasure")
        else:
            chosen = [ballot_id]
        for number in chosen:
            done = rpc.registration.erase_ballot(
                number, actor, reason, force=force, dry_run=dry_run
            )
            if dry_run:
                click.echo(
                    f"ballot {number}: would erase in registration: {_held(done['would_erase'])}"
                )
                for name, s in _services(rpc, number).items():
                    if name != "registration":
                        held = "not answering" if s.get("answered") is False else _held(s["holds"])
                        click.echo(f"  {name:<13}{held}")
                continue
            if "already_erased_at" in done:
                click.echo(f"ballot {number}: already erased at {done['already_erased_at'][:16]}")
            late = _wait_for_every_service(rpc, number, wait)
            for name, s in _services(rpc, number).items():
                if s["erased_at"]:
                    click.echo(f"ballot {number}: {name:<13}erased, holds {_held(s['holds'])}")
            if late:
                failed = True
                click.echo(
                    f"ballot {number}: not yet erased by {', '.join(late)} after {wait:g} s "
                    "(is it running? see `rollcall parked list`); run this again to check",
                    err=True,
                )
    if failed:
        raise SystemExit(1)
