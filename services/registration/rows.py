"""Validation of membership extract rows: pure, no I/O.

``check_header`` says whether a file can be read at all (every column of the
format present, none twice). ``validate_row`` turns one record into either a
``MemberRow`` or the list of reasons it was rejected, in words an officer can
act on. Rejected rows are never discarded: the caller stores them with these
reasons, and they count in the extract's conservation equation.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date

from rollcall.formats import EXTRACT_COLUMNS, EXTRACT_OPTIONAL_COLUMNS

STATUSES = ("current", "lapsed", "suspended", "expelled", "supporter")

_MEMBERSHIP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_-]{0,31}$")
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ASSOCIATION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


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


def check_header(header: list[str]) -> list[str]:
    """Reasons the header makes the file unreadable; empty if it is fine."""
    names = [h.strip().lower() for h in header]
    problems = []
    missing = [c for c in EXTRACT_COLUMNS if c not in names]
    if missing:
        problems.append(f"the header lacks column(s): {', '.join(missing)}")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        problems.append(f"the header repeats column(s): {', '.join(repeated)}")
    unknown = [n for n in names if n not in EXTRACT_COLUMNS and n not in EXTRACT_OPTIONAL_COLUMNS]
    if unknown:
        problems.append(f"the header has unknown column(s): {', '.join(unknown)}")
    return problems


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


def validate_row(header: list[str], record: list[str]) -> MemberRow | list[str]:
    """The member in ``record``, or the reasons it is rejected."""
    names = [h.strip().lower() for h in header]
    if len(record) != len(names):
        return [f"the row has {len(record)} fields but the header has {len(names)}"]
    row = {name: value.strip() for name, value in zip(names, record, strict=True)}
    reasons = []
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
    if not row["association"]:
        reasons.append("the association is empty")
    elif not _ASSOCIATION.match(row["association"]):
        reasons.append(f"the association code {row['association']!r} is not valid")
    status = row["status"].lower()
    if status not in STATUSES:
        reasons.append(f"the status {row['status']!r} is not one of {', '.join(STATUSES)}")
    if reasons:
        return reasons
    values = {c: row.get(c, "") for c in EXTRACT_COLUMNS + EXTRACT_OPTIONAL_COLUMNS}
    values["postcode"] = postcode
    values["status"] = status
    return MemberRow(**values)
