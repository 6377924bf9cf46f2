"""The ledger's states and the facts that move a member between them: pure rules.

Every accepted member of a ballot is in exactly one state. ``initial`` gives a
newly admitted member their first state and its reason; ``move`` says what a
later fact does to a member's state, or why it may not (``MoveRefused``: the
caller records the refusal, never ignores it). The states and their
plain-words meanings are the vocabulary officers and scrutineers see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: state -> what it means, in words an association officer understands.
STATES: dict[str, str] = {
    "awaiting_match": "being matched to the electoral register",
    "in_review": "waiting for an officer to review the register match",
    "excluded": "not eligible",
    "awaiting_code": "eligible; access code being issued",
    "code_emailed": "access code sent by email",
    "letter_queued": "access code queued for posting",
    "mail_failed": "not reached: access code could not be delivered by email or post",
    "voted": "has voted",
}
#: States that change without anyone acting: a ballot at rest has none.
IN_FLIGHT = ("awaiting_match", "awaiting_code")
#: States in which a member holds an access code (or had one sent).
HOLDS_CODE = ("code_emailed", "letter_queued", "mail_failed")
#: States of members eligible but not reached: their officer is shown them with the reason.
NOT_REACHED = ("mail_failed",)
#: States in which a member is enrolled with the codes and tally services.
ENROLLED = ("awaiting_code", *HOLDS_CODE)


@dataclass(frozen=True)
class Fact:
    """What a fact does: the state it moves a member to, and from which states."""

    to: str
    from_states: tuple[str, ...]
    #: States the fact finds already settled: it leaves them as they are, and refuses nothing.
    leaves: tuple[str, ...] = ()


#: Every fact, from other services, officers and other party systems.
MOVES: dict[str, Fact] = {
    "matched": Fact("awaiting_code", ("awaiting_match", "in_review", "excluded")),
    "review": Fact("in_review", ("awaiting_match", "in_review")),
    "excluded": Fact("excluded", ("awaiting_match", "in_review", "awaiting_code")),
    "code_emailed": Fact("code_emailed", ("awaiting_code", "mail_failed", "letter_queued")),
    "letter_queued": Fact("letter_queued", ("awaiting_code", "mail_failed", "code_emailed")),
    "mail_failed": Fact("mail_failed", ("awaiting_code", "code_emailed")),
    # An operator has a code sent again: a new one replaces it, so the member awaits it.
    "resend": Fact("awaiting_code", HOLDS_CODE),
    # A member asked for a replacement code (self-service): the old one is revoked, a new one comes.
    "replacement_requested": Fact("awaiting_code", HOLDS_CODE),
    # An email the server had accepted bounced later: not reached, until a letter is queued.
    "bounced": Fact("mail_failed", ("awaiting_code", "code_emailed")),
    # After a bounce (or a failure) the code goes by post instead.
    "letter_queued_after_bounce": Fact(
        "letter_queued", ("awaiting_code", "code_emailed", "mail_failed")
    ),
    "voted": Fact(
        "voted",
        ("awaiting_code", "code_emailed", "letter_queued", "mail_failed", "in_review", "excluded"),
    ),
    "rematch": Fact(
        "awaiting_match",
        ("in_review", "excluded", "awaiting_code", "code_emailed", "letter_queued", "mail_failed"),
    ),
    # A membership lapsed before the freeze: whoever has not voted is excluded,
    # with or without a code; a vote already cast stands.
    "lapsed": Fact(
        "excluded",
        ("awaiting_match", "in_review", *ENROLLED),
        leaves=("excluded", "voted"),
    ),
}


@dataclass(frozen=True)
class Move:
    """A member's state after a fact, and its reason; ``changes`` is False if the fact leaves it."""

    state: str
    reason: str
    changes: bool = True


class MoveRefused(ValueError):
    """A fact cannot move a member from the state they are in."""


def initial(exclusions: Sequence[str]) -> Move:
    """A newly admitted member's first state: excluded with the reasons, or awaiting a match."""
    if exclusions:
        return Move("excluded", f"excluded: {'; '.join(exclusions)}")
    return Move("awaiting_match", STATES["awaiting_match"])


def move(current: str, fact: str, reason: str) -> Move:
    """The member's new state after ``fact``; ``MoveRefused`` if it does not apply.

    A fact that finds the member already in its state records its newer reason.
    """
    rule = MOVES[fact]
    if current in rule.leaves:
        return Move(current, "", changes=False)
    if current != rule.to and current not in rule.from_states:
        raise MoveRefused(
            f"cannot record {fact!r}: the member's state is {current} ({STATES.get(current, 'unknown')})"
        )
    return Move(rule.to, reason)
