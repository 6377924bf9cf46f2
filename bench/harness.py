"""What the end-to-end benches share: scratch PostgreSQL databases, CPU per process, py-spy.

``bench/votes.py`` and ``bench/pipeline.py`` run every service as its own
process (``rollcall_cli.demo.processes.DemoRun``); with ``--postgresql`` each
service gets a scratch database on ``ROLLCALL_TEST_PG`` (default the local
server), created before the services start and dropped at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def say(message: str) -> None:
    print(f"[bench] {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (its children not included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class PostgresDatabases:
    """One scratch database per service on the PostgreSQL server, dropped at the end."""

    SERVICES = ("registration", "matching", "codes", "mailer", "tally", "gateway")

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa

        self.sa = sa
        self.url = url
        self.engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        self.prefix = f"rc_bench_{uuid.uuid4().hex[:8]}"
        self.names = {s: f"{self.prefix}_{s}" for s in self.SERVICES}

    def __enter__(self) -> dict[str, str]:
        from urllib.parse import urlsplit, urlunsplit

        urls = {}
        with self.engine.connect() as c:
            for service, name in self.names.items():
                c.execute(self.sa.text(f'CREATE DATABASE "{name}"'))
                urls[service] = urlunsplit(urlsplit(self.url)._replace(path=f"/{name}"))
        return urls

    def __exit__(self, *exc: object) -> None:
        with self.engine.connect() as c:
            for name in self.names.values():
                c.execute(self.sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.engine.dispose()


def use_postgresql() -> PostgresDatabases:
    """Create the scratch databases and point every service at its own (environment)."""
    databases = PostgresDatabases(os.environ.get("ROLLCALL_TEST_PG", LOCAL_PG))
    for service, url in databases.__enter__().items():
        os.environ[f"ROLLCALL_DATABASE_URL_{service.upper()}"] = url
    return databases


def py_spy(pid: int, out: Path, seconds: float) -> subprocess.Popen[bytes] | None:
    """Sample ``pid`` for ``seconds`` at 50 Hz without stopping it; collapsed stacks to ``out``."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        return None
    return subprocess.Popen(
        [
            spy,
            "record",
            "-p",
            str(pid),
            "-d",
            str(int(seconds)),
            "-r",
            "50",
            "-f",
            "raw",
            "--nonblocking",
            "-o",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
