"""A private three-node RabbitMQ cluster on this machine, for fault tests.

``RabbitCluster(root)`` starts ``rc-a-<run>@localhost``, ``rc-b-<run>@localhost`` and
``rc-c-<run>@localhost`` (``<run>`` fresh each time) from the installed ``rabbitmq-server``, each with its own
AMQP and distribution ports, data and log directories and configuration file
under ``root``; all three share an Erlang cookie through ``HOME=root`` (so they
never talk to the system node, which keeps the machine's own cookie), and the
management plugin stays off (an empty enabled-plugins file). ``b`` and ``c``
join ``a``'s cluster with ``rabbitmqctl join_cluster``. ``stop_node`` and
``start_node`` take one node away and bring it back; ``close`` stops every node
and removes ``root``, whatever happened before.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SBIN = Path("/usr/lib/rabbitmq/bin")


def available() -> bool:
    """True when a RabbitMQ server can be started here (it runs as whoever we are)."""
    return (SBIN / "rabbitmq-server").exists() and (SBIN / "rabbitmqctl").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Node:
    name: str
    amqp_port: int
    dist_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"


class RabbitCluster:
    def __init__(self, root: Path, size: int = 3) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        cookie = self.root / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(16).upper())
        cookie.chmod(0o400)
        (self.root / "enabled_plugins").write_text("[].\n")
        # Names of this run's own: a node left running by a run that was killed (a CI
        # timeout ends the process without cleaning up) must not stand in for one of these.
        run = secrets.token_hex(3)
        self.nodes = [
            Node(f"rc-{letter}-{run}@localhost", _free_port(), _free_port())
            for letter in "abcdefg"[:size]
        ]

    # -- one node ---------------------------------------------------------
    def _env(self, node: Node) -> dict[str, str]:
        short = node.name.split("@")[0]
        base = self.root / short
        (base / "log").mkdir(parents=True, exist_ok=True)
        config = base / "rabbitmq.conf"
        config.write_text(
            f"listeners.tcp.default = 127.0.0.1:{node.amqp_port}\n"
            "loopback_users.guest = true\n"
            # a lost node must not pause the others: three nodes, one down at a time
            "cluster_partition_handling = pause_minority\n"
        )
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("RABBITMQ_", "ERL_")) and k != "HOME"
        }
        env.update(
            HOME=str(self.root),
            RABBITMQ_NODENAME=node.name,
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(node.amqp_port),
            RABBITMQ_DIST_PORT=str(node.dist_port),
            RABBITMQ_MNESIA_BASE=str(base / "mnesia"),
            RABBITMQ_LOG_BASE=str(base / "log"),
            RABBITMQ_CONFIG_FILE=str(config),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(base / "advanced.config"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.root / "enabled_plugins"),
            RABBITMQ_PID_FILE=str(base / "pid"),
            RABBITMQ_CONF_ENV_FILE=str(self.root / "rabbitmq-env.conf"),
            ERL_EPMD_ADDRESS="127.0.0.1",
            # a node (or rabbitmqctl) that crashes writes its dump here, not in the checkout
            ERL_CRASH_DUMP=str(base / "erl_crash.dump"),
            ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}",
        )
        return env

    def ctl(self, node: Node, *args: str, timeout: float = 120.0) -> str:
        done = subprocess.run(
            [str(SBIN / "rabbitmqctl"), "-n", node.name, *args],
            env=self._env(node),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"rabbitmqctl -n {node.name} {' '.join(args)} failed: "
                f"{done.stdout.strip()} {done.stderr.strip()}"
            )
        return done.stdout

    def _spawn(self, node: Node) -> None:
        (self.root / "rabbitmq-env.conf").touch()
        log = (self.root / f"{node.name.split('@')[0]}.out").open("ab")
        node.process = subprocess.Popen(
            [str(SBIN / "rabbitmq-server")],
            env=self._env(node),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def _wait_started(self, node: Node, timeout: float) -> None:
        assert node.process is not None
        self.ctl(
            node,
            "wait",
            "--pid",
            str(node.process.pid),
            "--timeout",
            str(int(timeout)),
            timeout=timeout + 10,
        )
        self._wait_amqp(node, timeout)

    def start_node(self, node: Node, timeout: float = 240.0) -> None:
        """Start one node (again) and wait until it takes AMQP connections."""
        self._spawn(node)
        self._wait_started(node, timeout)

    def _wait_amqp(self, node: Node, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", node.amqp_port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{node.name} does not listen on {node.amqp_port}") from None
                time.sleep(0.2)

    def stop_node(self, node: Node) -> None:
        """Stop one node cleanly (the others keep the cluster and a quorum of every queue)."""
        try:
            self.ctl(node, "stop", timeout=120)
        except (RuntimeError, subprocess.TimeoutExpired):
            self._kill(node)
        if node.process is not None:
            try:
                node.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._kill(node)

    def _kill(self, node: Node) -> None:
        if node.process is not None and node.process.poll() is None:
            try:
                os.killpg(node.process.pid, 9)
            except ProcessLookupError:
                pass
            node.process.wait(timeout=30)

    # -- the cluster ------------------------------------------------------
    def start(self) -> None:
        first, *others = self.nodes
        for node in self.nodes:  # booting is the slow part: all at once
            self._spawn(node)
        for node in self.nodes:
            self._wait_started(node, 240.0)
        for node in others:
            self.ctl(node, "stop_app")
            self.ctl(node, "join_cluster", first.name)
            self.ctl(node, "start_app")
            self._wait_amqp(node, 60)
        running = self.ctl(first, "cluster_status", "--formatter", "json")
        for node in self.nodes:
            if node.name not in running:
                raise RuntimeError(f"{node.name} is not in the cluster: {running}")

    def uris(self) -> str:
        """Every node's AMQP URI, ``;``-separated, as ``amqp_uri`` takes them."""
        return ";".join(n.uri for n in self.nodes)

    def close(self) -> None:
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                try:
                    self.ctl(node, "stop", timeout=60)
                except (RuntimeError, subprocess.TimeoutExpired):
                    pass
                self._kill(node)
        shutil.rmtree(self.root, ignore_errors=True)
