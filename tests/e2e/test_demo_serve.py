"""``rollcall demo --serve``: after the ballot the stack stays up, says where to look and
hands over a working operator token, until Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import requests


def test_demo_serve_keeps_the_stack_up_with_a_working_token_until_interrupted(tmp_path, amqp_url):
    env = {**os.environ, "ROLLCALL_VAR_DIR": str(tmp_path), "ROLLCALL_AMQP_URI": amqp_url}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rollcall_cli.main",
            "demo",
            "--members",
            "200",
            "--seed",
            "5",
            "--serve",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 900
        while not any("mailbox" in line and line.startswith("  mailbox") for line in lines):
            assert time.monotonic() < deadline and proc.poll() is None, "".join(lines[-40:])
            line = proc.stdout.readline()  # type: ignore[union-attr]
            lines.append(line)
        text = "".join(lines)
        assert "demo passed" not in text  # the verdict comes after the stack stops
        token = re.search(r"operator token (\S+)", text).group(1)  # type: ignore[union-attr]
        base = re.search(r"voting page +(\S+)/vote", text).group(1)  # type: ignore[union-attr]
        assert requests.get(f"{base}/vote", timeout=10).status_code == 200
        reconciled = requests.get(
            f"{base}/api/ballots/1/reconciliation",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert reconciled.status_code == 200 and reconciled.json()["unaccounted"] == 0
        assert requests.get(f"{base}/api/ballots/1/reconciliation", timeout=10).status_code == 401
        metrics = re.findall(r"metrics +(http://\S+/metrics) +\((\w+)\)", text)
        assert len(metrics) == 6
        for url, service in metrics:
            assert f"rollcall_{service}_" in requests.get(url, timeout=10).text
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, rest[-3000:]
    assert "demo passed" in rest
