"""Reading ballot files as they are published: PrefLib (``.soi``, ``.soc``, ``.toi``,
``.toc``) and BLT.

``parse_preflib`` and ``parse_blt`` are pure (text in, ``ElectionFile`` out);
``read_election`` is the thin I/O wrapper that picks one by file extension and
decodes the bytes (UTF-8, with or without a byte-order mark, else Windows-1252).

Guarantees:

- What cannot be read raises ``BallotFileError`` carrying the file name, the
  1-based line and column and what was expected there, e.g.
  ``ward.blt:7:5: preference 9 is not a candidate (expected 1 to 8)``.
- Ballots come back in the count's vocabulary, identical ballots folded
  together in order of first appearance: ``(names in preference order,
  weight)``. Weights are whole numbers, or ``Fraction``s where a BLT file
  gives a fractional weight.
- An equal ranking (PrefLib ``{a,b}``, BLT ``a=b``) is an overvote: the
  ballot keeps the preferences before it and stops there; ``overvotes``
  counts the ballots (by weight) so cut short. A ballot left with nothing is
  kept, as a blank, for the count to report as invalid.
- PrefLib headers that state numbers (alternatives, voters, unique orders)
  are checked against the data; a ``.soc``/``.toc`` ballot must rank every
  candidate; ``.soi``/``.soc`` refuse equal rankings.
- BLT is read leniently (docs/formats.md, "BLT"): names quoted or not, a party
  in parentheses or in a second quoted string (kept in ``parties``), the title
  quoted or not and on one or several lines, commas after numbers, blank lines,
  runs of spaces, trailing whitespace, any line ending, ballot ids, withdrawn
  candidates (dropped from the candidate list and skipped on every ballot).
  The same ballots give the same ``ElectionFile`` whatever the style.
"""

from __future__ import annotations

from pathlib import Path

from services.tally.ballotfiles.blt import parse_blt
from services.tally.ballotfiles.model import (
    FORMATS,
    PREFLIB_FORMATS,
    Ballot,
    BallotFileError,
    ElectionFile,
    Weight,
)
from services.tally.ballotfiles.preflib import parse_preflib

__all__ = [
    "FORMATS",
    "PREFLIB_FORMATS",
    "Ballot",
    "BallotFileError",
    "ElectionFile",
    "Weight",
    "decode",
    "parse_blt",
    "parse_preflib",
    "read_election",
]


def decode(data: bytes, source: str) -> str:
    """UTF-8 (a byte-order mark is dropped), else Windows-1252, else a refusal with the line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        utf8_error = err
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        line = data[: utf8_error.start].count(b"\n") + 1
        raise BallotFileError(
            source, line, "neither UTF-8 nor Windows-1252 text (expected a text file)"
        ) from None


def read_election(path: str | Path) -> ElectionFile:
    """Read a ballot file, choosing the format by its extension."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise BallotFileError(
            str(path), 1, f"unknown extension; expected one of {', '.join(FORMATS)}"
        )
    try:
        data = path.read_bytes()
    except OSError as err:
        raise BallotFileError(str(path), 0, f"cannot read: {err.strerror}") from None
    text = decode(data, str(path))
    if fmt == "blt":
        return parse_blt(text, str(path))
    return parse_preflib(text, str(path), fmt)
