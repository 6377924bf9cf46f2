"""How long the mailer's reminder run takes on PostgreSQL: deciding a reminder time for
``--voters`` voters, and a run once all are decided (what every later timer tick costs).

Makes a scratch database on the server named by ``--pg`` (default the local one), migrates
the mailer's tables, records one sent code email per voter (every tenth voter has voted,
every twentieth got a letter instead), then times ``reminding.run``: the first run (deciding every
voter, a chunk a transaction) and the median of ``--idle-runs`` runs after it. Drops the
database after.

    .venv/bin/python bench/reminders.py --voters 20000

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=20000)
    parser.add_argument("--idle-runs", type=int, default=5)
    parser.add_argument("--pg", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    from rollcall.db import make_engine, session_factory, upgrade
    from services.mailer import reminding
    from services.mailer.models import Ballot, Delivery, Voted

    name = f"rc_bench_reminders_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(args.pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = urlunsplit(urlsplit(args.pg)._replace(path=f"/{name}"))
    try:
        upgrade("mailer", url)
        engine = make_engine(url)
        factory = session_factory(engine)

        @contextlib.contextmanager
        def transaction():  # type: ignore[no-untyped-def]
            with factory() as session, session.begin():
                yield session

        now = datetime.now(UTC)
        timetable = {
            "opens_at": (now - timedelta(hours=1)).isoformat(),
            "closes_at": (now + timedelta(hours=1)).isoformat(),
            "reminders": [(now - timedelta(minutes=1)).isoformat()],
        }
        with transaction() as s:
            s.add(Ballot(ballot_id=1, phase="open", title="Bench", timetable=timetable))
            s.execute(
                sa.insert(Delivery),
                [
                    {
                        "ballot_id": 1,
                        "membership_number": f"M{n:07}",
                        "kind": "initial",
                        "channel": "post" if n % 20 == 5 else "email",
                        "status": "queued" if n % 20 == 5 else "sent",
                        "contact": {"membership_number": f"M{n:07}", "name": "V", "email": "v@x"},
                        "attempts": 1,
                        "last_error": "",
                        "message_id": "",
                        "postal_batch": "",
                        "created_at": now,
                    }
                    for n in range(args.voters)
                ],
            )
            s.execute(
                sa.insert(Voted),
                [
                    {
                        "ballot_id": 1,
                        "membership_number": f"M{n:07}",
                        "channel": "online",
                        "recorded_at": now,
                    }
                    for n in range(0, args.voters, 10)
                ],
            )
        started = time.perf_counter()
        outcomes = reminding.run(transaction, datetime.now(UTC))
        first = time.perf_counter() - started
        idle = []
        for _ in range(args.idle_runs):
            started = time.perf_counter()
            again = reminding.run(transaction, datetime.now(UTC))
            idle.append(time.perf_counter() - started)
            assert not again, again
        engine.dispose()
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    print(
        json.dumps(
            {
                "voters": args.voters,
                "decided": sum(outcomes.values()),
                "outcomes": dict(sorted(outcomes.items())),
                "first_run_seconds": round(first, 3),
                "voters_decided_per_second": round(sum(outcomes.values()) / first),
                "idle_run_median_seconds": round(statistics.median(idle), 4),
                "idle_runs": args.idle_runs,
            }
        )
    )


if __name__ == "__main__":
    main()
