"""Refused: a file intake will not read, said in one line an officer can act on."""

from __future__ import annotations

import re

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(text: str) -> str:
    return _UNPRINTABLE.sub(lambda m: ascii(m.group())[1:-1], text)


class Refused(ValueError):
    """The whole file is refused: what is wrong, where (line, column or byte), what to do.

    The message is always one line: anything taken from the file is quoted with
    ``shown`` (control characters escaped, long text cut).
    """

    def __init__(self, message: str) -> None:
        super().__init__(_escape(message))


def shown(text: str, limit: int = 40) -> str:
    """``text`` quoted for a one-line message: escaped, and cut to ``limit`` characters."""
    cut = text if len(text) <= limit else text[: limit - 1] + "…"
    return "'" + _escape(cut) + "'"


def byte_at(offset: int, value: int) -> str:
    """'the byte at offset 1,234 is 0x00'."""
    return f"the byte at offset {offset:,} is 0x{value:02X}"
