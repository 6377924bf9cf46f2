"""Killing the matching process mid-extract and restarting it loses and duplicates nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import eventlet
import sqlalchemy as sa

from rollcall.db import make_engine
from rollcall.messaging.topology import Topology
from rollcall_cli.ballots import import_extract
from rollcall_tools import synth
from services.matching.batch.loading import load_register
from services.registration.service import RegistrationService
from tests import support
from tests.builders import ballots as builders


def _start_matching(settings, log):
    env = {
        **os.environ,
        "ROLLCALL_AMQP_URI": settings.amqp_uri,
        "ROLLCALL_NAMESPACE": settings.namespace,
        "ROLLCALL_DATABASE_URL_MATCHING": settings.database_url("matching"),
        "ROLLCALL_SECRETS_DIR": settings.secrets_dir,
        "ROLLCALL_METRICS_PORT_MATCHING": "0",
        "ROLLCALL_RETRY_DELAYS": "0.2,0.5,1",
        "ROLLCALL_MAX_WORKERS": "2",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "rollcall_cli.main", "run", "matching", "--no-migrate"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _count(url, sql):
    engine = sa.create_engine(url)
    with engine.connect() as c:
        value = c.execute(sa.text(sql)).scalar_one()
    engine.dispose()
    return value


def test_killing_matching_mid_extract_loses_nothing_and_duplicates_nothing(make_settings, tmp_path):
    settings = make_settings("registration", "matching", chunk_size=100)
    data = synth.generate(4000, 2500, 7)
    paths = data.write_csv(tmp_path)
    engine = make_engine(settings.database_url("matching"))
    load_register(engine, paths["register"], "SYNTH", "v1")
    engine.dispose()
    wards = sorted({r["ward"] for r in data.register_rows})
    matching_url = settings.database_url("matching")
    log = (tmp_path / "matching.log").open("wb")
    matching = _start_matching(settings, log)
    try:
        with support.running(settings, RegistrationService), support.rpc_proxy(settings) as rpc:
            ballot = rpc.registration.create_ballot(builders.ballot_definition(area=wards))
            # The matcher decides a chunk in a few statements, so it keeps pace with the
            # import: kill it as soon as its first decisions land, while the import runs.
            importing = eventlet.spawn(
                import_extract, rpc, paths["members"], ballot["ballot_id"], chunk_size=100
            )
            support.wait_for(
                lambda: _count(matching_url, "select count(*) from match_decisions") > 0,
                timeout=120,
                interval=0.01,
                what="matching to decide its first members",
            )
            matching.send_signal(signal.SIGKILL)
            matching.wait(timeout=30)
            part = _count(matching_url, "select count(*) from match_decisions")
            summary = importing.wait()
            assert summary["balanced"]
            accepted = summary["accepted"]
            assert 0 < part < accepted, "the kill must land mid-extract"
            matching = _start_matching(settings, log)
            support.wait_for(
                lambda: (
                    rpc.registration.reconcile(ballot["ballot_id"])["ledger"]["awaiting_match"] == 0
                ),
                timeout=300,
                what="every member to be decided after the restart",
            )
            report = rpc.registration.reconcile(ballot["ballot_id"])
            support.wait_for(
                lambda: support.outbox_drained(settings, "registration"), what="the outbox to drain"
            )
    finally:
        matching.terminate()
        matching.wait(timeout=30)
        log.close()
    assert report["unaccounted"] == 0 and report["balanced"]
    assert _count(matching_url, "select count(*) from match_decisions") == accepted
    refused = _count(
        settings.database_url("registration"),
        "select count(*) from audit_log where action = 'ledger.move_refused'",
    )
    assert refused == 0, "no decision may be applied twice or out of turn"
    topology = Topology(settings.namespace, settings.retry_delays)
    enrolled = {}
    for m in support.queue_messages(settings, topology.queue("codes", "voters.enrolled")):
        enrolled[m.properties["message_id"]] = [
            v["membership_number"] for v in json.loads(m.body)["voters"]
        ]
    numbers = [n for batch in enrolled.values() for n in batch]
    assert len(numbers) == len(set(numbers)) == report["ledger"]["awaiting_code"]
