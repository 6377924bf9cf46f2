"""A test ballot's match decisions on the real broker and database move no real-ballot
metric: matching learns the ballot is a test from ``ballot.created`` and counts its decisions
in ``rollcall_test_ballot_events_total``."""

from __future__ import annotations

import sqlalchemy as sa

from rollcall import metrics
from rollcall.db import make_engine
from services.matching.batch.loading import load_register
from services.matching.service import MatchingService
from tests import support
from tests.builders import ballots as builders
from tests.integration.matching.test_matching_service import _chunk, _decisions, _register

KINDS = ("match", "no_match")


def _counts(read) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return {k: read(k) for k in KINDS}


def test_a_test_ballots_decisions_move_no_real_ballot_metric(make_settings, tmp_path):
    settings = make_settings("matching")
    engine = make_engine(settings.database_url("matching"))
    load_register(engine, _register(tmp_path / "register.csv"), "HACKNEY", "2026-11")
    real = _counts(lambda k: metrics.MATCH_DECISIONS.labels(k)._value.get())
    test = _counts(lambda k: metrics.test_ballot_count(metrics.MATCH_DECISIONS, k))
    found: dict[str, list] = {}

    def known() -> bool:
        with engine.connect() as c:
            return c.execute(sa.text("select count(*) from test_ballots")).scalar_one() == 1

    def collect() -> bool:
        for number, items in _decisions(settings).items():
            found.setdefault(number, []).extend(items)
        return len(found) == 3

    with support.running(settings, MatchingService):
        definition = {**builders.ballot_definition(), "ballot_id": 1, "phase": "draft"}
        support.publish_event(settings, "ballot.created", {**definition, "test": True})
        support.wait_for(known, what="matching to know the test ballot")
        support.publish_event(settings, "members.registered", _chunk())
        support.wait_for(collect, what="three decisions", timeout=90)
    engine.dispose()
    assert _counts(lambda k: metrics.MATCH_DECISIONS.labels(k)._value.get()) == real
    moved = _counts(lambda k: metrics.test_ballot_count(metrics.MATCH_DECISIONS, k))
    assert {k: moved[k] - test[k] for k in KINDS} == {"match": 2, "no_match": 1}
