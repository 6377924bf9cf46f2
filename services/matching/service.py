"""The matching service: members to electors, and the review queue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rollcall import retention
from rollcall.entrypoints import ServiceBase
from rollcall.messaging.consumer import EventMeta, subscribe
from rollcall.messaging.rpc import rpc
from rollcall.runtime import Metrics
from services.matching import decisions, erasing
from services.matching.batch.source import DatabaseSource
from services.matching.errors import EXPECTED


class MatchingService(ServiceBase):
    name = "matching"

    metrics = Metrics()

    @subscribe("ballot.created")
    def handle_ballot_created(self, payload: dict[str, Any], meta: EventMeta) -> str:
        """Keep whether the ballot is a test ballot (``decisions.record_ballot``)."""
        return self.on_event(
            meta,
            lambda s: decisions.record_ballot(s, payload["ballot_id"], bool(payload.get("test"))),
        )

    @subscribe("members.registered")
    def handle_members_registered(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self.on_event(
            meta,
            lambda s: decisions.decide_chunk(
                s,
                DatabaseSource(decisions.OnSession(s)),  # type: ignore[arg-type]
                ballot_id=payload["ballot_id"],
                area=payload["area"],
                members=payload["members"],
            ),
        )

    @subscribe("ballot.erasure_due")
    def handle_ballot_erasure_due(self, payload: dict[str, Any], meta: EventMeta) -> str:
        """Blank the evidence and words of the ballot's decisions and reviews (``erasing``)."""
        return self.on_event(
            meta,
            lambda s: retention.erase_here(s, self.name, payload, erasing.erase, datetime.now(UTC)),
        )

    @rpc
    def get_retention(self, ballot_id: int) -> dict[str, Any]:
        """What this service holds of the ballot's personal data, and when it erased it."""
        return self.read(lambda s: retention.state(s, self.name, ballot_id, erasing.holdings))

    @rpc(expected_exceptions=EXPECTED)
    def list_reviews(
        self, ballot_id: int, association: str | None = None, status: str = "open"
    ) -> list[dict[str, Any]]:
        return self.read(lambda s: decisions.list_reviews(s, ballot_id, association, status))

    @rpc(expected_exceptions=EXPECTED)
    def get_review(self, review_id: int) -> dict[str, Any]:
        return self.read(lambda s: decisions.review_view(decisions.get_review(s, review_id)))

    @rpc(expected_exceptions=EXPECTED)
    def decide_review(
        self, review_id: int, elector_id: str | None, actor: str, reason: str = ""
    ) -> dict[str, Any]:
        return self.write(
            lambda s: decisions.decide_review(s, review_id, elector_id, actor, reason)
        )
