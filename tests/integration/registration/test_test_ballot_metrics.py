"""A test ballot's extract through the real registration service, broker and database moves
no real-ballot metric: its rows are counted in ``rollcall_test_ballot_events_total`` and its
members stay out of the per-ballot gauges the alerts watch."""

from __future__ import annotations

from prometheus_client import REGISTRY

from rollcall import metrics
from services.registration.service import RegistrationService
from tests import support
from tests.builders import ballots as builders

OUTCOMES = ("accepted", "rejected", "duplicate")


def _rows(read) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return {o: read(o) for o in OUTCOMES}


def _forget(ballot_id: int) -> None:
    """Drop what an earlier test's real ballot of the same number left in the gauges (each
    test's database numbers its ballots from 1; the gauges live as long as the process)."""
    for labels in list(metrics.MEMBERS_BY_STATE._metrics):
        if labels[0] == str(ballot_id):
            metrics.MEMBERS_BY_STATE.remove(*labels)
    if (str(ballot_id),) in metrics.UNACCOUNTED._metrics:
        metrics.UNACCOUNTED.remove(str(ballot_id))


def _gauge(name: str, ballot_id: int, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"ballot": str(ballot_id), **labels})


def test_a_test_ballots_extract_moves_no_real_ballot_metric(make_settings):
    settings = make_settings("registration")
    real = _rows(lambda o: metrics.EXTRACT_ROWS.labels(o)._value.get())
    test = _rows(lambda o: metrics.test_ballot_count(metrics.EXTRACT_ROWS, o))
    records = [
        builders.member_record("M1"),
        builders.member_record("M2"),
        builders.member_record("M1"),  # duplicate
        builders.member_record("M3", last_name=""),  # rejected
    ]
    with support.running(settings, RegistrationService), support.rpc_proxy(settings) as rpc:
        definition = {**builders.ballot_definition(), "test": True}
        ballot_id = int(rpc.registration.create_ballot(definition)["ballot_id"])
        _forget(ballot_id)
        rpc.registration.begin_extract(**builders.extract_opening(ballot_id, "x1", 4))
        rpc.registration.add_extract_rows("x1", 0, 2, records)
        rpc.registration.finish_extract("x1", 1)
        report = rpc.registration.reconcile(ballot_id)
    assert report["ledger"]["awaiting_match"] == 2
    assert _rows(lambda o: metrics.EXTRACT_ROWS.labels(o)._value.get()) == real
    moved = _rows(lambda o: metrics.test_ballot_count(metrics.EXTRACT_ROWS, o))
    assert {o: moved[o] - test[o] for o in OUTCOMES} == {
        "accepted": 2,
        "rejected": 1,
        "duplicate": 1,
    }
    assert _gauge("rollcall_registration_members", ballot_id, state="awaiting_match") is None
    assert _gauge("rollcall_registration_unaccounted_members", ballot_id) is None
