"""Operations commands of the ``rollcall`` CLI.

``rollcall user`` manages the people and systems that may use the gateway.
It talks to the running gateway service over RPC, so the gateway stays the
only owner of users and their token hashes:

- ``user add NAME --role ROLE [--association CODE] [--ballot ID]`` prints
  the new token once; it is stored only as a hash and cannot be shown again.
  An officer belongs to one association (``--association``), a teller to
  one ballot (``--ballot``);
- ``user token ID`` gives an existing user another token (a second device):
  the same person to the two-person rules, which compare users;
- ``user revoke ID`` makes every token of a user useless at once;
- ``user list`` shows every user, never a token.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from rollcall_cli.common import cli_actor

#: Seconds to wait for the gateway before giving up.
RPC_TIMEOUT = 30


def _actor() -> str:
    return cli_actor()


@contextmanager
def _gateway() -> Iterator[Any]:
    """The gateway's RPC proxy; RPC failures become one-line errors, exit 1."""
    import eventlet

    eventlet.monkey_patch()
    from kombu.exceptions import OperationalError
    from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy

    from rollcall.config import load_settings
    from rollcall.runtime import nameko_config

    try:
        with ClusterRpcProxy(nameko_config(load_settings()), timeout=RPC_TIMEOUT) as rpc:
            yield rpc.gateway
    except RemoteError as exc:
        raise click.ClickException(str(exc.value) or str(exc.exc_type)) from exc
    except (UnknownService, RpcTimeout) as exc:
        raise click.ClickException(
            "the gateway service is not answering; is it running? (rollcall run gateway)"
        ) from exc
    except (OperationalError, OSError) as exc:
        raise click.ClickException(f"cannot reach the message broker: {exc}") from exc


@click.group()
def user() -> None:
    """Manage the people and systems that may use the gateway."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["operator", "officer", "teller", "scrutineer"]),
    help="What the user may do.",
)
@click.option("--association", default=None, help="An officer's association code.")
@click.option(
    "--ballot",
    "ballot_id",
    type=click.IntRange(min=1),
    default=None,
    help="A teller's ballot: the only one they may enter postal ballots for.",
)
def add_user(name: str, role: str, association: str | None, ballot_id: int | None) -> None:
    """Add a user and print their token (shown this once only)."""
    with _gateway() as gateway:
        made = gateway.add_user(name, role, association, actor=_actor(), ballot_id=ballot_id)
    click.echo(f"user {made['user_id']} {name} ({role}{_scope(association, ballot_id)})")
    click.echo("token (shown once; store it safely, it cannot be shown again):")
    click.echo(made["token"])


def _scope(association: str | None, ballot_id: int | None) -> str:
    if association:
        return f", {association}"
    if ballot_id is not None:
        return f", ballot {ballot_id}"
    return ""


@user.command("token")
@click.argument("user_id", type=int)
def add_token(user_id: int) -> None:
    """Give an existing user another token (shown this once only); they stay one person."""
    with _gateway() as gateway:
        made = gateway.add_token(user_id, actor=_actor())
    click.echo(f"user {made['user_id']}: token {made['token_id']} (shown once; store it safely):")
    click.echo(made["token"])


@user.command("revoke")
@click.argument("user_id", type=int)
def revoke_user(user_id: int) -> None:
    """Revoke a user's token at once."""
    with _gateway() as gateway:
        done = gateway.revoke_user(user_id, actor=_actor())
    if done["already_revoked"]:
        click.echo(f"user {user_id} {done['name']} was already revoked at {done['revoked_at']}")
    else:
        click.echo(f"user {user_id} {done['name']} revoked")


@user.command("list")
def list_users() -> None:
    """Every user, their role and scope (association or ballot), and whether they are revoked."""
    with _gateway() as gateway:
        rows = gateway.list_users()
    if not rows:
        click.echo("no users yet: add one with rollcall user add NAME --role ROLE")
        return
    click.echo(f"{'id':>4}  {'name':<24} {'role':<11} {'scope':<12} status")
    for row in rows:
        status = f"revoked {row['revoked_at']}" if row["is_revoked"] else "active"
        scope = row["association"] or (
            f"ballot {row['ballot_id']}" if row.get("ballot_id") is not None else "-"
        )
        click.echo(f"{row['user_id']:>4}  {row['name']:<24} {row['role']:<11} {scope:<12} {status}")
