"""What the demo prints, and the patterns it reads back out of the mail it receives."""

from __future__ import annotations

import re
import time

import click

#: The access code in a voter's email.
CODE_RE = re.compile(r"access code is: ([0-9A-Z-]+)")
#: The ballot, membership number and kind in a delivery's Message-ID.
MSGID_RE = re.compile(r"<ballot-(\d+)\.([^.]+)\.(\w+)@")


def say(text: str) -> None:
    """One timestamped progress line on standard error."""
    click.echo(f"[{time.strftime('%H:%M:%S')}] {text}", err=True)
