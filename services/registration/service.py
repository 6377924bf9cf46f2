"""The registration service's nameko entrypoints: each translates, calls the domain, and commits.

Ballots, extracts, the ledger and reconciliation live in the modules named
beside each entrypoint; this shell only opens the transaction, passes the
personal-data key, and kicks the outbox relay after a commit.
"""

from __future__ import annotations

from typing import Any

from nameko.timer import timer

from rollcall import retention as rollcall_retention
from rollcall.entrypoints import ServiceBase
from rollcall.messaging.consumer import MARKS_BATCH, Event, EventMeta, subscribe
from rollcall.messaging.rpc import rpc
from rollcall.runtime import Metrics, settings_of
from services.registration import (
    approvals,
    associations,
    ballots,
    complaints,
    corrections,
    dropped,
    extracts,
    facts,
    feed,
    pausing,
    reconciling,
    replacing,
    resending,
    resubmission,
    retention,
    rollcheck,
    views,
)
from services.registration.errors import EXPECTED


class RegistrationService(ServiceBase):
    name = "registration"

    metrics = Metrics()

    def _write_or_refuse(self, work):  # type: ignore[no-untyped-def]
        """Commit, then raise a refusal the work returned (so the refusal's audit entry stays)."""
        result = self.write(work)
        if isinstance(result, Exception):
            raise result
        return result

    def _key(self) -> bytes:
        return settings_of(self.relay.container).secret("personal_data_key")

    # -- ballots ---------------------------------------------------------
    @rpc(expected_exceptions=EXPECTED)
    def create_ballot(self, definition: dict[str, Any], actor: str = "cli") -> dict[str, Any]:
        return self.write(lambda s: ballots.create(s, definition, actor))

    @rpc(expected_exceptions=EXPECTED)
    def get_ballot(self, ballot_id: int) -> dict[str, Any]:
        with self.store.transaction() as session:
            return ballots.definition(ballots.get(session, ballot_id))

    @rpc(expected_exceptions=EXPECTED)
    def change_phase(
        self, ballot_id: int, phase: str, actor: str = "cli", reason: str = "", force: bool = False
    ) -> dict[str, Any]:
        return self._write_or_refuse(
            lambda s: ballots.open_or_close(s, ballot_id, phase, actor, reason, force=force)
        )

    @rpc(expected_exceptions=EXPECTED)
    def pause_ballot(self, ballot_id: int, actor: str, reason: str) -> dict[str, Any]:
        return self.write(lambda s: pausing.pause(s, ballot_id, actor, reason))

    @rpc(expected_exceptions=EXPECTED)
    def request_resume(self, ballot_id: int, actor: str, reason: str = "") -> dict[str, Any]:
        return self.write(lambda s: pausing.request_resume(s, ballot_id, actor, reason))

    @rpc(expected_exceptions=EXPECTED)
    def approve_resume(self, ballot_id: int, approver: str, reason: str = "") -> dict[str, Any]:
        return self._write_or_refuse(
            lambda s: pausing.approve_resume(s, ballot_id, approver, reason)
        )

    @rpc(expected_exceptions=EXPECTED)
    def list_pauses(self, ballot_id: int) -> list[dict[str, Any]]:
        """Every pause of the ballot and how it ended, for the scrutineer's report."""
        with self.store.transaction() as session:
            return pausing.history(session, ballot_id)

    # -- retention ---------------------------------------------------------
    def _retention_days(self) -> int:
        return settings_of(self.relay.container).retention_days

    @rpc(expected_exceptions=EXPECTED)
    def list_retention(self) -> list[dict[str, Any]]:
        """Every ballot's retention date, what holds it, and what registration still holds."""
        return self.read(lambda s: retention.listing(s, self._retention_days()))

    @rpc(expected_exceptions=EXPECTED)
    def get_retention(self, ballot_id: int) -> dict[str, Any]:
        """What registration holds of the ballot's personal data, and when it erased it."""
        return self.read(
            lambda s: rollcall_retention.state(s, self.name, ballot_id, retention.holdings)
        )

    @rpc(expected_exceptions=EXPECTED)
    def erase_ballot(
        self,
        ballot_id: int,
        actor: str,
        reason: str = "",
        force: bool = False,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """Erase the ballot's personal data here and tell every service to erase theirs."""
        return self._write_or_refuse(
            lambda s: retention.erase(
                s,
                ballot_id,
                actor=actor,
                reason=reason,
                days=self._retention_days(),
                force=force,
                dry_run=dry_run,
            )
        )

    # -- complaints ------------------------------------------------------
    @rpc(expected_exceptions=EXPECTED)
    def open_complaint(
        self, ballot_id: int, subject: str, actor: str, days: int = 14
    ) -> dict[str, Any]:
        return self.write(
            lambda s: complaints.open_complaint(s, ballot_id, subject, actor, days, self._key())
        )

    @rpc(expected_exceptions=EXPECTED)
    def add_evidence(self, complaint_id: int, text: str, actor: str) -> dict[str, Any]:
        return self.write(
            lambda s: complaints.add_evidence(s, complaint_id, text, actor, self._key())
        )

    @rpc(expected_exceptions=EXPECTED)
    def move_complaint(
        self, complaint_id: int, status: str, actor: str, outcome: str = ""
    ) -> dict[str, Any]:
        return self.write(
            lambda s: complaints.move_complaint(
                s, complaint_id, status, actor, outcome, self._key()
            )
        )

    @rpc(expected_exceptions=EXPECTED)
    def get_complaint(self, complaint_id: int) -> dict[str, Any]:
        with self.store.transaction() as session:
            return complaints.get_complaint(session, complaint_id)

    @rpc(expected_exceptions=EXPECTED)
    def list_complaints(self, ballot_id: int) -> list[dict[str, Any]]:
        with self.store.transaction() as session:
            return complaints.list_complaints(session, ballot_id)

    # -- extracts --------------------------------------------------------
    @rpc(expected_exceptions=EXPECTED)
    def begin_extract(self, **kwargs: Any) -> dict[str, Any]:
        return self.write(lambda s: extracts.begin(s, **kwargs))

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("records",))
    def add_extract_rows(
        self, extract_id: str, chunk: int, first_line: int, records: list[Any]
    ) -> dict[str, Any]:
        """``records``: intake's {line, values, extra, raw, problems}, or lists in the header's order."""
        return self.write(
            lambda s: extracts.add_chunk(
                s, extract_id=extract_id, chunk=chunk, first_line=first_line, records=records
            )
        )

    @rpc(expected_exceptions=EXPECTED)
    def finish_extract(self, extract_id: str, chunks: int) -> dict[str, Any]:
        return self.write(lambda s: extracts.finish(s, extract_id=extract_id, chunks=chunks))

    # -- dropped rows: rejected, duplicates, conflicts ---------------------
    @rpc(expected_exceptions=EXPECTED)
    def list_dropped_rows(
        self,
        ballot_id: int,
        association: str | None = None,
        kind: str | None = None,
        status: str | None = None,
    ) -> list[dict[str, Any]]:
        with self.store.transaction() as session:
            return dropped.list_rows(session, ballot_id, association, kind, status)

    @rpc(expected_exceptions=EXPECTED)
    def get_dropped_row(self, ballot_id: int, row_id: int) -> dict[str, Any]:
        with self.store.transaction() as session:
            return dropped.get_row(session, ballot_id, row_id)

    @rpc(expected_exceptions=EXPECTED)
    def count_dropped_rows(self, ballot_id: int) -> dict[str, Any]:
        with self.store.transaction() as session:
            return dropped.count_rows(session, ballot_id)

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("values",))
    def correct_dropped_row(
        self, ballot_id: int, row_id: int, values: dict[str, str], actor: str, reason: str = ""
    ) -> dict[str, Any]:
        return self.write(
            lambda s: resubmission.correct_row(
                s, ballot_id, row_id, values, actor, reason, self._key()
            )
        )

    @rpc(expected_exceptions=EXPECTED)
    def resolve_conflict(
        self, ballot_id: int, row_id: int, keep: str, actor: str, reason: str = ""
    ) -> dict[str, Any]:
        return self.write(
            lambda s: resubmission.resolve_conflict(
                s, ballot_id, row_id, keep, actor, reason, self._key()
            )
        )

    # -- associations ----------------------------------------------------
    @rpc(expected_exceptions=EXPECTED)
    def add_association(
        self, code: str, name: str, aliases: list[str] | None = None, actor: str = "cli"
    ) -> dict[str, Any]:
        return self.write(lambda s: associations.add(s, code, name, aliases or [], actor))

    @rpc(expected_exceptions=EXPECTED)
    def load_associations(
        self, rows: list[dict[str, Any]], actor: str = "cli"
    ) -> list[dict[str, Any]]:
        return self.write(lambda s: associations.load(s, rows, actor))

    @rpc(expected_exceptions=EXPECTED)
    def list_associations(self) -> list[dict[str, Any]]:
        with self.store.transaction() as session:
            return associations.listing(session)

    # -- the ledger ------------------------------------------------------
    @timer(interval=30)
    def refresh_gauges(self) -> None:
        """Keep the members-by-state and unaccounted gauges current for the alerts."""
        with self.store.transaction() as session:
            for ballot_id in ballots.live_ids(session):
                reconciling.reconcile(session, ballot_id)

    @rpc(expected_exceptions=EXPECTED)
    def reconcile(self, ballot_id: int, association: str | None = None) -> dict[str, Any]:
        with self.store.transaction() as session:
            return reconciling.reconcile(session, ballot_id, association)

    @rpc(expected_exceptions=EXPECTED)
    def resend_codes(
        self,
        ballot_id: int,
        state: str = "mail_failed",
        association: str | None = None,
        reissue: bool = False,
        actor: str = "operator",
    ) -> dict[str, Any]:
        """Move the members to be sent a code again to ``awaiting_code``; their contacts, and who was skipped why."""
        return self.write(
            lambda s: resending.resend(
                s,
                ballots.get(s, ballot_id).id,
                state=state,
                association=association,
                reissue=reissue,
                actor=actor,
            )
        )

    # -- replacement codes ----------------------------------------------------
    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("email", "postcode"))
    def request_replacement(
        self, ballot_id: int, membership_number: str, email: str = "", postcode: str = ""
    ) -> dict[str, Any]:
        """Take a member's request (matched later, by a message); the ballot's public window."""
        return self.write(
            lambda s: replacing.accept_request(
                s, ballot_id, membership_number, email, postcode, replacing.utcnow()
            )
        )

    @rpc(expected_exceptions=EXPECTED)
    def reissue_code(
        self,
        ballot_id: int,
        membership_number: str,
        actor: str,
        reason: str,
        source: str = "operator",
        channel: str | None = None,
        via: str = "cli",
    ) -> dict[str, Any]:
        """An officer's or operator's reissue for one member: audited, no hold unless a contact change is cooling off."""
        return self._write_or_refuse(
            lambda s: replacing.reissue(
                s,
                ballot_id,
                membership_number,
                source=source,
                actor=actor,
                reason=reason,
                channel=channel,
                via=via,
            )
        )

    @subscribe("replacement.requested")
    def handle_replacement_requested(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self.on_event(meta, lambda s: replacing.apply_request(s, payload))

    @rpc(expected_exceptions=EXPECTED)
    def list_members(self, ballot_id: int, association: str | None = None) -> list[dict[str, Any]]:
        """Each member with their state and its reason in plain words (an officer's view)."""
        with self.store.transaction() as session:
            return views.members_view(session, ballot_id, association)

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("postcode",))
    def roll_check(self, ballot_id: int, membership_number: str, postcode: str) -> dict[str, str]:
        """The answer goes to the member's party-held contact; the reply says nothing either way."""
        self.write(lambda s: rollcheck.roll_check(s, ballot_id, membership_number, postcode))
        return {
            "status": "If these details match a member, the answer has been sent to the contact the party holds."
        }

    @rpc(expected_exceptions=EXPECTED)
    def get_member(self, ballot_id: int, membership_number: str) -> dict[str, Any]:
        """One member's view (state, reason, association), for scope checks and officers."""
        with self.store.transaction() as session:
            return views.member_view(session, ballot_id, membership_number)

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("changes",))
    def correct_member(
        self,
        ballot_id: int,
        membership_number: str,
        changes: dict[str, str],
        actor: str,
        reason: str,
    ) -> dict[str, Any]:
        """An officer's correction: audited, and the member goes back through matching."""
        return self.write(
            lambda s: corrections.correct(
                s, ballot_id, membership_number, changes, actor, reason, self._key()
            )
        )

    @rpc(expected_exceptions=EXPECTED)
    def list_changes(self, ballot_id: int, status: str = "pending") -> list[dict[str, Any]]:
        with self.store.transaction() as session:
            return approvals.list_changes(session, ballot_id, status)

    @rpc(expected_exceptions=EXPECTED)
    def decide_change(
        self, change_id: int, approver: str, approve: bool = True, reason: str = ""
    ) -> dict[str, Any]:
        return self._write_or_refuse(
            lambda s: corrections.decide(s, change_id, approver, approve, self._key(), reason)
        )

    @subscribe("member.joined")
    def handle_member_joined(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self.on_event(meta, lambda s: feed.member_joined(s, payload, self._key()))

    @subscribe("member.updated")
    def handle_member_updated(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self.on_event(meta, lambda s: feed.member_updated(s, payload, self._key()))

    @subscribe("member.lapsed")
    def handle_member_lapsed(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self.on_event(meta, lambda s: feed.member_lapsed(s, payload, self._key()))

    @subscribe("members.matched")
    def handle_members_matched(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self.on_event(
            meta, lambda s: facts.apply_decisions(s, payload["ballot_id"], payload["decisions"])
        )

    @subscribe("members.review_needed")
    def handle_members_review_needed(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self.on_event(
            meta, lambda s: facts.apply_decisions(s, payload["ballot_id"], payload["decisions"])
        )

    @subscribe("members.unmatched")
    def handle_members_unmatched(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self.on_event(
            meta, lambda s: facts.apply_decisions(s, payload["ballot_id"], payload["decisions"])
        )

    @subscribe("mail.sent")
    def handle_mail_sent(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self.on_event(
            meta, lambda s: facts.apply_deliveries(s, payload["ballot_id"], payload["deliveries"])
        )

    @subscribe("mail.failed")
    def handle_mail_failed(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self.on_event(
            meta, lambda s: facts.apply_deliveries(s, payload["ballot_id"], payload["deliveries"])
        )

    @subscribe("mail.bounced")
    def handle_mail_bounced(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self.on_event(
            meta, lambda s: facts.apply_bounces(s, payload["ballot_id"], payload["bounces"])
        )

    @subscribe("ballots.marked", batch=MARKS_BATCH)
    def handle_ballots_marked(self, events: list[Event]) -> list[str]:
        return self.on_events(events, facts.apply_marks)

    @subscribe("result.published")
    def handle_result_published(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self.on_event(
            meta,
            lambda s: ballots.change_phase(
                s, payload["ballot_id"], "counted", "tally", "result published"
            ),
        )
