"""``rollcall mail``: send access codes again to members they did not reach."""

from __future__ import annotations

import click

from rollcall_cli.common import cli_actor, cluster


@click.group()
def mail() -> None:
    """Access codes by email and post."""


@mail.command("resend")
@click.option("--ballot", "ballot_id", type=int, required=True)
@click.option(
    "--state", default="mail_failed", show_default=True, help="Send again to members in this state."
)
@click.option("--association", default=None, help="Only this association's members.")
@click.option(
    "--reissue",
    is_flag=True,
    help="Also replace codes already delivered (the old code stops working).",
)
@click.option(
    "--actor", default=cli_actor, show_default="your login", help="Who is acting (audited)."
)
def resend(ballot_id: int, state: str, association: str | None, reissue: bool, actor: str) -> None:
    """Send a new access code to members whose code did not reach them; one line of summary.

    Registration moves each member to ``awaiting_code`` first, so running it
    again sends nothing twice; the codes service then replaces their codes
    (the old one stops working) and the mailer sends the new ones.
    """
    with cluster() as rpc:
        chosen = rpc.registration.resend_codes(
            ballot_id, state=state, association=association, reissue=reissue, actor=actor
        )
        sent = rpc.codes.reissue_codes(ballot_id, chosen["voters"]) if chosen["voters"] else 0
    skipped = sum(chosen["skipped"].values())
    why = "; ".join(f"{n} {reason}" for reason, n in sorted(chosen["skipped"].items()))
    click.echo(
        f"ballot {ballot_id}: {sent} new code(s) sent for members in {state}"
        f"{f' of {association}' if association else ''}; {skipped} skipped{f' ({why})' if why else ''}"
    )
