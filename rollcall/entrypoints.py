"""What every service's nameko entrypoints share: one unit of work, then the relay.

``ServiceBase`` gives a service its database (``store``), its outbox relay
(``relay``) and ``get_audit_head`` (``rollcall.audit.AuditedService``), and three
ways for an entrypoint to do its work, so each entrypoint is a line or two:

- ``write(work)``: run ``work(session)`` in one transaction, then wake the relay
  so the events the work wrote to the outbox leave at once (only if it wrote
  any: a relay step is a transaction of its own, and on SQLite it takes the
  write lock, so waking it for nothing cost a handler's worth per event). A transaction
  PostgreSQL rolled back as a deadlock victim or a serialisation failure is run
  again (``ATTEMPTS`` in all): ``work`` touches only its session, and its events
  leave only after a commit, so a second run is exactly a first one;
- ``read(work)``: run ``work(session)`` in a transaction that writes nothing new;
- ``on_event(meta, apply)``: apply an event exactly once (the inbox row and the
  effect commit together, ``rollcall.messaging.consumer.once``), then wake the relay
  if the effect emitted an event;
- ``on_events(events, apply)``: the same for a batch (``subscribe(..., batch=N)``):
  ``apply(session, payloads)`` once with the payloads not seen before.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from rollcall.audit import AuditedService
from rollcall.db import is_transient
from rollcall.messaging.consumer import Event, EventMeta, once, once_all
from rollcall.messaging.outbox import OutboxRelay, emitted
from rollcall.runtime import Store

T = TypeVar("T")
#: How many times ``write`` runs a transaction that keeps being rolled back as transient.
ATTEMPTS = 4


class ServiceBase(AuditedService):
    """The base of every service class (the gateway keeps its own: it has no outbox)."""

    store = Store()
    relay = OutboxRelay()

    def write(self, work: Callable[[Session], T]) -> T:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with self.store.transaction() as session:
                    result = work(session)
                    wrote = emitted(session)
                break
            except DBAPIError as exc:
                if attempt == ATTEMPTS or not is_transient(exc):
                    raise
                time.sleep(random.uniform(0.01, 0.05) * attempt)
        if wrote:
            self.relay.kick()
        return result

    def read(self, work: Callable[[Session], T]) -> T:
        with self.store.transaction() as session:
            return work(session)

    def on_event(self, meta: EventMeta, apply: Callable[[Session], Any]) -> str:
        return self._kicking(lambda effect: once(self.store, meta, effect), apply)

    def on_events(
        self, events: list[Event], apply: Callable[[Session, list[dict[str, Any]]], Any]
    ) -> list[str]:
        return self._kicking(lambda effect: once_all(self.store, events, effect), apply)

    def _kicking(self, run: Callable[[Callable[..., Any]], T], apply: Callable[..., Any]) -> T:
        """``run(effect)``, where ``effect`` is ``apply`` noting whether it emitted an event;
        then the relay is woken if it did."""
        wrote = False

        def effect(session: Session, *args: Any) -> Any:
            nonlocal wrote
            result = apply(session, *args)
            wrote = emitted(session)
            return result

        outcome = run(effect)
        if wrote:
            self.relay.kick()
        return outcome
