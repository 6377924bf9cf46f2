"""BLT files (ERS / OpenSTV) in every style they are published in.

The header, withdrawn candidates and the names are read line by line; the ballot
lines, nearly all the file, are folded by their text (each distinct line is read
once), tidied into the plain form ``weight c1 ... 0`` and parsed together with
numpy; only lines that are not plain (equal rankings, fractions, mistakes) are read
word by word. See the package docstring for what is guaranteed. Pure.
"""

from __future__ import annotations

import re
from collections import Counter
from fractions import Fraction

import numpy as np

from services.tally.ballotfiles.model import (
    BallotFileError,
    ElectionFile,
    Weight,
    whole_number,
)
from services.tally.counting.withdrawal import withdraw_rows

_TOKEN = re.compile(r"[^\s,]+")
_BALLOT_ID = re.compile(r"\s*\(([^()]*)\)")
_WEIGHT = re.compile(r"\d+(?:\.\d+)?|\d+/\d+")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_PARTY = re.compile(r"(.*?\S)\s*\(([^()]*)\)")


def _tokens(raw: str) -> list[tuple[int, str]]:
    """Whitespace- or comma-separated words with their 1-based columns."""
    return [(m.start() + 1, m.group()) for m in _TOKEN.finditer(raw)]


def _ints(raw: str, source: str, line: int, what: str) -> list[tuple[int, int]]:
    return [(col, whole_number(tok, source, line, what, col)) for col, tok in _tokens(raw)]


def _is_zero_line(raw: str) -> bool:
    return [tok for _, tok in _tokens(raw)] == ["0"]


def _ballot_line(raw: str, n: int, withdrawn: set[int]) -> tuple[Weight, list[int], bool]:
    """One ballot line read word by word: its weight, its preferences (numbers 1..n,
    withdrawn ones skipped, cut short at an equal ranking) and whether it was cut.
    Errors carry the column; the caller supplies the line (0 here)."""
    source = ""
    offset = 0
    ballot_id = _BALLOT_ID.match(raw)
    if ballot_id:
        offset = ballot_id.end()
    words = [(col + offset, tok) for col, tok in _tokens(raw[offset:])]
    if not words:
        raise BallotFileError(source, 0, "expected a ballot weight after the ballot id", offset + 1)
    col, text = words[0]
    if not _WEIGHT.fullmatch(text) or len(text) > 15:
        raise BallotFileError(
            source, 0, f"ballot weight {text!r} is not a number (expected e.g. 1 or 0.5)", col
        )
    try:
        weight: Weight = int(text) if text.isdigit() else Fraction(text)
    except ZeroDivisionError:
        raise BallotFileError(
            source, 0, f"ballot weight {text!r} divides by zero (expected e.g. 1 or 1/2)", col
        ) from None
    if isinstance(weight, Fraction) and weight.denominator == 1:
        weight = int(weight)
    if len(words) < 2 or words[-1][1] != "0":
        end = len(raw.rstrip()) + 1
        raise BallotFileError(source, 0, "a ballot line must end with 0 (expected '0' here)", end)
    groups: list[list[int]] = []
    seen: set[int] = set()
    for col, text in words[1:-1]:
        group = []
        for part in text.split("="):
            c = whole_number(part, source, 0, "preference", col)
            if not 1 <= c <= n:
                raise BallotFileError(
                    source, 0, f"preference {c} is not a candidate (expected 1 to {n})", col
                )
            if c in seen:
                raise BallotFileError(source, 0, f"candidate {c} ranked twice", col)
            seen.add(c)
            group.append(c)
            col += len(part) + 1
        groups.append(group)
    row: list[int] = []
    for group in groups:
        group = [c for c in group if c not in withdrawn]
        if len(group) > 1:
            return weight, row, True
        row.extend(group)
    return weight, row, False


_PLAIN_BYTES = np.zeros(256, dtype=bool)
_PLAIN_BYTES[list(b"0123456789 \n")] = True


def _plain_text(text: str) -> str:
    """Ballot lines in the plain form ``weight p1 p2 ... 0``: commas, tabs and carriage
    returns are spaces, runs of spaces one, no space at either end, ballot ids and
    comments gone. Each step runs only where the text needs it."""
    for other in ("\t", ",", "\r", "\x0b", "\x0c"):
        if other in text:
            text = text.replace(other, " ")
    while "  " in text:
        text = text.replace("  ", " ")
    if " \n" in text or "\n " in text or text[:1] == " " or text[-1:] == " ":
        text = text.replace(" \n", "\n").replace("\n ", "\n").strip(" ")
    if "(" in text or "#" in text:
        text = "\n".join(
            k[k.find(")") + 1 :].lstrip(" ") if k[:1] == "(" else "" if k[:1] == "#" else k
            for k in text.split("\n")
        )
    return text


class _Ballots:
    """The ballot lines of a BLT file read into arrays.

    Each distinct line is taken once (``papers``: line -> times). Lines in the plain
    form (nearly all, once tidied) are read all together with numpy; the others
    (equal rankings, fractional weights, mistakes) word by word."""

    def __init__(self, source: str, n: int, withdrawn: set[int], lines: list[str], start: int):
        self.source, self.n, self.withdrawn = source, n, withdrawn
        self.lines, self.start = lines, start

    def fail(self, raw: str, err: BallotFileError) -> BallotFileError:
        line = self.lines.index(raw, self.start) + 1
        return BallotFileError(self.source, line, err.message, err.column)

    def read(self, papers: Counter[str]) -> tuple[np.ndarray, np.ndarray, Weight]:
        """Padded rows of 1-based candidate numbers (0 = none), weights x times, overvotes."""
        raws = list(papers)
        times = np.fromiter(papers.values(), dtype=np.int64, count=len(raws))
        chars = np.frombuffer(_plain_text("\n".join(raws)).encode("utf-8"), dtype=np.uint8)
        breaks = np.flatnonzero(chars == 10)
        odd = np.unique(np.searchsorted(breaks, np.flatnonzero(~_PLAIN_BYTES[chars])))
        if len(odd):
            # Lines with anything but digits and spaces are read word by word below.
            chars = chars.copy()
            begins = np.insert(breaks + 1, 0, 0)
            ends = np.append(breaks, len(chars))
            for i in odd.tolist():
                chars[begins[i] : ends[i]] = 32
        prefs, weights, used = self._plain(chars, breaks, raws, odd)
        prefs, weights = prefs[used], (weights * times)[used]
        overvotes: Weight = 0
        if not len(odd):
            return prefs, weights, overvotes
        rows: list[list[int]] = []
        extra: list[Weight] = []
        for i in odd.tolist():
            try:
                weight, row, cut = _ballot_line(raws[i], self.n, self.withdrawn)
            except BallotFileError as err:
                raise self.fail(raws[i], err) from None
            rows.append(row)
            extra.append(weight * int(times[i]))
            if cut:
                overvotes += extra[-1]
        width = max(prefs.shape[1], max(map(len, rows), default=0))
        more = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            more[i, : len(row)] = row
        grown = np.zeros((len(prefs), width), dtype=np.int64)
        grown[:, : prefs.shape[1]] = prefs
        exact = any(isinstance(w, Fraction) for w in extra)
        weights = weights.astype(object) if exact else weights
        return (
            np.vstack([grown, more]),
            np.concatenate([weights, np.array(extra, dtype=weights.dtype)]),
            overvotes,
        )

    def _plain(
        self, chars: np.ndarray, breaks: np.ndarray, raws: list[str], odd: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Lines of digits and single spaces read with numpy: rows of numbers, weights,
        and which lines held a ballot. Lines in ``odd`` were blanked and are skipped. A
        line that is not ``weight p1 p2 ... 0`` with distinct candidates is re-read for
        its error."""
        ends = np.append(breaks, len(chars))
        begins = np.insert(breaks + 1, 0, 0)
        spaces = np.concatenate([[0], np.cumsum(chars == 32)])
        words = np.where(ends > begins, spaces[ends] - spaces[begins] + 1, 0)
        words[odd] = 0
        values = (
            np.fromstring(chars.tobytes(), dtype=np.int64, sep=" ") if words.any() else words[:0]
        )
        used = words > 0
        starts = np.cumsum(words) - words
        count = np.where(used, words - 2, 0)
        bad = used & (count < 0)
        count = np.maximum(count, 0)
        width = int(count.max()) if len(count) else 0
        prefs = np.zeros((len(words), width), dtype=np.int64)
        row_of = np.repeat(np.arange(len(words)), count)
        col = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        prefs[row_of, col] = values[np.repeat(starts + 1, count) + col]
        weights = np.zeros(len(words), dtype=np.int64)
        weights[used] = values[starts[used]]
        last = np.zeros(len(words), dtype=np.int64)
        last[used] = values[(starts + words - 1)[used]]
        bad |= (last != 0) | (weights >= 10**15) | (prefs > self.n).any(axis=1)
        bad |= ((prefs == 0) & (np.arange(width) < count[:, None])).any(axis=1)
        ordered = np.sort(prefs, axis=1)
        bad |= ((ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] > 0)).any(axis=1)
        if bad.any():
            raw = raws[int(np.flatnonzero(bad)[0])]
            try:
                _ballot_line(raw, self.n, self.withdrawn)
            except BallotFileError as err:
                raise self.fail(raw, err) from None
            raise self.fail(raw, BallotFileError("", 0, "a ballot line that cannot be read"))
        if self.withdrawn:
            prefs[np.isin(prefs, list(self.withdrawn))] = 0
        return prefs, weights, used


def _split_party(text: str) -> tuple[str, str]:
    match = _PARTY.fullmatch(text)
    if match:
        return match.group(1), match.group(2)
    return text, ""


def _tidy(text: str) -> str:
    return " ".join(text.split())


def _name_items(raw: str, source: str, line: int) -> tuple[list[str], str]:
    """A names-section line: its quoted strings and any unquoted text after them."""
    text = raw.strip()
    if not text.startswith('"'):
        return [], text
    strings: list[str] = []
    at = 0
    while at < len(text) and text[at] == '"':
        match = _QUOTED.match(text, at)
        if not match:
            col = len(raw) - len(raw.lstrip()) + at + 1
            raise BallotFileError(source, line, "'\"' without a closing '\"'", col)
        strings.append(match.group(1).replace('\\"', '"'))
        at = match.end()
        while at < len(text) and text[at] in " \t":
            at += 1
    return strings, text[at:]


def _names_and_title(
    lines: list[tuple[int, str]], n: int, source: str, after: int
) -> tuple[list[tuple[str, str]], str, list[int]]:
    """Candidates (name, party), the title and each candidate's line, from the names section
    (``lines``, numbered; ``after`` is the line ending the ballots, blamed if it is empty)."""
    items = [(number, *_name_items(raw, source, number)) for number, raw in lines]
    quoted_only = all(strings and not rest for _, strings, rest in items)
    count = sum(len(strings) + (1 if rest else 0) for _, strings, rest in items)
    if quoted_only and count in (n, n + 1) or quoted_only and len(items) < n:
        flat = [(number, s) for number, strings, _ in items for s in strings]
        if len(flat) < n:
            at = flat[-1][0] if flat else (lines[-1][0] if lines else after)
            raise BallotFileError(source, at, f"expected {n} candidate names, found {len(flat)}")
        found = [_split_party(s) for _, s in flat[:n]]
        return found, " ".join(s for _, s in flat[n:]), [number for number, _ in flat[:n]]
    if len(items) < n:
        at = items[-1][0] if items else (lines[-1][0] if lines else after)
        raise BallotFileError(source, at, f"expected {n} candidate names, found {len(items)}")
    found = []
    for number, strings, rest in items[:n]:
        if len(strings) > 2 or (len(strings) == 2 and rest):
            raise BallotFileError(
                source, number, "expected a name and at most one party on a candidate's line"
            )
        if len(strings) == 2:
            found.append((strings[0], strings[1]))
        elif strings:
            found.append((strings[0], rest.strip("()")) if rest else _split_party(strings[0]))
        else:
            found.append(_split_party(rest))
    title = " ".join(" ".join(strings + ([rest] if rest else [])) for _, strings, rest in items[n:])
    return found, title, [number for number, _, _ in items[:n]]


def _content(lines: list[str], start: int, stop: int) -> list[int]:
    """Indices of the lines in ``lines[start:stop]`` that are neither blank nor comments."""
    return [
        i for i in range(start, stop) if (text := lines[i].strip()) and not text.startswith("#")
    ]


def parse_blt(text: str, source: str) -> ElectionFile:
    """Parse a BLT file in any of the published styles (see the module docstring)."""
    lines = text.lstrip("\ufeff").splitlines()
    at = 0
    while at < len(lines) and (not lines[at].strip() or lines[at].lstrip().startswith("#")):
        at += 1
    if at == len(lines):
        raise BallotFileError(source, 1, "empty file: expected 'candidates seats'", 1)
    fields = _ints(lines[at], source, at + 1, "header value")
    if len(fields) != 2:
        raise BallotFileError(
            source,
            at + 1,
            f"expected 'candidates seats' (two whole numbers), got {lines[at].strip()!r}",
            1,
        )
    (_, n), (seats_col, seats) = fields
    if n < 1 or seats < 1:
        raise BallotFileError(
            source, at + 1, "candidates and seats must both be at least 1", seats_col
        )
    withdrawn: set[int] = set()
    at += 1
    while at < len(lines) and (not lines[at].strip() or lines[at].lstrip()[:1] in "#-"):
        if lines[at].lstrip().startswith("-"):
            for col, c in _ints(lines[at], source, at + 1, "withdrawn candidate"):
                if not 1 <= -c <= n:
                    raise BallotFileError(
                        source,
                        at + 1,
                        f"withdrawn candidate {c} out of range (expected -1 to -{n})",
                        col,
                    )
                withdrawn.add(-c)
        at += 1
    start = at
    end, papers = _ballot_lines(lines, start, source)
    numbers, totals, overvotes = _Ballots(source, n, withdrawn, lines, start).read(papers)
    rest = [(i + 1, lines[i]) for i in _content(lines, end + 1, len(lines))]
    found, title, at_line = _names_and_title(rest, n, source, end + 1)
    names = [_tidy(name) for name, _ in found]
    for i, name in enumerate(names):
        if not name:
            raise BallotFileError(source, at_line[i], f"candidate {i + 1} has an empty name")
        if name in names[:i]:
            raise BallotFileError(source, at_line[i], f"two candidates share the name {name!r}")
    parties = {name: _tidy(party) for name, (_, party) in zip(names, found, strict=True) if party}
    kept = [name for i, name in enumerate(names, 1) if i not in withdrawn]
    prefs, weights = withdraw_rows(numbers, totals, n, withdrawn)
    return ElectionFile(
        source=source,
        format="blt",
        title=_tidy(title),
        candidates=tuple(kept),
        prefs=prefs,
        weights=weights,
        seats=seats,
        withdrawn=tuple(names[c - 1] for c in sorted(withdrawn)),
        overvotes=overvotes,
        parties={name: party for name, party in parties.items() if name in kept},
    )


def _ballot_lines(lines: list[str], start: int, source: str) -> tuple[int, Counter[str]]:
    """Where the ballots end (the line ``0``, also written ``0,`` or ``0 ``), and each
    distinct ballot line with the number of times it occurs before that."""
    try:
        end = lines.index("0", start)
    except ValueError:
        end = len(lines)
    papers = Counter(lines[start:end])
    variants = [raw for raw in papers if raw[:1] in "0 \t" and _is_zero_line(raw)]
    if variants:
        end = min(lines.index(raw, start) for raw in variants)
        papers = Counter(lines[start:end])
    if end == len(lines):
        last = max((i for i, raw in enumerate(lines) if raw.strip()), default=0)
        raise BallotFileError(
            source, last + 1, "ballots not ended by a line '0' (expected '0' after the ballots)"
        )
    return end, papers
