"""``subscribe(event_type)``: the one way a Rollcall service consumes events.

It replaces nameko's ``event_handler``, which acks and drops a message whose
handler raised. Here every message ends in exactly one of these places, and
is acked only once it is safely there:

- handled: the handler returned (its effect and inbox row committed together);
- retried: the handler raised; a copy goes to the delay queue for its attempt
  (with publisher confirm) and comes back to this queue after the delay;
- parked: the handler raised on its last attempt, or the message broke its
  contract (bad JSON, unknown schema version, invalid payload); a copy goes to
  the parking lot with the reason, for ``rollcall replay``.

If even the copy cannot be published (the broker is gone), the message is not
acked: the broker redelivers it. Handlers are called as
``handler(self, payload, meta)`` and must be idempotent; ``once()`` gives them
the inbox check and the transaction in one call.

``subscribe(event_type, batch=N)`` hands the handler the messages that arrived
while its previous call ran, up to ``N`` at a time, as ``handler(self, events)``
(a list of ``Event``); ``once_all()`` records them all in the inbox and applies
the new ones in one transaction. It is for events that come one per act and in
crowds (``ballots.marked``: one per vote): a transaction, a worker and a commit
for many instead of one each (``docs/scaling.md``, "Votes"). Nothing waits for a
batch to fill: with no call running, a message is handled at once. Each
message still ends in exactly one of the places above: a batch that raises is
taken apart and each of its messages handled alone, so one bad message is
retried and parked on its own and the rest are handled.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from kombu import Queue
from nameko.messaging import Consumer, QueueConsumer
from sqlalchemy.orm import Session

from rollcall import metrics
from rollcall.messaging import contracts, inbox
from rollcall.messaging.publisher import Messaging, Outgoing, PublishFailed
from rollcall.messaging.rpc import TolerantAcks
from rollcall.messaging.topology import (
    ATTEMPT_HEADER,
    DELAY_HEADER,
    PARKED_BY_HEADER,
    QUEUE_HEADER,
    REASON_HEADER,
    SCHEMA_HEADER,
    Topology,
)
from rollcall.runtime import Database, settings_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventMeta:
    message_id: str
    correlation_id: str
    event_type: str
    attempt: int
    redelivered: bool
    handler: str


#: The most ``ballots.marked`` messages (one per vote) a consumer takes in one transaction.
MARKS_BATCH = 100


@dataclass(frozen=True)
class Event:
    """One message of a batch: its payload (checked against its contract) and its meta."""

    payload: dict[str, Any]
    meta: EventMeta


def once(database: Database, meta: EventMeta, effect: Callable[[Session], Any]) -> str:
    """Run ``effect`` in one transaction with the inbox row; "duplicate" if seen before."""
    with database.transaction() as session:
        if not inbox.accept(session, meta.message_id, meta.handler):
            return "duplicate"
        effect(session)
    return "ok"


def once_all(
    database: Database,
    events: Sequence[Event],
    effect: Callable[[Session, list[dict[str, Any]]], Any],
) -> list[str]:
    """``once`` for a batch: every message's inbox row and ``effect(session, payloads)`` of the
    new ones commit together; returns "ok" or "duplicate" per event, in order (a message twice
    in one batch is a duplicate the second time)."""
    outcomes = []
    with database.transaction() as session:
        fresh = []
        for event in events:
            if inbox.accept(session, event.meta.message_id, event.meta.handler):
                fresh.append(event.payload)
                outcomes.append("ok")
            else:
                outcomes.append("duplicate")
        if fresh:
            effect(session, fresh)
    return outcomes


class SafeQueueConsumer(TolerantAcks, QueueConsumer):
    """nameko's queue consumer, but a body that cannot be decoded is parked, not fatal, and an
    ack lost with its connection is not fatal either (``TolerantAcks``)."""

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.on_decode_error = partial(provider.handle_undecodable)
        return consumers


class Subscription(Consumer):
    queue_consumer = SafeQueueConsumer()
    messaging = Messaging()

    def __init__(self, event_type: str, **kwargs: Any) -> None:
        self.event_type = event_type
        super().__init__(queue=None, requeue_on_error=False, **kwargs)

    def setup(self) -> None:
        service = self.container.service_name
        if service not in contracts.consumers_of(self.event_type):
            raise contracts.ContractViolation(
                f"{service} subscribes to {self.event_type} but the contract does not list it "
                "as a consumer; add it to rollcall.messaging.contracts"
            )
        settings = settings_of(self.container)
        self.topology = Topology.of(settings)
        self.queue_name = self.topology.queue(service, self.event_type)
        self.queue = Queue(self.queue_name, no_declare=True)
        self.handler_name = f"{service}.{self.method_name}"
        super().setup()

    # -- receiving -------------------------------------------------------
    def handle_undecodable(self, message: Any, exc: Exception) -> None:
        self._park(message, f"invalid: body is not JSON: {exc}", outcome="invalid")

    def handle_message(self, body: Any, message: Any) -> None:
        event = self._event(body, message)
        if event is not None:
            self.dispatch(message, event)

    def _event(self, body: Any, message: Any) -> Event | None:
        """The message's payload and meta, or None once a message that breaks its contract
        is parked."""
        props = message.properties
        headers = message.headers or {}
        try:
            payload = contracts.load(self.event_type, headers.get(SCHEMA_HEADER), body)
            if not props.get("message_id"):
                raise contracts.ContractViolation("message has no message_id")
        except contracts.ContractViolation as exc:
            self._park(message, f"invalid: {exc}", outcome="invalid")
            return None
        meta = EventMeta(
            message_id=props["message_id"],
            correlation_id=str(props.get("correlation_id") or ""),
            event_type=self.event_type,
            attempt=int(headers.get(ATTEMPT_HEADER, 0)),
            redelivered=bool(message.delivery_info.get("redelivered")),
            handler=self.handler_name,
        )
        return Event(payload, meta)

    def dispatch(self, message: Any, event: Event) -> None:
        started = time.monotonic()
        try:
            self.container.spawn_worker(
                self,
                (event.payload, event.meta),
                {},
                handle_result=partial(self.handle_result, message, event.meta, started),
            )
        except Exception:  # noqa: BLE001 - container being killed: give it back
            self.queue_consumer.requeue_message(message)

    def _handled(self, message: Any, outcome: Any) -> None:
        outcome = outcome if outcome in ("ok", "duplicate") else "ok"
        metrics.MESSAGES_HANDLED.labels(self.container.service_name, self.event_type, outcome).inc()
        self.queue_consumer.ack_message(message)

    def _timed(self, started: float) -> None:
        metrics.HANDLER_SECONDS.labels(self.container.service_name, self.event_type).observe(
            time.monotonic() - started
        )

    def handle_result(self, message, meta, started, worker_ctx, result=None, exc_info=None):
        self._timed(started)
        if exc_info is None:
            self._handled(message, result)
            return result, exc_info
        reason = f"{exc_info[0].__name__}: {exc_info[1]}"
        attempt = meta.attempt + 1
        if attempt <= len(self.topology.retry_delays):
            self._retry(message, attempt, reason)
        else:
            self._park(message, f"failed after {meta.attempt} retries: {reason}", outcome="parked")
        return result, exc_info

    # -- leaving ---------------------------------------------------------
    def _copy(
        self, message: Any, exchange: str, routing_key: str, headers: dict[str, Any]
    ) -> Outgoing:
        props = message.properties
        body = message.body if isinstance(message.body, bytes) else str(message.body).encode()
        return Outgoing(
            exchange=exchange,
            routing_key=routing_key,
            body=body,
            message_id=str(props.get("message_id") or ""),
            correlation_id=str(props.get("correlation_id") or ""),
            type=str(props.get("type") or self.event_type),
            headers={**(message.headers or {}), **headers},
        )

    def _forward(self, message: Any, outgoing: Outgoing) -> bool:
        try:
            self.messaging.publisher.publish([outgoing])
        except PublishFailed:
            log.warning("could not forward %s; leaving it to the broker", outgoing.message_id)
            self.queue_consumer.requeue_message(message)
            return False
        self.queue_consumer.ack_message(message)
        return True

    def _retry(self, message: Any, attempt: int, reason: str) -> None:
        delay = self.topology.delay_ms(attempt)
        outgoing = self._copy(
            message,
            self.topology.delay_exchange,
            self.queue_name,
            {ATTEMPT_HEADER: attempt, DELAY_HEADER: str(delay), REASON_HEADER: reason[:500]},
        )
        if self._forward(message, outgoing):
            service = self.container.service_name
            metrics.RETRIED.labels(service, self.queue_name).inc()
            metrics.MESSAGES_HANDLED.labels(service, self.event_type, "retried").inc()
            log.warning(
                "%s: attempt %d failed (%s); retrying in %d ms",
                self.handler_name,
                attempt,
                reason,
                delay,
            )

    def _park(self, message: Any, reason: str, *, outcome: str) -> None:
        outgoing = self._copy(
            message,
            "",
            self.topology.parked,
            {
                QUEUE_HEADER: self.queue_name,
                REASON_HEADER: reason[:2000],
                PARKED_BY_HEADER: self.handler_name,
            },
        )
        if self._forward(message, outgoing):
            service = self.container.service_name
            metrics.PARKED.labels(service, self.queue_name).inc()
            metrics.MESSAGES_HANDLED.labels(service, self.event_type, outcome).inc()
            log.error("%s: parked message %s: %s", self.handler_name, outgoing.message_id, reason)


class BatchQueueConsumer(SafeQueueConsumer):
    """The queue consumer of batched subscriptions: its own connection, with a prefetch of
    two batches per queue, so the next batch gathers while one is handled (a service's
    other queues keep the prefetch of ``max_workers``)."""

    @property
    def prefetch_count(self) -> int:
        batches = [2 * provider.batch for provider in self._providers]
        return max([self.container.max_workers, *batches])


class BatchSubscription(Subscription):
    """``subscribe(event_type, batch=N)``: see the module's docstring."""

    queue_consumer = BatchQueueConsumer()

    def __init__(self, event_type: str, *, batch: int, **kwargs: Any) -> None:
        if batch < 1:
            raise ValueError(f"batch must be at least 1, not {batch}")
        self.batch = batch
        super().__init__(event_type, **kwargs)

    def setup(self) -> None:
        super().setup()
        self._waiting: list[tuple[Any, Event]] = []
        self._running = False

    def dispatch(self, message: Any, event: Event) -> None:
        self._waiting.append((message, event))
        if not self._running:
            self._next()

    def _next(self) -> None:
        """Hand what is waiting (up to a batch) to one worker; the next goes when it is done."""
        taken, self._waiting = self._waiting[: self.batch], self._waiting[self.batch :]
        self._running = bool(taken)
        if taken and not self._spawn(taken, alone=False):
            self._running = False

    def _spawn(self, taken: list[tuple[Any, Event]], *, alone: bool) -> bool:
        started = time.monotonic()
        try:
            self.container.spawn_worker(
                self,
                ([event for _, event in taken],),
                {},
                handle_result=partial(self.handle_batch_result, taken, started, alone),
            )
        except Exception:  # noqa: BLE001 - container being killed: give them back
            for message, _ in taken:
                self.queue_consumer.requeue_message(message)
            return False
        return True

    def handle_batch_result(self, taken, started, alone, worker_ctx, result=None, exc_info=None):
        if exc_info is None:
            for (message, _), outcome in zip(taken, result, strict=True):
                self._timed(started)
                self._handled(message, outcome)
        elif len(taken) == 1:
            message, event = taken[0]
            self.handle_result(message, event.meta, started, worker_ctx, None, exc_info)
        else:
            # Taken apart: each message alone, so a bad one is retried or parked by itself.
            log.warning(
                "%s: a batch of %d failed (%s: %s); handling each message alone",
                self.handler_name,
                len(taken),
                exc_info[0].__name__,
                exc_info[1],
            )
            self.container.spawn_managed_thread(partial(self._each_alone, taken))
        if not alone:
            self.container.spawn_managed_thread(self._next)
        return result, exc_info

    def _each_alone(self, taken: list[tuple[Any, Event]]) -> None:
        for item in taken:
            self._spawn([item], alone=True)


def subscribe(event_type: str, *, batch: int | None = None) -> Any:
    """The decorator of an event handler: ``handler(self, payload, meta)``, or with ``batch``
    ``handler(self, events)`` returning an outcome per event (``once_all``)."""
    if batch is None:
        return Subscription.decorator(event_type)
    return BatchSubscription.decorator(event_type, batch=batch)
