"""A ballot with several contests on the real broker and database: one sitting casts one
paper holding every contest, postal papers of one voter are entered together, and the
close counts, publishes and signs each contest on its own."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest
from nameko.exceptions import RemoteError

from services.tally import bulletin, certificate
from services.tally.service import TallyService
from tests import support
from tests.builders import ballots as builders
from tests.integration.tally.test_casting import _cast_when_open, _result

RON = "RON (re-open nominations)"


def _open_contests(settings, ballot_id=1):
    payload = {**builders.contests_definition(), "ballot_id": ballot_id, "phase": "draft"}
    support.publish_event(settings, "ballot.created", payload)
    support.publish_event(
        settings,
        "voters.enrolled",
        {
            "ballot_id": ballot_id,
            "voters": [{"membership_number": f"M{i}", "name": "V"} for i in range(1, 7)],
        },
    )
    support.publish_event(
        settings,
        "ballot.phase_changed",
        {"ballot_id": ballot_id, "phase": "open", "at": datetime.now(UTC).isoformat()},
    )
    return payload


def test_each_contest_is_cast_counted_published_and_signed_on_its_own(make_settings):
    settings = make_settings("tally")
    with support.running(settings, TallyService), support.rpc_proxy(settings) as rpc:
        _open_contests(settings)
        receipt = _cast_when_open(
            rpc, 1, "M1", {"selection": ["Ada Lovelace", "Mary Seacole"], "motion": ["Yes"]}
        )["receipt"]
        rpc.tally.cast_ballot(1, "M2", {"selection": ["Ada Lovelace"]}, "online")
        rpc.tally.cast_ballot(1, "M3", {"motion": ["No"]}, "online")
        for bad in ({}, ["Ada Lovelace"], {"motion": ["Yes", "No"]}, {"other": ["Yes"]}):
            with pytest.raises(RemoteError) as refused:
                rpc.tally.cast_ballot(1, "M4", bad, "online")
            assert refused.value.exc_type == "InvalidChoices"
        batch = rpc.tally.enter_postal_batch(
            1,
            "b1",
            "teller-1",
            [
                {"membership_number": "M4", "contests": {"selection": [RON], "motion": ["Yes"]}},
                {"membership_number": "M5", "contests": {"selection": [], "motion": []}},
                {"membership_number": "M1", "contests": {"motion": ["No"]}},  # voted online
            ],
        )
        support.publish_event(
            settings,
            "ballot.phase_changed",
            {"ballot_id": 1, "phase": "closed", "at": datetime.now(UTC).isoformat()},
        )
        result = support.wait_for(lambda: _result(rpc), what="the count")
        board = rpc.tally.get_bulletin(1)
        key = rpc.tally.get_key(1)
        files = rpc.tally.get_result_files(1)
        after_close = rpc.tally.get_receipt(1, receipt)
    assert batch["entered"] == 1
    assert [r["reason"] for r in batch["refused"]] == [
        "the ballot paper is blank in every contest: choose at least one candidate",
        "a vote has already been recorded for this member",
    ]
    assert after_close["choices"] == {
        "selection": ["Ada Lovelace", "Mary Seacole"],
        "motion": ["Yes"],
    }
    assert "counts" not in result
    selection, motion = result["contests"]
    assert selection["id"] == "selection" and selection["counts"]["winners"] == ["Ada Lovelace"]
    assert selection["counts"]["invalid_reasons"] == {"blank": 1}  # M3 left it blank
    assert motion["counts"]["winners"] == ["Yes"] and motion["counts"]["valid"] == 3
    assert len(board["ballots"]) == board["turnout"]["cast"] == 4
    assert bulletin.check(board) == []
    assert certificate.check(board, key["fingerprint"]) == []
    assert [c["id"] for c in board["certificate"]["contests"]] == ["selection", "motion"]
    table = files["table"]
    assert "Candidate for Hackney North" in table and "Motion 1: open selections" in table
    assert base64.b64decode(files["chart_png_base64"]).startswith(b"\x89PNG")
    stem = Path(result["bulletin_path"]).with_suffix("")
    for contest in ("selection", "motion"):
        assert stem.with_name(f"{stem.name}-{contest}.png").read_bytes().startswith(b"\x89PNG")
