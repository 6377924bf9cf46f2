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
"""

from __future__ import annotations

from nameko import rpc as nameko_rpc

from rollcall.messaging.topology import QUEUE_ARGUMENTS
from rollcall.runtime import settings_of


class RpcConsumer(nameko_rpc.RpcConsumer):
    def setup(self) -> None:
        super().setup()
        extra = QUEUE_ARGUMENTS[settings_of(self.container).queue_type]
        if extra:
            self.queue.queue_arguments = {**(self.queue.queue_arguments or {}), **extra}


class ReplyListener(nameko_rpc.ReplyListener):
    def setup(self) -> None:
        super().setup()
        if settings_of(self.container).queue_type == "quorum":
            self.queue.durable = False


class Rpc(nameko_rpc.Rpc):
    rpc_consumer = RpcConsumer()


rpc = Rpc.decorator
