"""Personal names: folding, forename tokens, surname keys, nicknames and name comparisons.

This module owns how two names are compared, and nothing else: it never decides a
match. Every function is pure and deterministic; the parsers are cached on the raw
string because names repeat a great deal in a register.

Guarantees:

- ``parse_name`` never raises on any text; an empty name gives empty tokens.
- Folding removes accents, case and punctuation, so ``O'Brien``, ``OBRIEN`` and
  ``O Brien`` share one ``surname.key``; hyphens and spaces split surname parts.
- ``compare_forenames`` and ``compare_surnames`` are symmetric except where the
  level itself is directional (a member known by the elector's *middle* name).
- The nickname table is the data file ``nicknames.csv`` beside this module (one
  group of interchangeable forenames per line); it is read on first use, never at
  import time.
"""

from __future__ import annotations

import csv
import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import jellyfish
from rapidfuzz.distance import OSA, JaroWinkler

TITLES = frozenset(
    "MR MRS MS MISS MX DR PROF REV REVD SIR DAME LADY LORD CLLR FR SR MASTER".split()
)
#: Surname particles too short or too common to identify a family on their own.
PARTICLES = frozenset(
    "DE DA DI DU EL AL LA LE VAN VON DER DEN BIN BINTI BEN MC MAC ST NI NIC UA AP AB".split()
)

_NOT_LETTER = re.compile(r"[^A-Z\s\-]")
_SPACES = re.compile(r"[\s\-]+")


#: Letters that Unicode does not decompose into a base letter and a mark (``Ł`` is
#: not ``L`` plus a stroke to NFKD), written as a reader of the language would.
LETTERS = str.maketrans({
    "Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "Ð": "D", "ð": "d",
    "ß": "ss", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Þ": "TH", "þ": "th",
    "ı": "i", "Ħ": "H", "ħ": "h",
})  # fmt: skip


def fold(text: str) -> str:
    """Upper-case ASCII letters, spaces and hyphens only; apostrophes and dots vanish.
    Letters with a stroke or a ligature become their ASCII spelling (``Ł`` -> ``L``)."""
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(LETTERS))
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
    ascii_only = ascii_only.replace("'", "").replace("\u2019", "").replace(".", " ")
    return " ".join(_NOT_LETTER.sub(" ", ascii_only).split())


# Hashed and compared by value like a frozen dataclass, but not frozen: a frozen
# dataclass sets every field through object.__setattr__, and a London run makes
# millions of these (Address and Elector likewise). Nothing changes one once made.
@dataclass(slots=True, unsafe_hash=True)
class PersonName:
    """A parsed name. ``forenames`` are folded tokens; one-letter tokens are initials."""

    raw_forenames: str
    raw_surname: str
    forenames: tuple[str, ...]
    surname: str
    surname_key: str
    surname_parts: tuple[str, ...]
    surname_sound: str

    def __reduce__(self) -> tuple[type[PersonName], tuple[object, ...]]:
        # Pickled by position, as ``Address`` is.
        return PersonName, (
            self.raw_forenames, self.raw_surname, self.forenames, self.surname,
            self.surname_key, self.surname_parts, self.surname_sound,
        )  # fmt: skip

    @property
    def first(self) -> str:
        return self.forenames[0] if self.forenames else ""

    @property
    def display(self) -> str:
        return " ".join(p for p in (self.raw_forenames.strip(), self.raw_surname.strip()) if p)


@lru_cache(maxsize=400_000)
def forename_tokens(text: str) -> tuple[str, ...]:
    """Folded forename tokens with leading titles removed (``Mr J. M.`` -> ``J``, ``M``)."""
    tokens = [sys.intern(t) for t in _SPACES.split(fold(text)) if t]
    while tokens and tokens[0] in TITLES and len(tokens) > 1:
        tokens.pop(0)
    return tuple(tokens)


@lru_cache(maxsize=400_000)
def sound(token: str) -> str:
    """A phonetic code (Metaphone) for a folded token; empty for an empty token."""
    return jellyfish.metaphone(token) if token else ""


@lru_cache(maxsize=400_000)
def _surname(text: str) -> tuple[str, str, tuple[str, ...], str]:
    # Interned: millions of electors share a few hundred thousand surnames.
    folded = sys.intern(fold(text))
    key = sys.intern(folded.replace(" ", "").replace("-", ""))
    parts = tuple(
        sys.intern(p) for p in _SPACES.split(folded) if len(p) >= 3 and p not in PARTICLES
    )
    return folded, key, parts, sys.intern(sound(key))


@lru_cache(maxsize=65_536)  # full names repeat across a city ("John Smith")
def parse_name(forenames: str, surname: str) -> PersonName:
    """Parse raw forenames and surname as printed on a register or an extract."""
    forenames, surname = (forenames or "").strip(), (surname or "").strip()
    folded, key, parts, snd = _surname(surname)
    return PersonName(
        # Interned: a London register repeats its forenames and surnames millions of
        # times, and a matching worker holds two million of them.
        raw_forenames=sys.intern(forenames),
        raw_surname=sys.intern(surname),
        forenames=forename_tokens(forenames or ""),
        surname=folded,
        surname_key=key,
        surname_parts=parts,
        surname_sound=snd,
    )


class NicknameTable:
    """Groups of forenames that can name one person (``BOB`` ~ ``ROBERT``)."""

    def __init__(self, groups: list[tuple[str, ...]]) -> None:
        index: dict[str, set[int]] = {}
        for number, group in enumerate(groups):
            for name in group:
                index.setdefault(name, set()).add(number)
        self._index = {name: frozenset(ids) for name, ids in index.items()}
        self._groups = [frozenset(group) for group in groups]
        self._forms: dict[str, frozenset[str]] = {}

    @classmethod
    def from_csv_text(cls, text: str) -> NicknameTable:
        """Parse ``name,also_known_as`` rows, the variants separated by spaces."""
        groups: list[tuple[str, ...]] = []
        for row in csv.DictReader(text.splitlines()):
            names = [fold(row["name"])] + [fold(v) for v in row["also_known_as"].split()]
            groups.append(tuple(dict.fromkeys(n for n in names if n)))
        return cls(groups)

    def equivalent(self, a: str, b: str) -> bool:
        """True when ``a`` and ``b`` differ but belong to one group of the table."""
        if a == b:
            return False
        ga = self._index.get(a)
        gb = self._index.get(b)
        return bool(ga and gb and not ga.isdisjoint(gb))

    def forms(self, name: str) -> frozenset[str]:
        """Every name sharing a group with ``name`` (itself included when listed)."""
        found = self._forms.get(name)
        if found is None:
            ids = self._index.get(name, ())
            found = self._forms[name] = frozenset().union(*(self._groups[n] for n in ids))
        return found


@lru_cache(maxsize=1)
def nicknames() -> NicknameTable:
    """The packaged nickname table, read once on first use."""
    text = resources.files("services.matching.matcher").joinpath("nicknames.csv").read_text("utf-8")
    return NicknameTable.from_csv_text(text)


def slip(a: str, b: str) -> int:
    """How many typing slips separate two tokens: 1 or 2, or 0 when neither fits.

    One slip is one edit (insert, delete, substitute, swap neighbours) between
    tokens of four letters or more; two slips need eight letters or more.
    """
    if a == b or min(len(a), len(b)) < 4:
        return 0
    distance = OSA.distance(a, b, score_cutoff=2)
    if distance == 1:
        return 1
    if distance == 2 and min(len(a), len(b)) >= 8:
        return 2
    return 0


def short_slip(a: str, b: str) -> bool:
    """Two short surname keys (under four letters, which ``slip`` leaves alone) one
    edit apart: ``Cen`` / ``Chen``, ``Lu`` / ``Liu``, ``Pna`` / ``Pena``. Too weak to
    score as a typing slip (``Li`` / ``Lu`` are two families), enough to keep a member
    at their own address from being dropped."""
    return a != b and 2 <= min(len(a), len(b)) < 4 and OSA.distance(a, b, score_cutoff=1) == 1


def shortened(short: str, full: str) -> bool:
    """``short`` reads as a short form of ``full`` as a person would write it: the
    start of the name (``Gwil`` for ``Gwilym``, three letters or more), its end
    (``Sandra`` for ``Alexandra``, ``Tunde`` for ``Babatunde``, four or more), or a listed
    short form with one typing slip (``Bil`` for ``Bill``, so ``William``)."""
    if len(short) < 3 or len(short) >= len(full):
        return False
    if full.startswith(short) or (len(short) >= 4 and full.endswith(short)):
        return True
    return any(
        abs(len(form) - len(short)) <= 1 and OSA.distance(short, form, score_cutoff=1) <= 1
        for form in nicknames().forms(full)
        if form != full
    )


def sounds_alike(a: str, b: str) -> bool:
    """Same first letter and same Metaphone code, and close in spelling."""
    return (
        a != b
        and len(a) >= 3
        and len(b) >= 3
        and a[0] == b[0]
        and sound(a) == sound(b)
        and JaroWinkler.similarity(a, b) >= 0.8
    )


@dataclass(slots=True, eq=False)  # not frozen: made for every pair compared (see Comparison)
class NameLevel:
    """How two names (or one name part) agree, with the two values compared."""

    level: str
    member: str = ""
    elector: str = ""
    slips: int = 0


def compare_forenames(member: tuple[str, ...], elector: tuple[str, ...]) -> NameLevel:
    """The best agreement of the member's first forename with the elector's forenames.

    Levels, best first: ``exact``, ``nickname``, ``typo``, ``sounds``, ``short``
    (the start of the name, or a short form with a typing slip), ``middle``
    (the member uses the elector's middle name, or the elector the member's),
    ``initial``, ``different``, ``missing``.
    """
    if not member or not elector:
        return NameLevel("missing")
    m, e = member[0], elector[0]
    if m == e:
        return NameLevel("exact", m, e)
    if len(m) == 1 or len(e) == 1:
        if m[0] == e[0]:
            return NameLevel("initial", m, e)
        return NameLevel("different", m, e)
    table = nicknames()
    if table.equivalent(m, e):
        return NameLevel("nickname", m, e)
    slips = slip(m, e)
    if slips:
        return NameLevel("typo", m, e, slips)
    if sounds_alike(m, e):
        return NameLevel("sounds", m, e)
    if shortened(m, e) if len(m) < len(e) else shortened(e, m):
        return NameLevel("short", m, e)
    for middle in elector[1:]:
        if len(middle) > 1 and middle == m:
            return NameLevel("middle", m, " ".join(elector))
    for middle in member[1:]:
        if len(middle) > 1 and middle == e:
            return NameLevel("middle", " ".join(member), e)
    # A short form or a typing slip of a middle name is two departures from the name
    # on the register, not one: weaker than a short form of the first name (``Gail`` is
    # Abigail before Alexandra Abigail). ``slips`` says which: 1 a listed short form,
    # 2 a typing slip (never matched without a person: see ``deciding``).
    for middle in elector[1:]:
        if len(middle) > 1 and (table.equivalent(middle, m) or slip(middle, m) == 1):
            return NameLevel("middle", m, " ".join(elector), _form(middle, m))
    for middle in member[1:]:
        if len(middle) > 1 and (table.equivalent(middle, e) or slip(middle, e) == 1):
            return NameLevel("middle", " ".join(member), e, _form(middle, e))
    return NameLevel("different", m, e)


def _form(middle: str, name: str) -> int:
    """1 when ``name`` is a listed short form of ``middle``, else 2 (a typing slip)."""
    return 1 if nicknames().equivalent(middle, name) else 2


def compare_middle(member: tuple[str, ...], elector: tuple[str, ...], first: str) -> NameLevel:
    """Whether the names after the first agree: ``agree``, ``initial``, ``conflict``,
    ``member_only`` (the elector has none), or ``absent`` (nothing to compare)."""
    if first == "middle" or len(member) < 2:
        return NameLevel("absent")
    if len(elector) < 2:
        return NameLevel("member_only", member[1])
    m, e = member[1], elector[1]
    if m == e or nicknames().equivalent(m, e) or slip(m, e):
        return NameLevel("agree" if len(m) > 1 else "initial", m, e)
    if (len(m) == 1 or len(e) == 1) and m[0] == e[0]:
        return NameLevel("initial", m, e)
    return NameLevel("conflict", m, e)


def _mac(key: str) -> str:
    """``MCDONALD`` -> ``MACDONALD``: Mc and Mac are one prefix written two ways."""
    return "MAC" + key[2:] if key.startswith("MC") else key


_DOUBLED = re.compile(r"(.)\1+")


def _undoubled(key: str) -> str:
    """``LII`` -> ``LI``: every run of one letter written once."""
    return _DOUBLED.sub(r"\1", key)


def _several(folded: str) -> bool:
    """Whether a folded surname has more than one word (spaces or hyphens)."""
    return " " in folded or "-" in folded


def compare_surnames(member: PersonName, elector: PersonName) -> NameLevel:
    """Levels, best first: ``exact``, ``punctuation`` (same letters, different
    spacing or marks), ``mac`` (Mc for Mac), ``part`` (one part of a double-barrelled name), ``typo``,
    ``sounds``, ``different``, ``missing``."""
    m, e = member.surname_key, elector.surname_key
    if not m or not e:
        return NameLevel("missing")
    if m == e:
        if member.raw_surname.upper().split() == elector.raw_surname.upper().split():
            return NameLevel("exact", member.surname, elector.surname)
        return NameLevel("punctuation", member.raw_surname.strip(), elector.raw_surname.strip())
    if _mac(m) == _mac(e):
        return NameLevel("mac", member.raw_surname.strip(), elector.raw_surname.strip())
    parts_m, parts_e = set(member.surname_parts), set(elector.surname_parts)
    # ``Briain`` for ``Ni Briain``, ``Owain`` for ``ab Owain``: a particle dropped is a
    # part of the name kept, as is one half of ``Dobson-Taylor``.
    several = _several(member.surname) or _several(elector.surname)
    if several and not parts_m.isdisjoint(parts_e):
        return NameLevel("part", member.raw_surname.strip(), elector.raw_surname.strip())
    # A doubled letter is a slip in a surname of any length (``Lii`` for ``Li``).
    slips = slip(m, e) or int(min(len(m), len(e)) < 4 and _undoubled(m) == _undoubled(e))
    if slips:
        return NameLevel("typo", member.raw_surname.strip(), elector.raw_surname.strip(), slips)
    if sounds_alike(m, e):
        return NameLevel("sounds", member.raw_surname.strip(), elector.raw_surname.strip())
    return NameLevel("different", member.raw_surname.strip(), elector.raw_surname.strip())
