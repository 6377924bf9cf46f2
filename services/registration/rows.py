"""Validation of membership extract rows: pure, no I/O.

The file's header is intake's business (``rollcall.intake``: columns in any
order, extra columns kept). ``validate_row`` turns one record's values into
either a ``MemberRow`` or the list of reasons it was rejected, in words an
officer can act on: the problems intake found reading the row come first, and
any of them rejects it. The association is resolved against the party's list
(``associations``). ``differing`` names the fields in which two copies of a
member disagree (a conflict). Rejected rows are never discarded: the caller
stores them with these reasons, and they count in the extract's conservation
equation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date

from rollcall.formats import EXTRACT_COLUMNS, EXTRACT_OPTIONAL_COLUMNS
from rollcall.intake.layout import compact
from services.registration.associations import Directory

STATUSES = ("current", "lapsed", "suspended", "expelled", "supporter")

_MEMBERSHIP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_-]{0,31}$")
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FIELDS = EXTRACT_COLUMNS + EXTRACT_OPTIONAL_COLUMNS
_COLUMNS = {compact(c): c for c in FIELDS}


@dataclass(frozen=True)
class MemberRow:
    membership_number: str
    title: str
    first_name: str
    last_name: str
    address_1: str
    address_2: str
    address_3: str
    town: str
    postcode: str
    email: str
    phone: str
    date_of_birth: str
    joined_on: str
    association: str
    status: str
    payment_reference: str = ""
    dues_paid_to: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def from_list(header: Sequence[str], record: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """A record sent as a list in ``header``'s order: its values by column, and its problems."""
    names = [compact_column(h) for h in header]
    if len(record) != len(names):
        return dict(zip(names, record, strict=False)), [
            f"the row has {len(record)} fields but the header has {len(names)}"
        ]
    return dict(zip(names, record, strict=True)), []


def compact_column(name: str) -> str:
    """The format column a header cell names ('Membership Number' -> membership_number)."""
    return _COLUMNS.get(compact(name), name.strip().lower())


def _iso_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def normalise_postcode(raw: str) -> str:
    """Upper case, one space before the inward code; '' stays ''."""
    compact = re.sub(r"\s+", "", raw.upper())
    if len(compact) < 5:
        return compact
    return f"{compact[:-3]} {compact[-3:]}"


def validate_row(
    values: Mapping[str, str],
    problems: Sequence[str] = (),
    associations: Directory | None = None,
) -> MemberRow | list[str]:
    """The member in ``values``, or the reasons it is rejected (``problems`` first, as read)."""
    row = {c: str(values.get(c) or "").strip() for c in FIELDS}
    reasons = list(problems)
    if not row["membership_number"]:
        reasons.append("the membership number is empty")
    elif not _MEMBERSHIP.match(row["membership_number"]):
        reasons.append(f"the membership number {row['membership_number']!r} is not valid")
    if not row["first_name"]:
        reasons.append("the first name is empty")
    if not row["last_name"]:
        reasons.append("the last name is empty")
    if not (row["address_1"] or row["address_2"] or row["postcode"]):
        reasons.append("there is no address and no postcode")
    postcode = normalise_postcode(row["postcode"])
    if postcode and not _POSTCODE.match(postcode):
        # Kept as given: the matcher copes with mistyped postcodes; only
        # something that cannot be a postcode at all is rejected.
        if not re.match(r"^[A-Z0-9 ]{2,9}$", postcode):
            reasons.append(f"the postcode {row['postcode']!r} is not a postcode")
    if row["email"] and not _EMAIL.match(row["email"]):
        reasons.append(f"the email address {row['email']!r} is not valid")
    for column in ("date_of_birth", "joined_on"):
        if row[column] and not _iso_date(row[column]):
            reasons.append(f"{column.replace('_', ' ')} {row[column]!r} is not a date (YYYY-MM-DD)")
    if row.get("dues_paid_to") and not _iso_date(row["dues_paid_to"]):
        reasons.append(f"dues paid to {row['dues_paid_to']!r} is not a date (YYYY-MM-DD)")
    association = (associations or Directory()).resolve(row["association"])
    if association.reason:
        reasons.append(association.reason)
    status = row["status"].lower()
    if status not in STATUSES:
        reasons.append(f"the status {row['status']!r} is not one of {', '.join(STATUSES)}")
    if reasons:
        return reasons
    return MemberRow(
        **{**row, "postcode": postcode, "status": status, "association": association.code}
    )


def differing(first: Mapping[str, str], second: Mapping[str, str]) -> list[str]:
    """The member fields (beyond the membership number) in which two copies of a member disagree.

    Both are compared as validated (postcode spacing and status case do not count).
    """
    return [
        c
        for c in FIELDS
        if c != "membership_number" and (first.get(c) or "") != (second.get(c) or "")
    ]
