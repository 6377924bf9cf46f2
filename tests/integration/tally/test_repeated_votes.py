"""A vote the tally committed but never answered comes back, redelivered by the broker, and
gets its receipt, not "already voted"; the marked register keeps no way to the paper."""

from __future__ import annotations

from datetime import UTC, datetime

import eventlet
import pytest
import sqlalchemy as sa
from nameko.exceptions import RemoteError

from rollcall.messaging.rpc import rpc
from services.tally import repeats
from services.tally.errors import EXPECTED
from services.tally.service import TallyService
from tests import support
from tests.integration.tally.test_casting import _cast_when_open, _open_ballot, _result
from tests.integration.tally.test_contests import _open_contests

TOKEN = "a" * 64
OTHER = "b" * 64


class DiesAfterCommitting(TallyService):
    """The tally, except that after a vote with a request token commits it never answers:
    the test kills it there, as a crash between commit and reply would."""

    committed = eventlet.event.Event()

    @rpc(expected_exceptions=EXPECTED, sensitive_arguments=("request_token",))
    def cast_ballot(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        answer = super().cast_ballot(*args, **kwargs)
        if kwargs.get("request_token"):
            DiesAfterCommitting.committed.send(answer)
            eventlet.sleep(3600)
        return answer


def _rows(settings, sql):  # type: ignore[no-untyped-def]
    engine = sa.create_engine(settings.database_url("tally"))
    try:
        with engine.connect() as c:
            return [tuple(r) for r in c.execute(sa.text(sql))]
    finally:
        engine.dispose()


def test_a_vote_redelivered_after_a_crash_gets_its_receipt_and_no_second_paper(make_settings):
    settings = make_settings("tally")
    DiesAfterCommitting.committed = eventlet.event.Event()
    with support.rpc_proxy(settings) as caller:
        with support.running(settings, DiesAfterCommitting) as (dying,):
            _open_ballot(settings)
            _cast_when_open(caller, 1, "M2", ["Mary Seacole"], "online")
            pending = caller.tally.cast_ballot.call_async(
                1, "M1", ["Ada Lovelace"], "online", request_token=TOKEN
            )
            first = DiesAfterCommitting.committed.wait()
            dying.kill()  # committed, never answered: the broker keeps the call unacknowledged
        assert _rows(settings, "select count(*) from box") == [(2,)]
        with support.running(settings, TallyService):
            answer = pending.result()  # the redelivered call, answered by the restarted tally
            again = caller.tally.cast_ballot(
                1, "M1", ["Ada Lovelace"], "online", request_token=TOKEN
            )
            with pytest.raises(RemoteError) as other:
                caller.tally.cast_ballot(1, "M1", ["Mary Seacole"], "online", request_token=OTHER)
            with pytest.raises(RemoteError) as untokened:
                caller.tally.cast_ballot(1, "M1", ["Ada Lovelace"], "online")
            with pytest.raises(RemoteError) as garbage:
                caller.tally.cast_ballot(1, "M3", ["Ada Lovelace"], "online", request_token="x")
            open_tags = _rows(
                settings, "select request_tag from marks where membership_number='M1'"
            )
            box = _rows(settings, "select receipt from box order by receipt")
            support.publish_event(
                settings,
                "ballot.phase_changed",
                {"ballot_id": 1, "phase": "closed", "at": datetime.now(UTC).isoformat()},
            )
            result = support.wait_for(lambda: _result(caller), what="the count")

    assert answer == again == first
    assert other.value.exc_type == untokened.value.exc_type == "AlreadyVoted"
    assert garbage.value.exc_type == "BadRequestToken"
    assert answer["receipt"] in {r for (r,) in box} and len(box) == 2
    assert result["turnout"]["cast"] == 2 and result["turnout"]["online"] == 2
    # The mark keeps a tag of the request, not the receipt, and no one holding the member's
    # number and the key (but not the voter's token) can make the receipt from it.
    ((tag,),) = open_tags
    key = repeats.key_from(settings.secret("signing_key_passphrase"))
    assert tag == repeats.mark_tag(key, 1, "M1", TOKEN)
    assert tag[:32] != answer["receipt"] and answer["receipt"] not in tag
    assert _rows(settings, "select count(*) from marks where request_tag is not null") == [(0,)]


def test_a_paper_of_several_contests_sent_again_gets_its_receipt_and_no_second_paper(
    make_settings,
):
    settings = make_settings("tally")
    paper = {"selection": ["Ada Lovelace", "Mary Seacole"], "motion": []}
    with support.running(settings, TallyService), support.rpc_proxy(settings) as caller:
        _open_contests(settings)
        first = _cast_when_open(caller, 1, "M1", paper, "online", TOKEN)
        again = caller.tally.cast_ballot(1, "M1", paper, "online", request_token=TOKEN)
        with pytest.raises(RemoteError) as other:
            caller.tally.cast_ballot(1, "M1", {"motion": ["No"]}, "online", request_token=OTHER)
        box = _rows(settings, "select receipt from box")
    assert first == again and box == [(first["receipt"],)]
    assert other.value.exc_type == "AlreadyVoted"
