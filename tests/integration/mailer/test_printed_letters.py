"""Letters for the print house from the running mailer: a PDF beside each postal batch's manifest."""

from __future__ import annotations

import csv
from pathlib import Path

import sqlalchemy as sa
from pypdf import PdfReader

from rollcall import sealing
from services.mailer.models import Ballot
from services.mailer.service import MailerService
from tests import support
from tests.builders import ballots as builders

BALLOT = 9
TITLE = "Selection for Hackney North"


def test_the_dispatcher_writes_each_postal_batch_as_a_pdf_beside_its_manifest(
    make_settings, tmp_path
):
    with support.smtp_sink(tmp_path / "mailbox") as port:
        settings = make_settings("mailer", smtp_port=port)
        code = "ABCDEF-GHJKMN-PQRST2"
        voter = {
            "membership_number": "M1",
            "name": "Łukasz Nowak",
            "email": "",
            "address": ["Flat 2", "10 High Street", "London"],
            "postcode": "E8 1AA",
            "sealed_code": sealing.seal(settings.secret("mail_seal_key"), code),
            "kind": "initial",
        }
        with support.running(settings, MailerService):
            definition = {
                **builders.ballot_definition(),
                "ballot_id": BALLOT,
                "title": TITLE,
                "phase": "draft",
                "timetable": {
                    "opens_at": "2026-12-08T09:00:00+00:00",
                    "closes_at": "2026-12-22T17:00:00+00:00",
                },
            }
            support.publish_event(settings, "ballot.created", definition)
            support.wait_for(lambda: _title_known(settings), what="the ballot's title")
            support.publish_event(settings, "codes.issued", {"ballot_id": BALLOT, "codes": [voter]})
            manifests = support.wait_for(
                lambda: list(Path(settings.postal_path()).glob(f"ballot-{BALLOT}/batch-*.csv")),
                what="a postal batch",
            )
    (manifest,) = manifests
    rows = list(csv.DictReader(manifest.open(newline="", encoding="utf-8")))
    pages = PdfReader(manifest.with_suffix(".pdf")).pages
    assert [(r["membership_number"], r["code"], r["page"]) for r in rows] == [("M1", code, "1")]
    assert len(pages) == 1
    text = " ".join(pages[0].extract_text().split())
    for words in ("Łukasz Nowak", "10 High Street", "E8 1AA", code, TITLE):
        assert words in text
    # The dates come from the ballot.created event the mailer keeps.
    assert "Voting opens: Tuesday 8 December 2026" in text
    assert "Voting closes: Tuesday 22 December 2026" in text
    assert f"{settings.public_url}/vote" in text


def _title_known(settings) -> bool:
    engine = sa.create_engine(settings.database_url("mailer"))
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.select(Ballot.title).where(Ballot.ballot_id == BALLOT)) == TITLE
    finally:
        engine.dispose()
