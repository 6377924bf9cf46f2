"""The order a contest's candidates are shown in: on the voting page, and on a print batch. Pure.

A contest's ``order`` is one of ``ORDERS``:

- ``fixed`` (the default): as the definition lists them;
- ``alphabetical``: by surname, then by the whole name; the surname is the
  last word of the name (``Mary Ann SMITH`` sorts as ``SMITH``), compared
  case-, accent- and punctuation-insensitively (``Ó Súilleabháin`` sorts as
  ``SUILLEABHAIN``, ``de la Cruz`` as ``CRUZ``); a name of one word is its own
  surname. RON (re-open nominations) always stays last;
- ``random``: on the voting page, a fresh shuffle for every page view, drawn
  from ``secrets`` (the operating system's randomness), never stored, never
  logged, and not derived from anything the voter sends, so nothing can link
  an order to a voter; on post, rotated per print batch: batch ``k`` starts at
  candidate ``k mod n`` of the definition's list.

Order is presentation only: a paper is stored and counted by candidate name,
so the order a voter saw never changes what is counted.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Sequence

ORDERS = ("fixed", "alphabetical", "random")
#: The name a contest's RON candidate goes by (``registration.schemas.RON``).
RON = "RON (re-open nominations)"


def _folded(word: str) -> str:
    """A word without accents, case or punctuation, for sorting."""
    plain = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in plain if ch.isalnum()).casefold()


def surname_key(name: str) -> tuple[str, str]:
    """The sort key of a name: its last word, then the whole name, both folded."""
    words = name.split()
    last = words[-1] if words else name
    # "Jane SMITH (Lab)": a trailing party in parentheses is not the surname.
    if len(words) > 1 and last.startswith("("):
        last = words[-2]
    return _folded(last), " ".join(_folded(w) for w in words)


def _split_ron(candidates: Sequence[str]) -> tuple[list[str], list[str]]:
    return [c for c in candidates if c != RON], [c for c in candidates if c == RON]


def alphabetical(candidates: Sequence[str]) -> list[str]:
    """By surname then name; RON last."""
    people, ron = _split_ron(candidates)
    return sorted(people, key=surname_key) + ron


def shuffled(candidates: Sequence[str]) -> list[str]:
    """A fresh random order from the system's randomness (``secrets``); nothing is seeded."""
    order = list(candidates)
    secrets.SystemRandom().shuffle(order)
    return order


def rotated(candidates: Sequence[str], batch: int) -> list[str]:
    """The definition's list rotated to start at candidate ``batch mod n``."""
    if not candidates:
        return []
    k = batch % len(candidates)
    return [*candidates[k:], *candidates[:k]]


def for_page(candidates: Sequence[str], order: str | None) -> list[str]:
    """The order one view of the voting page shows (a fresh shuffle each call for ``random``)."""
    if order == "alphabetical":
        return alphabetical(candidates)
    if order == "random":
        return shuffled(candidates)
    return list(candidates)


def for_batch(candidates: Sequence[str], order: str | None, batch: int) -> list[str]:
    """The order print batch ``batch`` shows: ``random`` rotates per batch, never shuffles."""
    if order == "alphabetical":
        return alphabetical(candidates)
    if order == "random":
        return rotated(candidates, batch)
    return list(candidates)
