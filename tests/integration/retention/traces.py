"""Finding a ballot's members' personal data wherever a service keeps it: every table of
every database, and every file under the services' directories.

The values looked for come from the extract file the ballot was imported from: each
member's name, street line, postcode, email and phone. A value is found only as a whole
word (a surname inside a longer word, or a run of letters in a base64 signature, is not
a trace), and case-sensitively (names are capitalised; hashes are lowercase hex).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import sqlalchemy as sa

#: Extract columns whose values identify a person, looked for on their own.
PERSONAL_COLUMNS = ("last_name", "address_1", "postcode", "email", "phone")


def personal_values(extract: Path) -> set[str]:
    """Every member's identifying values in an extract file (short ones left out)."""
    values: set[str] = set()
    with extract.open(newline="") as f:
        for row in csv.DictReader(f):
            first, last = row["first_name"].strip(), row["last_name"].strip()
            if first and last:
                values.add(f"{first} {last}")
            for column in PERSONAL_COLUMNS:
                value = row[column].strip()
                if len(value) >= 4:
                    values.add(value)
    return values


def _pattern(values: Iterable[str]) -> re.Pattern[str]:
    ordered = sorted(values, key=len, reverse=True)
    alternatives = "|".join(re.escape(v) for v in ordered)
    return re.compile(rf"(?<![\w@.])(?:{alternatives})(?![\w@])")


def in_databases(urls: dict[str, str], values: set[str]) -> Iterator[str]:
    """``service.table.column: value`` for each value found in any text of any row."""
    pattern = _pattern(values)
    for service, url in sorted(urls.items()):
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            meta = sa.MetaData()
            meta.reflect(engine)
            with engine.connect() as c:
                for table in meta.sorted_tables:
                    for row in c.execute(sa.select(table)):
                        for column, cell in row._mapping.items():
                            if cell is None:
                                continue
                            found = pattern.search(str(cell))
                            if found:
                                yield f"{service}.{table.name}.{column}: {found.group(0)}"
        finally:
            engine.dispose()


def in_files(roots: Iterable[Path], values: set[str]) -> Iterator[str]:
    """``path: value`` for each value found in any file under ``roots`` (read as text)."""
    pattern = _pattern(values)
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            text = path.read_bytes().decode("utf-8", errors="replace")
            found = pattern.search(text)
            if found:
                yield f"{path}: {found.group(0)}"
