"""Register tables on each database, and a synthetic register with damaged rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from rollcall_tools.synth import generate
from tests.builders.registers import register_tables


@pytest.fixture(params=["postgresql", "sqlite"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_server")
    else:
        url = f"sqlite:///{tmp_path / 'matching.sqlite'}"
    with register_tables(url) as built:
        yield built


@pytest.fixture
def postgres_engine(postgres_server: str) -> Iterator[Engine]:
    """For what only PostgreSQL has: partitions (SQLite keeps one plain table)."""
    with register_tables(postgres_server) as built:
        yield built


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    paths = generate(3000, 300, seed=5).write_csv(tmp_path_factory.mktemp("synth"))
    damaged = paths["register"].with_name("damaged.csv")
    lines = paths["register"].read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5] + ",an extra field"  # line 6: wrong number of fields
    lines[7] = "," + lines[7].split(",", 1)[1]  # line 8: no elector number
    lines.append(lines[10])  # last line repeats line 11's elector number
    damaged.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {**paths, "damaged": damaged}
