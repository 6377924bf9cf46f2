"""Names and declarations of every exchange and queue Rollcall uses.

All names start with the configured namespace (``rollcall`` by default), so
tests and demo runs can share a broker without seeing each other's messages.

- ``<ns>.events``: topic exchange every event is published to (routing key =
  event type). Its alternate exchange ``<ns>.unroutable`` catches anything no
  queue is bound for, into the queue of the same name: nothing vanishes.
- ``<ns>.<service>.<event>``: one durable queue per consumer and event type.
  It is also bound to ``<ns>.requeue`` (direct) under its own name, which is
  how retries and replays come back to exactly that queue.
- ``<ns>.delay.<ms>``: one queue per retry delay, entered through the headers
  exchange ``<ns>.delay``. Its messages expire after ``ms`` and dead-letter to
  ``<ns>.requeue`` with their routing key (the target queue's name).
- ``<ns>.parked``: the parking lot. A message whose retries are spent, or that
  breaks its contract, waits here with its reason until an operator replays it.

Every queue is durable. With ``queue_type="quorum"`` (setting ``queue_type``)
each is declared ``x-queue-type: quorum``, replicated over the cluster's nodes
so that losing one node loses no queue and no message. What the topology uses
holds for quorum queues on RabbitMQ 3.10 and later: per-queue message TTL (the
delay queues) is supported since 3.10; dead-lettering is, and a delay queue
asks for the at-least-once kind (``x-dead-letter-strategy: at-least-once``,
which needs ``x-overflow: reject-publish``), so a retry cannot vanish between
its delay queue and its target; no queue here is exclusive, auto-delete,
non-durable or prioritised, none of which quorum queues support; consumers
use per-consumer prefetch, never global QoS, which quorum queues refuse.
A queue's type is fixed when it is first declared: changing ``queue_type``
needs a fresh vhost (or the queues deleted), or RabbitMQ refuses to start the
services with ``PRECONDITION_FAILED - inequivalent arg 'x-queue-type'``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rollcall.messaging.contracts import CONTRACTS

# RabbitMQ ignores headers starting "x-" when matching a headers exchange.
DELAY_HEADER = "rollcall-delay"
ATTEMPT_HEADER = "x-rollcall-attempt"
SCHEMA_HEADER = "x-rollcall-schema"
PRODUCER_HEADER = "x-rollcall-producer"
QUEUE_HEADER = "x-rollcall-queue"
REASON_HEADER = "x-rollcall-reason"
PARKED_BY_HEADER = "x-rollcall-parked-by"


#: The arguments every durable queue of each type is declared with.
QUEUE_ARGUMENTS: dict[str, dict[str, Any]] = {
    "classic": {},
    "quorum": {"x-queue-type": "quorum"},
}
#: What a delay queue adds so that expired messages are dead-lettered at least once.
AT_LEAST_ONCE_DEAD_LETTERING: dict[str, Any] = {
    "x-dead-letter-strategy": "at-least-once",
    "x-overflow": "reject-publish",
}


@dataclass(frozen=True)
class Topology:
    namespace: str
    retry_delays: tuple[float, ...]
    queue_type: str = "classic"

    @classmethod
    def of(cls, settings: Any) -> Topology:
        """The topology a service running with ``settings`` declares."""
        return cls(settings.namespace, settings.retry_delays, settings.queue_type)

    def queue_arguments(self, **extra: Any) -> dict[str, Any]:
        """The arguments of a durable queue of this topology's type, with ``extra``."""
        arguments = {**QUEUE_ARGUMENTS[self.queue_type], **extra}
        if self.queue_type == "quorum" and "x-dead-letter-exchange" in extra:
            arguments.update(AT_LEAST_ONCE_DEAD_LETTERING)
        return arguments

    @property
    def events_exchange(self) -> str:
        return f"{self.namespace}.events"

    @property
    def unroutable(self) -> str:
        return f"{self.namespace}.unroutable"

    @property
    def requeue_exchange(self) -> str:
        return f"{self.namespace}.requeue"

    @property
    def delay_exchange(self) -> str:
        return f"{self.namespace}.delay"

    @property
    def parked(self) -> str:
        return f"{self.namespace}.parked"

    def queue(self, service: str, event_type: str) -> str:
        return f"{self.namespace}.{service}.{event_type}"

    def delay_queue(self, delay_ms: int) -> str:
        return f"{self.namespace}.delay.{delay_ms}"

    def delay_ms(self, attempt: int) -> int:
        """Delay before retry number ``attempt`` (1-based)."""
        return int(self.retry_delays[attempt - 1] * 1000)

    def consumer_queues(self) -> Iterable[tuple[str, str, str]]:
        """(queue, service, event type) for every consumer in the contracts."""
        for c in CONTRACTS.values():
            for service in c.consumers:
                yield self.queue(service, c.event_type), service, c.event_type

    def all_queues(self) -> list[str]:
        names = [q for q, _, _ in self.consumer_queues()]
        names += [self.delay_queue(int(d * 1000)) for d in self.retry_delays]
        names += [self.parked, self.unroutable]
        return names

    def declare(self, channel: Any) -> None:
        """Declare everything on a py-amqp channel. Idempotent."""
        channel.exchange_declare(self.unroutable, "fanout", durable=True, auto_delete=False)
        channel.queue_declare(
            self.unroutable, durable=True, auto_delete=False, arguments=self.queue_arguments()
        )
        channel.queue_bind(self.unroutable, self.unroutable, "")
        channel.exchange_declare(
            self.events_exchange,
            "topic",
            durable=True,
            auto_delete=False,
            arguments={"alternate-exchange": self.unroutable},
        )
        channel.exchange_declare(self.requeue_exchange, "direct", durable=True, auto_delete=False)
        channel.exchange_declare(self.delay_exchange, "headers", durable=True, auto_delete=False)
        channel.queue_declare(
            self.parked, durable=True, auto_delete=False, arguments=self.queue_arguments()
        )
        for delay in sorted({int(d * 1000) for d in self.retry_delays}):
            name = self.delay_queue(delay)
            channel.queue_declare(
                name,
                durable=True,
                auto_delete=False,
                arguments=self.queue_arguments(
                    **{"x-message-ttl": delay, "x-dead-letter-exchange": self.requeue_exchange}
                ),
            )
            channel.queue_bind(
                name,
                self.delay_exchange,
                "",
                arguments={"x-match": "all", DELAY_HEADER: str(delay)},
            )
        for name, _service, event_type in self.consumer_queues():
            channel.queue_declare(
                name, durable=True, auto_delete=False, arguments=self.queue_arguments()
            )
            channel.queue_bind(name, self.events_exchange, event_type)
            channel.queue_bind(name, self.requeue_exchange, name)

    def delete(self, channel: Any) -> None:
        """Remove every queue and exchange of this namespace (tests and demo clean-up)."""
        for name in self.all_queues():
            channel.queue_delete(name)
        for name in (
            self.events_exchange,
            self.requeue_exchange,
            self.delay_exchange,
            self.unroutable,
        ):
            channel.exchange_delete(name)
