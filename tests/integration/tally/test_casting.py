"""The tally service on the real broker and database: cast, post, close, count."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from nameko.exceptions import RemoteError

from services.tally import bulletin, certificate
from services.tally.service import TallyService
from tests import support
from tests.builders import ballots as builders


def _open_ballot(settings, ballot_id=1, **overrides):
    definition = builders.ballot_definition(**overrides)
    payload = {**definition, "ballot_id": ballot_id, "phase": "draft"}
    payload["timetable"] = {}
    support.publish_event(settings, "ballot.created", payload)
    support.publish_event(
        settings,
        "voters.enrolled",
        {
            "ballot_id": ballot_id,
            "voters": [{"membership_number": f"M{i}", "name": "V"} for i in range(1, 6)],
        },
    )
    support.publish_event(
        settings,
        "ballot.phase_changed",
        {"ballot_id": ballot_id, "phase": "open", "at": datetime.now(UTC).isoformat()},
    )
    return payload


def _cast_when_open(rpc, *args):
    def attempt():
        try:
            return rpc.tally.cast_ballot(*args)
        except RemoteError as exc:
            if exc.exc_type in ("BallotNotOpen", "BallotNotFound", "NotOnRoll"):
                return None
            raise

    return support.wait_for(attempt, what="the ballot to open")


def test_one_vote_per_member_across_channels_and_a_count_anyone_can_check(make_settings):
    settings = make_settings("tally")
    with support.running(settings, TallyService), support.rpc_proxy(settings) as rpc:
        definition = _open_ballot(settings)
        receipt = _cast_when_open(rpc, 1, "M1", ["Ada Lovelace"], "online")["receipt"]
        rpc.tally.cast_ballot(1, "M2", ["Mary Seacole"], "online")
        with pytest.raises(RemoteError) as again:
            rpc.tally.cast_ballot(1, "M1", ["Mary Seacole"], "online")
        assert again.value.exc_type == "AlreadyVoted"
        with pytest.raises(RemoteError) as stranger:
            rpc.tally.cast_ballot(1, "X9", ["Mary Seacole"], "online")
        assert stranger.value.exc_type == "NotOnRoll"
        with pytest.raises(RemoteError) as bad:
            rpc.tally.cast_ballot(1, "M3", ["Nobody"], "online")
        assert bad.value.exc_type == "InvalidChoices"
        batch = rpc.tally.enter_postal_batch(
            1,
            "b1",
            "teller-1",
            [
                {"membership_number": "M3", "choices": ["Ada Lovelace"]},
                {"membership_number": "M1", "choices": ["Ada Lovelace"]},  # voted online
                {"membership_number": "X9", "choices": ["Ada Lovelace"]},  # not on the roll
            ],
        )
        assert batch["entered"] == 1 and [r["membership_number"] for r in batch["refused"]] == [
            "M1",
            "X9",
        ]
        assert rpc.tally.enter_postal_batch(1, "b1", "teller-1", [])["duplicate_batch"] is True
        assert rpc.tally.get_receipt(1, receipt) == {
            "found": True,
            "choices": None,  # recorded; the choices only with the bulletin board
            "counted": False,
        }
        support.publish_event(
            settings,
            "ballot.phase_changed",
            {"ballot_id": 1, "phase": "closed", "at": datetime.now(UTC).isoformat()},
        )
        result = support.wait_for(lambda: _result(rpc), what="the count")
        board = rpc.tally.get_bulletin(1)
        key = rpc.tally.get_key(1)
        files = rpc.tally.get_result_files(1)
        marked = rpc.tally.get_marked_register(1)
        after_close = rpc.tally.get_receipt(1, receipt)
    assert after_close == {"found": True, "choices": ["Ada Lovelace"], "counted": True}
    assert result["counts"]["winners"] == ["Ada Lovelace"]
    assert result["turnout"] == {
        "electorate": 5,
        "online": 2,
        "postal": 1,
        "cast": 3,
        "refused_papers": 2,
    }
    receipts = [p["receipt"] for p in board["ballots"]]
    assert receipts == sorted(receipts), "papers are published in receipt order, not casting order"
    assert receipt in {p["receipt"] for p in board["ballots"]}
    assert board["ballot"]["candidates"] == definition["candidates"]
    assert bulletin.check(board) == []
    assert certificate.check(board, key["fingerprint"]) == []
    assert "Ada Lovelace" in files["table"]
    assert (
        set(board["audit_heads"]) == {"tally"} and len(board["audit_heads"]["tally"]["hash"]) == 64
    )
    assert base64.b64decode(files["chart_png_base64"]).startswith(b"\x89PNG")
    assert certificate.check(board, "0" * 64), "a board must fail against another key's fingerprint"
    assert board["certificate"]["winners"] == ["Ada Lovelace"]
    assert board["certificate"]["turnout"] == {"online": 2, "postal": 1, "cast": 3}
    assert marked == [
        {"membership_number": "M1", "channel": "online"},
        {"membership_number": "M2", "channel": "online"},
        {"membership_number": "M3", "channel": "postal"},
    ]
    with open(result["bulletin_path"]) as f:
        assert json.load(f)["sha256"] == board["sha256"]
    engine = sa.create_engine(settings.database_url("tally"))
    with engine.connect() as c:
        # Rewritten at close: no transaction id links a paper to its mark.
        xmins = c.execute(
            sa.text(
                "select distinct xmin::text from box union select distinct xmin::text from marks"
            )
        ).all()
    engine.dispose()
    assert len(xmins) == 1


def _result(rpc):
    try:
        return rpc.tally.get_result(1)
    except RemoteError as exc:
        if exc.exc_type == "ResultNotReady":
            return None
        raise


def test_the_ballot_box_holds_no_voter_and_no_time(make_settings):
    settings = make_settings("tally")
    engine = sa.create_engine(settings.database_url("tally"))
    columns = {c["name"] for c in sa.inspect(engine).get_columns("box")}
    engine.dispose()
    assert columns == {"receipt", "ballot_id", "choices"}


def test_bulletin_check_fails_on_an_altered_added_or_removed_paper():
    definition = {**builders.ballot_definition(), "ballot_id": 1, "phase": "closed"}
    papers = [
        {"receipt": f"r{i}", "choices": [c]}
        for i, c in enumerate(["Ada Lovelace"] * 3 + ["Mary Seacole"] * 2)
    ]
    board = bulletin.build(definition, papers, {"cast": 5}, bulletin.count(definition, papers))
    assert bulletin.check(board) == []
    altered = json.loads(json.dumps(board))
    altered["ballots"][0]["choices"] = ["Mary Seacole"]
    removed = json.loads(json.dumps(board))
    removed["ballots"].pop()
    added = json.loads(json.dumps(board))
    added["ballots"].append({"receipt": "forged", "choices": ["Mary Seacole"]})
    for tampered in (altered, removed, added):
        assert bulletin.check(tampered), "tampering must be reported"
    # Even a forger who recomputes the checksum is caught by the turnout and the recount.
    for tampered in (removed, added):
        tampered["sha256"] = bulletin.digest(tampered)
        assert bulletin.check(tampered)


def test_casts_of_one_ballot_do_not_wait_for_each_other_but_the_close_waits_for_them(databases):
    """PostgreSQL: a cast holds a shared lock on the ballot's row, so a second cast goes on
    while the first is uncommitted; the close's exclusive lock waits for the cast, so the
    vote is counted or refused as late, never lost between the two."""
    from rollcall.db import make_engine, session_factory
    from services.tally import casting, queries
    from services.tally.models import Ballot, Voter

    engine = make_engine(databases.fresh("tally"))
    factory = session_factory(engine)
    with factory() as setup, setup.begin():
        setup.add(Ballot(ballot_id=1, definition=builders.ballot_definition(), phase="open"))
        setup.flush()
        for n in (1, 2):
            setup.add(Voter(ballot_id=1, membership_number=f"M{n}"))
    first, second, closer = factory(), factory(), factory()
    try:
        for session in (second, closer):
            session.execute(sa.text("SET lock_timeout = '2s'"))
        casting.cast(first, 1, "M1", ["Ada Lovelace"])  # not committed yet
        casting.cast(second, 1, "M2", ["Mary Seacole"])  # a lock wait would time out here
        second.commit()
        with pytest.raises(sa.exc.OperationalError, match="lock timeout"):
            queries.ballot(closer, 1, lock=True)
        closer.rollback()
        first.commit()
        assert queries.ballot(closer, 1, lock=True).phase == "open"
    finally:
        for session in (first, second, closer):
            session.close()
        engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_an_online_cast_reads_the_definition_once_per_ballot_and_takes_no_savepoint(
    kind, databases, tmp_path
):
    """The hot path (docs/scaling.md, "Votes"): the phase is read under the lock every time,
    the never-changing definition once per ballot and process; the mark goes in with one
    statement, a second vote still refused and the same request still answered."""
    from rollcall.db import make_engine, session_factory, upgrade
    from services.tally import casting, repeats
    from services.tally.errors import AlreadyVoted, BallotNotOpen
    from services.tally.models import Ballot, Voter

    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'tally.sqlite'}"
        upgrade("tally", url)
    else:
        url = databases.fresh("tally")
    engine = make_engine(url)
    factory = session_factory(engine)
    with factory() as setup, setup.begin():
        setup.add(Ballot(ballot_id=1, definition=builders.ballot_definition(), phase="open"))
        setup.flush()
        setup.add_all(Voter(ballot_id=1, membership_number=f"M{n}") for n in range(1, 5))
    statements: list[str] = []
    sa.event.listen(
        engine, "before_cursor_execute", lambda *a: statements.append(str(a[2]).upper())
    )
    key = repeats.key_from(b"test secret")
    try:
        receipts = []
        for n in range(1, 4):
            with factory() as s, s.begin():
                request = (key, f"token-{n}".ljust(40, "x"))
                receipts.append(casting.cast(s, 1, f"M{n}", ["Ada Lovelace"], request=request))
        assert sum("DEFINITION" in q for q in statements) == 1
        assert not any("SAVEPOINT" in q for q in statements)
        with factory() as s, s.begin():  # the same request again: its receipt, nothing added
            again = casting.cast(
                s, 1, "M1", ["Ada Lovelace"], request=(key, "token-1".ljust(40, "x"))
            )
        assert again == receipts[0]
        with factory() as s, s.begin(), pytest.raises(AlreadyVoted):
            casting.cast(s, 1, "M2", ["Mary Seacole"], request=(key, "other".ljust(40, "x")))
        with factory() as s, s.begin():
            assert s.execute(sa.text("SELECT count(*) FROM box")).scalar_one() == 3
            assert s.execute(sa.text("SELECT count(*) FROM marks")).scalar_one() == 3
            s.execute(sa.text("UPDATE ballots SET phase = 'paused'"))
        with factory() as s, s.begin(), pytest.raises(BallotNotOpen):
            casting.cast(s, 1, "M4", ["Ada Lovelace"])
    finally:
        engine.dispose()
