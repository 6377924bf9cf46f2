"""The matching service: members to electors, and the review queue."""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc

from rollcall.audit import AuditedService
from rollcall.messaging.consumer import EventMeta, once, subscribe
from rollcall.messaging.outbox import OutboxRelay
from rollcall.runtime import Metrics, Store
from services.matching import decisions as deciding
from services.matching.batch.source import DatabaseSource
from services.matching.errors import EXPECTED


class MatchingService(AuditedService):
    name = "matching"

    store = Store()
    relay = OutboxRelay()
    metrics = Metrics()

    @subscribe("members.registered")
    def handle_members_registered(self, payload: dict[str, Any], meta: EventMeta) -> str:
        outcome = once(
            self.store,
            meta,
            lambda s: deciding.decide_chunk(
                s,
                DatabaseSource(deciding.OnSession(s)),  # type: ignore[arg-type]
                ballot_id=payload["ballot_id"],
                area=payload["area"],
                members=payload["members"],
            ),
        )
        self.relay.kick()
        return outcome

    @rpc(expected_exceptions=EXPECTED)
    def list_reviews(
        self, ballot_id: int, association: str | None = None, status: str = "open"
    ) -> list[dict[str, Any]]:
        with self.store.transaction() as session:
            return deciding.list_reviews(session, ballot_id, association, status)

    @rpc(expected_exceptions=EXPECTED)
    def get_review(self, review_id: int) -> dict[str, Any]:
        with self.store.transaction() as session:
            return deciding.review_view(deciding.get_review(session, review_id))

    @rpc(expected_exceptions=EXPECTED)
    def decide_review(
        self, review_id: int, elector_id: str | None, actor: str, reason: str = ""
    ) -> dict[str, Any]:
        with self.store.transaction() as session:
            result = deciding.decide_review(session, review_id, elector_id, actor, reason)
        self.relay.kick()
        return result
