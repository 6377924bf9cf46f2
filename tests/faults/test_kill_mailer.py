"""Killing the mailer mid-flush (``kill -9``) and restarting it: no email the mail server took
goes twice, but the one it held without answering; no letter is in two print batches.

The mailer runs as its own process (``rollcall run mailer``) against the real broker, database
and an aiosmtpd server in its own process. That server stores each email and answers 250, except
for the first try of an address with ``+stall``: it stores that email and then does not answer,
which is the moment a real server has the message and the mailer does not yet know.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from aiosmtpd.handlers import Mailbox

from tests import support
from tests.integration.mailer.test_mail_faults import Reported, _issued, scripted_server

ROOT = Path(__file__).resolve().parents[2]


class StallingMailbox(Mailbox):
    """A Maildir sink that keeps a ``+stall`` address's first email and never answers it."""

    def __init__(self, mail_dir: str) -> None:
        super().__init__(mail_dir)
        self.tries: Counter[str] = Counter()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        answer = await super().handle_DATA(server, session, envelope)
        for address in envelope.rcpt_tos:
            self.tries[address] += 1
            if "+stall@" in address and self.tries[address] == 1:
                await asyncio.sleep(3600)
        return answer


def _start_mailer(settings, tmp_path: Path, log):  # type: ignore[no-untyped-def]
    values = {
        k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(settings).items()
    }
    config = tmp_path / "mailer.yaml"
    config.write_text(yaml.safe_dump(values))
    return subprocess.Popen(
        [sys.executable, "-m", "rollcall_cli.main", "run", "mailer"],
        env={**os.environ, "ROLLCALL_CONFIG": str(config)},
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _rows(settings) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    engine = sa.create_engine(settings.database_url("mailer"), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as c:
            return [
                dict(r)
                for r in c.execute(
                    sa.text(
                        "select membership_number, channel, status, message_id, postal_batch,"
                        " sending_at, handed_at from deliveries order by id"
                    )
                ).mappings()
            ]
    except sa.exc.DBAPIError:  # not migrated yet
        return []
    finally:
        engine.dispose()


def _kill(proc) -> None:  # type: ignore[no-untyped-def]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def test_a_killed_mailer_sends_again_only_the_email_the_server_held_unanswered(
    make_settings, tmp_path
):
    mail_dir = tmp_path / "mailbox"
    with scripted_server(mail_dir, support.free_port(), StallingMailbox) as port:
        settings = make_settings("mailer", smtp_port=port)
        reported = Reported(settings)
        voters = [(f"M{i}", f"m{i}@example.org") for i in range(1, 7)]
        voters[2] = ("M3", "m3+stall@example.org")
        log = (tmp_path / "mailer.log").open("wb")
        mailer = _start_mailer(settings, tmp_path, log)
        try:
            support.publish_event(
                settings, "codes.issued", _issued(settings, [(n, mail, True) for n, mail in voters])
            )
            support.wait_for(
                lambda: any(
                    r["membership_number"] == "M3" and r["sending_at"] is not None
                    for r in _rows(settings)
                ),
                timeout=60,
                what="the mailer to wait for the server's answer to M3's email",
            )
            held = [r["membership_number"] for r in _rows(settings) if r["sending_at"]]
            assert held == ["M3"], "the mailer waits for the server's answer to M3's email"
            _kill(mailer)
            before = {r["membership_number"]: r for r in _rows(settings)}
            mailer = _start_mailer(settings, tmp_path, log)
            support.wait_for(lambda: len(reported()) == 6, timeout=60, what="every outcome")
        finally:
            mailer.terminate()
            mailer.wait(timeout=30)
            log.close()
    # When it was killed the server had taken M1 and M2 (written down), and held M3.
    assert [n for n, r in before.items() if r["handed_at"] is not None] == ["M1", "M2"]
    assert all(r["status"] == "pending" for r in before.values())
    delivered = Counter(str(m["To"]) for m in support.mails(mail_dir))
    expected = {f"m{i}@example.org": 1 for i in (1, 2, 4, 5, 6)} | {"m3+stall@example.org": 2}
    assert delivered == expected, "only the email the server held unanswered goes twice"
    ids = Counter(str(m["Message-ID"]) for m in support.mails(mail_dir))
    rows = {r["membership_number"]: r for r in _rows(settings)}
    assert all(r["status"] == "sent" and r["sending_at"] is None for r in rows.values())
    assert {r["message_id"] for r in rows.values()} == set(ids)
    assert set(reported().values()) == {("mail.sent", "email", "sent", "")}


def test_a_killed_mailer_writes_a_print_batch_again_never_a_letter_into_two(
    make_settings, tmp_path
):
    settings = make_settings("mailer", smtp_port=support.free_port())
    reported = Reported(settings)
    voters = [(f"P{i:03}", "") for i in range(150)]
    log = (tmp_path / "mailer.log").open("wb")
    mailer = _start_mailer(settings, tmp_path, log)
    try:
        support.publish_event(
            settings, "codes.issued", _issued(settings, [(n, mail, True) for n, mail in voters])
        )
        planned = support.wait_for(
            lambda: [r for r in _rows(settings) if r["postal_batch"] and r["status"] == "pending"],
            timeout=60,
            interval=0.005,
            what="a print batch written down and not yet recorded as queued",
        )
        _kill(mailer)
        mailer = _start_mailer(settings, tmp_path, log)
        support.wait_for(lambda: len(reported()) == 150, timeout=120, what="every outcome")
    finally:
        mailer.terminate()
        mailer.wait(timeout=30)
        log.close()
    batch = planned[0]["postal_batch"]
    rows = _rows(settings)
    assert {(r["status"], r["postal_batch"]) for r in rows} == {("queued", batch)}
    folder = Path(settings.postal_path()) / "ballot-7"
    assert sorted(p.name for p in folder.iterdir()) == [
        Path(batch).with_suffix(".csv").name,
        Path(batch).with_suffix(".pdf").name,
    ], "one batch, written again in place"
    with open(batch, newline="", encoding="utf-8") as f:
        printed = Counter(row["membership_number"] for row in csv.DictReader(f))
    assert printed == {n: 1 for n, _ in voters}
    assert {v[:3] for v in reported().values()} == {("mail.sent", "post", "queued")}
