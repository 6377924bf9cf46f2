"""``rpc``: nameko's RPC entrypoint, with its request queue of the configured type.

nameko 2.14 declares each service's request queue ``rpc-<service>`` as a
classic durable queue and offers no setting for its arguments. This entrypoint
is nameko's own (same wire format, same ``rpc-<service>`` queue, same
callers) except that, with ``queue_type="quorum"``, the queue is declared
``x-queue-type: quorum``, so the calls waiting in it outlive the loss of a
cluster node. Every RPC entrypoint of a service must come from here: one
service's request queue is declared by one consumer, with one set of arguments.

Callers' reply queues (``rpc.reply-<service>-<uuid>``) stay as nameko makes
them: non-durable and expiring, which quorum queues cannot be. A reply queue
on a lost node goes with it; its caller reconnects to another node and
declares it again, and a call whose reply was lost is the caller's to repeat
(every RPC that changes state is idempotent or refuses a repeat).
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


class Rpc(nameko_rpc.Rpc):
    rpc_consumer = RpcConsumer()


rpc = Rpc.decorator
