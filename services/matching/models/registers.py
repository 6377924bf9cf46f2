"""Tables of the electoral registers the matching service holds.

A register is loaded as a new *version* beside the older ones (registers are
reissued monthly; elector numbers change at the yearly rollover). A version is
only used for matching once ``is_complete`` is true, which the loader sets last.
Each elector row keeps the register's own columns plus the blocking keys of
``records.elector_keys`` (one column per kind), so the database can return a
chunk's candidates with indexed lookups only. Street keys are stored within the
elector's postcode district where it has a postcode (``sn|HIGH STREET|10@E8``,
see ``records.street_key_in_district``): a member with a postcode finds them by
equality, one without by the prefix ``sn|HIGH STREET|10@`` (the key indexes use
``text_pattern_ops``, which also sorts bytewise and so builds fast, and leave out
empty keys: most electors have no flat key or second premise key).

On PostgreSQL ``register_electors`` is partitioned by ``version_id``, one
partition per version (``partition_name``), so a version is bulk-loaded into a
table of its own and attached once indexed. Elsewhere (SQLite) it is one table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from rollcall.db import UTCDateTime
from services.matching.matcher.addresses import Address
from services.matching.matcher.names import PersonName
from services.matching.matcher.records import STREET_PREFIXES, elector_keys, street_key_in_district
from services.matching.models import Base

_ID = BigInteger().with_variant(Integer, "sqlite")
#: Key columns of ``register_electors``, in ``ElectorKeys`` order.
KEY_COLUMNS = (
    "key_premise_postcode", "key_premise_postcode_2", "key_premise_street",
    "key_premise_street_2", "key_flat_postcode", "key_flat_street", "key_surname_postcode",
    "key_surname_street", "key_postcode", "key_premise_inward",
)  # fmt: skip
#: The key columns holding street keys (``sn|``, ``ss|``), stored within the district.
STREET_KEY_COLUMNS = ("key_premise_street", "key_premise_street_2", "key_surname_street")
_STREET_AT = tuple(KEY_COLUMNS.index(c) for c in STREET_KEY_COLUMNS)
#: Operator class of the key indexes: equality and ``LIKE 'prefix%'``, compared bytewise.
KEY_OPS = "text_pattern_ops"
#: Partitions of ``register_electors`` are named this plus the version id.
PARTITION_PREFIX = "register_electors_v"


def partition_name(version_id: int) -> str:
    """The table holding one version's electors on PostgreSQL."""
    return f"{PARTITION_PREFIX}{int(version_id)}"


def is_partition(name: str | None, kind: str) -> bool:
    """Whether a table Alembic finds is one version's partition (not in the model)."""
    return kind == "table" and bool(name) and str(name).startswith(PARTITION_PREFIX)


def stored_keys(name: PersonName, address: Address) -> tuple[str | None, ...]:
    """Values for ``KEY_COLUMNS``: ``elector_keys`` with street keys in the district."""
    keys = elector_keys(name, address).columns()
    postcode = address.postcode
    if not postcode:
        return keys
    stored = list(keys)
    district = street_key_in_district("sn|", postcode)[3:]  # "@E8", once per row
    for at in _STREET_AT:
        if stored[at]:
            stored[at] += district  # type: ignore[operator]
    return tuple(stored)


def city_wide(stored: str) -> str:
    """``sn|HIGH STREET|10@E8`` -> ``sn|HIGH STREET|10``; other keys unchanged."""
    if stored.startswith(STREET_PREFIXES) and "@" in stored:
        return stored.rpartition("@")[0]
    return stored


class RegisterVersion(Base):
    """One load of one authority's register file."""

    __tablename__ = "register_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    authority: Mapped[str] = mapped_column(String(120), index=True)
    label: Mapped[str] = mapped_column(String(200))
    source_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    is_complete: Mapped[bool] = mapped_column(Boolean, default=False)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    elector_count: Mapped[int] = mapped_column(Integer, default=0)
    refused_count: Mapped[int] = mapped_column(Integer, default=0)


class RegisterElector(Base):
    """One elector of one register version, with its blocking keys."""

    __tablename__ = "register_electors"
    __table_args__ = (
        *(
            Index(
                f"ix_register_electors_{c}",
                c,
                postgresql_ops={c: KEY_OPS},
                postgresql_where=text(f"{c} IS NOT NULL"),
                sqlite_where=text(f"{c} IS NOT NULL"),
            )
            for c in KEY_COLUMNS
        ),  # fmt: skip
        {"postgresql_partition_by": "LIST (version_id)"},
    )

    version_id: Mapped[int] = mapped_column(
        ForeignKey("register_versions.id", ondelete="CASCADE"), primary_key=True
    )
    #: Compared bytewise on PostgreSQL: the primary key's index then builds much faster.
    elector_id: Mapped[str] = mapped_column(
        String(64).with_variant(String(64, collation="C"), "postgresql"), primary_key=True
    )
    line_number: Mapped[int] = mapped_column(Integer)
    surname: Mapped[str] = mapped_column(Text, default="")
    forenames: Mapped[str] = mapped_column(Text, default="")
    address_1: Mapped[str] = mapped_column(Text, default="")
    address_2: Mapped[str] = mapped_column(Text, default="")
    address_3: Mapped[str] = mapped_column(Text, default="")
    address_4: Mapped[str] = mapped_column(Text, default="")
    address_5: Mapped[str] = mapped_column(Text, default="")
    postcode: Mapped[str] = mapped_column(String(16), default="")
    ward: Mapped[str] = mapped_column(Text, default="")
    constituency: Mapped[str] = mapped_column(Text, default="")
    markers: Mapped[str] = mapped_column(String(32), default="")
    attainer_dob: Mapped[str] = mapped_column(String(32), default="")
    key_premise_postcode: Mapped[str | None] = mapped_column(Text, nullable=True)
    key_premise_postcode_2: Mapped[str | None] = mapped_column(Text, nullable=True)
    key_premise_street: Mapped[str | None] = mapped_column(Text, nullable=True)
    key_premise_street_2: Mapped[str | None] = mapped_column(Text, nullable=True)
    key_flat_postcode: Mapped[str | None] = mapped_column(Text, nullable=True)
    key_flat_street: Mapped[str | None] = mapped_column(Text, nullable=True)
    key_surname_postcode: Mapped[str | None] = mapped_column(Text, nullable=True)
    key_surname_street: Mapped[str | None] = mapped_column(Text, nullable=True)
    key_postcode: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: ``pi|YO|4XX|12``: the house by postcode area and inward code (``records.inward_keys``).
    key_premise_inward: Mapped[str | None] = mapped_column(Text, nullable=True)


class RegisterRefusal(Base):
    """A register row that was not loaded, with its line, reason and text."""

    __tablename__ = "register_refusals"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("register_versions.id", ondelete="CASCADE"), index=True
    )
    line_number: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)


class RegisterNameFrequency(Base):
    """How many electors of a version carry a forename or a surname key."""

    __tablename__ = "register_name_frequencies"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("register_versions.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
