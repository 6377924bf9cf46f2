"""docs/operations.md's signed bounce webhook call is one the gateway accepts."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from gateway.bounces import BounceEventsSchema, check
from gateway.schemas import load

ROOT = Path(__file__).resolve().parents[3]


def test_the_documented_webhook_call_is_signed_the_way_the_gateway_checks_it():
    text = (ROOT / "docs/operations.md").read_text()
    section = text.split("## Bounces that come back later", 1)[1]
    (example,) = re.findall(r"```python\n(.*?)```", section.split("\n## ", 1)[0], re.S)
    scope: dict = {}
    exec(compile(example, "operations.md", "exec"), scope)  # noqa: S102 - our own doc
    secret, body, headers = scope["secret"], scope["body"], scope["headers"]
    check(headers["X-Rollcall-Signature"], body, secret, time.time(), 300)
    events = load(BounceEventsSchema(), json.loads(body))["events"]
    assert events[0]["severity"] == "hard" and events[0]["message_id"]
