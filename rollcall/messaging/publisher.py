"""Publishing with publisher confirms, pipelined.

``ConfirmingPublisher.publish`` sends a batch on its confirm-mode channel,
then waits until the broker has confirmed every message in it. It returns only
when all are confirmed and raises ``PublishFailed`` otherwise, so a caller that
marks messages sent after it returns can never mark a message the broker did
not take. Confirming a batch at once instead of message by message is what
takes the relay from hundreds to thousands of messages a second.

One publisher holds one connection and serialises its callers with a lock; on
any connection error it drops the connection and reconnects on the next call.
The confirm-mode channel is opened once and kept while batches succeed (it
used to be opened, put in confirm mode and closed for every batch: three more
round trips and a channel process on the broker for each relay step, which
on the vote path is one or two events; ``docs/scaling.md``, "Votes"). A
batch that fails in any way drops the connection, channel and all, so a
reused channel has nothing of an earlier batch left unconfirmed.
Given several broker URIs (``amqp_uri`` with ``;`` between them, the nodes of
one cluster) it connects to the first that answers, trying each in turn.

``Messaging`` is the nameko extension that gives a container one publisher and
the topology, declared in full before any consumer starts.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import amqp
from amqp import spec
from kombu import Connection
from nameko.extensions import SharedExtension

from rollcall.messaging.topology import Topology
from rollcall.runtime import settings_of


class PublishFailed(RuntimeError):
    """The broker did not confirm every message of a batch."""


@dataclass
class Outgoing:
    exchange: str
    routing_key: str
    body: bytes
    message_id: str
    correlation_id: str = ""
    type: str = ""
    headers: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def event(
        cls,
        exchange: str,
        event_type: str,
        payload: dict[str, Any] | str,
        *,
        message_id: str,
        correlation_id: str,
        headers: dict[str, Any],
    ) -> Outgoing:
        body = payload if isinstance(payload, str) else json.dumps(payload, sort_keys=True)
        return cls(
            exchange, event_type, body.encode(), message_id, correlation_id, event_type, headers
        )


class ConfirmingPublisher:
    def __init__(self, amqp_uri: str, *, confirm_timeout: float = 30.0) -> None:
        self.amqp_uri = amqp_uri
        self.confirm_timeout = confirm_timeout
        self._kombu: Connection | None = None
        self._lock = threading.Lock()
        self._confirming: amqp.Channel | None = None
        self._published = 0  # messages sent on the confirm-mode channel (its delivery tags)
        self._unconfirmed: set[int] = set()
        self._nacked: list[int] = []

    def _connection(self) -> amqp.Connection:
        if self._kombu is None:
            kombu = Connection(self.amqp_uri, heartbeat=0, connect_timeout=10)
            # kombu moves to the next URI after each failed attempt: try each twice.
            tries = 2 * len(kombu.alt or [self.amqp_uri])
            try:
                kombu.ensure_connection(
                    max_retries=tries - 1,
                    interval_start=0,
                    interval_step=0.2,
                    interval_max=1,
                    reraise_as_library_errors=False,
                )
            except BaseException:
                kombu.release()
                raise
            self._kombu = kombu
        return self._kombu.connection

    def channel(self) -> amqp.Channel:
        """A plain channel (for declarations and reads) on this publisher's connection."""
        return self._connection().channel()

    def close(self) -> None:
        self._confirming = None
        if self._kombu is not None:
            try:
                self._kombu.release()
            except OSError:
                pass
            self._kombu = None

    def publish(self, messages: Sequence[Outgoing]) -> None:
        if not messages:
            return
        with self._lock:
            try:
                self._publish(messages)
            except PublishFailed:
                self.close()
                raise
            except (OSError, amqp.exceptions.AMQPError) as exc:
                self.close()
                raise PublishFailed(f"broker error while publishing: {exc!r}") from exc

    def _settle(self, delivery_tag: int, multiple: bool) -> set[int]:
        # The broker may confirm out of order, singly or "up to here":
        # count a message confirmed only when its own tag is covered.
        if multiple:
            return {t for t in self._unconfirmed if t <= delivery_tag}
        return {delivery_tag} & self._unconfirmed

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self._unconfirmed.difference_update(self._settle(delivery_tag, multiple))

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        done = self._settle(delivery_tag, multiple)
        self._nacked.extend(done)
        self._unconfirmed.difference_update(done)

    def _confirm_channel(self) -> amqp.Channel:
        channel = self._confirming
        if channel is None or not channel.is_open:
            channel = self._connection().channel()
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            self._confirming, self._published = channel, 0
        return channel

    def _publish(self, messages: Sequence[Outgoing]) -> None:
        channel = self._confirm_channel()
        first = self._published + 1
        self._unconfirmed = set(range(first, first + len(messages)))
        self._nacked = []
        for m in messages:
            msg = amqp.Message(
                m.body,
                content_type="application/json",
                delivery_mode=2,
                message_id=m.message_id,
                correlation_id=m.correlation_id or None,
                type=m.type or None,
                application_headers=m.headers,
            )
            channel._basic_publish(msg, exchange=m.exchange, routing_key=m.routing_key)
            self._published += 1
        while self._unconfirmed:
            channel.wait([spec.Basic.Ack, spec.Basic.Nack], timeout=self.confirm_timeout)
        if self._nacked:
            raise PublishFailed(
                f"the broker refused (nacked) {len(self._nacked)} message(s) of the batch"
            )


class Messaging(SharedExtension):
    """The container's publisher and topology; declares the topology at setup."""

    def setup(self) -> None:
        settings = settings_of(self.container)
        self.topology = Topology.of(settings)
        self.publisher = ConfirmingPublisher(settings.amqp_uri)
        channel = self.publisher.channel()
        try:
            self.topology.declare(channel)
        finally:
            channel.close()

    def stop(self) -> None:
        self.publisher.close()

    def kill(self) -> None:
        self.publisher.close()
