"""Entry point of the ``rollcall`` command.

Subcommands live one module each under ``rollcall.cli`` and are imported only
when they are run, so a slow import (matplotlib, numpy) never taxes the rest.
"""

from __future__ import annotations

import importlib

import click

#: command name -> "module:attribute" of a click command or group.
COMMANDS: dict[str, str] = {
    "ballot": "rollcall.cli.ballots:ballot",
    "extract": "rollcall.cli.ballots:extract",
    "reconcile": "rollcall.cli.ballots:reconcile",
    "register": "rollcall.cli.registers:register",
    "db": "rollcall.cli.ops:db",
    "replay": "rollcall.cli.ops:replay",
    "parked": "rollcall.cli.ops:parked",
    "user": "rollcall.cli.ops:user",
    "run": "rollcall.cli.ops:run_service",
    "demo": "rollcall.cli.demo:demo",
    "verify": "rollcall.cli.verify:verify",
    "count": "rollcall.cli.count:count",
    "match": "rollcall.cli.match:match",
    "synth": "rollcall.cli.match:synth",
    "audit": "rollcall.cli.audit:audit",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)


@click.group(cls=LazyGroup)
@click.version_option(package_name="rollcall")
def main() -> None:
    """Rollcall: run a party selection ballot and prove nobody was dropped."""
