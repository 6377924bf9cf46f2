"""Eligibility of a member for a ballot, by the ballot's rules: pure.

Rules (all optional, in the ballot's ``eligibility`` mapping, with the
freeze date from its timetable):

- membership current at the freeze date: status ``current`` (a lapse recorded
  after the freeze does not take the vote away: the roll is frozen);
- ``joined_before``: joined strictly before this date;
- ``dues_required``: dues paid up to at least the freeze date;
- ``supporters``: registered supporters (status ``supporter``) may vote,
  and only with the payment reference of their fee;
- matched to an elector in the ballot's area — decided by matching, not here.

``reasons(member, rules, freeze)`` returns why the member is excluded, in
words an officer can act on; empty means eligible on membership grounds.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

KNOWN_RULES = ("joined_before", "dues_required", "supporters", "cooling_off_hours")


class UnknownRule(ValueError):
    """A ballot names an eligibility rule Rollcall does not have."""


def check_rules(rules: Mapping[str, Any]) -> list[str]:
    return [f"unknown eligibility rule {name!r}" for name in rules if name not in KNOWN_RULES]


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def reasons(member: Mapping[str, str], rules: Mapping[str, Any], freeze: date | None) -> list[str]:
    why = []
    status = member.get("status", "current")
    if status == "supporter":
        if not rules.get("supporters"):
            why.append("registered supporters cannot vote in this ballot")
        elif not member.get("payment_reference"):
            why.append("a registered supporter without a payment reference for the fee")
    elif status != "current":
        when = f" at the freeze date {freeze.isoformat()}" if freeze else ""
        why.append(f"membership not current{when} (status: {status})")
    cutoff = _date(str(rules.get("joined_before") or ""))
    joined = _date(member.get("joined_on", ""))
    if cutoff is not None:
        if joined is None:
            why.append(f"no joining date, and members must have joined before {cutoff.isoformat()}")
        elif joined >= cutoff:
            why.append(
                f"joined on {joined.isoformat()}, not before the cut-off {cutoff.isoformat()}"
            )
    if rules.get("dues_required"):
        paid = _date(member.get("dues_paid_to", ""))
        due = freeze or date.today()
        if paid is None or paid < due:
            shown = paid.isoformat() if paid else "never"
            why.append(f"dues in arrears: paid to {shown}, needed to {due.isoformat()}")
    return why
