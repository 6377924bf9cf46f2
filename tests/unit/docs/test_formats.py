"""The ballot definition in docs/formats.md and the short timetable in docs/operations.md are
ones `rollcall ballot create` accepts, reminders and all."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from services.registration import ballots
from services.registration.models import Base

DOC = Path(__file__).parents[3] / "docs" / "formats.md"


def test_the_documented_ballot_definition_creates_a_ballot_with_its_reminders():
    section = DOC.read_text().split("## Ballot definition", 1)[1]
    (example,) = re.findall(r"```yaml\n(.*?)```", section, re.S)[:1]
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        created = ballots.create(session, yaml.safe_load(example), "test")
    engine.dispose()
    assert created["timetable"]["reminders"] == [
        "2026-11-17T09:00:00+00:00",
        "2026-11-23T09:00:00+00:00",
    ]
    assert created["timetable"]["closes_at"] == "2026-11-24T17:00:00+00:00"
    assert created["method"] == "stv" and created["seats"] == 2


def test_the_short_timetable_in_the_runbook_creates_a_ballot_reminded_twice():
    section = (DOC.parent / "operations.md").read_text().split("## Reminders", 1)[1]
    (example,) = re.findall(r"```yaml\n(.*?)```", section.split("\n## ", 1)[0], re.S)
    definition = {
        "title": "T",
        "candidates": ["A", "B"],
        "area": ["Hackney Downs"],
        **yaml.safe_load(example),
    }
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        created = ballots.create(session, definition, "test")
    engine.dispose()
    assert len(created["timetable"]["reminders"]) == 2


def test_the_documented_order_and_test_example_creates_a_test_ballot_in_random_order():
    section = DOC.read_text().split("## Candidate order and test ballots", 1)[1]
    (example,) = re.findall(r"```yaml\n(.*?)```", section, re.S)[:1]
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        created = ballots.create(session, yaml.safe_load(example), "test")
    engine.dispose()
    assert created["test"] is True
    assert created["order"] == "random"
