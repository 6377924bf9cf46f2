"""Entry point of the ``rollcall`` command.

Subcommands live one module each under ``rollcall_cli`` and are imported only
when they are run, so a slow import (matplotlib, numpy, nameko) never taxes
the others, and ``rollcall --help`` imports none of them.
"""

from __future__ import annotations

import importlib
import warnings

import click

# nameko 2.14 runs on eventlet, which prints a multi-line deprecation banner on
# import; a command's output is for its user (one line per error), not for that.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

#: command name -> ("module:attribute" of a click command or group, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "ballot": ("rollcall_cli.ballots:ballot", "Create, open, close and show ballots."),
    "extract": (
        "rollcall_cli.ballots:extract",
        "Import membership extracts; list, correct and resolve their dropped rows.",
    ),
    "association": (
        "rollcall_cli.associations:association",
        "The party's associations: add, list, load from a file.",
    ),
    "reconcile": ("rollcall_cli.ballots:reconcile", "Account for every member of a ballot."),
    "register": ("rollcall_cli.registers:register", "Import and list electoral registers."),
    "match": ("rollcall_cli.match:match", "Match a members file to a register file."),
    "synth": ("rollcall_cli.match:synth", "Generate a synthetic register and damaged extract."),
    "count": ("rollcall_cli.count:count", "Count ballot files (PrefLib, BLT)."),
    "verify": (
        "rollcall_cli.verify:verify",
        "Recount and check a bulletin board; check a scrutineer's report.",
    ),
    "report": (
        "rollcall_cli.report:report",
        "Write the scrutineer's report of a counted ballot (JSON and PDF).",
    ),
    "audit": ("rollcall_cli.audit:audit", "Verify and show the hash-chained audit logs."),
    "demo": ("rollcall_cli.demo:demo", "Run a whole demo ballot end to end."),
    "mail": ("rollcall_cli.mail:mail", "Send access codes again to members they did not reach."),
    "member": ("rollcall_cli.members:member", "Act on one member: reissue their access code."),
    "run": ("rollcall_cli.operations:run_service", "Run one service."),
    "db": ("rollcall_cli.operations:db", "Migrate service databases."),
    "check": (
        "rollcall_cli.check:check",
        "Check settings, secrets, broker, databases, SMTP and gateway.",
    ),
    "init": ("rollcall_cli.check:init", "Write a working configuration and every secret."),
    "parked": ("rollcall_cli.operations:parked", "List parked messages."),
    "replay": ("rollcall_cli.operations:replay", "Replay parked messages."),
    "user": ("rollcall_cli.users:user", "Gateway users and their tokens."),
    "complaint": ("rollcall_cli.cases:complaint", "Complaint cases about a ballot."),
    "change": ("rollcall_cli.cases:change", "Contact changes waiting for a second person."),
    "pause": ("rollcall_cli.cases:pause", "Pause a ballot."),
    "resume": ("rollcall_cli.cases:resume", "Resume a paused ballot (two people)."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target[0].split(":")
        return getattr(importlib.import_module(module_name), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in self.list_commands(ctx)])


@click.group(cls=LazyGroup)
@click.version_option(package_name="rollcall")
def main() -> None:
    """Rollcall: run a party selection ballot and prove nobody was dropped."""


if __name__ == "__main__":
    main()
