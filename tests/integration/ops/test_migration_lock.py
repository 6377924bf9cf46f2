"""Replicas that migrate on start do it one at a time: on PostgreSQL ``upgrade``
holds a migration lock, so several processes upgrading one empty database at
the same moment all succeed and leave it at its head (without the lock they
race to create the same tables and all but one fail)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from rollcall.db import revisions
from tests import support

#: Each process imports everything first, then waits for the go file, so the upgrades start together.
UPGRADER = """
import sys, time
from pathlib import Path
from rollcall.db import upgrade
go = Path(sys.argv[3])
while not go.exists():
    time.sleep(0.01)
upgrade(sys.argv[1], sys.argv[2])
"""


def test_replicas_upgrading_one_database_together_all_succeed(pg_url, tmp_path: Path):
    name = f"rc_miglock_{uuid.uuid4().hex[:8]}"
    admin = support.admin_engine(pg_url)
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = support.with_database(pg_url, name)
    go = tmp_path / "go"
    try:
        replicas = [
            subprocess.Popen(
                [sys.executable, "-c", UPGRADER, "tally", url, str(go)],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=os.environ,
            )
            for _ in range(4)
        ]
        time.sleep(8)  # every replica has imported and is waiting for the go
        go.touch()
        outputs = [p.communicate(timeout=180)[0].decode() for p in replicas]
        failed = [
            [line for line in out.splitlines() if "Error" in line][-1:] or out[-300:]
            for p, out in zip(replicas, outputs, strict=True)
            if p.returncode
        ]
        assert failed == []
        current, heads = revisions("tally", url)
        assert current in heads
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
