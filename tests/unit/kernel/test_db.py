"""Database helpers: aware timestamps on SQLite too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from rollcall.db import UTCDateTime, make_engine


def test_sqlite_gives_back_aware_utc_datetimes(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 't.sqlite'}")
    table = sa.Table("t", sa.MetaData(), sa.Column("at", UTCDateTime()))
    table.metadata.create_all(engine)
    paris = datetime(2026, 12, 4, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    with engine.begin() as c:
        c.execute(table.insert().values(at=paris))
        back = c.execute(sa.select(table.c.at)).scalar_one()
    assert back == paris and back.tzinfo is not None and back.utcoffset() == timedelta(0)
    assert back < datetime.now(UTC)
    with pytest.raises(sa.exc.StatementError, match="naive"), engine.begin() as c:
        c.execute(table.insert().values(at=datetime(2026, 1, 1)))
    engine.dispose()
