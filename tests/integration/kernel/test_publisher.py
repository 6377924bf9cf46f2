"""The confirming publisher on the real broker: batch after batch on one confirm-mode channel,
every message confirmed and delivered, and a fresh channel after the connection was dropped."""

from __future__ import annotations

import uuid

import pytest

from rollcall.messaging.publisher import ConfirmingPublisher, Outgoing

pytestmark = pytest.mark.integration


def _batch(queue: str, n: int) -> list[Outgoing]:
    return [
        Outgoing(exchange="", routing_key=queue, body=b"{}", message_id=uuid.uuid4().hex)
        for _ in range(n)
    ]


def _waiting(publisher: ConfirmingPublisher, queue: str) -> int:
    channel = publisher.channel()
    try:
        return int(channel.queue_declare(queue, passive=True).message_count)
    finally:
        channel.close()


def test_batches_share_one_confirm_channel_until_the_connection_drops(vhost):
    publisher = ConfirmingPublisher(vhost)
    queue = f"publisher-test-{uuid.uuid4().hex[:8]}"
    try:
        setup = publisher.channel()
        setup.queue_declare(queue, durable=False, auto_delete=False)
        setup.close()
        publisher.publish(_batch(queue, 3))
        first = getattr(publisher, "_confirming", None)
        publisher.publish(_batch(queue, 2))
        publisher.publish(_batch(queue, 1))
        assert first is not None and publisher._confirming is first
        assert _waiting(publisher, queue) == 6
        publisher.close()  # as after a failed batch
        publisher.publish(_batch(queue, 4))
        assert publisher._confirming is not first
        assert _waiting(publisher, queue) == 10
    finally:
        channel = publisher.channel()
        channel.queue_delete(queue)
        channel.close()
        publisher.close()
