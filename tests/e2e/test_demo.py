"""The whole ballot, as ``make demo`` runs it, and ``rollcall verify`` on its board."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: A 2,000-member ballot end to end (with a reminder to every voter and replacement codes)
#: takes about nine minutes on a loaded two-core machine: over the suite's 600 s default.
pytestmark = pytest.mark.timeout(1200)


def _rollcall(
    *args: str, env: dict[str, str], timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rollcall_cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, amqp_url):  # type: ignore[no-untyped-def]
    var = tmp_path_factory.mktemp("demo")
    env = {**os.environ, "ROLLCALL_VAR_DIR": str(var), "ROLLCALL_AMQP_URI": amqp_url}
    report = var / "r.json"
    done = _rollcall("demo", "--members", "2000", "--seed", "11", "--report", str(report), env=env)
    return done, report, env


def test_demo_of_2000_members_balances_and_every_vote_is_cast_and_marked(demo_run):
    done, report_path, _ = demo_run
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(report_path.read_text())
    extract = report["extract"]
    assert extract["declared"] == extract["accepted"] + extract["rejected"] + extract["duplicates"]
    assert extract["rejected"] > 0 and extract["duplicates"] > 0, (
        "the demo must exercise bad rows and duplicates"
    )
    assert report["unaccounted"] == 0
    # Rows rejected at import and corrected by their officers are admitted after it.
    assert extract["corrected"] == len(report["corrections"]["corrected"]) > 0
    assert sum(report["ledger"].values()) == report["members_admitted"]
    assert report["members_admitted"] == extract["accepted"] + extract["corrected"]
    voting = report["voting"]
    assert voting["votes_submitted"] == voting["ballots_cast"] == voting["marked_register"] > 0
    assert report["result"]["winners"]
    assert all(report["checks"].values()), report["checks"]
    scrutineers = report["scrutineers_report"]
    assert scrutineers["exit"] == scrutineers["verify_exit"] == 0, scrutineers
    assert Path(scrutineers["pdf"]).read_bytes().startswith(b"%PDF")
    # The plain demo tells its delivery story too: a sink that takes every email.
    delivery = report["delivery"]
    assert delivery["sent"] + delivery["letters_queued"] == delivery["codes"] > 0
    assert delivery["hard_bounces"] == {"at_sending": 0, "after_sending": 0}
    assert delivery["transient_retries"] == 0 and delivery["not_reached"]["count"] == 0
    assert report["reach"]["unexplained"] == 0
    assert delivery["reminders"] > 0 and delivery["replacements"] == report["replacements"]["asked"]


def test_verify_passes_on_the_demo_board_and_fails_on_a_changed_or_removed_ballot(
    demo_run, tmp_path
):
    done, report_path, env = demo_run
    assert done.returncode == 0
    board_path = Path(json.loads(report_path.read_text())["bulletin"])
    ok = _rollcall("verify", str(board_path), env=env, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    board = json.loads(board_path.read_text())
    candidates = board["ballot"]["candidates"]
    changed = json.loads(json.dumps(board))
    first = changed["ballots"][0]
    first["choices"] = [next(c for c in candidates if c not in first["choices"])]
    removed = json.loads(json.dumps(board))
    removed["ballots"].pop()
    for name, tampered in (("changed", changed), ("removed", removed)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(tampered))
        bad = _rollcall("verify", str(path), env=env, timeout=120)
        assert bad.returncode != 0, f"verify passed a board with a {name} ballot"
        assert "FAIL" in bad.stdout


def test_demo_with_mail_faults_reaches_every_member_by_email_or_letter(tmp_path, amqp_url):
    """An outage, 4xx, 5xx and late DSNs: every eligible member still gets a working code."""
    env = {**os.environ, "ROLLCALL_VAR_DIR": str(tmp_path), "ROLLCALL_AMQP_URI": amqp_url}
    report_path = tmp_path / "faults.json"
    done = _rollcall(
        "demo", "--members", "300", "--seed", "11", "--mail-faults", "--report", str(report_path),
        env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert all(report["checks"].values()), report["checks"]
    delivery, sink = report["delivery"], report["delivery"]["sink"]
    assert sink["outage"] == 1 and sink["deferred"] and sink["refused"] and sink["dsn_sent"]
    assert delivery["transient_retries"] >= sink["deferred"]
    assert (
        delivery["hard_bounces"]["after_sending"] > 0 and delivery["hard_bounces"]["at_sending"] > 0
    )
    assert delivery["fallbacks_to_post"] >= delivery["hard_bounces"]["after_sending"]
    assert report["reach"]["unexplained"] == 0
    assert report["bounce_doors"]["kept_for_review"] == 3
    # Reminders and replacement codes work through a misbehaving mail system too.
    assert delivery["reminders"] > 0 and report["reminders"]["reminded_twice"] == []
    replaced = report["replacements"]
    assert replaced["asked"] == replaced["old_codes_refused"] == replaced["voted_with_new_code"] > 0


def test_demo_with_two_contests_counts_and_verifies_each_and_a_changed_contest_fails(
    tmp_path, amqp_url
):
    """One ballot, two contests (STV with RON and statements; a yes/no motion), 300 members."""
    env = {**os.environ, "ROLLCALL_VAR_DIR": str(tmp_path), "ROLLCALL_AMQP_URI": amqp_url}
    report_path = tmp_path / "contests.json"
    done = _rollcall(
        "demo", "--members", "300", "--seed", "5", "--contests", "2", "--report", str(report_path),
        env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert all(report["checks"].values()), report["checks"]
    assert (
        "the voting page showed each contest with its instructions and statements"
        in (report["checks"])
    )
    selection, motion = report["result"]["contests"]
    assert selection["counts"]["method"] == "stv" and motion["counts"]["method"] == "fptp"
    assert "RON (re-open nominations)" in selection["counts"]["candidates"]
    assert selection["counts"]["invalid_reasons"].get("blank", 0) > 0  # some left it blank
    board_path = Path(report["bulletin"])
    ok = _rollcall("verify", str(board_path), env=env, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "selection: " in ok.stdout and "motion: " in ok.stdout
    board = json.loads(board_path.read_text())
    changed = json.loads(json.dumps(board))
    paper = next(p for p in changed["ballots"] if p["choices"]["motion"])
    paper["choices"]["motion"] = ["No" if paper["choices"]["motion"] == ["Yes"] else "Yes"]
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(changed))
    bad = _rollcall("verify", str(path), env=env, timeout=120)
    assert bad.returncode != 0 and "FAIL" in bad.stdout
