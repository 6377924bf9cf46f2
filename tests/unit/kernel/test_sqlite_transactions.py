"""On SQLite (the demo's default), a transaction is one transaction: a SAVEPOINT released
inside it commits nothing on its own. (pysqlite's own transaction handling opens the
transaction only at the first INSERT, so a SAVEPOINT before it started one of its own and
its RELEASE committed: a vote's mark without its paper when the tally died in between.)"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rollcall.db import make_engine

ROWS = sa.Table("rows", sa.MetaData(), sa.Column("name", sa.String, primary_key=True))


def names(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as c:
        return sorted(c.execute(sa.select(ROWS.c.name)).scalars())


def test_a_released_savepoint_is_undone_with_its_transaction(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    ROWS.metadata.create_all(engine)
    session = Session(engine)
    session.begin()
    session.execute(sa.select(ROWS.c.name)).all()  # a read first, as a lock query is
    with session.begin_nested():
        session.execute(ROWS.insert().values(name="mark"))
    session.execute(ROWS.insert().values(name="paper"))
    session.rollback()  # as when the process dies before its commit
    session.close()
    assert names(engine) == []
    engine.dispose()


def test_a_committed_transaction_keeps_both(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    ROWS.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        with session.begin_nested():
            session.execute(ROWS.insert().values(name="mark"))
        session.execute(ROWS.insert().values(name="paper"))
    assert names(engine) == ["mark", "paper"]
    engine.dispose()
