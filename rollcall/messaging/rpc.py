"""``rpc``: nameko's RPC entrypoint, with its request queue of the configured type.

nameko 2.14 declares each service's request queue ``rpc-<service>`` as a
classic durable queue and offers no setting for its arguments. This entrypoint
is nameko's own (same wire format, same ``rpc-<service>`` queue, same
callers) except that, with ``queue_type="quorum"``, the queue is declared
``x-queue-type: quorum``, so the calls waiting in it outlive the loss of a
cluster node. Every RPC entrypoint of a service must come from here: one
service's request queue is declared by one consumer, with one set of arguments.

A caller's reply queue (``rpc.reply-<service>-<uuid>``, ``ReplyListener``
here) belongs to one running process and expires without it. nameko declares
it durable, on the node its caller is connected to; on a cluster a durable
classic queue whose node is down can be neither used nor declared again
elsewhere, and nameko's consumer, which shares one connection among all of a
service's queues, would stop consuming everything until that node returned.
So with ``queue_type="quorum"`` the reply queue is non-durable: RabbitMQ
deletes it with its node, and the caller, reconnecting to another node,
declares it there. A call whose reply was lost with the node is the caller's
to repeat (every RPC that changes state is idempotent or refuses a repeat).

For the same reason a reply is published without publisher confirms (nameko
waits for the broker's confirm of every reply): a confirm cannot make a
reply's delivery surer than its caller's deadline does, and it cost every
call a round trip to the broker and the broker the work of confirming
(``docs/scaling.md``, "Votes"). Requests keep theirs: a caller learns from
the confirm that no service is there to answer (``UnknownService``).
"""

from __future__ import annotations

import logging
from typing import Any

from amqp.exceptions import RecoverableConnectionError
from nameko import rpc as nameko_rpc
from nameko.amqp.publish import Publisher
from nameko.messaging import QueueConsumer

from rollcall.messaging.topology import QUEUE_ARGUMENTS
from rollcall.runtime import settings_of

log = logging.getLogger(__name__)


class TolerantAcks:
    """A queue consumer's ack and requeue that outlive the connection they were for.

    nameko ignores amqp's ``ConnectionError`` there but not the socket's own: when a broker
    node goes between a message's delivery and its ack, ``ack()`` raises
    ``ConnectionResetError``, and nameko, raising it in a managed thread, kills the whole
    container — a gateway that then accepts no connection again (found by the cluster
    node-loss test in CI). Nothing is lost by ignoring it: the broker hands an unacked
    message out again once the connection is gone (a request or an event), or the message
    went with its node (a reply, whose caller's deadline answers for it).
    """

    def ack_message(self, message: Any) -> None:
        try:
            super().ack_message(message)  # type: ignore[misc]
        except (OSError, RecoverableConnectionError) as exc:
            log.warning("a message's ack was lost with its connection (%s)", exc)

    def requeue_message(self, message: Any) -> None:
        try:
            super().requeue_message(message)  # type: ignore[misc]
        except (OSError, RecoverableConnectionError) as exc:
            log.warning("a message's requeue was lost with its connection (%s)", exc)


class RpcQueueConsumer(TolerantAcks, QueueConsumer):
    """The queue consumer of RPC requests and replies (one per container, as nameko's)."""


class ReplyPublisher(Publisher):
    """Publishes a reply without waiting for the broker's confirm."""

    use_confirms = False


class Responder(nameko_rpc.Responder):
    publisher_cls = ReplyPublisher


class RpcConsumer(nameko_rpc.RpcConsumer):
    queue_consumer = RpcQueueConsumer()

    def setup(self) -> None:
        super().setup()
        extra = QUEUE_ARGUMENTS[settings_of(self.container).queue_type]
        if extra:
            self.queue.queue_arguments = {**(self.queue.queue_arguments or {}), **extra}

    def handle_result(self, message: Any, result: Any, exc_info: Any) -> Any:
        """nameko's, with a ``Responder`` whose replies are not confirmed."""
        config = self.container.config
        responder = Responder(
            config[nameko_rpc.AMQP_URI_CONFIG_KEY],
            nameko_rpc.get_rpc_exchange(config),
            config.get(nameko_rpc.SERIALIZER_CONFIG_KEY, nameko_rpc.DEFAULT_SERIALIZER),
            message,
            ssl=config.get(nameko_rpc.AMQP_SSL_CONFIG_KEY),
            login_method=config.get(nameko_rpc.LOGIN_METHOD_CONFIG_KEY),
        )
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class ReplyListener(nameko_rpc.ReplyListener):
    queue_consumer = RpcQueueConsumer()

    def setup(self) -> None:
        super().setup()
        if settings_of(self.container).queue_type == "quorum":
            self.queue.durable = False


class Rpc(nameko_rpc.Rpc):
    rpc_consumer = RpcConsumer()


rpc = Rpc.decorator
