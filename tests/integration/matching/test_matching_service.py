"""The matching service on the real broker and database."""

from __future__ import annotations

import csv
import json

import sqlalchemy as sa

from rollcall.db import make_engine
from rollcall.messaging.topology import Topology
from services.matching.batch.loading import load_register
from services.matching.service import MatchingService
from tests import support

REGISTER = [
    # elector_id, surname, forenames, a1, a2, a3, a4, a5, postcode, ward
    ("E1", "Smith", "Robert James", "Flat 2", "10 Mill Road", "London", "", "", "E8 1AA", "W1"),
    ("E2", "Smith", "Mary", "Flat 3", "10 Mill Road", "London", "", "", "E8 1AA", "W1"),
    ("E3", "Jones", "Alice", "12 Mill Road", "London", "", "", "", "E8 1AB", "W9"),
]
COLUMNS = [
    "elector_id",
    "surname",
    "forenames",
    "address_1",
    "address_2",
    "address_3",
    "address_4",
    "address_5",
    "postcode",
    "ward",
    "constituency",
    "markers",
    "attainer_dob",
]


def _register(path):
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for row in REGISTER:
            w.writerow([*row, "C1", "", ""])
    return path


def _member(number, first, last, a1, a2, postcode):
    return {
        "membership_number": number,
        "title": "",
        "first_name": first,
        "last_name": last,
        "address_1": a1,
        "address_2": a2,
        "address_3": "",
        "town": "London",
        "postcode": postcode,
        "date_of_birth": "",
        "association": "HACK",
    }


def _chunk():
    return {
        "ballot_id": 1,
        "extract_id": "x1",
        "chunk": 0,
        "area": ["W1"],
        "members": [
            _member(
                "M1", "Bob", "Smith", "10 Mill Rd, Flat 2", "", "E81AA"
            ),  # short form, unspaced postcode
            _member(
                "M2", "Alice", "Jones", "12 Mill Road", "", "E8 1AB"
            ),  # on the register, outside the area
            _member("M3", "Zed", "Nobody", "99 Nowhere Lane", "", "N1 9ZZ"),  # not on the register
        ],
    }


def _decisions(settings):
    topology = Topology(settings.namespace, settings.retry_delays)
    found = {}
    for event in ("members.matched", "members.review_needed", "members.unmatched"):
        for m in support.queue_messages(settings, topology.queue("registration", event)):
            for d in json.loads(m.body)["decisions"]:
                found.setdefault(d["membership_number"], []).append((event, d))
    return found


def test_a_chunk_is_matched_with_reasons_and_a_redelivered_chunk_decides_nothing_twice(
    make_settings, tmp_path
):
    settings = make_settings("matching")
    engine = make_engine(settings.database_url("matching"))
    load_register(engine, _register(tmp_path / "register.csv"), "HACKNEY", "2026-11")
    found: dict[str, list] = {}

    def collect():
        # Each poll takes what has arrived; keep it, or a partial poll loses it.
        for number, items in _decisions(settings).items():
            found.setdefault(number, []).extend(items)
        return len(found) == 3

    with support.running(settings, MatchingService):
        first = support.publish_event(settings, "members.registered", _chunk())
        support.publish_event(settings, "members.registered", _chunk(), message_id=first)
        support.wait_for(collect, what="three decisions", timeout=90)
        import eventlet

        eventlet.sleep(0.5)
        collect()
    assert all(len(v) == 1 for v in found.values()), "a redelivered chunk must decide nobody twice"
    ((event, m1),) = found["M1"]
    assert event == "members.matched" and m1["elector_id"] == "E1" and m1["eligible"] is True
    assert "Bob" in m1["reasons"] and "Robert" in m1["reasons"]
    ((event, m2),) = found["M2"]
    assert m2["decision"] == "match" and m2["eligible"] is False and "outside" in m2["exclusion"]
    ((event, m3),) = found["M3"]
    assert event == "members.unmatched" and m3["elector_id"] is None
    with engine.connect() as c:
        rows = c.execute(
            sa.text("select membership_number, evidence from match_decisions order by 1")
        ).all()
    engine.dispose()
    assert [r[0] for r in rows] == ["M1", "M2", "M3"]
    evidence = rows[0][1] if isinstance(rows[0][1], dict) else json.loads(rows[0][1])
    assert "HACKNEY" in json.dumps(evidence), "the evidence names the register version"
