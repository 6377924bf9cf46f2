"""Sending what ``deliveries`` recorded: email over SMTP, or a row in a postal batch.

``Dispatcher`` (one per mailer process, one flush at a time) sends pending
deliveries: email over SMTP, or a row in a postal batch file for voters
without email; then, in one transaction, marks them and emits
``mail.sent`` / ``mail.failed``. Of the deliveries it picked it sends only
those it claimed (``claiming``), so two mailer replicas never send the same
one.

A mailer killed mid-flush leaves little in doubt. Each email is marked
``sending_at`` (committed) before it is handed to the mail server, and
``handed_at`` with its Message-ID as soon as the server takes it; a letter's
print batch is written down (``postal_batch``) before its file is written.
The flush after a crash records an email the server took without sending it
again, writes a planned batch again to the same file (so a letter is never in
two batches), and sends again only the email that was with the server when the
process died (at most one per mailer process: the server may have taken it, so
it goes again with the same Message-ID; SMTP can do no better). A reminder in
that state whose voter has voted since is not sent again and says it may have
gone. ``rollcall_mailer_after_crash_total`` counts each case.

What the mail server answered is classified by ``outcomes``. A transient
failure (no listener, a timeout, a 4xx) is tried again when the next delay of
``mail_retry_delays`` has passed; only deliveries that are due are picked, so
one waiting never holds up another, and a restart carries on from the stored
time. An email that is refused (a 5xx for the recipient or the message) or
whose schedule is used up falls back to a letter (``postal_fallback``) when
there is a postal address and the ballot's ``postal_cutoff`` has not passed;
else it fails with the server's words and why no letter went.

Every email goes out with the envelope sender ``bounce+<token>@<domain>`` and
the header ``X-Rollcall-Delivery`` (``bounces.token``), so a bounce that comes
back later is proved to be about this delivery. An access code email keeps its
sealed code after it went, until the ballot's postal cut-off or close, so a
late hard bounce can still become a letter (``bounces.apply_due``, run at the
start of each flush; it tells registration ``mail.bounced``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import smtplib
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import eventlet
from sqlalchemy import Connection, func, or_, select, update
from sqlalchemy.orm import Session

from rollcall import metrics, sealing
from rollcall.db import is_postgres
from rollcall.messaging.outbox import emit
from rollcall.runtime import BackgroundLoop, Database
from services.mailer import bounces, claiming, letters, printing, reminding
from services.mailer.models import Ballot, Delivery
from services.mailer.outcomes import BOUNCE, PERMANENT, TRANSIENT, classify, gave_up, retry_at

log = logging.getLogger(__name__)


_BATCH_TIME = "%Y%m%dT%H%M%S%f"


def _batch_manifest(directory: Path, ballot_id: int, now: datetime) -> str:
    """The manifest path (``.csv``; the letters' PDF has the same stem) of a new print batch."""
    return str(directory / f"ballot-{ballot_id}" / f"batch-{now.strftime(_BATCH_TIME)}.csv")


def _write_postal_batch(
    ballot: letters.BallotFacts,
    items: list[tuple[Delivery, dict[str, str]]],
    manifest: str,
    sender: str,
) -> None:
    """Write the print batch ``manifest`` names: the letters as PDF beside the printer's
    manifest (same stem, ``.csv``), each atomically. Written again from the same record it
    makes the same batch (same date, same candidate order), replacing a half-written one."""
    stem = Path(manifest).with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    now = datetime.strptime(stem.name.removeprefix("batch-"), _BATCH_TIME).replace(tzinfo=UTC)
    # Batch k (the batches of the ballot written before it) rotates a random order by k.
    batch = sum(1 for p in stem.parent.glob("batch-*.pdf") if p.stem < stem.name)
    ballot = dataclasses.replace(ballot, statements=ballot.in_batch(batch))
    printed = [letters.letter(d.kind, d.contact, row["code"], ballot) for d, row in items]
    rows = [row for _, row in items]
    printing.write_batch(stem, letters.POSTAL_COLUMNS, rows, printed, sender=sender, now=now)


class Dispatcher(BackgroundLoop):
    """Sends pending deliveries in a loop, one flush at a time."""

    database = Database()
    interval = 2.0

    def setup(self) -> None:
        super().setup()
        self._lock = eventlet.semaphore.Semaphore()
        self.smtp_factory: Callable[[], smtplib.SMTP] = lambda: smtplib.SMTP(
            self.settings.smtp_host, self.settings.smtp_port, timeout=30
        )

    def step(self) -> int:
        return self.flush()

    def flush(self, batch: int = 200) -> int:
        """Send one batch of due deliveries; return how many were sent, queued, failed or put off."""
        with self._lock, claiming.claims(self.database.engine) as claims:
            self._claims = claims
            return self._flush(batch)

    def _flush(self, batch: int) -> int:
        now = datetime.now(UTC)
        self._facts: dict[int, letters.BallotFacts] = {}
        bounced = self._apply_bounces(now)
        with self.database.transaction() as session:
            held = select(Ballot.ballot_id).where(Ballot.phase.in_(["paused"]))
            # A reminder goes only while its ballot is open (``reminding``).
            not_open = select(Ballot.ballot_id).where(Ballot.phase != "open")
            pending = session.scalars(
                select(Delivery)
                .where(Delivery.status == "pending")
                .where(or_(Delivery.not_before.is_(None), Delivery.not_before <= now))
                .where(or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now))
                .where(Delivery.ballot_id.not_in(held))
                .where(
                    or_(
                        ~Delivery.kind.startswith(letters.REMINDER),
                        Delivery.ballot_id.not_in(not_open),
                    )
                )
                .order_by(Delivery.id)
                .limit(batch)
            ).all()
            # The backlog is real ballots' (a test ballot's work is counted apart).
            tests = [
                ballot_id
                for ballot_id, timetable in session.execute(
                    select(Ballot.ballot_id, Ballot.timetable)
                )
                if letters.is_test(timetable)
            ]
            waiting = session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status == "pending", Delivery.next_attempt_at.is_not(None))
                .where(Delivery.ballot_id.not_in(tests))
            )
            metrics.RETRY_BACKLOG.set(waiting or 0)
        # Another mailer may have picked the same deliveries: send only those claimed here.
        mine = self._claims.take(d.id for d in pending)
        pending = [d for d in pending if d.id in mine]
        outcomes: dict[int, dict[str, Any]] = {}
        for d in pending:
            if d.handed_at is not None:
                # A mailer that stopped after the server took this email: it went.
                outcomes[d.id] = {"status": "sent", "message_id": d.message_id}
                metrics.count(
                    metrics.AFTER_CRASH, "recorded_taken", test=self._is_test(d.ballot_id)
                )
        # A reminder already with the mail server, or in a print batch, goes as planned.
        reminders = [
            d.id
            for d in pending
            if d.kind.startswith(letters.REMINDER) and d.id not in outcomes and not d.postal_batch
        ]
        if reminders:
            # A voter may have voted since their reminder was decided: it goes no more.
            with self.database.transaction() as session:
                voted, maybe = reminding.drop_voted(session, reminders, now)
            for d in pending:
                if d.id in voted:
                    test = self._is_test(d.ballot_id)
                    metrics.count(metrics.REMINDERS, reminding.SKIPPED_VOTED, test=test)
                    if d.id in maybe:
                        metrics.count(metrics.AFTER_CRASH, "not_sent_again_voted", test=test)
            pending = [d for d in pending if d.id not in voted]
        if not pending:
            return bounced
        seal_key = self.settings.secret("mail_seal_key")
        emails = [d for d in pending if d.channel == "email" and d.id not in outcomes]
        posts = [d for d in pending if d.channel == "post" and d.id not in outcomes]
        for d in emails:
            if d.sending_at is not None:
                metrics.count(metrics.AFTER_CRASH, "sent_again", test=self._is_test(d.ballot_id))
        if emails:
            with self.database.transaction() as session:
                titles = dict(session.execute(select(Ballot.ballot_id, Ballot.title)).all())
            outcomes.update(self._send_emails(emails, seal_key, titles))
        postal_rows, postal_ids = [], []
        for d in posts:
            code, message = "", ""
            if d.kind.startswith("notice"):
                message = letters.notice_text(d.kind, d.contact, self._roll_check_url(d.ballot_id))
            elif d.kind.startswith(letters.REMINDER):
                facts = self._ballot_facts(d.ballot_id)
                message = " ".join(letters.reminder_paragraphs(d.contact, facts))
            else:
                try:
                    code = sealing.unseal(seal_key, d.sealed_code or "")
                except sealing.InvalidToken:
                    outcomes[d.id] = {
                        "status": "failed",
                        "reason": "the sealed code could not be opened",
                    }
                    continue
            postal_rows.append(
                letters.postal_row(
                    ballot_id=d.ballot_id,
                    contact=d.contact,
                    code=code,
                    vote_url=self._vote_url(),
                    message=message,
                )
            )
            postal_ids.append(d)
        # Each letter's batch is written down before its file is written: a batch planned by a
        # mailer that stopped is written again to the same file, the rest make a new batch.
        batches: dict[tuple[int, str], list[tuple[Delivery, dict[str, str]]]] = {}
        for d, row in zip(postal_ids, postal_rows, strict=True):
            batches.setdefault((d.ballot_id, d.postal_batch), []).append((d, row))
        planned = {
            _batch_manifest(self.settings.postal_path(), ballot_id, now): [d.id for d, _ in items]
            for (ballot_id, manifest), items in batches.items()
            if not manifest
        }
        if planned:
            with self.database.transaction() as session:
                for manifest, ids in planned.items():
                    session.execute(
                        update(Delivery).where(Delivery.id.in_(ids)).values(postal_batch=manifest)
                    )
        for (ballot_id, manifest), items in batches.items():
            if manifest:
                metrics.count(
                    metrics.AFTER_CRASH,
                    "batch_written_again",
                    amount=len(items),
                    test=self._is_test(ballot_id),
                )
            else:
                manifest = _batch_manifest(self.settings.postal_path(), ballot_id, now)
            _write_postal_batch(
                self._ballot_facts(ballot_id), items, manifest, self.settings.mail_from
            )
            for d, _ in items:
                outcomes[d.id] = {"status": "queued", "batch": manifest}
        return self._record(pending, outcomes) + bounced

    def preview_letter(self, ballot_id: int, now: datetime) -> bytes:
        """A sample code letter of the ballot (``letters.sample_letter``) as PDF, as it would be
        printed in the first batch; nothing is stored or sent, the flush's cache is not touched."""
        facts = self._read_facts(ballot_id)
        sample = letters.sample_letter(dataclasses.replace(facts, statements=facts.in_batch(0)))
        fonts = printing.find_fonts(printing.font_dirs())
        return printing.render_pdf([sample], sender=self.settings.mail_from, date=now, fonts=fonts)

    def _ballot_facts(self, ballot_id: int) -> letters.BallotFacts:
        """What the letters and reminders of a ballot name: its title, dates and pages (read
        once a flush)."""
        if ballot_id not in self._facts:
            self._facts[ballot_id] = self._read_facts(ballot_id)
        return self._facts[ballot_id]

    def _is_test(self, ballot_id: int) -> bool:
        """Whether a ballot is a test ballot, whose work is counted apart (``metrics.count``)."""
        return letters.is_test(self._ballot_facts(ballot_id).timetable)

    def _read_facts(self, ballot_id: int) -> letters.BallotFacts:
        with self.database.transaction() as session:
            known = session.get(Ballot, ballot_id)
            return letters.BallotFacts(
                ballot_id,
                known.title if known else f"ballot {ballot_id}",
                self._vote_url(),
                self._roll_check_url(ballot_id),
                timetable=(known.timetable or {}) if known else {},
                replacement_url=f"{self.settings.public_url}/replacement?ballot={ballot_id}",
                statements=letters.statements_facts(known.statements if known else None),
                stored_statements=(known.statements or []) if known else [],
            )

    def _apply_bounces(self, now: datetime) -> int:
        """Apply the hard bounces that are due, tell registration, and forget codes no longer needed."""
        with self.database.transaction() as session:
            ballots = {b.ballot_id: b for b in session.scalars(select(Ballot))}

            def no_letter(d: Delivery) -> str:
                known = ballots.get(d.ballot_id)
                return postal_fallback(d.contact, known.timetable if known else None, now)

            told = bounces.apply_due(session, now, self.settings.bounce_settle_seconds, no_letter)
            by_ballot: dict[int, list[dict[str, Any]]] = {}
            for item in told:
                by_ballot.setdefault(item.pop("ballot_id"), []).append(item)
            for ballot_id, items in by_ballot.items():
                emit(
                    session,
                    "mail.bounced",
                    {"ballot_id": ballot_id, "bounces": items},
                    correlation_id=ballot_id,
                )
            forget_codes(session, ballots.values(), now)
        return len(told)

    def _vote_url(self) -> str:
        return f"{self.settings.public_url}/vote"

    def _roll_check_url(self, ballot_id: int) -> str:
        return f"{self.settings.public_url}/roll-check?ballot={ballot_id}"

    def _compose(self, d: Delivery, seal_key: bytes, title: str) -> EmailMessage | None:
        """The email for a delivery; None if its sealed code cannot be opened."""
        sender = self.settings.mail_from
        if d.kind.startswith("notice-roll"):
            return letters.roll_answer(
                ballot_id=d.ballot_id, title=title, contact=d.contact, kind=d.kind, sender=sender
            )
        if d.kind.startswith(letters.EXCLUDED):
            return letters.exclusion(
                ballot_id=d.ballot_id,
                title=title,
                contact=d.contact,
                kind=d.kind,
                sender=sender,
                roll_check_url=self._roll_check_url(d.ballot_id),
            )
        if d.kind.startswith(letters.REMINDER):
            return letters.reminder(
                contact=d.contact,
                kind=d.kind,
                sender=sender,
                ballot=self._ballot_facts(d.ballot_id),
            )
        if d.kind.startswith("notice"):
            return letters.notice(
                ballot_id=d.ballot_id, title=title, contact=d.contact, kind=d.kind, sender=sender
            )
        try:
            code = sealing.unseal(seal_key, d.sealed_code or "")
        except sealing.InvalidToken:
            return None
        return letters.email(
            ballot_id=d.ballot_id,
            title=title,
            contact=d.contact,
            code=code,
            kind=d.kind,
            sender=sender,
            vote_url=self._vote_url(),
            ballot=self._ballot_facts(d.ballot_id),
        )

    def _send_emails(
        self, emails: list[Delivery], seal_key: bytes, titles: dict[int, str]
    ) -> dict[int, dict[str, Any]]:
        outcomes: dict[int, dict[str, Any]] = {}
        key = bounces.token_key(seal_key)
        domain = self.settings.bounce_domain or self.settings.mail_from.split("@")[-1]
        try:
            smtp = self.smtp_factory()
        except (smtplib.SMTPException, OSError) as exc:
            unreachable = _classified(exc)
            for d in emails:
                test = self._is_test(d.ballot_id)
                metrics.count(metrics.SMTP_OUTCOMES, unreachable["status"], test=test)
            return {d.id: dict(unreachable) for d in emails}
        # How far each email got is written down before the next one goes (with its "sending"
        # mark, in one transaction): a crash leaves at most the email in flight in doubt.
        marks: list[tuple[int, dict[str, Any]]] = []
        with self._marking() as mark:
            try:
                for d in emails:
                    title = titles.get(d.ballot_id, f"ballot {d.ballot_id}")
                    msg = self._compose(d, seal_key, title)
                    if msg is None:
                        outcomes[d.id] = {
                            "status": "failed",
                            "reason": "the sealed code could not be opened",
                        }
                        continue
                    msg[bounces.TOKEN_HEADER] = bounces.token(key, d.id)
                    mark([*marks, (d.id, {"sending_at": datetime.now(UTC)})])
                    marks = [(d.id, {"sending_at": None})]
                    try:
                        smtp.send_message(msg, from_addr=bounces.return_path(key, d.id, domain))
                        outcomes[d.id] = {"status": "sent", "message_id": msg["Message-ID"]}
                        marks[0][1].update(
                            handed_at=datetime.now(UTC), message_id=msg["Message-ID"]
                        )
                    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
                        # The server answered and the session goes on with the next mail.
                        outcomes[d.id] = _classified(exc)
                    except (smtplib.SMTPException, OSError) as exc:
                        outcomes[d.id] = _classified(exc)
                        break
            finally:
                try:
                    smtp.quit()
                except (smtplib.SMTPException, OSError):
                    pass
            mark(marks)
        for d in emails:
            out = outcomes.get(d.id)
            if out is not None and out["status"] in _SMTP_KINDS:
                test = self._is_test(d.ballot_id)
                metrics.count(metrics.SMTP_OUTCOMES, out["status"], test=test)
        for d in emails:
            outcomes.setdefault(
                d.id, {"status": TRANSIENT, "reason": "not attempted after a server error"}
            )
        return outcomes

    @contextlib.contextmanager
    def _marking(self) -> Iterator[Callable[[list[tuple[int, dict[str, Any]]]], None]]:
        """``mark(marks)`` for the emails of one flush (``_mark``). On PostgreSQL every mark
        goes over one connection, held while the emails go, rather than one taken from the
        pool (and pinged) per email; SQLite's pool has one connection, which the rest of the
        process needs between two marks, so there each mark takes it for its own transaction."""
        if not is_postgres(self.database.engine):
            yield self._mark
            return
        with self.database.engine.connect() as connection:
            yield lambda marks: _write_marks(connection, marks)

    def _mark(self, marks: list[tuple[int, dict[str, Any]]]) -> None:
        """On SQLite: write down at once, in one transaction of its own, how far emails got
        with the mail server: (delivery id, columns) each (``_write_marks``).

        The marks guard against this process dying, not the machine: their commit does not
        wait for the disk (SQLite ``synchronous=NORMAL`` in WAL mode, PostgreSQL
        ``synchronous_commit off``), which survives a killed process and costs a tenth of a
        flushed commit. A power cut may lose the last marks, and then those emails go again:
        at least once, as before the marks.
        """
        if not marks:
            return
        with self.database.engine.connect() as connection:
            # outside any transaction: SQLite refuses it inside one
            raw = connection.connection.driver_connection
            level = raw.execute("PRAGMA synchronous").fetchone()[0]
            raw.execute("PRAGMA synchronous=NORMAL")
            try:
                _write_marks(connection, marks)
            finally:
                raw.execute(f"PRAGMA synchronous={int(level)}")

    def _record(self, pending: list[Delivery], outcomes: dict[int, dict[str, Any]]) -> int:
        now = datetime.now(UTC)
        settled = 0
        sent: dict[int, list[dict[str, Any]]] = {}
        failed: dict[int, list[dict[str, Any]]] = {}
        with self.database.transaction() as session:
            timetables = dict(session.execute(select(Ballot.ballot_id, Ballot.timetable)).all())
            # One statement locks them all, in the order of their ids (as ``pending`` is).
            current = {
                d.id: d
                for d in session.scalars(
                    select(Delivery)
                    .where(Delivery.id.in_([d.id for d in pending]))
                    .order_by(Delivery.id)
                    .with_for_update()
                )
            }
            for stale in pending:
                d = current.get(stale.id)
                if d is None or d.status != "pending":
                    continue
                out = outcomes[d.id]
                status = out["status"]
                d.attempts += 1
                d.sending_at = d.handed_at = None  # recorded below: nothing left half done
                if status == TRANSIENT:
                    d.next_attempt_at = retry_at(d.attempts, self.settings.mail_retry_delays, now)
                    if d.next_attempt_at is not None:
                        d.last_error = out["reason"]
                        d.retries += 1
                        settled += 1
                        continue
                    out = {
                        "reason": gave_up(
                            d.attempts, self.settings.mail_retry_delays, out["reason"]
                        )
                    }
                if status == BOUNCE:
                    d.bounced_at = now
                if status in (TRANSIENT, BOUNCE, PERMANENT):
                    no_letter = postal_fallback(d.contact, timetables.get(d.ballot_id), now)
                    if not no_letter:
                        # Fall back to a letter; it is written on the next flush.
                        d.channel, d.last_error = "post", out["reason"]
                        d.next_attempt_at = None
                        settled += 1
                        continue
                    status, out = "failed", {"reason": f"{out['reason']}; {no_letter}"}
                d.status, d.done_at = status, now
                d.message_id = out.get("message_id", "")
                d.postal_batch = out.get("batch", "")
                d.last_error = out.get("reason", d.last_error)
                if not _kept_for_a_bounce(d):
                    d.sealed_code = None
                test = self._is_test(d.ballot_id)
                metrics.count(metrics.MAIL, d.channel, status, test=test)
                settled += 1
                if d.kind.startswith(letters.REMINDER):
                    outcome = reminding.delivered(d.channel, status)
                    metrics.count(metrics.REMINDERS, outcome, test=test)
                    continue
                if d.kind.startswith("notice"):
                    continue
                item = {
                    "membership_number": d.membership_number,
                    "channel": d.channel,
                    "outcome": status,
                    "kind": d.kind,
                    "reason": d.last_error if status != "sent" else "",
                }
                (failed if status == "failed" else sent).setdefault(d.ballot_id, []).append(item)
            for event, groups in (("mail.sent", sent), ("mail.failed", failed)):
                for ballot_id, items in groups.items():
                    emit(
                        session,
                        event,
                        {"ballot_id": ballot_id, "deliveries": items},
                        correlation_id=ballot_id,
                    )
        return settled


def _write_marks(connection: Connection, marks: list[tuple[int, dict[str, Any]]]) -> None:
    """The marks (``Dispatcher._mark``) in one transaction; on PostgreSQL its commit does not
    wait for the disk (``synchronous_commit off``)."""
    if not marks:
        return
    table = Delivery.__table__
    with connection.begin():
        if is_postgres(connection):
            connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        for delivery_id, values in marks:
            connection.execute(table.update().where(table.c.id == delivery_id).values(values))


def postal_fallback(
    contact: Mapping[str, Any], timetable: Mapping[str, str] | None, now: datetime
) -> str:
    """Why an email that did not arrive cannot fall back to a letter; "" if a letter may go.

    A letter needs a postal address, and must be queued before the ballot's
    ``postal_cutoff`` (when its timetable has one): after it a letter would
    arrive too late to be of use.
    """
    if not contact.get("address"):
        return "no postal address to send a letter to"
    cutoff = (timetable or {}).get("postal_cutoff")
    if cutoff and now >= datetime.fromisoformat(cutoff):
        return f"the postal cut-off ({cutoff}) has passed, so no letter was sent"
    return ""


def _kept_for_a_bounce(d: Delivery) -> bool:
    """Whether a delivery keeps its sealed code: an access code email that went, in case it bounces."""
    return d.status == "sent" and d.channel == "email" and bool(d.sealed_code)


def forget_codes(session: Session, ballots: Iterable[Ballot], now: datetime) -> int:
    """Drop the sealed codes kept for late bounces once no letter could follow: after a
    ballot's postal cut-off, or once it closed. Returns how many were dropped."""
    done = []
    for b in ballots:
        cutoff = (b.timetable or {}).get("postal_cutoff")
        if b.phase in ("closed", "counted") or (cutoff and now >= datetime.fromisoformat(cutoff)):
            done.append(b.ballot_id)
    if not done:
        return 0
    result = session.execute(
        update(Delivery)
        .where(Delivery.ballot_id.in_(done))
        .where(Delivery.status == "sent", Delivery.sealed_code.is_not(None))
        .values(sealed_code=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


_SMTP_KINDS = ("sent", TRANSIENT, BOUNCE, PERMANENT)


def _classified(exc: BaseException) -> dict[str, Any]:
    """A delivery outcome for what sending raised."""
    outcome = classify(exc)
    return {"status": outcome.kind, "reason": outcome.reason}
