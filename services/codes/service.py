"""The codes service: issue access codes, check them, slow down a client that keeps guessing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nameko.timer import timer

from rollcall import retention
from rollcall.entrypoints import ServiceBase
from rollcall.messaging.consumer import MARKS_BATCH, Event, EventMeta, once, subscribe
from rollcall.messaging.rpc import rpc
from rollcall.runtime import Metrics, Secrets
from services.codes import issuing
from services.codes.errors import EXPECTED


class CodesService(ServiceBase):
    name = "codes"

    metrics = Metrics()
    #: The key of the codes' hashes and the key that seals a code for the mailer.
    keys = Secrets("code_hash_key", "mail_seal_key")

    @timer(interval=600)
    def purge_failed_attempts(self) -> None:
        """Forget wrong codes that no longer count against any client."""
        self.write(lambda s: issuing.purge_failures(s, issuing.utcnow()))

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("code",))
    def verify_code(self, ballot_id: int, code: str, client: str = "") -> dict[str, Any]:
        key, _ = self.keys
        with self.store.transaction() as session:
            result = issuing.check(
                session,
                key=key,
                ballot_id=ballot_id,
                raw=code,
                client=client or "-",
                now=issuing.utcnow(),
            )
        if isinstance(result, Exception):
            raise result
        return {"membership_number": result}

    @rpc(expected_exceptions=EXPECTED)
    def reissue_codes(self, ballot_id: int, voters: list[dict[str, Any]]) -> int:
        """Replace the codes of voters whose code is sent again to the same contact: no hold."""
        key, seal_key = self.keys
        now = issuing.utcnow()
        return self.write(
            lambda s: sum(
                issuing.reissue(
                    s,
                    key=key,
                    seal_key=seal_key,
                    ballot_id=ballot_id,
                    voter=v,
                    now=now,
                    hold=False,
                )
                for v in voters
            )
        )

    @subscribe("ballot.erasure_due")
    def handle_ballot_erasure_due(self, payload: dict[str, Any], meta: EventMeta) -> str:
        """Codes holds keyed hashes and membership numbers only: its published ``codes.issued``
        events (sealed codes with contacts) are what goes."""
        return self.on_event(
            meta,
            lambda s: retention.erase_here(
                s, self.name, payload, retention.nothing, datetime.now(UTC)
            ),
        )

    @rpc
    def get_retention(self, ballot_id: int) -> dict[str, Any]:
        """What this service holds of the ballot's personal data, and when it erased it."""
        return self.read(lambda s: retention.state(s, self.name, ballot_id, retention.nothing))

    @subscribe("ballot.created")
    def handle_ballot_created(self, payload: dict[str, Any], meta: EventMeta) -> str:
        hours = int(payload["eligibility"].get("cooling_off_hours", 0))
        return self.on_event(
            meta,
            lambda s: issuing.record_phase(
                s, payload["ballot_id"], payload["phase"], hours, bool(payload.get("test"))
            ),
        )

    @subscribe("ballot.phase_changed")
    def handle_ballot_phase_changed(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self.on_event(
            meta, lambda s: issuing.record_phase(s, payload["ballot_id"], payload["phase"])
        )

    def _issuing(self, meta: EventMeta, apply) -> str:  # type: ignore[no-untyped-def]
        """Run ``apply(session, key=, seal_key=, now=)``, which issues codes, exactly once."""
        key, seal_key = self.keys
        return self.on_event(
            meta, lambda s: apply(s, key=key, seal_key=seal_key, now=issuing.utcnow())
        )

    @subscribe("voters.enrolled")
    def handle_voters_enrolled(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self._issuing(
            meta,
            lambda s, **keys: issuing.issue(
                s, ballot_id=payload["ballot_id"], voters=payload["voters"], **keys
            ),
        )

    @subscribe("voters.withdrawn")
    def handle_voters_withdrawn(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self.on_event(
            meta, lambda s: issuing.revoke(s, payload["ballot_id"], payload["membership_numbers"])
        )

    @subscribe("voters.contact_changed")
    def handle_voters_contact_changed(self, payload: dict[str, Any], meta: EventMeta) -> str:
        if not payload["reissue"] or not payload["voter"]:
            return once(self.store, meta, lambda s: None)
        return self._issuing(
            meta,
            lambda s, **keys: issuing.reissue(
                s, ballot_id=payload["ballot_id"], voter=payload["voter"], **keys
            ),
        )

    @subscribe("voters.reissue_requested")
    def handle_voters_reissue_requested(self, payload: dict[str, Any], meta: EventMeta) -> str:
        """A replacement or an officer's reissue: the same contact, so no hold of its own."""
        return self._issuing(
            meta,
            lambda s, **keys: issuing.reissue(
                s, ballot_id=payload["ballot_id"], voter=payload["voter"], hold=False, **keys
            ),
        )

    @subscribe("ballots.marked", batch=MARKS_BATCH)
    def handle_ballots_marked(self, events: list[Event]) -> list[str]:
        return self.on_events(events, lambda s, marks: issuing.redeem(s, marks, issuing.utcnow()))
