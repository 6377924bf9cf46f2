"""The examples the docs give for replacement codes and cut-offs load as the code loads them."""

from __future__ import annotations

import json
import re
import shlex
from datetime import datetime
from pathlib import Path

from gateway.schemas import ReissueSchema, ReplacementSchema, load
from rollcall_cli.ballots import read_definition
from rollcall_cli.members import member
from services.registration import ballots, replacing
from services.registration.schemas import BallotDefinitionSchema
from tests.builders import ballots as builders

ROOT = Path(__file__).resolve().parents[3]


def _section(path: str, heading: str) -> str:
    text = (ROOT / path).read_text(encoding="utf-8")
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + len(heading) + 2)
    return text[start : end if end > 0 else None]


def _blocks(section: str, kind: str) -> list[str]:
    """The fenced blocks of ``section`` whose fence names ``kind`` ("" for none)."""
    found, current, lang = [], None, ""
    for line in section.splitlines():
        if line.startswith("```"):
            if current is None:
                current, lang = [], line[3:].strip()
            else:
                if lang == kind:
                    found.append("\n".join(current) + "\n")
                current = None
        elif current is not None:
            current.append(line)
    return found


def test_the_runbooks_timetable_is_valid_and_its_cut_offs_mean_what_it_says():
    (block,) = _blocks(_section("docs/operations.md", "## Replacement codes"), "yaml")
    timetable = read_definition(block)["timetable"]
    definition = BallotDefinitionSchema().load(builders.ballot_definition(timetable=timetable))
    assert ballots.timetable_problems(definition["timetable"]) == []
    iso = {k: v.isoformat() for k, v in definition["timetable"].items() if v}
    between = datetime.fromisoformat("2026-11-20T09:00:00+00:00")
    shown = replacing.window(iso, "open", between)
    assert (shown.email, shown.post) == (True, False), "letters stop first, as the comments say"


def test_the_formats_ballot_definition_loads_with_its_cut_offs():
    (block,) = _blocks(
        _section(
            "docs/formats.md", "## Ballot definition (YAML or JSON, `rollcall ballot create FILE`)"
        ),
        "yaml",
    )
    definition = BallotDefinitionSchema().load(read_definition(block))
    assert ballots.timetable_problems(definition["timetable"]) == []
    assert definition["timetable"]["replacement_cutoff"] > definition["timetable"]["postal_cutoff"]


def test_the_runbooks_requests_load_and_its_command_parses():
    section = _section("docs/operations.md", "## Replacement codes")
    (api,) = [b for b in _blocks(section, "") if "POST /api/ballots" in b]
    body = json.loads(api.splitlines()[1].split("     ")[0])
    assert load(ReplacementSchema(), body)["membership_number"] == "M1234"
    sh = [b for b in _blocks(section, "sh") if "rollcall member reissue" in b]
    (line,) = [ln for ln in sh[0].splitlines() if ln.startswith("rollcall member reissue")]
    concrete = line.replace("--ballot N", "--ballot 1").replace("[--channel email|post]", "")
    args = shlex.split(concrete + " --channel post")[3:]
    context = member.commands["reissue"].make_context("reissue", args)
    assert context.params["membership_number"] == "M1234" and context.params["channel"] == "post"
    reissue = re.search(r"with\n`(\{\"reason\": .*?\})`", section)
    assert reissue is not None
    assert load(ReissueSchema(), json.loads(reissue.group(1)))["channel"] == "email"
