"""The ledger's states and the moves between them: pure rules.

Every accepted member of a ballot is in exactly one state. ``move`` says what
an incoming fact does to a member's state, or why it may not (a refusal is
recorded, never ignored). States and their plain-words meaning are the
vocabulary officers and scrutineers see.
"""

from __future__ import annotations

from dataclasses import dataclass

#: state -> what it means, in words an association officer understands.
STATES: dict[str, str] = {
    "awaiting_match": "being matched to the electoral register",
    "in_review": "waiting for an officer to review the register match",
    "excluded": "not eligible",
    "awaiting_code": "eligible; access code being issued",
    "code_emailed": "access code sent by email",
    "letter_queued": "access code queued for posting",
    "mail_failed": "access code could not be delivered",
    "voted": "has voted",
}
#: States that change without anyone acting: a ballot at rest has none.
IN_FLIGHT = ("awaiting_match", "awaiting_code")
#: Facts that arrive from other services, and the states each may move from.
MOVES: dict[str, tuple[str, tuple[str, ...]]] = {
    "matched": ("awaiting_code", ("awaiting_match", "in_review", "excluded")),
    "review": ("in_review", ("awaiting_match", "in_review")),
    "excluded": ("excluded", ("awaiting_match", "in_review", "awaiting_code")),
    "code_emailed": ("code_emailed", ("awaiting_code", "mail_failed", "letter_queued")),
    "letter_queued": ("letter_queued", ("awaiting_code", "mail_failed", "code_emailed")),
    "mail_failed": ("mail_failed", ("awaiting_code", "code_emailed")),
    "voted": (
        "voted",
        ("awaiting_code", "code_emailed", "letter_queued", "mail_failed", "in_review", "excluded"),
    ),
    "rematch": (
        "awaiting_match",
        ("in_review", "excluded", "awaiting_code", "code_emailed", "letter_queued", "mail_failed"),
    ),
}


@dataclass(frozen=True)
class Move:
    state: str
    reason: str


class MoveRefused(ValueError):
    """A fact cannot move a member from the state they are in."""


def move(current: str, fact: str, reason: str) -> Move:
    """The member's new state after ``fact``; ``MoveRefused`` if it does not apply."""
    target, allowed_from = MOVES[fact]
    if current == target and fact not in ("review",):
        return Move(target, reason)
    if current not in allowed_from:
        raise MoveRefused(
            f"cannot record {fact!r}: the member's state is {current} ({STATES.get(current, 'unknown')})"
        )
    return Move(target, reason)
