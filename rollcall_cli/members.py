"""``rollcall member``: act on one member of a ballot (a client of registration)."""

from __future__ import annotations

import click

from rollcall_cli.common import cli_actor, cluster, echo_json


@click.group()
def member() -> None:
    """One member of a ballot."""


@member.command("reissue")
@click.option("--ballot", "ballot_id", type=int, required=True)
@click.option("--member", "membership_number", required=True, help="The membership number.")
@click.option("--reason", required=True, help="Why (audited), e.g. 'lost the email'.")
@click.option(
    "--channel",
    type=click.Choice(["email", "post"]),
    default=None,
    help="How the new code goes (default: the way the member's code last went).",
)
@click.option(
    "--actor", default=cli_actor, show_default="your login", help="Who is acting (audited)."
)
def reissue(
    ballot_id: int, membership_number: str, reason: str, channel: str | None, actor: str
) -> None:
    """Replace one member's access code: the old one stops working, a new one goes to the party-held contact.

    No cooling-off, unless a change of the member's contact details is still
    in its cooling-off period. Refused, with the reason, for a member who has
    voted or holds no code, or for a letter after the postal cut-off.
    """
    with cluster() as rpc:
        echo_json(
            rpc.registration.reissue_code(
                ballot_id, membership_number, actor, reason, source="operator", channel=channel
            )
        )
