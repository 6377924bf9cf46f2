"""Contracts: the documented JSON Schemas agree with the marshmallow contracts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from rollcall.messaging import contracts

DOC = Path(__file__).resolve().parents[3] / "docs" / "events.md"
NOW = "2026-12-04T10:00:00+00:00"


def _schemas() -> dict[str, dict]:
    blocks = re.findall(r"```json schema ([\w.]+)\n(.*?)```", DOC.read_text(), re.S)
    return {name: json.loads(body) for name, body in blocks}


EXAMPLES = {
    "member.joined": (
        [
            {
                "membership_number": "M1",
                "changed_at": NOW,
                "source": "crm",
                "actor": "sync",
                "member": {
                    "membership_number": "M1",
                    "first_name": "Ada",
                    "last_name": "Byron",
                    "association": "HACK",
                },
            },
        ],
        [
            {
                "membership_number": "M1",
                "changed_at": NOW,
                "source": "crm",
                "actor": "sync",
                "member": {"first_name": "Ada"},
            },
            {
                "membership_number": "M1",
                "changed_at": "2026-12-04T10:00:00",
                "source": "crm",
                "actor": "sync",
                "member": {
                    "membership_number": "M1",
                    "first_name": "Ada",
                    "last_name": "Byron",
                    "association": "HACK",
                },
            },
        ],
    ),
    "member.updated": (
        [
            {
                "membership_number": "M1",
                "changed_at": NOW,
                "source": "crm",
                "actor": "sync",
                "changes": {"email": "a@b.org"},
            }
        ],
        [
            {
                "membership_number": "M1",
                "changed_at": NOW,
                "source": "crm",
                "actor": "sync",
                "changes": {"salary": "1"},
            },
            {
                "membership_number": "M1",
                "changed_at": NOW,
                "source": "crm",
                "actor": "sync",
                "changes": {},
            },
            {
                "membership_number": "M1",
                "changed_at": NOW,
                "source": "crm",
                "changes": {"email": "a@b.org"},
            },
        ],
    ),
    "member.lapsed": (
        [
            {
                "membership_number": "M1",
                "changed_at": NOW,
                "source": "crm",
                "actor": "sync",
                "lapsed_on": "2026-11-30",
            }
        ],
        [
            {"membership_number": "M1", "changed_at": NOW, "source": "crm", "actor": "sync"},
            {
                "membership_number": "M1",
                "changed_at": NOW,
                "source": "crm",
                "actor": "sync",
                "lapsed_on": "30/11/2026",
            },
        ],
    ),
}


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
