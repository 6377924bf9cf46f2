"""Reading ballot files: PrefLib ``.soi``, ``.toi``, ``.soc`` and the BLT format.

``parse_preflib`` and ``parse_blt`` are pure (text in, ``ElectionFile`` out);
``read_election`` is the thin I/O wrapper that picks one by file extension.

Guarantees:

- Any malformed input raises ``BallotFileError`` carrying the file name and
  the 1-based line number, e.g. ``ward.blt:7: preference 9 is not a candidate``.
- Ballots come back in the count's vocabulary: ``(names in preference order,
  weight)`` with the names as written in the file.
- An equal ranking (PrefLib ``{a,b}``, BLT ``a=b``) is an overvote: the
  ballot keeps the preferences before it and stops there; ``overvotes``
  counts the ballots (by weight) so cut short. A ballot left with nothing is
  kept, as a blank, for the count to report as invalid.
- PrefLib headers that state numbers (alternatives, voters, unique orders)
  are checked against the data; a ``.soc`` ballot must rank every candidate.
- BLT withdrawn candidates (negative numbers after the header) are dropped
  from the candidate list and skipped on every ballot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

PREFLIB_FORMATS = ("soi", "toi", "soc")
FORMATS = (*PREFLIB_FORMATS, "blt")

Ballot = tuple[tuple[str, ...], int]


class BallotFileError(ValueError):
    """A ballot file could not be read; says which file and which line."""

    def __init__(self, source: str, line: int, message: str) -> None:
        super().__init__(f"{source}:{line}: {message}")
        self.source = source
        self.line = line
        self.message = message


@dataclass(frozen=True)
class ElectionFile:
    """What a ballot file holds."""

    source: str
    format: str
    title: str
    candidates: tuple[str, ...]
    ballots: list[Ballot]
    seats: int | None = None
    withdrawn: tuple[str, ...] = ()
    overvotes: int = 0

    @property
    def voters(self) -> int:
        return sum(weight for _, weight in self.ballots)


_HEADER = re.compile(r"#\s*([^:]+?)\s*:\s?(.*)$")
_NAME_KEY = re.compile(r"ALTERNATIVE NAME (\d+)$")
_COUNTED = {
    "NUMBER ALTERNATIVES": "alternatives",
    "NUMBER VOTERS": "voters",
    "NUMBER UNIQUE ORDERS": "orders",
}


def _number(text: str, source: str, line: int, what: str) -> int:
    text = text.strip()
    if not re.fullmatch(r"[+-]?\d+", text):
        raise BallotFileError(source, line, f"{what} {text!r} is not a whole number")
    return int(text)


def _preflib_order(text: str, source: str, line: int) -> list[list[int]]:
    """``3,{1,2},5`` as ranks: ``[[3], [1, 2], [5]]``."""
    ranks: list[list[int]] = []
    rest = text.strip()
    while rest:
        if rest.startswith("{"):
            end = rest.find("}")
            if end < 0:
                raise BallotFileError(source, line, "'{' without a closing '}'")
            inside, rest = rest[1:end], rest[end + 1 :].strip()
            group = [_number(p, source, line, "candidate") for p in inside.split(",")]
        else:
            item, comma, after = rest.partition(",")
            if "}" in item or "{" in item:
                raise BallotFileError(source, line, f"misplaced brace in {text.strip()!r}")
            group, rest = [_number(item, source, line, "candidate")], comma + after
        if rest.startswith(","):
            rest = rest[1:].strip()
            if not rest:
                raise BallotFileError(source, line, "trailing ',' with nothing after it")
        elif rest:
            raise BallotFileError(source, line, f"expected ',' before {rest!r}")
        ranks.append(group)
    return ranks


def parse_preflib(text: str, source: str, fmt: str) -> ElectionFile:
    """Parse a PrefLib ``soi``/``toi``/``soc`` file (the 2022 format with ``#`` headers)."""
    if fmt not in PREFLIB_FORMATS:
        raise ValueError(f"not a PrefLib format: {fmt!r}")
    names: dict[int, str] = {}
    stated: dict[str, tuple[int, int]] = {}
    title = ""
    ballots: list[Ballot] = []
    overvotes = 0
    first_data = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if first_data:
                raise BallotFileError(source, number, "header line after the ballots began")
            match = _HEADER.match(line)
            if not match:
                continue
            key, value = match.group(1).upper(), match.group(2).strip()
            if key == "TITLE":
                title = value
            elif name_key := _NAME_KEY.match(key):
                if not value:
                    raise BallotFileError(source, number, "alternative with an empty name")
                names[int(name_key.group(1))] = value
            elif key in _COUNTED:
                stated[_COUNTED[key]] = (_number(value, source, number, key.lower()), number)
            continue
        if not first_data:
            first_data = number
            if not names:
                raise BallotFileError(source, number, "ballots before any ALTERNATIVE NAME header")
        count_text, colon, order = line.partition(":")
        if not colon:
            raise BallotFileError(source, number, f"expected 'count: preferences', got {line!r}")
        count = _number(count_text, source, number, "ballot count")
        if count < 1:
            raise BallotFileError(source, number, f"ballot count {count} is not positive")
        ranks = _preflib_order(order, source, number)
        seen: set[int] = set()
        for group in ranks:
            for c in group:
                if c not in names:
                    raise BallotFileError(source, number, f"candidate {c} has no ALTERNATIVE NAME")
                if c in seen:
                    raise BallotFileError(source, number, f"candidate {c} ranked twice")
                seen.add(c)
        if fmt != "toi" and any(len(group) > 1 for group in ranks):
            raise BallotFileError(source, number, f"equal ranking in a strict-order .{fmt} file")
        if fmt == "soc" and len(seen) != len(names):
            raise BallotFileError(source, number, "a .soc ballot must rank every candidate")
        choices: list[str] = []
        for group in ranks:
            if len(group) > 1:
                overvotes += count
                break
            choices.append(names[group[0]])
        ballots.append((tuple(choices), count))
    if not names:
        raise BallotFileError(source, 1, "no ALTERNATIVE NAME headers: not a PrefLib file")
    if sorted(names) != list(range(1, len(names) + 1)):
        raise BallotFileError(source, 1, "alternatives are not numbered 1..n")
    actual = {
        "alternatives": len(names),
        "voters": sum(w for _, w in ballots),
        "orders": len(ballots),
    }
    for what, (value, number) in stated.items():
        if value != actual[what]:
            raise BallotFileError(
                source, number, f"header says {value} {what} but the file has {actual[what]}"
            )
    return ElectionFile(
        source=source,
        format=fmt,
        title=title,
        candidates=tuple(names[i] for i in sorted(names)),
        ballots=ballots,
        overvotes=overvotes,
    )


_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def parse_blt(text: str, source: str) -> ElectionFile:
    """Parse an ERS/OpenSTV BLT file."""
    lines = [(n, raw.strip()) for n, raw in enumerate(text.splitlines(), start=1)]
    lines = [(n, line) for n, line in lines if line and not line.startswith("#")]
    if not lines:
        raise BallotFileError(source, 1, "empty file: expected 'candidates seats'")
    head_no, head = lines[0]
    fields = head.split()
    if len(fields) != 2:
        raise BallotFileError(source, head_no, f"expected 'candidates seats', got {head!r}")
    n = _number(fields[0], source, head_no, "number of candidates")
    seats = _number(fields[1], source, head_no, "number of seats")
    if n < 1 or seats < 1:
        raise BallotFileError(source, head_no, "candidates and seats must both be at least 1")
    at = 1
    withdrawn: set[int] = set()
    while at < len(lines) and lines[at][1].startswith("-"):
        number, line = lines[at]
        for item in line.split():
            c = -_number(item, source, number, "withdrawn candidate")
            if not 1 <= c <= n:
                raise BallotFileError(source, number, f"withdrawn candidate {item} out of range")
            withdrawn.add(c)
        at += 1
    raw_ballots: list[tuple[list[list[int]], int, int]] = []
    while True:
        if at >= len(lines):
            raise BallotFileError(source, lines[-1][0], "ballots not ended by a line '0'")
        number, line = lines[at]
        at += 1
        if line == "0":
            break
        items = line.split()
        weight = _number(items[0], source, number, "ballot weight")
        if weight < 0:
            raise BallotFileError(source, number, f"negative ballot weight {weight}")
        if items[-1] != "0" or len(items) < 2:
            raise BallotFileError(source, number, "a ballot line must end with 0")
        ranks: list[list[int]] = []
        seen: set[int] = set()
        for item in items[1:-1]:
            group = [_number(part, source, number, "preference") for part in item.split("=")]
            for c in group:
                if not 1 <= c <= n:
                    raise BallotFileError(source, number, f"preference {c} is not a candidate")
                if c in seen:
                    raise BallotFileError(source, number, f"candidate {c} ranked twice")
                seen.add(c)
            ranks.append(group)
        raw_ballots.append((ranks, weight, number))
    rest_start = lines[at][0] if at < len(lines) else lines[-1][0]
    strings: list[tuple[str, int]] = []
    for number, line in lines[at:]:
        found = _QUOTED.findall(line)
        if not found or _QUOTED.sub("", line).strip():
            raise BallotFileError(source, number, f"expected a quoted name, got {line!r}")
        strings.extend((s.replace('\\"', '"'), number) for s in found)
    if len(strings) < n:
        raise BallotFileError(
            source, rest_start, f"expected {n} candidate names, found {len(strings)}"
        )
    if len(strings) > n + 1:
        raise BallotFileError(source, strings[n + 1][1], "text after the title")
    all_names = [s for s, _ in strings[:n]]
    if len(set(all_names)) != n:
        raise BallotFileError(source, strings[0][1], "two candidates share a name")
    ballots: list[Ballot] = []
    overvotes = 0
    for ranks, weight, _ in raw_ballots:
        choices: list[str] = []
        for group in ranks:
            group = [c for c in group if c not in withdrawn]
            if len(group) > 1:
                overvotes += weight
                break
            choices.extend(all_names[c - 1] for c in group)
        ballots.append((tuple(choices), weight))
    return ElectionFile(
        source=source,
        format="blt",
        title=strings[n][0] if len(strings) > n else "",
        candidates=tuple(name for i, name in enumerate(all_names, 1) if i not in withdrawn),
        ballots=ballots,
        seats=seats,
        withdrawn=tuple(all_names[c - 1] for c in sorted(withdrawn)),
        overvotes=overvotes,
    )


def read_election(path: str | Path) -> ElectionFile:
    """Read a ballot file, choosing the format by its extension."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise BallotFileError(
            str(path), 1, f"unknown extension; expected one of {', '.join(FORMATS)}"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        line = path.read_bytes()[: err.start].count(b"\n") + 1
        raise BallotFileError(str(path), line, "not valid UTF-8 text") from None
    except OSError as err:
        raise BallotFileError(str(path), 0, f"cannot read: {err.strerror}") from None
    if fmt == "blt":
        return parse_blt(text, str(path))
    return parse_preflib(text, str(path), fmt)
