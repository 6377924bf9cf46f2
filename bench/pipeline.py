"""Members per second through the whole pipeline, and each service's peak memory.

Runs ``rollcall demo`` (every service its own process, the real broker) for
``--members`` members and reads its report: the rate is accepted members
divided by the time from the start of the extract import until every member
has settled (matched or reviewed, code issued, mail sent or letter queued).
Beside it, in the same run, a baseline of the machine's broker: confirmed
publishes per second of chunk-sized messages, so runs on a noisy machine can
be compared as a ratio.

    .venv/bin/python bench/pipeline.py --members 20000
    .venv/bin/python bench/pipeline.py --members 2000 --replicas 2   # every service twice
    .venv/bin/python bench/pipeline.py --members 2000 --postgresql   # its baseline: one each

``--replicas N`` runs ``rollcall demo --replicas N`` (every service N times,
on throwaway PostgreSQL databases); ``--postgresql`` gives one replica each
the same kind of databases, for the baseline. The CPU seconds each process
used over the whole demo come from its report.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path


def baseline(amqp_uri: str, messages: int = 2000, size: int = 40_000) -> float:
    """Confirmed publishes per second of ``size``-byte messages, batched as the relay does."""
    from rollcall.messaging.publisher import ConfirmingPublisher, Outgoing

    publisher = ConfirmingPublisher(amqp_uri)
    channel = publisher.channel()
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    channel.queue_declare(queue, durable=True, auto_delete=False)
    body = b"x" * size
    batch = [Outgoing("", queue, body, uuid.uuid4().hex) for _ in range(500)]
    started = time.perf_counter()
    for _ in range(messages // len(batch)):
        publisher.publish(batch)
    elapsed = time.perf_counter() - started
    channel.queue_delete(queue)
    channel.close()
    publisher.close()
    return messages / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--replicas", type=int, default=1, help="processes of every service")
    parser.add_argument("--postgresql", action="store_true", help="throwaway PostgreSQL databases")
    args = parser.parse_args()
    from rollcall.config import load_settings

    settings = load_settings()
    base = baseline(settings.amqp_uri)
    with tempfile.TemporaryDirectory() as tmp:
        report_path = Path(tmp) / "report.json"
        env = {**os.environ, "ROLLCALL_VAR_DIR": os.environ.get("ROLLCALL_VAR_DIR", tmp)}
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "rollcall_cli.main",
                "demo",
                "--members",
                str(args.members),
                "--seed",
                str(args.seed),
                "--report",
                str(report_path),
                "--replicas",
                str(args.replicas),
                *(["--postgresql"] if args.postgresql else []),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        if not report_path.exists():
            print(json.dumps({"error": "the demo wrote no report", "stderr": done.stderr[-2000:]}))
            sys.exit(1)
        report = json.loads(report_path.read_text())
    pipeline = report.get("pipeline", {})
    print(
        json.dumps(
            {
                "members": args.members,
                "accepted_members": pipeline.get("accepted_members"),
                "seconds_import_to_settled": pipeline.get("seconds_import_to_settled"),
                "members_per_second": pipeline.get("members_per_second"),
                "baseline_confirmed_chunk_publishes_per_second": round(base, 1),
                "ratio_members_per_second_to_baseline": round(
                    (pipeline.get("members_per_second") or 0) / base, 3
                ),
                "peak_rss_mb": report.get("peak_rss_mb"),
                "reconcile_seconds": report.get("reconcile_seconds"),
                "audit_verify_seconds": (report.get("audit_verify") or {}).get("seconds"),
                "audit_verify_output": (report.get("audit_verify") or {}).get("output"),
                "demo_checks": report.get("checks"),
                "demo_seconds": report.get("seconds"),
                "demo_wall_seconds": round(wall, 1),
                "demo_ok": report.get("ok"),
                "databases": report.get("databases"),
                "replicas": report.get("replicas"),
                "cpu_seconds": report.get("cpu_seconds"),
            }
        )
    )
    sys.exit(0 if report.get("ok") else 1)


if __name__ == "__main__":
    main()
