"""``rollcall demo --chaos``: services killed with SIGKILL and restarted through the import,
matching, mailing and voting; every check of the demo still passes, and the report lists
the kills."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def test_demo_passes_every_check_while_services_are_killed_and_restarted(tmp_path, amqp_url):
    env = {**os.environ, "ROLLCALL_VAR_DIR": str(tmp_path), "ROLLCALL_AMQP_URI": amqp_url}
    report_path = tmp_path / "report.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "rollcall_cli.main",
            "demo",
            "--members",
            "300",
            "--seed",
            "4",
            "--chaos",
            "4",
            "--report",
            str(report_path),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-3000:]
    report = json.loads(report_path.read_text())
    kills = report["chaos"]["kills"]
    assert len(kills) >= 3, kills
    assert {k["service"] for k in kills} <= {"registration", "matching", "codes", "mailer", "tally"}
    assert report["checks"] and all(report["checks"].values()), report["checks"]
    assert f"chaos: {len(kills)} kill(s)" in done.stdout
