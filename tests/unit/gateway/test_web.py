"""The gateway's HTTP plumbing: a JSON answer is always UTF-8 JSON."""

from __future__ import annotations

import json

from gateway.web import json_response


def test_an_answer_quoting_broken_text_is_still_utf8_json():
    response = json_response(
        400, {"error": {"fields": {"x\ud800": ["Unknown field."]}, "n": "Zoë"}}
    )
    body = response.get_data()
    body.decode("utf-8")
    assert json.loads(body) == {"error": {"fields": {"x\ud800": ["Unknown field."]}, "n": "Zoë"}}
    assert "Zoë".encode() in body
