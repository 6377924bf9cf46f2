"""A test ballot's votes on the real tally, broker and database move no real-ballot metric:
papers cast online and by post, and postal papers refused, are counted in
``rollcall_test_ballot_events_total``."""

from __future__ import annotations

from rollcall import metrics
from services.tally.service import TallyService
from tests import support
from tests.integration.tally.test_casting import _cast_when_open, _open_ballot

REFUSED = "AlreadyVoted"


def _real() -> list[float]:
    return [
        metrics.BALLOTS_CAST.labels("online")._value.get(),
        metrics.BALLOTS_CAST.labels("postal")._value.get(),
        metrics.POSTAL_REFUSED.labels(REFUSED)._value.get(),
    ]


def _test() -> list[float]:
    return [
        metrics.test_ballot_count(metrics.BALLOTS_CAST, "online"),
        metrics.test_ballot_count(metrics.BALLOTS_CAST, "postal"),
        metrics.test_ballot_count(metrics.POSTAL_REFUSED, REFUSED),
    ]


def test_a_test_ballots_votes_move_no_real_ballot_metric(make_settings):
    settings = make_settings("tally")
    real, test = _real(), _test()
    with support.running(settings, TallyService), support.rpc_proxy(settings) as rpc:
        _open_ballot(settings, test=True)
        _cast_when_open(rpc, 1, "M1", ["Ada Lovelace"], "online")
        batch = rpc.tally.enter_postal_batch(
            1,
            "b1",
            "teller-1",
            [
                {"membership_number": "M2", "choices": ["Ada Lovelace"]},
                {"membership_number": "M1", "choices": ["Ada Lovelace"]},  # voted online
            ],
        )
    assert batch["entered"] == 1 and len(batch["refused"]) == 1
    assert _real() == real
    assert [now - before for now, before in zip(_test(), test, strict=True)] == [1, 1, 1]
