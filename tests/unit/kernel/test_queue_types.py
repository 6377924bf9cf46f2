"""Queue types and broker lists: what the topology declares for ``queue_type``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from rollcall.config import ConfigError, load_settings
from rollcall.messaging.topology import Topology
from rollcall.preflight import new_secrets, service_problems


class RecordingChannel:
    """Records declarations instead of talking to a broker (a pure test of ``declare``)."""

    def __init__(self) -> None:
        self.queues: dict[str, dict[str, Any]] = {}

    def queue_declare(self, name: str, **kwargs: Any) -> None:
        self.queues[name] = kwargs

    def exchange_declare(self, *args: Any, **kwargs: Any) -> None:
        pass

    def queue_bind(self, *args: Any, **kwargs: Any) -> None:
        pass


def declared(queue_type: str) -> tuple[Topology, dict[str, dict[str, Any]]]:
    topology = Topology("t", (1.0, 5.0), queue_type)
    channel = RecordingChannel()
    topology.declare(channel)
    return topology, channel.queues


def test_quorum_declares_every_queue_rollcall_owns_as_a_durable_quorum_queue():
    topology, queues = declared("quorum")
    assert set(queues) == set(topology.all_queues())
    for name, kwargs in queues.items():
        assert kwargs["durable"] is True and kwargs["auto_delete"] is False, name
        assert kwargs["arguments"]["x-queue-type"] == "quorum", name
        assert "x-max-priority" not in kwargs["arguments"], name


def test_quorum_delay_queues_dead_letter_at_least_once():
    topology, queues = declared("quorum")
    for delay in (1000, 5000):
        arguments = queues[topology.delay_queue(delay)]["arguments"]
        assert arguments == {
            "x-queue-type": "quorum",
            "x-message-ttl": delay,
            "x-dead-letter-exchange": topology.requeue_exchange,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        }
    # Only the delay queues dead-letter; the others must not limit publishes.
    others = set(queues) - {topology.delay_queue(1000), topology.delay_queue(5000)}
    assert all(queues[q]["arguments"] == {"x-queue-type": "quorum"} for q in others)


def test_classic_is_the_default_and_declares_no_queue_type():
    topology, queues = declared("classic")
    assert Topology("t", (1.0,)).queue_type == "classic"
    assert load_settings({}).queue_type == "classic"
    assert all("x-queue-type" not in kwargs["arguments"] for kwargs in queues.values())
    assert queues[topology.delay_queue(1000)]["arguments"] == {
        "x-message-ttl": 1000,
        "x-dead-letter-exchange": topology.requeue_exchange,
    }


def test_topology_of_settings_takes_the_queue_type():
    settings = load_settings({"ROLLCALL_QUEUE_TYPE": "quorum", "ROLLCALL_NAMESPACE": "n"})
    assert Topology.of(settings) == Topology("n", settings.retry_delays, "quorum")


def test_an_unknown_queue_type_is_refused_in_one_line():
    with pytest.raises(
        ConfigError, match="queue_type: must be one of classic, quorum, got 'qourum'"
    ):
        load_settings({"ROLLCALL_QUEUE_TYPE": "qourum"})


def test_several_broker_uris_are_tried_in_order():
    settings = load_settings(
        {"ROLLCALL_AMQP_URI": "amqp://u:p@mq1:5672/rc; amqp://u:p@mq2:5672/rc;amqp://u:p@mq3/rc"}
    )
    assert settings.amqp_uris() == [
        "amqp://u:p@mq1:5672/rc",
        "amqp://u:p@mq2:5672/rc",
        "amqp://u:p@mq3/rc",
    ]


def test_preflight_checks_every_broker_uri_of_a_list(tmp_path):
    new_secrets(tmp_path / "secrets")
    settings = load_settings(
        {"ROLLCALL_AMQP_URI": "amqp://u:p@mq1:5672/rc;http://mq2:5672/rc"},
        var_dir=str(tmp_path / "var"),
        secrets_dir=str(tmp_path / "secrets"),
    )
    found = [p.line() for p in service_problems(settings, "tally")]
    assert len(found) == 1 and "'http://mq2:5672/rc' is not a amqp or amqps URL" in found[0]


def test_the_cluster_example_in_the_runbook_loads_as_settings(tmp_path):
    text = (Path(__file__).resolve().parents[3] / "docs" / "operations.md").read_text()
    (body,) = [
        block
        for block in re.findall(r"^```yaml\n(.*?)^```", text, re.M | re.S)
        if "queue_type" in block
    ]
    path = tmp_path / "rollcall.yaml"
    path.write_text(body)
    settings = load_settings({"ROLLCALL_CONFIG": str(path)})
    assert settings.queue_type == "quorum"
    assert [u.split("@")[1] for u in settings.amqp_uris()] == [
        "mq1:5672/rollcall",
        "mq2:5672/rollcall",
        "mq3:5672/rollcall",
    ]


def test_every_rpc_entrypoint_comes_from_rollcall_messaging_rpc():
    # Two kinds of RPC entrypoint in one service would declare its request
    # queue twice, with different arguments when queue_type is quorum.
    root = Path(__file__).resolve().parents[3]
    offenders = [
        str(path.relative_to(root))
        for folder in ("services", "gateway", "rollcall")
        for path in (root / folder).rglob("*.py")
        if re.search(r"from nameko\.rpc import [^\n]*\brpc\b|nameko\.rpc\.rpc\b", path.read_text())
        and path.name != "rpc.py"
    ]
    assert offenders == [], f"use rollcall.messaging.rpc.rpc in {offenders}"
