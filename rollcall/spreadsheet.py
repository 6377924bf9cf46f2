"""Cells of a CSV file that people open in a spreadsheet: text that cannot run as a formula.

A cell a spreadsheet would read as a formula (it starts with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) is prefixed with ``'``, so opening
a file cannot run anything a member's name or address smuggled in. Any other
text is returned unchanged: an access code (its alphabet has letters and
digits only), a membership number, a postcode or a URL keeps every character.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """``value`` as text, with ``'`` before it if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
