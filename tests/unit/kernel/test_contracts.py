"""Contracts: the documented JSON Schemas agree with the marshmallow contracts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from rollcall.formats import MATCH_FIELDS, MEMBER_FIELDS, UPDATABLE_FIELDS
from rollcall.messaging import contracts

DOC = Path(__file__).resolve().parents[3] / "docs" / "events.md"
NOW = "2026-12-04T10:00:00+00:00"


def _schemas() -> dict[str, dict]:
    blocks = re.findall(r"```json schema ([\w.]+)\n(.*?)```", DOC.read_text(), re.S)
    return {name: json.loads(body) for name, body in blocks}


def _inbound(**fields) -> dict:
    """An inbound event from the membership system, with ``fields`` (None drops one)."""
    base = {"membership_number": "M1", "changed_at": NOW, "source": "crm", "actor": "sync"}
    return {k: v for k, v in {**base, **fields}.items() if v is not None}


ADA = {"membership_number": "M1", "first_name": "Ada", "last_name": "Byron", "association": "HACK"}

EXAMPLES = {
    "member.joined": (
        [_inbound(member=ADA)],
        [
            _inbound(member={"first_name": "Ada"}),
            _inbound(changed_at="2026-12-04T10:00:00", member=ADA),
        ],
    ),
    "member.updated": (
        [_inbound(changes={"email": "a@b.org"})],
        [
            _inbound(changes={"salary": "1"}),
            _inbound(changes={}),
            _inbound(actor=None, changes={"email": "a@b.org"}),
        ],
    ),
    "member.lapsed": (
        [_inbound(lapsed_on="2026-11-30")],
        [_inbound(), _inbound(lapsed_on="30/11/2026")],
    ),
}


def test_the_documented_member_fields_are_the_declared_ones():
    schemas = _schemas()
    joined = schemas["member.joined"]["properties"]["member"]["properties"]
    updatable = schemas["member.updated"]["properties"]["changes"]["propertyNames"]["enum"]
    assert list(joined) == list(MEMBER_FIELDS)
    assert updatable == list(UPDATABLE_FIELDS)


def test_the_member_contracts_carry_the_declared_fields():
    assert list(contracts.MemberSchema().fields) == list(MATCH_FIELDS)
    assert list(contracts.InboundMemberSchema().fields) == list(MEMBER_FIELDS)


def test_every_inbound_event_has_a_documented_json_schema():
    assert set(_schemas()) == {"member.joined", "member.updated", "member.lapsed"}


@pytest.mark.parametrize("event", sorted(EXAMPLES))
def test_json_schema_and_contract_accept_and_refuse_the_same_examples(event):
    schema = _schemas()[event]
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    good, bad = EXAMPLES[event]
    for example in good:
        assert not list(validator.iter_errors(example)), example
        contracts.load(event, 1, example)
    for example in bad:
        assert list(validator.iter_errors(example)), example
        with pytest.raises(contracts.ContractViolation):
            contracts.load(event, 1, example)


def test_every_event_is_listed_in_the_docs():
    text = DOC.read_text()
    for event in contracts.CONTRACTS:
        assert f"`{event}`" in text, event


def test_an_unknown_version_or_event_is_a_contract_violation():
    with pytest.raises(contracts.ContractViolation, match="version"):
        contracts.load(
            "ballots.marked", 2, {"ballot_id": 1, "membership_number": "M1", "channel": "online"}
        )
    with pytest.raises(contracts.UnknownEvent):
        contracts.load("nonsense", 1, {})


def test_each_event_type_makes_its_schema_once_and_reuses_it_safely(monkeypatch):
    """Making a marshmallow schema copies every field and cost more than validating; the
    contracts make one per event type and reuse it, for events sent and taken alike, and a
    refused payload leaves nothing behind for the next one."""
    import dataclasses

    made: list[int] = []
    spec = contracts.contract("ballots.marked")

    class Counting(spec.schema):  # type: ignore[misc,name-defined]
        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            made.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setitem(
        contracts.CONTRACTS, "ballots.marked", dataclasses.replace(spec, schema=Counting)
    )
    monkeypatch.setattr(contracts, "_schemas", {}, raising=False)
    good = {"ballot_id": 1, "membership_number": "M1", "channel": "online"}
    assert contracts.dump("ballots.marked", good) == good
    with pytest.raises(contracts.ContractViolation, match="channel"):
        contracts.load("ballots.marked", 1, {**good, "channel": "pigeon"})
    with pytest.raises(contracts.ContractViolation, match="membership_number"):
        contracts.dump("ballots.marked", {"ballot_id": 1, "channel": "postal"})
    assert contracts.load("ballots.marked", 1, {**good, "channel": "postal"}) == {
        **good,
        "channel": "postal",
    }
    assert made == [1]
