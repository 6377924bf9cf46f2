"""The vote path's messaging floor: what one vote costs in CPU with every piece of work taken
out and only the traffic left. Prints ONE JSON object.

    .venv/bin/python bench/floor.py [--levels 8,32,64] [--requests 2000] [--fanout 3]
                                    [--smtp 3000]

An online vote in Rollcall is an HTTP request to the gateway, an RPC to codes, an RPC to the
tally, and one event (``ballots.marked``) to three consumers (registration, codes, the
mailer), each service its own process (ARCHITECTURE.md). This bench stands up the same shape
with plain nameko 2.14 and nothing else — no database, no validation, no Rollcall code:

- ``front``: a nameko HTTP route ``POST /vote`` that calls ``floor_a.check`` then
  ``floor_b.cast`` through nameko's ``RpcProxy`` and answers 201;
- ``floor_a``, ``floor_b``: RPC methods that return their argument; ``floor_b`` also
  dispatches one event (nameko's ``EventDispatcher``) when ``--fanout`` is above 0;
- ``--fanout`` listener processes, each a nameko ``event_handler`` that does nothing.

Each is a process of its own on the local RabbitMQ (in a vhost of its own when ``rabbitmqctl``
can make one, else ``/``). The driver is ``bench/votes.py``'s (a separate process, one thread
and one HTTP connection per client). Per level: requests per second, latency percentiles, and
the CPU seconds per request of each process, of the driver and of the broker (the machine's
node: other traffic on it is counted too). The sum is the least CPU a vote can cost on this
machine with this many processes and messages, before any of Rollcall's own work; on two
cores, 2 / that sum is the most votes per second the shape allows.

``--smtp N`` (0: not run) measures the same kind of floor for the pipeline's last step, an
emailed code: N short emails handed over one SMTP connection (``smtplib``) to an aiosmtpd
server in its own process that keeps nothing (``aiosmtpd.handlers.Sink``; the benches' sink
also writes each to a Maildir, which costs more), built as ``email.message.EmailMessage``
and sent with ``send_message``, then the same as prebuilt bytes with ``sendmail``: the
client's and the server's CPU per email.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from harness import SINK, broker_pid, cpu_seconds, say

ROOT = Path(__file__).resolve().parent.parent


# -- the services (each run in a process of its own with --serve) ------------------------------
def serve(role: str, amqp_uri: str, port: int, tag: str) -> None:
    import eventlet

    eventlet.monkey_patch()
    from nameko.containers import ServiceContainer
    from nameko.events import EventDispatcher, event_handler
    from nameko.rpc import RpcProxy, rpc
    from nameko.web.handlers import http

    a_name, b_name = f"floor_a_{tag}", f"floor_b_{tag}"

    class Front:
        name = f"floor_front_{tag}"
        a = RpcProxy(a_name)
        b = RpcProxy(b_name)

        @http("POST", "/vote")
        def vote(self, request: Any) -> tuple[int, str]:
            token = request.get_data(as_text=True)
            self.a.check(token)
            return 201, json.dumps({"receipt": self.b.cast(token)})

    class A:
        name = a_name

        @rpc
        def check(self, token: str) -> str:
            return token

    class B:
        name = b_name
        dispatch = EventDispatcher()

        @rpc
        def cast(self, token: str) -> str:
            if FANOUT:
                self.dispatch("marked", {"token": token})
            return token

    def listener(i: int) -> type:
        class Listener:
            name = f"floor_listener{i}_{tag}"

            # Plain nameko on purpose (the floor of its machinery, not of Rollcall's
            # ``subscribe``); the handler does nothing and cannot raise, so the default
            # requeue_on_error=False drops nothing here.
            @event_handler(b_name, "marked")
            def marked(self, payload: dict[str, Any]) -> None:
                return None

        return Listener

    FANOUT = int(os.environ.get("FLOOR_FANOUT", "0"))
    cls = {"front": Front, "a": A, "b": B}.get(role) or listener(int(role.removeprefix("l")))
    config = {"AMQP_URI": amqp_uri, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", "max_workers": 10}
    container = ServiceContainer(cls, config=config)
    container.start()
    print("ready", flush=True)
    container.wait()


# -- the bench -----------------------------------------------------------------------------------
def make_vhost(base_uri: str) -> tuple[str, str | None]:
    """A vhost of our own (and its name) when rabbitmqctl works here, else the base URI."""
    name = f"floor-{uuid.uuid4().hex[:8]}"
    try:
        subprocess.run(["rabbitmqctl", "add_vhost", name], check=True, capture_output=True)
        subprocess.run(
            ["rabbitmqctl", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return base_uri, None
    return f"{base_uri.rstrip('/')}/{name}", name


def smtp_floor(n: int) -> dict[str, Any]:
    import email.message
    import smtplib

    from tests.support import aiosmtpd

    with aiosmtpd(SINK) as (port, server_pid):
        body = "Your access code for the selection ballot is ABCD-EFGH-JKLM.\n" * 12
        figures = {}
        for how in ("email_message", "prebuilt_bytes"):
            client = smtplib.SMTP("127.0.0.1", port)
            cpu, server_cpu, wall = (
                time.process_time(),
                cpu_seconds(server_pid),
                time.perf_counter(),
            )
            for i in range(n):
                to = f"m{i}@example.org"
                if how == "email_message":
                    message = email.message.EmailMessage()
                    message["From"], message["To"] = "ballots@example.org", to
                    message["Subject"] = "Your access code"
                    message.set_content(body)
                    client.send_message(message)
                else:
                    head = f"From: ballots@example.org\r\nTo: {to}\r\nSubject: Your access code"
                    raw = f"{head}\r\n\r\n{body}".replace("\n", "\r\n").replace("\r\r", "\r")
                    client.sendmail("ballots@example.org", [to], raw.encode())
            wall = time.perf_counter() - wall
            cpu, server_cpu = time.process_time() - cpu, cpu_seconds(server_pid) - server_cpu
            client.quit()
            figures[how] = {
                "emails": n,
                "emails_per_second": round(n / wall, 1),
                "client_cpu_ms_per_email": round(cpu / n * 1000, 3),
                "server_cpu_ms_per_email": round(server_cpu / n * 1000, 3),
            }
        return figures


def percentile(values: list[float], p: float) -> float:
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def level(procs: dict[str, subprocess.Popen[str]], url: str, n: int, clients: int) -> dict:
    plan = [uuid.uuid4().hex for _ in range(n)]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(plan, f)
        plan_file = Path(f.name)
    pids = {name: p.pid for name, p in procs.items()}
    broker = broker_pid()
    if broker is not None:
        pids["broker"] = broker
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "votes.py"), "--drive", url]
        + ["--plan", str(plan_file), "--clients", str(clients)],
        capture_output=True,
        text=True,
        check=True,
    )
    after = {name: cpu_seconds(pid) for name, pid in pids.items()}
    plan_file.unlink()
    driven = json.loads(done.stdout.strip().splitlines()[-1])
    latencies = sorted(driven["latencies"])
    ok = sum(1 for s in driven["statuses"] if s == 201)
    cpu = {name: round((after[name] - before[name]) / n * 1000, 3) for name in pids}
    cpu["driver"] = round(driven["cpu"] / n * 1000, 3)
    services = sum(v for k, v in cpu.items() if k not in ("broker", "driver"))
    total = services + cpu.get("broker", 0.0)
    return {
        "clients": clients,
        "requests": n,
        "ok": ok,
        "errors": n - ok,
        "requests_per_second": round(ok / driven["wall"], 1),
        "latency_ms": {
            "p50": round(percentile(latencies, 50) * 1000, 1),
            "p99": round(percentile(latencies, 99) * 1000, 1),
            "mean": round(statistics.fmean(latencies) * 1000, 1),
        },
        "cpu_ms_per_request": cpu,
        "cpu_ms_per_request_services": round(services, 3),
        "cpu_ms_per_request_services_and_broker": round(total, 3),
        "ceiling_on_two_cores_per_second": round(2000 / total, 1) if total else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--levels", default="8,32,64")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--fanout", type=int, default=3)
    parser.add_argument("--smtp", type=int, default=3000)
    parser.add_argument("--amqp-uri", default="amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--serve", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--tag", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.amqp_uri, args.port, args.tag)
        return

    from tests.support import free_port

    uri, vhost = make_vhost(args.amqp_uri)
    tag, port = uuid.uuid4().hex[:6], free_port()
    roles = ["a", "b", *[f"l{i}" for i in range(args.fanout)], "front"]
    env = {**os.environ, "FLOOR_FANOUT": str(args.fanout)}
    procs: dict[str, subprocess.Popen[str]] = {}
    started = time.monotonic()
    load_before = os.getloadavg()
    try:
        for role in roles:
            procs[role] = subprocess.Popen(
                [sys.executable, __file__, "--serve", role, "--amqp-uri", uri]
                + ["--port", str(port), "--tag", tag],
                stdout=subprocess.PIPE,
                text=True,
                env=env,
            )
            assert procs[role].stdout is not None
            if procs[role].stdout.readline().strip() != "ready":
                raise SystemExit(f"floor: the {role} process did not start")
        url = f"http://127.0.0.1:{port}/vote"
        say(f"{len(procs)} processes up; warming up")
        level(procs, url, 200, 8)
        results = []
        for clients in (int(c) for c in args.levels.split(",")):
            say(f"{clients} clients, {args.requests} requests")
            results.append(level(procs, url, args.requests, clients))
            say(json.dumps(results[-1]))
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            proc.wait(timeout=30)
        if vhost:
            subprocess.run(["rabbitmqctl", "delete_vhost", vhost], capture_output=True)
    best = max(results, key=lambda r: r["requests_per_second"])
    smtp = None
    if args.smtp:
        say(f"SMTP: {args.smtp} emails, twice")
        smtp = smtp_floor(args.smtp)
    print(
        json.dumps(
            {
                "shape": {
                    "http_requests": 1,
                    "rpcs": 2,
                    "event_consumers": args.fanout,
                    "processes": len(procs),
                },
                "levels": results,
                "best": {
                    "clients": best["clients"],
                    "requests_per_second": best["requests_per_second"],
                    "p99_ms": best["latency_ms"]["p99"],
                },
                "smtp": smtp,
                "seconds": round(time.monotonic() - started, 1),
                "cores": os.cpu_count(),
                "load_average_before": [round(x, 2) for x in load_before],
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
            }
        )
    )


if __name__ == "__main__":
    main()
