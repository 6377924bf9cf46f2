"""The columns of the files Rollcall reads and writes: one home for each format.

Every service, tool and test that reads or writes one of these files takes its
columns from here (docs/formats.md describes each in words). The order is the
order a file is written in.
"""

from __future__ import annotations

#: A membership extract, one row per member.
EXTRACT_COLUMNS: tuple[str, ...] = (
    "membership_number", "title", "first_name", "last_name", "address_1", "address_2",
    "address_3", "town", "postcode", "email", "phone", "date_of_birth", "joined_on",
    "association", "status",
)  # fmt: skip
#: Columns an extract may carry beside the format's (supporters' payment details).
EXTRACT_OPTIONAL_COLUMNS: tuple[str, ...] = ("payment_reference", "dues_paid_to")
#: An electoral register, one row per elector.
REGISTER_COLUMNS: tuple[str, ...] = (
    "elector_id", "surname", "forenames", "address_1", "address_2", "address_3",
    "address_4", "address_5", "postcode", "ward", "constituency", "markers", "attainer_dob",
)  # fmt: skip
#: Match decisions, one row per member.
DECISION_COLUMNS: tuple[str, ...] = (
    "membership_number", "decision", "elector_id", "score", "reasons",
)  # fmt: skip
