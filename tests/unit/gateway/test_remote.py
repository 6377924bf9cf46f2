"""A remote exception reaches the gateway with the dotted path of its class."""

from __future__ import annotations

import pytest
from nameko.exceptions import serialize
from nameko.rpc import RpcReply

from gateway import remote
from gateway.errors import ServiceError
from services.tally.errors import BallotNotFound


def replied(body: dict) -> RpcReply:
    reply = RpcReply(reply_event=None)
    reply.resp_body = body
    return reply


def test_a_remote_exception_keeps_its_class_path_and_words():
    with pytest.raises(ServiceError) as caught:
        remote._result(replied({"error": serialize(BallotNotFound("ballot 9 does not exist"))}))
    error = caught.value
    assert error.exc_path == "services.tally.errors.BallotNotFound"
    assert (error.exc_type, error.value) == ("BallotNotFound", "ballot 9 does not exist")


def test_an_answer_passes_through():
    assert remote._result(replied({"result": {"seq": 3}, "error": None})) == {"seq": 3}
