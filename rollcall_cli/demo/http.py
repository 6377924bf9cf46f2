"""The demo's HTTP clients: each tries again while a service restarts.

The gateway answers 503 ("not answering just now") when a service behind it
does not answer in time, as while ``--chaos`` restarts it; a real officer or
voter would try again a little later, and so do the demo's. ``session()`` is
a ``requests`` session whose connections retry (urllib3's ``Retry``) a 503
or a refused connection with a backoff of 0.5, 1, 2, 4, then 5 seconds, for
about a minute, before the demo takes the answer it got.

Every request the demo sends through it may be sent twice safely:

- a vote carries a ``request_id`` (``vote_body``): sent again, it is
  answered with the receipt it got the first time (``gateway.voting``);
- a postal batch carries its batch id: entered again, it is answered from
  the record, not entered twice;
- a review decision or a row correction is refused as "already decided"
  when an earlier attempt went through; the demo then asks whether it did
  (``rollcall_cli.demo.reach``, ``rollcall_cli.demo.ballot``);
- a replacement request sent twice sends two codes, the second replacing the
  first; the demo votes with the newest (``rollcall_cli.demo.replacements``);
- GETs change nothing.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

#: About a minute: 0.5 + 1 + 2 + 4 + 5 * 11 seconds between 16 attempts.
ATTEMPTS = 15
#: The attempts tried again in this process, by what they met (an HTTP status or an error).
RETRIED: Counter[str] = Counter()


def retry() -> Retry:
    """Try a 503 or a refused connection again, for any method (see the module's list)."""
    return Retry(
        total=ATTEMPTS,
        connect=ATTEMPTS,
        read=0,
        status=ATTEMPTS,
        other=0,
        status_forcelist=(503,),
        allowed_methods=None,
        backoff_factor=0.5,
        backoff_max=5.0,
        respect_retry_after_header=True,
        raise_on_status=False,
    )


class Patient(HTTPAdapter):
    """An adapter that retries as ``retry()`` says, optionally from its own source address."""

    def __init__(self, source_address: str | None = None) -> None:
        self.source_address = source_address
        super().__init__(max_retries=retry())

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        if self.source_address:
            kwargs["source_address"] = (self.source_address, 0)
        super().init_poolmanager(*args, **kwargs)


def _count_retries(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    for attempt in getattr(getattr(response.raw, "retries", None), "history", ()) or ():
        RETRIED[str(attempt.status) if attempt.status else type(attempt.error).__name__] += 1


def session(source_address: str | None = None) -> requests.Session:
    """A session that rides out a service's restart (``source_address``: connect from it)."""
    client = requests.Session()
    client.hooks["response"].append(_count_retries)
    adapter = Patient(source_address)
    client.mount("http://", adapter)
    client.mount("https://", adapter)
    return client


def vote_body(code: str, marks: list[str] | dict[str, Any]) -> dict[str, Any]:
    """A vote as the demo sends it: with a request id of its own, so sending it again is safe.

    ``marks``: a list of choices, or the marks as the API takes them (``{"choices": [...]}``
    or ``{"contests": {id: [...]}}``, as ``rollcall_cli.demo.paper`` makes them).
    """
    paper = {"choices": marks} if isinstance(marks, list) else dict(marks)
    return {"code": code, **paper, "request_id": uuid.uuid4().hex}
