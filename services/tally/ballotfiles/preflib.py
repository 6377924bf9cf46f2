"""PrefLib ``.soi``, ``.soc``, ``.toi`` and ``.toc`` files (the 2022 format with ``#`` headers).

See the package docstring for what is guaranteed. Pure: text in, ``ElectionFile`` out.
"""

from __future__ import annotations

import re

from services.tally.ballotfiles.model import (
    PREFLIB_FORMATS,
    BallotFileError,
    ElectionFile,
    rows_to_arrays,
    whole_number,
)

_HEADER = re.compile(r"#\s*([^:]+?)\s*:\s?(.*)$")
_NAME_KEY = re.compile(r"ALTERNATIVE NAME (\d+)$")
_COUNTED = {
    "NUMBER ALTERNATIVES": "alternatives",
    "NUMBER VOTERS": "voters",
    "NUMBER UNIQUE ORDERS": "orders",
}


def _preflib_order(text: str, source: str, line: int, col: int) -> list[list[int]]:
    """``3,{1,2},5`` as ranks: ``[[3], [1, 2], [5]]``; ``col`` is where ``text`` starts."""
    ranks: list[list[int]] = []
    at = 0
    size = len(text)

    def column(i: int) -> int:
        return col + i

    while True:
        while at < size and text[at] in " \t":
            at += 1
        if at >= size:
            if ranks:
                raise BallotFileError(
                    source, line, "trailing ',' with nothing after it", column(at - 1)
                )
            return ranks
        if text[at] == "{":
            end = text.find("}", at)
            if end < 0:
                raise BallotFileError(source, line, "'{' without a closing '}'", column(at))
            parts, start = text[at + 1 : end].split(","), at + 1
            group = []
            for part in parts:
                lead = len(part) - len(part.lstrip())
                group.append(whole_number(part, source, line, "candidate", column(start + lead)))
                start += len(part) + 1
            at = end + 1
        else:
            comma = text.find(",", at)
            item = text[at:] if comma < 0 else text[at:comma]
            if "{" in item or "}" in item:
                raise BallotFileError(
                    source, line, f"misplaced brace in {text.strip()!r}", column(at)
                )
            group = [whole_number(item, source, line, "candidate", column(at))]
            at = size if comma < 0 else comma
        ranks.append(group)
        while at < size and text[at] in " \t":
            at += 1
        if at >= size:
            return ranks
        if text[at] != ",":
            raise BallotFileError(
                source, line, f"expected ',' before {text[at:].strip()!r}", column(at)
            )
        at += 1


def parse_preflib(text: str, source: str, fmt: str) -> ElectionFile:
    """Parse a PrefLib ``soi``/``toi``/``soc``/``toc`` file (the 2022 format with ``#`` headers)."""
    if fmt not in PREFLIB_FORMATS:
        raise ValueError(f"not a PrefLib format: {fmt!r}")
    names: dict[int, str] = {}
    stated: dict[str, tuple[int, int]] = {}
    title = ""
    rows: dict[tuple[int, ...], int] = {}
    overvotes = 0
    orders = 0
    first_data = 0
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if first_data:
                raise BallotFileError(source, number, "header line after the ballots began", 1)
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
                stated[_COUNTED[key]] = (whole_number(value, source, number, key.lower()), number)
            continue
        if not first_data:
            first_data = number
            if not names:
                raise BallotFileError(source, number, "ballots before any ALTERNATIVE NAME header")
        indent = len(raw) - len(raw.lstrip())
        count_text, colon, order = line.partition(":")
        if not colon:
            raise BallotFileError(
                source, number, f"expected 'count: preferences', got {line!r}", indent + 1
            )
        count = whole_number(count_text, source, number, "ballot count", indent + 1)
        if count < 1:
            raise BallotFileError(source, number, f"ballot count {count} is not positive")
        ranks = _preflib_order(order, source, number, indent + len(count_text) + 2)
        orders += 1
        seen: set[int] = set()
        for group in ranks:
            for c in group:
                if c not in names:
                    raise BallotFileError(source, number, f"candidate {c} has no ALTERNATIVE NAME")
                if c in seen:
                    raise BallotFileError(source, number, f"candidate {c} ranked twice")
                seen.add(c)
        if fmt in ("soi", "soc") and any(len(group) > 1 for group in ranks):
            raise BallotFileError(source, number, f"equal ranking in a strict-order .{fmt} file")
        if fmt in ("soc", "toc") and len(seen) != len(names):
            raise BallotFileError(source, number, f"a .{fmt} ballot must rank every candidate")
        row: list[int] = []
        for group in ranks:
            if len(group) > 1:
                overvotes += count
                break
            row.append(group[0])
        key = tuple(row)
        rows[key] = rows.get(key, 0) + count
    if not names:
        raise BallotFileError(source, 1, "no ALTERNATIVE NAME headers: not a PrefLib file")
    if sorted(names) != list(range(1, len(names) + 1)):
        raise BallotFileError(source, 1, "alternatives are not numbered 1..n")
    actual = {"alternatives": len(names), "voters": sum(rows.values()), "orders": orders}
    for what, (value, number) in stated.items():
        if value != actual[what]:
            raise BallotFileError(
                source, number, f"header says {value} {what} but the file has {actual[what]}"
            )
    n = len(names)
    prefs, weights = rows_to_arrays(
        [tuple(c - 1 for c in row) for row in rows], list(rows.values()), n
    )
    return ElectionFile(
        source=source,
        format=fmt,
        title=title,
        candidates=tuple(names[i] for i in sorted(names)),
        prefs=prefs,
        weights=weights,
        overvotes=overvotes,
    )
