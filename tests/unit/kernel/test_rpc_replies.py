"""An RPC's reply is published without publisher confirms (``rollcall.messaging.rpc``): the
caller's deadline already covers a lost reply, and the confirm cost every call a round trip
to the broker. Checked on kombu's in-memory transport: the reply goes out, the request is
acked, and the producer it went through was made for a connection without confirms."""

from __future__ import annotations

from types import SimpleNamespace

import kombu.pools
from kombu.message import Message
from nameko.constants import AMQP_URI_CONFIG_KEY

from rollcall.messaging.rpc import RpcConsumer


def _producer_keys() -> list[str]:
    # kombu keys each producer pool by its connection's details, transport options included.
    return [str(key) for key in kombu.pools.producers if "memory" in str(key)]


def test_a_reply_goes_out_unconfirmed_and_the_request_is_acked():
    acked: list[Message] = []
    consumer = RpcConsumer()
    consumer.container = SimpleNamespace(  # type: ignore[assignment]
        config={AMQP_URI_CONFIG_KEY: "memory://"}, service_name="tally"
    )
    consumer.queue_consumer = SimpleNamespace(ack_message=acked.append)  # type: ignore[assignment]
    request = Message(
        body="{}",
        content_type="application/json",
        properties={
            "content_type": "application/json",
            "reply_to": "rpc.reply-test",
            "correlation_id": "c-1",
        },
    )
    kombu.pools.reset()
    try:
        result, exc_info = consumer.handle_result(request, {"receipt": "r"}, None)
        assert (result, exc_info) == ({"receipt": "r"}, None)
        assert acked == [request]
        keys = _producer_keys()
        assert keys, "the reply was published through a pooled producer"
        assert all("'confirm_publish': False" in key for key in keys), keys
    finally:
        kombu.pools.reset()
