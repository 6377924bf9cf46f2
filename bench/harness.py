"""What the end-to-end benches share: scratch PostgreSQL databases, CPU per process, py-spy.

``bench/votes.py`` and ``bench/pipeline.py`` run every service as its own
process (``rollcall_cli.demo.processes.DemoRun``); with ``--postgresql`` each
service gets a scratch database on ``ROLLCALL_TEST_PG`` (default the local
server), created before the services start and dropped at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def say(message: str) -> None:
    print(f"[bench] {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (its children not included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def broker_pid() -> int | None:
    """The local RabbitMQ node's process (``beam.smp``), if there is one on this machine.

    The broker is the machine's, shared with whatever else uses it: its CPU
    during a run is an upper bound on what the run cost it.
    """
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        # The node runs "-s rabbit boot"; rabbitmqctl's short-lived beam.smp does not.
        if args[0].endswith(b"/beam.smp") and b"rabbit" in args and b"boot" in args:
            return int(cmdline.parent.name)
    return None


#: The benches use the tests' SMTP server and free port (``tests.support``).
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: An SMTP server that takes every email and keeps none (``tests.support.aiosmtpd``).
SINK = ["-c", "aiosmtpd.handlers.Sink"]


def py_spy(pid: int, out: Path, seconds: float) -> subprocess.Popen[bytes] | None:
    """Sample ``pid`` for ``seconds`` at 50 Hz without stopping it; collapsed stacks to ``out``."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        return None
    return subprocess.Popen(
        [
            spy,
            "record",
            "-p",
            str(pid),
            "-d",
            str(int(seconds)),
            "-r",
            "50",
            "-f",
            "raw",
            "--nonblocking",
            "-o",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def bench_ballot(title: str, area: list[str]) -> dict:
    """The definition of the one-seat FPTP ballot the end-to-end benches stand up."""
    return {
        "title": title,
        "method": "fptp",
        "seats": 1,
        "candidates": ["Ada Lovelace", "Mary Seacole", "Grace Hopper"],
        "area": area,
        "seed": "bench",
    }
