"""The tally: the marked register, the ballot box, the count, the bulletin board."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rollcall import retention
from rollcall.entrypoints import ServiceBase
from rollcall.messaging.consumer import EventMeta, subscribe
from rollcall.messaging.rpc import rpc
from rollcall.runtime import Metrics, settings_of
from services.tally import ballots, casting, queries, repeats, voters, withdrawals
from services.tally.errors import EXPECTED


class TallyService(ServiceBase):
    name = "tally"

    metrics = Metrics()

    def _bulletins(self) -> Path:
        return Path(settings_of(self.relay.container).var_dir) / "bulletins"

    def _passphrase(self) -> bytes:
        return settings_of(self.relay.container).secret("signing_key_passphrase")

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("request_token",))
    def cast_ballot(
        self,
        ballot_id: int,
        membership_number: str,
        choices: Any,
        channel: str = "online",
        request_token: str | None = None,
    ) -> dict[str, str]:
        """Cast a vote; the same ``request_token`` again is answered with the same receipt."""
        request = None
        if request_token is not None:
            request = (repeats.key_from(self._passphrase()), request_token)
        return self.write(
            lambda s: casting.cast(s, ballot_id, membership_number, choices, channel, request)
        )

    @rpc(expected_exceptions=EXPECTED)
    def enter_postal_batch(
        self, ballot_id: int, batch_id: str, teller: str, papers: list[dict[str, Any]]
    ) -> dict[str, Any]:
        return self.write(
            lambda s: casting.enter_postal_batch(s, ballot_id, batch_id, teller, papers)
        )

    @rpc(expected_exceptions=EXPECTED)
    def withdraw_candidate(
        self, ballot_id: int, candidate: str, contest: str | None, reason: str, actor: str
    ) -> dict[str, Any]:
        """Withdraw a candidate from a contest after the papers are out (``withdrawals``)."""
        return self.write(
            lambda s: withdrawals.withdraw(
                s, ballot_id, contest, candidate, reason, actor, datetime.now(UTC)
            )
        )

    @rpc(expected_exceptions=EXPECTED)
    def list_withdrawals(self, ballot_id: int) -> list[dict[str, Any]]:
        """The ballot's withdrawn candidates: contest, candidate, reason, when."""

        def read(s):  # type: ignore[no-untyped-def]
            queries.ballot(s, ballot_id)
            return withdrawals.listing(s, ballot_id)

        return self.read(read)

    @rpc(expected_exceptions=EXPECTED)
    def get_receipt(self, ballot_id: int, receipt: str) -> dict[str, Any]:
        return self.read(lambda s: queries.receipt(s, ballot_id, receipt))

    @rpc(expected_exceptions=EXPECTED)
    def get_result(self, ballot_id: int) -> dict[str, Any]:
        def read(s):  # type: ignore[no-untyped-def]
            row = queries.result(s, ballot_id)
            board = row.result
            counted = {"contests": board["contests"]} if "contests" in board else {}
            return {
                "ballot": board["ballot"],
                **(counted or {"counts": board["counts"]}),
                **({"withdrawals": board["withdrawals"]} if "withdrawals" in board else {}),
                "turnout": board["turnout"],
                "bulletin_sha256": row.bulletin_sha256,
                "bulletin_path": row.bulletin_path,
            }

        return self.read(read)

    @rpc(expected_exceptions=EXPECTED)
    def get_result_files(self, ballot_id: int) -> dict[str, str]:
        """The stage table (text) and the chart (PNG, base64) of a counted ballot."""

        def read(s):  # type: ignore[no-untyped-def]
            stem = Path(queries.result(s, ballot_id).bulletin_path).with_suffix("")
            return {
                "table": stem.with_suffix(".txt").read_text(),
                "chart_png_base64": base64.b64encode(
                    stem.with_suffix(".png").read_bytes()
                ).decode(),
            }

        return self.read(read)

    @rpc(expected_exceptions=EXPECTED)
    def get_bulletin(self, ballot_id: int) -> dict[str, Any]:
        return self.read(lambda s: queries.result(s, ballot_id).result)

    @rpc(expected_exceptions=EXPECTED)
    def get_marked_register(self, ballot_id: int) -> list[dict[str, str]]:
        return self.read(lambda s: queries.marked_register(s, ballot_id))

    @rpc(expected_exceptions=EXPECTED)
    def get_key(self, ballot_id: int) -> dict[str, str]:
        """The ballot's signing key and fingerprint, published before the count."""
        return self.read(lambda s: queries.signing_key(s, ballot_id))

    @rpc(expected_exceptions=EXPECTED)
    def make_report(
        self, ballot_id: int, figures: dict[str, Any], pdf: bool = False
    ) -> dict[str, Any]:
        """The scrutineer's report of a counted ballot, signed with its key (and its PDF)."""
        signed = self.read(
            lambda s: queries.signed_report(
                s, ballot_id, figures, self._passphrase(), datetime.now(UTC)
            )
        )
        if not pdf:
            return {"report": signed}
        from services.tally.report_pdf import render

        return {"report": signed, "pdf_base64": base64.b64encode(render(signed)).decode()}

    @rpc(expected_exceptions=EXPECTED)
    def get_turnout(self, ballot_id: int) -> dict[str, int]:
        return self.read(lambda s: queries.turnout(s, ballot_id))

    @subscribe("ballot.erasure_due")
    def handle_ballot_erasure_due(self, payload: dict[str, Any], meta: EventMeta) -> str:
        """The tally holds no name, address or email: the marked register, the box and the
        board stay (turnout, count, ``rollcall verify``); its published events go."""
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
        return self.on_event(meta, lambda s: ballots.record_ballot(s, payload, self._passphrase()))

    @subscribe("ballot.phase_changed")
    def handle_ballot_phase_changed(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self.on_event(
            meta,
            lambda s: ballots.record_phase(
                s,
                payload["ballot_id"],
                payload["phase"],
                self._bulletins(),
                self._passphrase(),
                payload.get("audit_head"),
            ),
        )

    @subscribe("voters.enrolled")
    def handle_voters_enrolled(self, payload: dict[str, Any], meta: EventMeta) -> str:
        numbers = [v["membership_number"] for v in payload["voters"]]
        return self.on_event(meta, lambda s: voters.enrol(s, payload["ballot_id"], numbers))

    @subscribe("voters.withdrawn")
    def handle_voters_withdrawn(self, payload: dict[str, Any], meta: EventMeta) -> str:
        return self.on_event(
            meta, lambda s: voters.withdraw(s, payload["ballot_id"], payload["membership_numbers"])
        )
