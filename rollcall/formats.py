"""The columns of the files Rollcall reads and writes, and the member fields: one home for each.

Every service, tool and test that reads or writes one of these files takes its
columns from here (docs/formats.md describes each in words). The order is the
order a file is written in.

A member's fields are declared once, in ``MEMBER_FIELDS`` with what each field
is for; the extract's columns and every set of fields the services act on
(sent to matching, changeable by other systems, correctable by an officer,
contact details, personal data) are derived from that one declaration.
"""

from __future__ import annotations

#: Every member field, in the extract's order, with the uses it has:
#:
#: - ``extract``: a column every membership extract has;
#: - ``optional``: a column an extract may carry beside them (supporters' payment details);
#: - ``match``: sent to matching in ``members.registered``;
#: - ``update``: other party systems may change it through ``member.updated``;
#: - ``correct``: an association officer may correct it;
#: - ``contact``: where a voter's code and notices go (after the freeze a
#:   change needs a second person);
#: - ``personal``: written to the audit log only as a keyed hash.
MEMBER_FIELDS: dict[str, frozenset[str]] = {
    name: frozenset(uses.split())
    for name, uses in (
        ("membership_number", "extract match"),
        ("title", "extract match update correct"),
        ("first_name", "extract match update correct personal"),
        ("last_name", "extract match update correct personal"),
        ("address_1", "extract match update correct contact personal"),
        ("address_2", "extract match update correct contact personal"),
        ("address_3", "extract match update correct contact personal"),
        ("town", "extract match update correct contact personal"),
        ("postcode", "extract match update correct contact personal"),
        ("email", "extract update correct contact personal"),
        ("phone", "extract update correct contact personal"),
        ("date_of_birth", "extract match update personal"),
        ("joined_on", "extract"),
        ("association", "extract match update"),
        ("status", "extract"),
        ("payment_reference", "optional update personal"),
        ("dues_paid_to", "optional update"),
    )
}


def member_fields(use: str) -> tuple[str, ...]:
    """The member fields with ``use``, in the extract's order."""
    return tuple(name for name, uses in MEMBER_FIELDS.items() if use in uses)


#: A membership extract, one row per member.
EXTRACT_COLUMNS: tuple[str, ...] = member_fields("extract")
#: Columns an extract may carry beside the format's (supporters' payment details).
EXTRACT_OPTIONAL_COLUMNS: tuple[str, ...] = member_fields("optional")
#: A member as matching receives them (``members.registered``).
MATCH_FIELDS: tuple[str, ...] = member_fields("match")
#: Member fields other party systems may change through ``member.updated``.
UPDATABLE_FIELDS: tuple[str, ...] = member_fields("update")
#: Member fields an association officer may correct.
CORRECTABLE_FIELDS: tuple[str, ...] = member_fields("correct")
#: Where a voter's code and notices go.
CONTACT_FIELDS: tuple[str, ...] = member_fields("contact")
#: Member fields the audit log holds only as keyed hashes.
PERSONAL_FIELDS: tuple[str, ...] = member_fields("personal")

#: An electoral register, one row per elector.
REGISTER_COLUMNS: tuple[str, ...] = (
    "elector_id", "surname", "forenames", "address_1", "address_2", "address_3",
    "address_4", "address_5", "postcode", "ward", "constituency", "markers", "attainer_dob",
)  # fmt: skip
#: Match decisions, one row per member.
DECISION_COLUMNS: tuple[str, ...] = (
    "membership_number", "decision", "elector_id", "score", "reasons",
)  # fmt: skip
