"""The registration service: ballots, extracts, the ledger, reconciliation."""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc

from rollcall.messaging.consumer import EventMeta, once, subscribe
from rollcall.messaging.outbox import OutboxRelay
from rollcall.runtime import Metrics, Store
from services.registration import ballots, extracts, roll
from services.registration.errors import EXPECTED


class RegistrationService:
    name = "registration"

    store = Store()
    relay = OutboxRelay()
    metrics = Metrics()

    def _write(self, work):  # type: ignore[no-untyped-def]
        with self.store.transaction() as session:
            result = work(session)
        self.relay.kick()
        return result

    # -- ballots ---------------------------------------------------------
    @rpc(expected_exceptions=EXPECTED)
    def create_ballot(self, definition: dict[str, Any], actor: str = "cli") -> dict[str, Any]:
        return self._write(lambda s: ballots.create(s, definition, actor))

    @rpc(expected_exceptions=EXPECTED)
    def get_ballot(self, ballot_id: int) -> dict[str, Any]:
        with self.store.transaction() as session:
            return ballots.definition(ballots.get(session, ballot_id))

    @rpc(expected_exceptions=EXPECTED)
    def change_phase(
        self, ballot_id: int, phase: str, actor: str = "cli", reason: str = ""
    ) -> dict[str, Any]:
        return self._write(lambda s: ballots.change_phase(s, ballot_id, phase, actor, reason))

    # -- extracts --------------------------------------------------------
    @rpc(expected_exceptions=EXPECTED)
    def begin_extract(self, **kwargs: Any) -> dict[str, Any]:
        return self._write(lambda s: extracts.begin(s, **kwargs))

    @rpc(expected_exceptions=EXPECTED)
    def add_extract_rows(
        self, extract_id: str, chunk: int, first_line: int, records: list[list[str]]
    ) -> dict[str, Any]:
        return self._write(
            lambda s: extracts.add_chunk(
                s, extract_id=extract_id, chunk=chunk, first_line=first_line, records=records
            )
        )

    @rpc(expected_exceptions=EXPECTED)
    def finish_extract(self, extract_id: str, chunks: int) -> dict[str, Any]:
        return self._write(lambda s: extracts.finish(s, extract_id=extract_id, chunks=chunks))

    # -- the ledger ------------------------------------------------------
    @rpc(expected_exceptions=EXPECTED)
    def reconcile(self, ballot_id: int, association: str | None = None) -> dict[str, Any]:
        with self.store.transaction() as session:
            return roll.reconcile(session, ballot_id, association)

    def _on(self, meta: EventMeta, apply) -> str:  # type: ignore[no-untyped-def]
        outcome = once(self.store, meta, apply)
        self.relay.kick()
        return outcome

    @subscribe("members.matched")
    def handle_members_matched(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self._on(
            meta, lambda s: roll.apply_decisions(s, payload["ballot_id"], payload["decisions"])
        )

    @subscribe("members.review_needed")
    def handle_members_review_needed(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self._on(
            meta, lambda s: roll.apply_decisions(s, payload["ballot_id"], payload["decisions"])
        )

    @subscribe("members.unmatched")
    def handle_members_unmatched(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self._on(
            meta, lambda s: roll.apply_decisions(s, payload["ballot_id"], payload["decisions"])
        )

    @subscribe("mail.sent")
    def handle_mail_sent(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self._on(
            meta, lambda s: roll.apply_deliveries(s, payload["ballot_id"], payload["deliveries"])
        )

    @subscribe("mail.failed")
    def handle_mail_failed(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self._on(
            meta, lambda s: roll.apply_deliveries(s, payload["ballot_id"], payload["deliveries"])
        )

    @subscribe("ballots.marked")
    def handle_ballots_marked(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self._on(
            meta,
            lambda s: roll.apply_mark(
                s, payload["ballot_id"], payload["membership_number"], payload["channel"]
            ),
        )

    @subscribe("result.published")
    def handle_result_published(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self._on(
            meta,
            lambda s: ballots.change_phase(
                s, payload["ballot_id"], "counted", "tally", "result published"
            ),
        )
