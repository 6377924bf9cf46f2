"""A candidate withdrawn after the papers are out, on the real broker and database: recorded,
audited, refused when it may not happen, excluded from the count, and on the board."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from nameko.exceptions import RemoteError

from rollcall import audit
from services.tally import bulletin
from services.tally.service import TallyService
from tests import support
from tests.integration.tally.test_casting import _cast_when_open, _open_ballot, _result

REASON = "moved out of the constituency"


def test_a_withdrawn_candidate_is_audited_refused_online_and_skipped_in_the_count(make_settings):
    settings = make_settings("tally")
    with support.running(settings, TallyService), support.rpc_proxy(settings) as rpc:
        _open_ballot(settings, method="irv")
        # Cast before the withdrawal: Ada first, Mary second.
        _cast_when_open(rpc, 1, "M1", ["Ada Lovelace", "Mary Seacole"], "online")
        done = rpc.tally.withdraw_candidate(1, "Ada Lovelace", None, REASON, "operator:olu")
        assert (done["contest"], done["candidate"], done["already_withdrawn"]) == (
            "main",
            "Ada Lovelace",
            False,
        )
        again = rpc.tally.withdraw_candidate(1, "Ada Lovelace", "main", REASON, "operator:olu")
        assert again["already_withdrawn"] is True
        with pytest.raises(RemoteError) as other:
            rpc.tally.withdraw_candidate(1, "Ada Lovelace", None, "another reason", "operator:olu")
        assert other.value.exc_type == "WithdrawalRefused"
        assert "already withdrawn" in str(other.value.value)
        with pytest.raises(RemoteError) as nobody:
            rpc.tally.withdraw_candidate(1, "Nobody", None, REASON, "operator:olu")
        assert "'Nobody' is not a candidate" in str(nobody.value.value)
        with pytest.raises(RemoteError) as online:
            rpc.tally.cast_ballot(1, "M2", ["Ada Lovelace", "Sylvia Pankhurst"], "online")
        assert online.value.exc_type == "InvalidChoices"
        assert "Ada Lovelace withdrew" in str(online.value.value)
        rpc.tally.cast_ballot(1, "M2", ["Sylvia Pankhurst"], "online")
        rpc.tally.cast_ballot(1, "M3", ["Sylvia Pankhurst"], "online")
        # A postal paper printed before the withdrawal still names her: entered, and skipped.
        batch = rpc.tally.enter_postal_batch(
            1,
            "b1",
            "teller",
            [{"membership_number": "M4", "choices": ["Ada Lovelace", "Mary Seacole"]}],
        )
        assert batch["entered"] == 1
        rpc.tally.cast_ballot(1, "M5", ["Mary Seacole"], "online")
        assert rpc.tally.list_withdrawals(1)[0]["reason"] == REASON
        support.publish_event(
            settings,
            "ballot.phase_changed",
            {"ballot_id": 1, "phase": "closed", "at": datetime.now(UTC).isoformat()},
        )
        result = support.wait_for(lambda: _result(rpc), what="the count")
        board = rpc.tally.get_bulletin(1)
        with pytest.raises(RemoteError) as late:
            rpc.tally.withdraw_candidate(1, "Mary Seacole", None, REASON, "operator:olu")
        assert "too late to withdraw" in str(late.value.value)
    # Ada's two papers (M1 online before, M4 by post) are Mary's from the first stage.
    counts = result["counts"]
    assert counts["rounds"][0]["totals"] == {"Mary Seacole": 3, "Sylvia Pankhurst": 2}
    assert counts["winners"] == ["Mary Seacole"]
    assert [(w["contest"], w["candidate"], w["reason"]) for w in board["withdrawals"]] == [
        ("main", "Ada Lovelace", REASON)
    ]
    assert board["certificate"]["withdrawals"] == board["withdrawals"]
    assert result["withdrawals"] == board["withdrawals"]
    assert bulletin.check(board) == []
    engine = sa.create_engine(settings.database_url("tally"))
    try:
        with engine.connect() as c:
            rows = c.execute(sa.text("select * from audit_log order by seq")).all()
    finally:
        engine.dispose()
    withdrawn = [r for r in rows if r._mapping["action"] == "candidate.withdrawn"]
    assert len(withdrawn) == 1 and withdrawn[0]._mapping["reason"] == REASON
    assert audit.verify(rows).ok
