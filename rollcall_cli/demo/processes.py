"""The demo ballot's steps (see ``rollcall_cli.demo``)."""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import click

from rollcall.config import SERVICES, Settings, load_settings
from rollcall_cli.demo.output import say

#: How the demo damages a member's row (field, wrong value); each is rejected at import.
DAMAGE = (
    ("last_name", ""),
    ("email", "not-an-email"),
    ("joined_on", "31/02/2019"),
    ("status", "unknown"),
)
ROLE_SERVICES = ("registration", "matching", "codes", "mailer", "tally", "gateway")
#: Turns the mailer's bounce endpoint on; under ``--ports-file`` it binds a port of its own.
BOUNCE_ON = 1
#: How long the faulty sink refuses connections, once mail starts to flow.
OUTAGE_SECONDS = 5.0


def own_vhost(amqp_uri: str) -> tuple[str, str] | None:
    """A vhost of the demo's own, when the broker is local and rabbitmqctl is here.

    nameko's RPC queues (``rpc-<service>``) are not namespaced, so two demos
    (or a demo and a test run) in one vhost would answer each other's calls.
    Returns (vhost, URI), or None to share the configured vhost.
    """
    parts = urlsplit(amqp_uri)
    if shutil.which("rabbitmqctl") is None or parts.hostname not in ("127.0.0.1", "localhost"):
        return None
    name = f"rollcall-demo-{secrets.token_hex(4)}"
    user = unquote(parts.username or "guest")
    made = subprocess.run(["rabbitmqctl", "-q", "add_vhost", name], capture_output=True)
    if made.returncode != 0:
        return None
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", name, user, ".*", ".*", ".*"],
        capture_output=True,
    )
    return name, urlunsplit(parts._replace(path="/" + quote(name, safe="")))


def _die_with_parent() -> None:
    """In a child: receive SIGTERM when the demo process dies, however it dies (Linux)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class DemoRun:
    def __init__(
        self,
        *,
        members: int,
        seed: int,
        method: str,
        seats: int,
        turnout: float,
        keep: bool,
        fault_rate: float | None = None,
        contests: int = 1,
        replicas: int | Mapping[str, int] = 1,
        postgresql: bool = False,
        postgres_server: str | None = None,
    ) -> None:
        self.n_members, self.seed, self.method, self.seats = members, seed, method, seats
        #: 2: the ballot holds two contests (``rollcall_cli.demo.paper``).
        self.contests = contests
        #: Whether the voting page showed every contest, its instructions and statements.
        self.page_ok = False
        #: How many processes of each service run (competing consumers on the same queues).
        self.replicas = {
            s: replicas if isinstance(replicas, int) else int(replicas.get(s, 1))
            for s in ROLE_SERVICES
        }
        self.turnout, self.keep = turnout, keep
        #: With ``--mail-faults``: the share of addresses the sink defers, refuses or bounces.
        self.fault_rate = fault_rate
        self.rng = random.Random(seed)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        base = load_settings()
        self.dir = (Path(base.var_dir) / "demo" / f"{stamp}-seed{seed}").resolve()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.checks: dict[str, bool] = {}
        from rollcall_cli.demo.databases import LOCAL_POSTGRES, ScratchDatabases

        #: Throwaway PostgreSQL databases of this run's (dropped by ``stop``), if it made any.
        self.scratch: ScratchDatabases | None = None
        self.database_env: dict[str, str] = {}
        self.databases = self._databases(base, postgresql, postgres_server or LOCAL_POSTGRES)
        self.env = self._environment(base)
        self.settings: Settings = load_settings(self.env)
        #: What the SMTP sink did, one JSON line an event (``rollcall_cli.demo.sink``).
        self.journal = self.dir / "sink.jsonl"

    # -- set-up ----------------------------------------------------------
    def _databases(self, base: Settings, postgresql: bool, server: str) -> str:
        """Which databases the services use, making throwaway PostgreSQL ones if needed.

        Replicas share their service's database, which an SQLite file cannot be
        (one process's file, one writer): with more than one replica (or
        ``postgresql``) every service not given a PostgreSQL URL in
        ``ROLLCALL_DATABASE_URL_<SERVICE>`` gets a new database on ``server``.
        An SQLite URL given for a replicated service is refused.
        """
        from rollcall.db import is_sqlite
        from rollcall_cli.demo.databases import ScratchDatabases

        replicated = sorted(s for s, n in self.replicas.items() if n > 1)
        sqlite = [s for s in ROLE_SERVICES if is_sqlite(base.database_url(s))]
        if not (replicated or postgresql) or not sqlite:
            return "sqlite" if sqlite else "postgresql (configured)"
        named = [s for s in sqlite if s in base.database_urls]
        if named:
            raise click.ClickException(
                f"replicas share their service's database and SQLite cannot be shared: "
                f"ROLLCALL_DATABASE_URL_{named[0].upper()} is SQLite; name a PostgreSQL "
                "database there or leave it unset for a throwaway one"
            )
        self.scratch = ScratchDatabases(server, tuple(sqlite))
        from sqlalchemy.exc import SQLAlchemyError

        try:
            urls = self.scratch.create()
        except SQLAlchemyError as exc:
            self.scratch.drop()
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise click.ClickException(
                f"cannot create throwaway PostgreSQL databases on {self.scratch.where()}: "
                f"{reason}; start PostgreSQL, or name databases in ROLLCALL_DATABASE_URL_<SERVICE>"
            ) from None
        self.database_env = {f"ROLLCALL_DATABASE_URL_{s.upper()}": url for s, url in urls.items()}
        processes = sum(self.replicas.values())
        if processes > 6 and "ROLLCALL_DATABASE_POOL_SIZE" not in os.environ:
            # Each process may hold twice its pool: keep them all well under the server's
            # max_connections (100 by default), which other users of the server share.
            pool = max(2, 36 // processes)
            self.database_env["ROLLCALL_DATABASE_POOL_SIZE"] = str(pool)
            say(
                f"{processes} service processes: {pool} database connections each (and as many again under load)"
            )
        why = f"{max(self.replicas.values())} replicas" if replicated else "--postgresql"
        say(
            f"{why}: services use throwaway PostgreSQL databases {self.scratch.prefix}_* on "
            f"{self.scratch.where()} (not SQLite), dropped at the end"
        )
        return "postgresql (throwaway)"

    def _environment(self, base: Settings) -> dict[str, str]:
        secrets_dir = self.dir / "secrets"
        secrets_dir.mkdir(exist_ok=True)
        from rollcall.sealing import new_key

        (secrets_dir / "code_hash_key").write_text(secrets.token_hex(32))
        (secrets_dir / "mail_seal_key").write_bytes(new_key())
        (secrets_dir / "signing_key_passphrase").write_text(secrets.token_hex(32))
        (secrets_dir / "personal_data_key").write_text(secrets.token_hex(32))
        (secrets_dir / "bounce_webhook_secret").write_text(secrets.token_hex(32))
        env = dict(os.environ)
        env.update(self.database_env)
        env.update(
            ROLLCALL_VAR_DIR=str(self.dir),
            ROLLCALL_SECRETS_DIR=str(secrets_dir),
            ROLLCALL_NAMESPACE=f"rollcall-demo-{secrets.token_hex(4)}",
            ROLLCALL_RELAY_INTERVAL="0.1",
            # The mailer's own bounce endpoint, where the sink's DSNs go (on: the mailer
            # binds a free port of its own and reports it, ``bounce`` in its ports file);
            # a short retry schedule (32 s in all) that rides out the sink's outage.
            ROLLCALL_BOUNCE_SMTP_PORT=str(BOUNCE_ON),
            ROLLCALL_BOUNCE_SETTLE_SECONDS="1",
            ROLLCALL_MAIL_RETRY_DELAYS="1,2,3,5,8,13",
        )
        self.vhost = own_vhost(base.amqp_uri)
        if self.vhost:
            env["ROLLCALL_AMQP_URI"] = self.vhost[1]
        return env

    def _reported(self, name: str, path: Path, timeout: float = 90.0) -> str:
        """What process ``name`` wrote to ``path`` once it bound its ports."""
        deadline = time.monotonic() + timeout
        while not path.exists():
            proc = self.procs[name]
            if proc.poll() is not None:
                raise click.ClickException(
                    f"{name} exited with {proc.returncode}; see {self.dir}/logs/{name}.log"
                )
            if time.monotonic() > deadline:
                raise click.ClickException(f"{name} did not report its ports after {timeout}s")
            time.sleep(0.1)
        return path.read_text()

    @staticmethod
    def replica_name(service: str, replica: int = 1) -> str:
        """``tally`` for a service's first process, ``tally-2`` for its second, and so on."""
        return service if replica == 1 else f"{service}-{replica}"

    def _run_service(self, service: str, logs: Path, replica: int = 1) -> None:
        """Start a replica of ``service``, which writes the ports it bound to ``ports/<name>.json``.

        The demo migrated every database before (``start``): each replica waits
        for its database to be at its head (``--wait``) and never migrates.
        """
        name = self.replica_name(service, replica)
        ports_file = self.dir / "ports" / f"{name}.json"
        # Each mailer replica's bounce endpoint binds a port of its own and reports it; the
        # sink sends its bounces to the first mailer's (any replica applies them).
        env = self.env
        self.procs[name] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rollcall_cli.main",
                "run",
                service,
                "--wait",
                "120",
                "--ports-file",
                str(ports_file),
            ],
            stdout=(logs / f"{name}.log").open("wb"),
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=_die_with_parent,
        )

    def _collect_ports(self, service: str, replica: int = 1) -> None:
        name = self.replica_name(service, replica)
        reported = json.loads(self._reported(name, self.dir / "ports" / f"{name}.json"))
        self.ports[name] = {k: v for k, v in reported.items() if k in ("metrics", "http")}
        if replica == 1:
            self._set_env(
                **{f"ROLLCALL_METRICS_PORT_{service.upper()}": str(self.ports[name]["metrics"])}
            )

    def bounce_port(self) -> int:
        """The port the mailer's bounce endpoint bound, as its ports file says now (a mailer
        restarted by ``--chaos`` binds another)."""
        reported = json.loads(self._reported("mailer", self.dir / "ports" / "mailer.json"))
        return int(reported["bounce"])

    def _set_env(self, **values: str) -> None:
        self.env.update(values)
        self.settings = load_settings(self.env)

    def start(self) -> None:
        from rollcall.db import upgrade

        # The migration job: every database migrated once, before any service starts.
        for service in SERVICES:
            upgrade(service, self.settings.database_url(service))
        logs = self.dir / "logs"
        logs.mkdir(exist_ok=True)
        mail_dir = self.dir / "mailbox"
        (self.dir / "ports").mkdir(exist_ok=True)
        smtp_port_file = self.dir / "ports" / "smtp"
        sink = [
            sys.executable,
            "-m",
            "rollcall_cli.demo.sink",
            "--listen",
            "127.0.0.1:0",
            "--port-file",
            str(smtp_port_file),
            "--mailbox",
            str(mail_dir),
            "--journal",
            str(self.journal),
            "--bounce-to",
            f"@{self.dir / 'ports' / 'mailer.json'}",
            "--seed",
            str(self.seed),
        ]
        if self.fault_rate is not None:
            sink += ["--fault-rate", str(self.fault_rate), "--outage", str(OUTAGE_SECONDS)]
        self.procs["smtp"] = subprocess.Popen(
            sink,
            stdout=(logs / "smtp.log").open("wb"),
            stderr=subprocess.STDOUT,
            env=self.env,
            preexec_fn=_die_with_parent,
        )
        self._set_env(ROLLCALL_SMTP_PORT=self._reported("smtp", smtp_port_file))
        # Each service binds its own ports and reports them. The gateway goes
        # first: the mailer writes its address into letters and emails (the
        # first gateway's: the public URL, as a load balancer's would be).
        self.ports: dict[str, dict[str, int]] = {}
        for service in ("gateway", *[s for s in ROLE_SERVICES if s != "gateway"]):
            self._run_service(service, logs)
            if service == "gateway":
                self._collect_ports("gateway")
                http = self.ports["gateway"]["http"]
                self._set_env(
                    ROLLCALL_GATEWAY_PORT=str(http), ROLLCALL_PUBLIC_URL=f"http://127.0.0.1:{http}"
                )
        for service in ROLE_SERVICES:
            for replica in range(2, self.replicas[service] + 1):
                self._run_service(service, logs, replica)
        for service in ROLE_SERVICES:
            for replica in range(1, self.replicas[service] + 1):
                if self.replica_name(service, replica) not in self.ports:
                    self._collect_ports(service, replica)
        #: Every gateway replica's URL; voters and officers go round them (``gateway()``).
        self.gateway_urls = [
            f"http://127.0.0.1:{self.ports[self.replica_name('gateway', i)]['http']}"
            for i in range(1, self.replicas["gateway"] + 1)
        ]
        self._next_gateway = itertools.cycle(self.gateway_urls)
        self._wait_ready()

    def gateway(self) -> str:
        """The next gateway replica's URL, round robin (always the public URL with one)."""
        return next(self._next_gateway)

    def _wait_ready(self, timeout: float = 90.0) -> None:
        import requests

        from rollcall.messaging.publisher import ConfirmingPublisher
        from rollcall.messaging.topology import Topology

        topology = Topology(self.settings.namespace, self.settings.retry_delays)
        publisher = ConfirmingPublisher(self.settings.amqp_uri)
        deadline = time.monotonic() + timeout
        from rollcall.messaging.contracts import events_consumed_by

        waiting = {
            svc: topology.queue(svc, events_consumed_by(svc)[0])
            for svc in ("registration", "matching", "codes", "mailer", "tally")
        }
        try:
            while waiting:
                for name, proc in self.procs.items():
                    if proc.poll() is not None:
                        raise click.ClickException(
                            f"{name} exited with {proc.returncode}; see {self.dir}/logs/{name}.log"
                        )
                for svc, queue in list(waiting.items()):
                    try:
                        channel = publisher.channel()
                        _, _, consumers = channel.queue_declare(queue, passive=True)
                        channel.close()
                    except Exception:  # noqa: BLE001 - not declared yet
                        publisher.close()
                        consumers = 0
                    if consumers >= self.replicas[svc]:
                        del waiting[svc]
                if time.monotonic() > deadline:
                    raise click.ClickException(
                        f"services not ready after {timeout}s: {sorted(waiting)}"
                    )
                time.sleep(0.3)
            for url in self.gateway_urls:
                while True:
                    try:
                        if requests.get(f"{url}/healthz", timeout=2).ok:
                            break
                    except requests.RequestException:
                        pass
                    if time.monotonic() > deadline:
                        raise click.ClickException(f"the gateway at {url} did not answer /healthz")
                    time.sleep(0.3)
        finally:
            publisher.close()

    def peak_rss_mb(self) -> dict[str, float]:
        """Each running service's peak resident memory so far (VmHWM), in MB."""
        peaks = {}
        for name, proc in self.procs.items():
            try:
                status = Path(f"/proc/{proc.pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks[name] = round(int(line.split()[1]) / 1024, 1)
        return peaks

    def cpu_seconds(self) -> dict[str, float]:
        """Each running process's CPU seconds so far (user + system)."""
        ticks = os.sysconf("SC_CLK_TCK")
        used = {}
        for name, proc in self.procs.items():
            try:
                fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            used[name] = round((int(fields[11]) + int(fields[12])) / ticks, 2)
        return used

    #: What each replica's metrics say it did: requests answered, ballots cast, messages handled.
    WORK_METRICS = {
        "gateway": "rollcall_gateway_requests_total",
        "tally": "rollcall_tally_ballots_cast_total",
    }

    def replica_work(self) -> dict[str, float]:
        """Per process of a replicated service, the work its metrics count (see ``WORK_METRICS``;
        other services: messages handled). Read from each live process's metrics endpoint."""
        import requests

        work = {}
        for service, n in self.replicas.items():
            if n < 2:
                continue
            metric = self.WORK_METRICS.get(service, "rollcall_messages_handled_total")
            for replica in range(1, n + 1):
                name = self.replica_name(service, replica)
                url = f"http://127.0.0.1:{self.ports[name]['metrics']}/metrics"
                try:
                    text = requests.get(url, timeout=10).text
                except requests.RequestException:
                    continue
                work[name] = sum(
                    float(line.rsplit(" ", 1)[1])
                    for line in text.splitlines()
                    if line.startswith(metric + "{") or line.startswith(metric + " ")
                )
        return work

    def stop(self) -> None:
        self.calm()
        self.peaks = self.peak_rss_mb()
        self.cpu = self.cpu_seconds()
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        if self.vhost and not self.keep:
            subprocess.run(
                ["rabbitmqctl", "-q", "delete_vhost", self.vhost[0]], capture_output=True
            )
        elif not self.keep:
            from rollcall.messaging.publisher import ConfirmingPublisher
            from rollcall.messaging.topology import Topology

            publisher = ConfirmingPublisher(self.settings.amqp_uri)
            try:
                channel = publisher.channel()
                Topology(self.settings.namespace, self.settings.retry_delays).delete(channel)
                channel.close()
            except Exception as exc:  # noqa: BLE001 - clean-up is best effort, and says so
                say(f"could not remove the demo's queues: {exc!r}")
            finally:
                publisher.close()
        if self.scratch and not self.keep:
            try:
                self.scratch.drop()
            except Exception as exc:  # noqa: BLE001 - clean-up is best effort, and says so
                say(f"could not drop the throwaway databases {self.scratch.prefix}_*: {exc!r}")
        elif self.scratch:
            say(f"kept the throwaway databases {self.scratch.prefix}_* on {self.scratch.where()}")

    # -- data ------------------------------------------------------------
    def make_data(self) -> tuple[Path, Path, list[str], dict[str, Any]]:
        from rollcall_tools import synth

        data = synth.generate(int(self.n_members * 1.5) + 200, self.n_members, self.seed)
        register = self.dir / "register.csv"
        wards = sorted({r["ward"] for r in data.register_rows})
        with register.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(data.register_rows[0]))
            writer.writeheader()
            writer.writerows(data.register_rows)
        rows = [dict(r) for r in data.member_rows]
        columns = list(rows[0])
        area = wards[: max(1, len(wards) - 1)]
        ward_of = {r["elector_id"]: r["ward"] for r in data.register_rows}
        # Rows the membership system got wrong, each a real member's only row: their
        # officer corrects them over HTTP and they go on to match, get a code and vote.
        # Chosen among members on the register in the ballot's area, so they can.
        fixable = [
            i
            for i, r in enumerate(rows)
            if ward_of.get(data.truth.get(r["membership_number"], (None, ""))[0] or "") in area
        ]
        corrections: dict[str, dict[str, str]] = {}
        for i, victim in enumerate(self.rng.sample(fixable, max(1, self.n_members // 100))):
            row = rows[victim]
            field, wrong = DAMAGE[i % len(DAMAGE)]
            corrections[row["membership_number"]] = {field: row[field]}
            row[field] = wrong
        for _ in range(max(1, self.n_members // 100)):
            twin = self.rng.choice(rows[: self.n_members])
            if twin["membership_number"] not in corrections:
                rows.insert(self.rng.randrange(len(rows)), dict(twin))
        extract = self.dir / "members.csv"
        with extract.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
        digest = hashlib.sha256(extract.read_bytes()).hexdigest()
        manifest = {
            "extract_id": f"demo-{self.seed}-{digest[:8]}",
            "source": "demo",
            "row_count": len(rows),
            "sha256": digest,
        }
        (self.dir / "members.csv.manifest.json").write_text(json.dumps(manifest))
        extra = {"truth": data.truth, "wards": wards, "corrections": corrections}
        return register, extract, area, extra

    def load_register(self, path: Path) -> dict[str, Any]:
        from rollcall.db import make_engine
        from services.matching.batch.loading import load_register

        engine = make_engine(self.settings.database_url("matching"))
        try:
            summary = load_register(engine, path, authority="DEMO", label=f"demo-{self.seed}")
        finally:
            engine.dispose()
        return summary.as_dict()

    # -- the ballot ------------------------------------------------------
    # -- chaos -----------------------------------------------------------
    def unleash(self, every: float) -> None:
        """Kill a random service (``kill -9``) about every ``every`` seconds, restarting it
        as an orchestrator would, until ``calm()``. The gateway is spared: it is the door
        the demo's voters and officers come through, and it keeps no state."""
        import eventlet

        self.kills: list[dict[str, Any]] = []
        self._chaos = True
        victims = [s for s in ROLE_SERVICES if s != "gateway"]
        rng = random.Random(self.seed * 7919)
        logs = self.dir / "logs"

        def loop() -> None:
            started = time.monotonic()
            while True:
                eventlet.sleep(rng.uniform(0.5, 1.5) * every)
                if not self._chaos:
                    return
                service = rng.choice(victims)
                proc = self.procs[service]
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                    self.kills.append(
                        {"service": service, "at_seconds": round(time.monotonic() - started, 1)}
                    )
                    say(f"chaos: killed {service} (kill -9); restarting it")
                (self.dir / "ports" / f"{service}.json").unlink(missing_ok=True)
                self._run_service(service, logs)
                self._collect_ports(service)

        self._chaos_thread = eventlet.spawn(loop)

    def calm(self) -> None:
        """Stop killing services; return once any service being restarted is back."""
        if getattr(self, "_chaos", False):
            self._chaos = False
            self._chaos_thread.wait()
            say(f"chaos over: {len(self.kills)} kill(s)")

    def serve(self, report: dict[str, Any]) -> None:
        """Keep the stack up after the ballot, saying where to look, until Ctrl-C or SIGTERM."""
        from nameko.standalone.rpc import ClusterRpcProxy

        from rollcall.runtime import nameko_config

        with ClusterRpcProxy(nameko_config(self.settings), timeout=60) as rpc:
            token = rpc.gateway.add_user("serve operator", "operator", None, actor="demo")["token"]
        base = self.settings.public_url
        ballot = 1  # the demo's one ballot, in databases of its own
        click.echo(f"serving the demo stack (Ctrl-C to stop); files in {self.dir}")
        click.echo(f"  voting page    {base}/vote")
        click.echo(f"  result         {base}/api/ballots/{ballot}/result.txt")
        click.echo(f"  operator token {token}")
        click.echo(
            f"                 curl -H 'Authorization: Bearer {token}' {base}/api/ballots/{ballot}/reconciliation"
        )
        for service, ports in sorted(getattr(self, "ports", {}).items()):
            click.echo(f"  metrics        http://127.0.0.1:{ports['metrics']}/metrics  ({service})")
        click.echo(f"  mailbox        {self.dir / 'mailbox'}")
        try:
            while all(p.poll() is None for p in self.procs.values()):
                time.sleep(1)
            gone = [n for n, p in self.procs.items() if p.poll() is not None]
            click.echo(f"stopping: {', '.join(gone)} exited")
        except KeyboardInterrupt:
            click.echo("stopping")

    def execute(self, report_path: Path | None, serve: bool = False, chaos: float = 0.0) -> bool:
        # A SIGTERM (from ``timeout``, CI or an operator) unwinds through the
        # ``finally`` below, so the services are stopped and the vhost removed.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
        started = time.monotonic()
        report: dict[str, Any] = {
            "seed": self.seed,
            "members": self.n_members,
            "method": self.method if self.contests == 1 else "contests",
            "contests": self.contests,
            "dir": str(self.dir),
            "mail_faults": self.fault_rate,
            "replicas": self.replicas,
            "databases": self.databases,
            "throwaway_databases": f"{self.scratch.prefix}_*" if self.scratch else None,
        }
        try:
            say(f"demo in {self.dir}")
            register, extract, area, extra = self.make_data()
            say(
                f"generated {self.n_members} members, register and extract with bad rows and duplicates"
            )
            processes = sum(self.replicas.values())
            say(
                "starting the SMTP sink and six services"
                + (f" ({processes} processes: {self.replicas})" if processes > 6 else "")
            )
            self.start()
            report["register"] = self.load_register(register)
            say(f"register loaded: {report['register']}")
            from rollcall_cli.demo.ballot import run_ballot

            if chaos:
                say(f"chaos: killing a random service about every {chaos:g} s until the close")
                self.unleash(chaos)
            ok = run_ballot(self, report, extract, area, extra)
            self.calm()
            from rollcall_cli.demo.mailbox import duplicates

            twice = duplicates(self.dir / "mailbox", self.settings.postal_path())
            report["delivered_twice"] = dict(twice)
            check = (
                "nothing delivered twice: no mail, letter or code twice, no code for two members"
            )
            if self.fault_rate is not None:  # a dropped connection makes the sink store a copy
                twice.pop("message_ids_stored_twice")
            elif chaos and any(k["service"] == "mailer" for k in self.kills):
                # A mailer killed while the mail server had an email, before it answered,
                # sends that one email again on restart (the same Message-ID: SMTP is at
                # least once); it never writes a letter into two batches (docs/operations.md).
                kills = sum(1 for k in self.kills if k["service"] == "mailer")
                again = twice.pop("message_ids_stored_twice")
                check = (
                    f"nothing delivered twice but at most one email per mailer kill ({len(again)}"
                    f" sent again, {kills} kills): no letter twice, no code for two members"
                )
                if len(again) > kills:
                    twice["more_emails_sent_again_than_mailer_kills"] = again
            self.checks[check] = not any(twice.values())
            if max(self.replicas.values()) > 1:
                work = self.replica_work()
                report["replica_work"] = work
                if not chaos:  # a restarted process's counters start again from nothing
                    self.checks[
                        "every gateway and tally replica took part (requests answered, ballots cast)"
                    ] = all(
                        work.get(self.replica_name(s, i), 0) > 0
                        for s in ("gateway", "tally")
                        for i in range(1, self.replicas[s] + 1)
                    )
            if chaos:
                report["chaos"] = {"every_seconds": chaos, "kills": self.kills}
            if serve:
                self.serve(report)
        finally:
            self.stop()
        report["seconds"] = round(time.monotonic() - started, 1)
        report["peak_rss_mb"] = getattr(self, "peaks", {})
        report["cpu_seconds"] = getattr(self, "cpu", {})
        report["ports"] = getattr(self, "ports", {})
        report["checks"] = self.checks
        ok = ok and all(self.checks.values())
        report["ok"] = ok
        text = json.dumps(report, indent=2, sort_keys=True, default=str)
        (self.dir / "report.json").write_text(text)
        if report_path:
            report_path.parent.mkdir(parents=True, exist_ok=True)
            report_path.write_text(text)
        for name, passed in self.checks.items():
            click.echo(f"  {'ok  ' if passed else 'FAIL'} {name}")
        if chaos:
            killed = ", ".join(k["service"] for k in getattr(self, "kills", []))
            click.echo(f"  chaos: {len(getattr(self, 'kills', []))} kill(s): {killed or 'none'}")
        click.echo(
            f"demo {'passed' if ok else 'FAILED'} in {report['seconds']} s; report: {report_path or self.dir / 'report.json'}"
        )
        return ok
