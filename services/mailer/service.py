"""The mailer: one access code mail (or letter) per voter, ballot and kind; notices to members;
one reminder per voter who has not voted at each reminder time."""

from __future__ import annotations

import base64
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from nameko.timer import timer

from rollcall import metrics, retention
from rollcall.entrypoints import ServiceBase
from rollcall.messaging.consumer import MARKS_BATCH, Event, EventMeta, once, once_all, subscribe
from rollcall.messaging.rpc import rpc
from rollcall.metrics import BOUNCES
from rollcall.runtime import Metrics
from services.mailer import bounces, deliveries, erasing, letters, reminding, reporting
from services.mailer.inbound import BounceEndpoint
from services.mailer.sending import Dispatcher

#: Seconds between reminder runs: how late after its time a reminder may start going.
REMINDER_INTERVAL = 5.0


class MailerService(ServiceBase):
    name = "mailer"

    dispatcher = Dispatcher()
    metrics = Metrics()
    bounce_endpoint = BounceEndpoint()

    @rpc
    def record_bounce_events(self, events: list[dict[str, Any]], raw: str) -> dict[str, int]:
        """A mail provider's bounce events (the gateway checked their signature): kept, then applied."""
        key = bounces.token_key(self.dispatcher.settings.secret("mail_seal_key"))

        def receive(s: Any) -> list[tuple[str, bool]]:
            rows = bounces.receive(
                s, key, "webhook", raw, bounces.from_events(events), datetime.now(UTC)
            )
            tests = reminding.test_ballots(s)
            return [(row.status, row.ballot_id in tests) for row in rows]

        stored = self.write(receive)
        for status, test in stored:
            metrics.count(BOUNCES, "webhook", status, test=test)
        self.dispatcher.kick()
        statuses = Counter(status for status, _ in stored)
        return {"received": len(events), "stored": len(stored), **statuses}

    @rpc
    def get_delivery_summary(self, ballot_id: int) -> dict[str, Any]:
        return self.read(lambda s: reporting.summary(s, ballot_id))

    @rpc
    def list_bounced_members(self, ballot_id: int) -> list[str]:
        return self.read(lambda s: reporting.bounced_members(s, ballot_id))

    @rpc
    def list_bounces_for_review(self, limit: int = 100) -> list[dict[str, Any]]:
        return self.read(lambda s: reporting.review(s, limit))

    @subscribe("ballot.erasure_due")
    def handle_ballot_erasure_due(self, payload: dict[str, Any], meta: EventMeta) -> str:
        """Blank the ballot's contacts and delete its postal batches (``erasing``)."""
        postal = self.dispatcher.settings.postal_path()
        return self.on_event(
            meta,
            lambda s: retention.erase_here(
                s, self.name, payload, lambda s, b: erasing.erase(s, b, postal), datetime.now(UTC)
            ),
        )

    @rpc
    def get_retention(self, ballot_id: int) -> dict[str, Any]:
        """What the mailer holds of the ballot's personal data, and when it erased it."""
        postal = self.dispatcher.settings.postal_path()
        return self.read(
            lambda s: retention.state(
                s, self.name, ballot_id, lambda s, b: erasing.holdings(s, b, postal)
            )
        )

    @subscribe("ballot.created")
    def handle_ballot_created(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return once(
            self.store,
            meta,
            lambda s: deliveries.record_ballot(
                s,
                payload["ballot_id"],
                phase=payload["phase"],
                title=letters.title_of(payload),
                timetable=letters.timetable_of(payload),
                statements=letters.statements_of(payload),
            ),
        )

    @subscribe("ballot.phase_changed")
    def handle_ballot_phase_changed(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return once(
            self.store,
            meta,
            lambda s: deliveries.record_ballot(s, payload["ballot_id"], phase=payload["phase"]),
        )

    def _accept(self, meta: EventMeta, apply) -> str:  # type: ignore[no-untyped-def]
        """Record what to send in one transaction with the inbox row, then wake the dispatcher."""
        outcome = once(self.store, meta, lambda s: apply(s, datetime.now(UTC)))
        self.dispatcher.kick()
        return outcome

    @subscribe("voters.contact_changed")
    def handle_voters_contact_changed(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self._accept(
            meta, lambda s, now: deliveries.accept_notice(s, payload, meta.message_id, now)
        )

    @subscribe("roll.check_answered")
    def handle_roll_check_answered(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self._accept(
            meta, lambda s, now: deliveries.accept_roll_check(s, payload, meta.message_id, now)
        )

    @subscribe("members.exclusion_notice_requested")
    def handle_members_exclusion_notice_requested(
        self, payload: dict[str, Any], meta: EventMeta
    ) -> str:
        return self._accept(meta, lambda s, now: deliveries.accept_exclusions(s, payload, now))

    @subscribe("codes.issued")
    def handle_codes_issued(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self._accept(
            meta, lambda s, now: deliveries.accept(s, payload["ballot_id"], payload["codes"], now)
        )

    @subscribe("ballots.marked", batch=MARKS_BATCH)
    def handle_ballots_marked(self, events: list[Event]) -> list[str]:
        return once_all(
            self.store, events, lambda s, marks: reminding.record_marks(s, marks, datetime.now(UTC))
        )

    @subscribe("voters.withdrawn")
    def handle_voters_withdrawn(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return once(
            self.store,
            meta,
            lambda s: reminding.record_withdrawal(
                s, payload["ballot_id"], payload["membership_numbers"], datetime.now(UTC)
            ),
        )

    @timer(interval=REMINDER_INTERVAL)
    def send_reminders(self) -> None:
        """Serve every reminder time that has come (once per voter), then wake the dispatcher."""
        tests: Counter[str] = Counter()
        outcomes = reminding.run(self.store.transaction, datetime.now(UTC), tests)
        for counted, test in ((outcomes, False), (+tests, True)):
            for outcome, n in counted.items():
                if outcome not in (reminding.EMAIL, reminding.LETTER):
                    metrics.count(metrics.REMINDERS, outcome, amount=n, test=test)
        if outcomes or +tests:
            self.dispatcher.kick()

    @rpc
    def preview_letter(self, ballot_id: int) -> dict[str, Any]:
        """A sample code letter of the ballot, for an operator's preview: ``pdf_base64``."""
        pdf = self.dispatcher.preview_letter(ballot_id, datetime.now(UTC))
        return {"pdf_base64": base64.b64encode(pdf).decode("ascii")}

    @rpc
    def get_reminders(self, ballot_id: int) -> dict[str, Any]:
        """Reminders of a ballot per reminder time and outcome, for ``rollcall reconcile``."""
        return self.read(lambda s: reminding.counts(s, ballot_id))
