"""Access codes: generation, check symbol, normalisation, keyed hash. Pure.

A code is 18 symbols from a 29-symbol alphabet with no look-alikes (no 0, O,
1, I, L, U or Z): 17 symbols drawn with ``secrets`` (17 x log2(29) = 82.6
bits) and one check symbol making a position-weighted sum 0 modulo 29 (a
prime), which catches every single-symbol error and every swap of two
adjacent symbols. It is shown as three groups of six.

Only ``code_hash(key, ballot_id, code)`` — HMAC-SHA256 under a secret key that
has no default — is ever stored, so a copy of the database reveals no code.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXY"
RANDOM_SYMBOLS = 17
LENGTH = RANDOM_SYMBOLS + 1
_INDEX = {c: i for i, c in enumerate(ALPHABET)}


class MalformedCodeError(ValueError):
    """Not something we could have issued: wrong length, symbols or check symbol."""


def check_symbol(body: str) -> str:
    """The symbol that makes the weighted sum of the whole code 0 modulo 29.

    Position ``i`` (from 1) weighs ``i``; 29 is prime and the weights 1..18 are
    distinct and non-zero modulo 29, so a wrong symbol anywhere changes the sum,
    and so does swapping two adjacent different symbols (their weights differ
    by one). Luhn mod N, tried first, misses some swaps; a property test found one.
    """
    n = len(ALPHABET)
    total = sum((i + 1) * _INDEX[ch] for i, ch in enumerate(body))
    weight = len(body) + 1
    return ALPHABET[(-total * pow(weight, -1, n)) % n]


def generate(choice: Callable[[str], str] = secrets.choice) -> str:
    """A new code, unformatted (18 symbols)."""
    body = "".join(choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    return body + check_symbol(body)


def formatted(code: str) -> str:
    return "-".join(code[i : i + 6] for i in range(0, len(code), 6))


def normalise(raw: str) -> str:
    """What the voter typed, as a bare code; ``MalformedCodeError`` if it cannot be one.

    Spaces, hyphens and case are ignored. Symbols outside the alphabet (O, 0,
    I, 1, L, U) make the code malformed: guessing what was meant would turn a
    typing mistake into somebody else's valid code.
    """
    code = "".join(ch for ch in raw.upper() if ch not in " -\t")
    if len(code) != LENGTH:
        raise MalformedCodeError(
            f"an access code has {LENGTH} letters and digits; this has {len(code)}"
        )
    bad = sorted({ch for ch in code if ch not in _INDEX})
    if bad:
        raise MalformedCodeError(f"an access code never contains {', '.join(bad)}")
    if check_symbol(code[:-1]) != code[-1]:
        raise MalformedCodeError("this access code has a typing mistake in it")
    return code


def code_hash(key: bytes, ballot_id: int, code: str) -> str:
    return hmac.new(key, f"{ballot_id}:{code}".encode(), hashlib.sha256).hexdigest()
