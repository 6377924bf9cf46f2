"""The one table of what may be done through the gateway: each action, who may take it, over what.

Pure: no I/O, no clock, no configuration. ``gateway.access`` applies an
action's rules before any remote call and turns every refusal into a 403
carrying the reason.

Guarantees:

- Every privileged route names one action of ``ACTIONS``; the action says
  which roles may take it and how it is scoped (``Scope``). An action's name
  is what a refusal records in the audit log.
- Every check returns the reasons an action may not happen, in words a
  volunteer understands; an empty list means it may.
- An officer is bound to exactly one association and can never see or act on
  another's members, reviews or dropped extract rows, whatever the request
  asks for.
- A teller is bound to exactly one ballot and can enter postal ballots for
  that ballot only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from gateway.auth import Principal, article


class Scope(enum.Enum):
    """How far an allowed role reaches beyond the role itself."""

    #: The role is enough.
    NONE = "none"
    #: An officer sees only their own association, whatever ``?association=`` asks for.
    ASSOCIATION = "association"
    #: The record acted on (a member, a review, a dropped row) must belong to an officer's association.
    OWNER = "owner"
    #: A teller acts on the one ballot their token names.
    BALLOT = "ballot"


@dataclass(frozen=True, slots=True)
class Action:
    roles: tuple[str, ...]
    #: How the action reads in a refusal: "a teller may not <words>".
    words: str
    scope: Scope = Scope.NONE
    #: For ``Scope.OWNER``: the record and what an officer does to one ("member", "correct").
    record: tuple[str, str] | None = None


ACTIONS: dict[str, Action] = {
    "read_marked_register": Action(("operator", "scrutineer"), "read the marked register"),
    "enter_postal_batch": Action(("operator", "teller"), "enter postal ballots", Scope.BALLOT),
    "withdraw_candidate": Action(("operator",), "withdraw a candidate after the papers are out"),
    "read_reconciliation": Action(
        ("operator", "scrutineer", "officer"),
        "read the reconciliation of the roll",
        Scope.ASSOCIATION,
    ),
    "list_reviews": Action(("operator", "officer"), "see the match reviews", Scope.ASSOCIATION),
    "decide_review": Action(
        ("operator", "officer"), "decide a match review", Scope.OWNER, ("review", "decide")
    ),
    "list_members": Action(
        ("operator", "scrutineer", "officer"), "see the members of a ballot", Scope.ASSOCIATION
    ),
    "correct_member": Action(
        ("operator", "officer"), "correct a member's details", Scope.OWNER, ("member", "correct")
    ),
    "reissue_code": Action(
        ("operator", "officer"),
        "reissue a member's access code",
        Scope.OWNER,
        ("member", "reissue the code of"),
    ),
    "list_changes": Action(("operator", "scrutineer"), "see the changes waiting for approval"),
    "decide_change": Action(
        ("operator",), "approve or refuse a change to a member's contact details"
    ),
    "read_audit_heads": Action(("operator", "scrutineer"), "read the heads of the audit logs"),
    "read_complaints": Action(("operator", "scrutineer"), "read the complaints"),
    "read_report": Action(("operator", "scrutineer"), "read the scrutineer's report"),
    "manage_complaints": Action(("operator",), "open or update a complaint"),
    "pause_ballot": Action(("operator",), "pause or resume a ballot"),
    "preview_ballot": Action(("operator",), "preview a ballot's voting page and letter"),
    "list_dropped_rows": Action(
        ("operator", "officer"),
        "see the rejected and duplicate rows of the extracts",
        Scope.ASSOCIATION,
    ),
    "read_dropped_row": Action(
        ("operator", "officer"), "see a rejected or duplicate row", Scope.OWNER, ("row", "see")
    ),
    "correct_dropped_row": Action(
        ("operator", "officer"), "correct a rejected row", Scope.OWNER, ("row", "correct")
    ),
    "resolve_conflict": Action(
        ("operator", "officer"),
        "resolve a conflicting duplicate",
        Scope.OWNER,
        ("conflict", "resolve"),
    ),
    "count_dropped_rows": Action(
        ("operator", "scrutineer", "officer"),
        "count the rejected and duplicate rows",
        Scope.ASSOCIATION,
    ),
}


def refusals(principal: Principal, action: str) -> list[str]:
    """Why ``principal``'s role may not take ``action``; empty when it may."""
    rule = ACTIONS.get(action)
    if rule is None:
        return [f"{action!r} is not an action anyone may perform"]
    if principal.role in rule.roles:
        return []
    needed = " or ".join(rule.roles)
    return [
        f"{article(principal.role)} {principal.role} may not "
        f"{rule.words}: that needs the {needed} role"
    ]


def association_scope(principal: Principal, requested: str | None) -> tuple[str | None, list[str]]:
    """The association a request may cover, and the reasons it may not.

    An officer always gets their own association (asking for none means
    theirs); asking for another is refused. Other roles get what they asked
    for, ``None`` meaning every association.
    """
    if principal.role != "officer":
        return requested, []
    own = principal.association
    if own is None:
        return None, ["this officer's token names no association; ask an operator to reissue it"]
    if requested is not None and requested != own:
        return own, [f"an officer of {own} may not see association {requested}"]
    return own, []


def owner_refusals(principal: Principal, action: str, association: str | None) -> list[str]:
    """Why ``principal`` may not take ``action`` on a record belonging to ``association``."""
    record = ACTIONS[action].record
    if principal.role != "officer" or record is None:
        return []
    if association is None or association != principal.association:
        noun, verb = record
        return [
            f"this {noun} belongs to {association or 'no association'}; an officer of "
            f"{principal.association} may only {verb} {noun}s of their own association"
        ]
    return []


def ballot_refusals(principal: Principal, action: str, ballot_id: int) -> list[str]:
    """Why ``principal`` may not take ``action`` on ``ballot_id``: a teller's token names one."""
    if principal.role != "teller":
        return []
    if principal.ballot_id is None:
        return ["this teller's token names no ballot; ask an operator to reissue it (--ballot ID)"]
    if principal.ballot_id != ballot_id:
        return [
            f"a teller for ballot {principal.ballot_id} may not {ACTIONS[action].words} "
            f"for ballot {ballot_id}"
        ]
    return []
