"""Knowing a vote again when it comes back, without linking its voter to its paper.

A vote can reach the tally twice: the tally commits the mark and the paper,
dies before it answers, and the broker hands the same call to the restarted
tally; or the caller, told "not answering just now", sends it again. Both
must get the first answer (the receipt), and no second paper, while a
genuinely second vote is still refused.

The caller sends a *request token* with the vote: a high-entropy value only
it holds (the gateway derives it from the access code, the choices and a
request id of the voter's; ``gateway.voting``). From the token and a key the
tally holds outside its database, two unrelated values are made:

- ``mark_tag``: stored on the voter's mark, so a repeat can be recognised;
- ``receipt``: the paper's receipt (its key in the box, published on the
  bulletin board with the choices).

Neither can be computed from the other, nor from the membership number: both
need the token, which is never stored. So the marked register (who) and the
box (how) stay unlinkable to anyone holding the database and the key but not
the token; the voter, who holds the token, could already show their receipt.
A vote without a token gets a random receipt and an empty tag, as before.
At close the tags are erased with the rest of the casting order
(``closing``).
"""

from __future__ import annotations

import hashlib
import hmac

#: A token's length, in characters, that the tally accepts (the gateway sends 64 hex).
TOKEN_LENGTH = (32, 128)


def key_from(secret: bytes) -> bytes:
    """The key for repeats, derived from the tally's secret (not the secret itself)."""
    return hmac.new(secret, b"rollcall tally: repeated votes", hashlib.sha256).digest()


def _derive(key: bytes, purpose: str, ballot_id: int, number: str, token: str) -> str:
    message = "\x1f".join((purpose, str(ballot_id), number, token)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def mark_tag(key: bytes, ballot_id: int, number: str, token: str) -> str:
    """What the mark keeps of the request: 64 hex characters."""
    return _derive(key, "mark", ballot_id, number, token)


def receipt(key: bytes, ballot_id: int, number: str, token: str) -> str:
    """The paper's receipt for this request: 32 hex characters, like a random one."""
    return _derive(key, "receipt", ballot_id, number, token)[:32]


def valid_token(token: object) -> bool:
    low, high = TOKEN_LENGTH
    return isinstance(token, str) and low <= len(token) <= high and token.isprintable()
