"""Every YAML and JSON example in the docs loads, and the ones a command reads work as written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from rollcall.config import load_settings
from services.registration.schemas import BallotDefinitionSchema

ROOT = Path(__file__).resolve().parents[3]
DOCS = sorted([*ROOT.glob("docs/*.md"), ROOT / "README.md", *ROOT.glob("infra/**/*.md")])
FENCE = re.compile(r"^```(yaml|yml|json)\b[^\n]*\n(.*?)^```", re.M | re.S)


def examples() -> list[tuple[str, str, str]]:
    found = []
    for doc in DOCS:
        text = doc.read_text()
        for match in FENCE.finditer(text):
            line = text[: match.start()].count("\n") + 1
            found.append((f"{doc.relative_to(ROOT)}:{line}", match.group(1), match.group(2)))
    return found


EXAMPLES = examples()


def load(kind: str, body: str):  # type: ignore[no-untyped-def]
    return json.loads(body) if kind == "json" else yaml.safe_load(body)


def test_the_docs_have_examples_to_check():
    where = {w.split(":")[0] for w, _, _ in EXAMPLES}
    assert {"docs/formats.md", "docs/configuration.md"} <= where


@pytest.mark.parametrize(("where", "kind", "body"), EXAMPLES, ids=[w for w, _, _ in EXAMPLES])
def test_every_example_parses(where, kind, body):
    assert load(kind, body) is not None


def one(doc: str, predicate) -> object:  # type: ignore[no-untyped-def]
    chosen = [load(k, b) for w, k, b in EXAMPLES if w.startswith(doc) and predicate(load(k, b))]
    assert len(chosen) == 1, f"expected one such example in {doc}"
    return chosen[0]


def test_the_ballot_definition_example_is_a_valid_ballot_as_written():
    # The test ballot's example (section "Candidate order and test ballots") has its own test.
    example = one(
        "docs/formats.md", lambda d: isinstance(d, dict) and "candidates" in d and "test" not in d
    )
    loaded = BallotDefinitionSchema().load(example)
    assert loaded["area"] and loaded["timetable"]["opens_at"].tzinfo is not None
    assert str(loaded["eligibility"]["joined_before"]) == "2026-06-01"


def test_the_manifest_example_has_the_keys_import_reads():
    example = one("docs/formats.md", lambda d: isinstance(d, dict) and "extract_id" in d)
    assert set(example) == {"extract_id", "source", "row_count", "sha256"}


def test_the_configuration_example_loads_as_settings(tmp_path):
    example = one("docs/configuration.md", lambda d: isinstance(d, dict) and "amqp_uri" in d)
    path = tmp_path / "rollcall.yaml"
    path.write_text(yaml.safe_dump(example))
    settings = load_settings({"ROLLCALL_CONFIG": str(path)})
    assert settings.public_url == "https://vote.party.example"
    assert settings.database_url("codes").endswith("/rollcall_codes")
    assert settings.metrics_port("gateway") == 9106
    assert settings.retry_delays == (1.0, 5.0, 30.0)
