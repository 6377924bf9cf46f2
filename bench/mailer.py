"""CPU the mailer's dispatcher spends per 1,000 code emails, per 1,000 code letters, and
per 1,000 members of a mix of both.

    .venv/bin/python bench/mailer.py [--emails 2000] [--letters 1000] [--mixed 2000]
                                     [--mixed-post-percent 14] [--runs 3] [--sqlite]
                                     [--profile FILE]

Drives the mailer's own code in this process, without a broker: makes a scratch
mailer database (PostgreSQL on ``--pg``, default the local server, dropped at the end;
``--sqlite``: a file in a temporary folder), records a ballot, then in each round records
code deliveries as ``codes.issued`` does (``deliveries.accept``, sealed codes) and calls
``Dispatcher.flush`` (200 deliveries a flush, as the service's loop does) until none is
pending. Emails are handed to a real SMTP server (aiosmtpd's discarding sink, in a
process of its own whose CPU is not counted); letters are written as print batches (PDF
and manifest) to a temporary folder. The rounds: ``--emails`` members with an email
address; ``--letters`` members without one; ``--mixed`` members of whom
``--mixed-post-percent`` in every hundred have none (14: as in the synthetic extract
``bench/pipeline.py`` imports, so each flush writes a small print batch beside its
emails). The process is monkey-patched by eventlet, as a nameko service is.

Figures are this process's CPU seconds (user + system, ``time.process_time``) and wall
seconds per 1,000 deliveries of each round, the median of ``--runs`` runs (every run's
CPU seconds are listed too), after one untimed warm-up round. The database server's own
CPU is not counted. ``--profile FILE`` writes a cProfile of the timed rounds to ``FILE``
(``python -m pstats FILE``); a profiled run's figures are not the bench's.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import smtplib
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import eventlet
import sqlalchemy as sa
from harness import SINK

BALLOT = 1


@contextlib.contextmanager
def scratch_database(pg: str, sqlite_dir: Path | None) -> Iterator[str]:
    """The URL of an empty database, dropped after."""
    if sqlite_dir is not None:
        yield f"sqlite:///{sqlite_dir / 'mailer.sqlite'}"
        return
    name = f"rc_bench_mailer_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit(urlsplit(pg)._replace(path=f"/{name}"))
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class _Database:
    """What ``Dispatcher`` uses of ``rollcall.runtime.Database``: the engine, a transaction."""

    def __init__(self, url: str, pool_size: int) -> None:
        from rollcall.db import make_engine, session_factory

        self.engine = make_engine(url, pool_size=pool_size)
        self.factory = session_factory(self.engine)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        with self.factory() as session, session.begin():
            yield session


def dispatcher(settings: Any, database: _Database) -> Any:
    """A ``Dispatcher`` set up as ``Dispatcher.setup`` does, outside a nameko container."""
    from services.mailer.sending import Dispatcher

    d = Dispatcher()
    d.settings = settings
    d.database = database  # type: ignore[assignment]
    d._lock = eventlet.semaphore.Semaphore()
    d.smtp_factory = lambda: smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
    return d


def record(database: _Database, seal_key: bytes, first: int, count: int, post_percent: int) -> None:
    """``count`` code deliveries, numbered from ``first``: ``post_percent`` in every hundred by
    post (the member has no email address), the rest by email."""
    from rollcall import sealing
    from services.mailer import deliveries

    codes = [
        {
            "membership_number": f"M{n:07}",
            "name": f"Voter Number {n}",
            "email": "" if n % 100 < post_percent else f"m{n:07}@example.org",
            "address": [f"{n % 300 + 1} High Street", "Hackney", "London"],
            "postcode": "E8 1AA",
            "sealed_code": sealing.seal(seal_key, f"ABCD-EFGH-{n % 10000:04}"),
            "kind": "initial",
        }
        for n in range(first, first + count)
    ]
    for start in range(0, count, 500):
        with database.transaction() as s:
            deliveries.accept(s, BALLOT, codes[start : start + 500], datetime.now(UTC))


def pending(database: _Database) -> int:
    from services.mailer.models import Delivery

    with database.transaction() as s:
        return int(
            s.scalar(
                sa.select(sa.func.count()).select_from(Delivery).where(Delivery.status == "pending")
            )
            or 0
        )


def timed(drain: Callable[[], None], profile: cProfile.Profile | None) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of ``drain()``."""
    cpu, wall = time.process_time(), time.perf_counter()
    if profile is not None:
        profile.enable()
    try:
        drain()
    finally:
        if profile is not None:
            profile.disable()
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--mixed", type=int, default=2000)
    parser.add_argument("--mixed-post-percent", type=int, default=14)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sqlite", action="store_true", help="an SQLite file, not PostgreSQL")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the timed rounds here")
    args = parser.parse_args()
    eventlet.monkey_patch()  # as a nameko service process is
    from rollcall.config import Settings
    from rollcall.db import upgrade
    from rollcall.sealing import new_key
    from services.mailer import deliveries, letters
    from tests.support import aiosmtpd

    profile = cProfile.Profile() if args.profile else None
    # (name, deliveries, percent by post); one untimed round first, so that imports,
    # connections and caches are warm.
    rounds = [
        ("emails", args.emails, 0),
        ("letters", args.letters, 100),
        ("mixed", args.mixed, args.mixed_post_percent),
    ]
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in rounds}
    with (
        tempfile.TemporaryDirectory(prefix="rc-bench-mailer-") as tmp,
        aiosmtpd(SINK) as (port, _),
        scratch_database(args.pg, Path(tmp) if args.sqlite else None) as url,
    ):
        secrets = Path(tmp) / "secrets"
        secrets.mkdir()
        (secrets / "mail_seal_key").write_bytes(new_key())
        settings = Settings(
            var_dir=str(Path(tmp) / "var"),
            secrets_dir=str(secrets),
            database_urls={"mailer": url},
            smtp_port=port,
        )
        upgrade("mailer", url)
        database = _Database(url, settings.database_pool_size)
        seal_key = settings.secret("mail_seal_key")
        now = datetime.now(UTC)
        definition = {
            "title": "Mailer benchmark",
            "timetable": {
                "opens_at": (now - timedelta(hours=1)).isoformat(),
                "closes_at": (now + timedelta(days=7)).isoformat(),
                "postal_cutoff": (now + timedelta(days=5)).isoformat(),
            },
        }
        with database.transaction() as s:
            deliveries.record_ballot(
                s,
                BALLOT,
                phase="open",
                title=letters.title_of(definition),
                timetable=letters.timetable_of(definition),
                statements=[],
            )
        mailer = dispatcher(settings, database)

        def drain() -> None:
            while mailer.flush():
                pass

        first = 0
        warm = [("warm", 100, 50)]
        for name, n, post_percent in warm + [r for r in rounds if r[1]] * args.runs:
            record(database, seal_key, first, n, post_percent)
            first += n
            figures = timed(drain, profile if name != "warm" else None)
            if pending(database):
                raise SystemExit("deliveries left pending after the flushes")
            if name != "warm":
                runs[name].append(figures)
        database.engine.dispose()
    if profile is not None:
        profile.dump_stats(args.profile)

    def summary(figures: list[tuple[float, float]], n: int) -> dict[str, Any]:
        return {
            "count": n,
            "cpu_s_per_1000": round(statistics.median(c for c, _ in figures) * 1000 / n, 3),
            "wall_s_per_1000": round(statistics.median(w for _, w in figures) * 1000 / n, 3),
            "runs_cpu_s": [round(c, 3) for c, _ in figures],
        }

    print(
        json.dumps(
            {
                "database": "sqlite" if args.sqlite else "postgresql",
                **{name: summary(runs[name], n) for name, n, _ in rounds if n},
                "profiled": profile is not None,
            }
        )
    )


if __name__ == "__main__":
    main()
