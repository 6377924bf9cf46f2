"""A test ballot's codes on the real broker and database move no real-ballot metric: codes
issued, redeemed and failed checks are counted in ``rollcall_test_ballot_events_total``."""

from __future__ import annotations

from datetime import UTC, datetime

from rollcall import metrics
from services.codes.service import CodesService
from tests import support
from tests.builders import ballots as builders
from tests.integration.codes.test_codes import (
    VOTERS,
    Issued,
    _refusal,
    _statuses,
    _verify_when_open,
)

BALLOT = 4  # test_codes' helpers verify codes of this ballot

REAL = (metrics.CODES_ISSUED, metrics.CODES_REDEEMED, metrics.CODES_FAILED)


def _real() -> list[float]:
    return [m._value.get() for m in REAL]


def test_a_test_ballots_codes_move_no_real_ballot_metric(make_settings):
    settings = make_settings("codes")
    issued = Issued(settings)
    real, test = _real(), [metrics.test_ballot_count(m) for m in REAL]
    with support.running(settings, CodesService), support.rpc_proxy(settings) as rpc:
        definition = {**builders.ballot_definition(), "ballot_id": BALLOT, "phase": "draft"}
        support.publish_event(settings, "ballot.created", {**definition, "test": True})
        support.publish_event(
            settings,
            "ballot.phase_changed",
            {"ballot_id": BALLOT, "phase": "open", "at": datetime.now(UTC).isoformat()},
        )
        support.publish_event(settings, "voters.enrolled", {"ballot_id": BALLOT, "voters": VOTERS})
        support.wait_for(lambda: len(issued()) >= 2, what="two codes")
        codes = {n: code for n, _, code in issued()}
        assert _verify_when_open(rpc, codes["M1"]) == {"membership_number": "M1"}
        assert _refusal(rpc, "ABCD-EFGH-JKLM-NPQR") in ("InvalidCode", "MalformedCode")
        support.publish_event(
            settings,
            "ballots.marked",
            {"ballot_id": BALLOT, "membership_number": "M1", "channel": "online"},
        )
        support.wait_for(lambda: _statuses(settings)["M1"] == "redeemed", what="M1 redeemed")
    assert _real() == real
    assert [metrics.test_ballot_count(m) - t for m, t in zip(REAL, test, strict=True)] == [
        2,
        1,
        1,
    ]
