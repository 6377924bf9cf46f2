"""RON on the real broker and database: offered by the definition (``ron: true`` stores it
among the candidates), voted for like anyone, and when it wins the published result says so."""

from __future__ import annotations

from datetime import UTC, datetime

from services.registration.schemas import RON
from services.tally.service import TallyService
from tests import support
from tests.integration.tally.test_casting import _cast_when_open, _open_ballot, _result


def test_when_ron_wins_the_result_and_the_board_say_nominations_reopen(make_settings):
    settings = make_settings("tally")
    with support.running(settings, TallyService), support.rpc_proxy(settings) as rpc:
        _open_ballot(settings, method="irv", candidates=["Ada Lovelace", "Mary Seacole", RON])
        _cast_when_open(rpc, 1, "M1", [RON], "online")
        rpc.tally.cast_ballot(1, "M2", [RON, "Ada Lovelace"], "online")
        rpc.tally.cast_ballot(1, "M3", ["Ada Lovelace", RON], "online")
        rpc.tally.cast_ballot(1, "M4", ["Mary Seacole", RON], "online")
        support.publish_event(
            settings,
            "ballot.phase_changed",
            {"ballot_id": 1, "phase": "closed", "at": datetime.now(UTC).isoformat()},
        )
        result = support.wait_for(lambda: _result(rpc), what="the count")
        board = rpc.tally.get_bulletin(1)
    assert result["counts"]["winners"] == [RON]
    assert result["counts"]["ron_elected"] is True
    assert "nominations re-open" in result["counts"]["note"]
    assert board["counts"]["ron_elected"] is True
