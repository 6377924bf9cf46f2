"""Pausing ballots, complaints and pending contact changes (clients of registration)."""

from __future__ import annotations

import click

from rollcall_cli.common import cli_actor, cluster, echo_json

ACTOR = click.option(
    "--actor", default=cli_actor, show_default="your login", help="Who is acting (audited)."
)


@click.group()
def complaint() -> None:
    """Complaint cases: open, add evidence, move, show, list."""


@complaint.command("open")
@click.option("--ballot", "ballot_id", type=int, required=True)
@click.option("--subject", required=True)
@click.option("--days", default=14, show_default=True, help="Deadline, in days from now.")
@ACTOR
def complaint_open(ballot_id: int, subject: str, days: int, actor: str) -> None:
    with cluster() as rpc:
        echo_json(rpc.registration.open_complaint(ballot_id, subject, actor, days))


@complaint.command("evidence")
@click.argument("complaint_id", type=int)
@click.argument("text")
@ACTOR
def complaint_evidence(complaint_id: int, text: str, actor: str) -> None:
    with cluster() as rpc:
        echo_json(rpc.registration.add_evidence(complaint_id, text, actor))


@complaint.command("move")
@click.argument("complaint_id", type=int)
@click.argument("status", type=click.Choice(["investigating", "upheld", "dismissed"]))
@click.option("--outcome", default="")
@ACTOR
def complaint_move(complaint_id: int, status: str, outcome: str, actor: str) -> None:
    with cluster() as rpc:
        echo_json(rpc.registration.move_complaint(complaint_id, status, actor, outcome))


@complaint.command("show")
@click.argument("complaint_id", type=int)
def complaint_show(complaint_id: int) -> None:
    with cluster() as rpc:
        echo_json(rpc.registration.get_complaint(complaint_id))


@complaint.command("list")
@click.option("--ballot", "ballot_id", type=int, required=True)
def complaint_list(ballot_id: int) -> None:
    with cluster() as rpc:
        echo_json(rpc.registration.list_complaints(ballot_id))


@click.group()
def change() -> None:
    """Contact changes after the freeze, waiting for a second person."""


@change.command("list")
@click.option("--ballot", "ballot_id", type=int, required=True)
def change_list(ballot_id: int) -> None:
    with cluster() as rpc:
        echo_json(rpc.registration.list_changes(ballot_id))


@change.command("approve")
@click.argument("change_id", type=int)
@click.option("--reason", default="")
@ACTOR
def change_approve(change_id: int, reason: str, actor: str) -> None:
    """Approve a change; you must not be the person who asked for it."""
    with cluster() as rpc:
        echo_json(rpc.registration.decide_change(change_id, actor, True, reason))


@change.command("refuse")
@click.argument("change_id", type=int)
@click.option("--reason", required=True)
@ACTOR
def change_refuse(change_id: int, reason: str, actor: str) -> None:
    with cluster() as rpc:
        echo_json(rpc.registration.decide_change(change_id, actor, False, reason))


@click.command("pause")
@click.argument("ballot_id", type=int)
@click.option("--reason", required=True)
@ACTOR
def pause(ballot_id: int, reason: str, actor: str) -> None:
    """Pause a ballot: codes stop working, mail is held, no papers are taken."""
    with cluster() as rpc:
        echo_json(rpc.registration.pause_ballot(ballot_id, actor, reason))


@click.command("resume")
@click.argument("ballot_id", type=int)
@click.option("--approve", is_flag=True, help="Approve a resume someone else asked for.")
@click.option("--reason", default="")
@ACTOR
def resume(ballot_id: int, approve: bool, reason: str, actor: str) -> None:
    """Ask to resume a paused ballot, or (--approve) approve another person's request."""
    with cluster() as rpc:
        if approve:
            echo_json(rpc.registration.approve_resume(ballot_id, actor, reason))
        else:
            echo_json(rpc.registration.request_resume(ballot_id, actor, reason))
