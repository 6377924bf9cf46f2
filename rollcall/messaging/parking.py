"""The parking lot: list parked messages and replay them.

``replay`` takes parked messages one at a time, republishes each (with
confirm) through the requeue exchange to the queue it was parked from, with
its attempt count reset, and only then acks it in the parking lot. A message
whose original queue no longer exists stays parked. Nothing is deleted here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rollcall.messaging.publisher import ConfirmingPublisher, Outgoing
from rollcall.messaging.topology import ATTEMPT_HEADER, QUEUE_HEADER, REASON_HEADER, Topology


@dataclass(frozen=True)
class Parked:
    message_id: str
    event_type: str
    queue: str
    reason: str
    size: int


def _parked_of(msg: Any) -> Parked:
    headers = msg.properties.get("application_headers") or {}
    return Parked(
        message_id=str(msg.properties.get("message_id") or ""),
        event_type=str(msg.properties.get("type") or ""),
        queue=str(headers.get(QUEUE_HEADER, "")),
        reason=str(headers.get(REASON_HEADER, "")),
        size=len(msg.body or b""),
    )


def browse(
    publisher: ConfirmingPublisher, topology: Topology, limit: int = 100
) -> Iterator[Parked]:
    """Parked messages, oldest first, without removing them (they are requeued unacked)."""
    channel = publisher.channel()
    try:
        seen = 0
        while seen < limit:
            msg = channel.basic_get(topology.parked, no_ack=False)
            if msg is None:
                break
            seen += 1
            yield _parked_of(msg)
    finally:
        channel.close()  # unacked messages go back to the parking lot, in order


def replay(
    publisher: ConfirmingPublisher,
    topology: Topology,
    *,
    limit: int | None = None,
    queue: str | None = None,
    event_type: str | None = None,
) -> list[Parked]:
    """Move parked messages back to their queues; return what was replayed."""
    channel = publisher.channel()
    replayed: list[Parked] = []
    skipped = []
    try:
        while limit is None or len(replayed) < limit:
            msg = channel.basic_get(topology.parked, no_ack=False)
            if msg is None:
                break
            parked = _parked_of(msg)
            if (
                (queue and parked.queue != queue)
                or (event_type and parked.event_type != event_type)
                or not parked.queue
            ):
                skipped.append(msg.delivery_tag)
                continue
            headers = dict(msg.properties.get("application_headers") or {})
            headers[ATTEMPT_HEADER] = 0
            headers.pop(REASON_HEADER, None)
            publisher.publish(
                [
                    Outgoing(
                        exchange=topology.requeue_exchange,
                        routing_key=parked.queue,
                        body=msg.body,
                        message_id=parked.message_id,
                        correlation_id=str(msg.properties.get("correlation_id") or ""),
                        type=parked.event_type,
                        headers=headers,
                    )
                ]
            )
            channel.basic_ack(msg.delivery_tag)
            replayed.append(parked)
        for tag in skipped:
            channel.basic_reject(tag, requeue=True)
    finally:
        channel.close()
    return replayed
