"""An ack (or requeue) lost with its connection does not raise out of the queue consumer.

nameko's own ``QueueConsumer`` ignores amqp's ``ConnectionError`` only; a socket that the
broker node reset raises ``ConnectionResetError`` from ``ack()``, which in a managed thread
kills the whole container (the gateway stopped accepting connections in the cluster
node-loss test). Pure unit test: the message is a stand-in whose ack fails as a reset socket does.
"""

from __future__ import annotations

import pytest
from nameko.messaging import QueueConsumer

from rollcall.messaging.consumer import SafeQueueConsumer
from rollcall.messaging.rpc import ReplyListener, RpcConsumer, RpcQueueConsumer


class _Channel:
    connection = object()  # "alive", as nameko checks before acking


class _ResetMessage:
    channel = _Channel()

    def ack(self) -> None:
        raise ConnectionResetError(104, "Connection reset by peer")

    def requeue(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def test_nameko_alone_lets_a_reset_socket_escape_an_ack():
    with pytest.raises(ConnectionResetError):
        QueueConsumer().ack_message(_ResetMessage())


@pytest.mark.parametrize("consumer", [RpcQueueConsumer, SafeQueueConsumer])
def test_an_ack_or_requeue_lost_with_its_connection_is_not_fatal(consumer):
    consumer().ack_message(_ResetMessage())
    consumer().requeue_message(_ResetMessage())


def test_rpc_requests_and_replies_use_the_tolerant_consumer():
    assert isinstance(RpcConsumer.queue_consumer, RpcQueueConsumer)
    assert isinstance(ReplyListener.queue_consumer, RpcQueueConsumer)
