"""Calls from the gateway to the other services, each with a deadline.

``self.remote.tally.get_result(3)`` is an ordinary nameko RPC, except that:

- it gives up after ``GATEWAY_RPC_TIMEOUT`` seconds (nameko config; default
  ``DEFAULT_TIMEOUT``) and raises ``ServiceUnavailable``, so a service that
  is down or a broker that is stuck is a 503, never a hung request;
- the request message expires from its queue at the same deadline, so a
  service that comes back later does not act on a request whose caller has
  already been told it failed;
- a service with no queue at all (``UnknownService``) and a broker that
  cannot be reached are ``ServiceUnavailable`` too.

An exception the service raised arrives as ``gateway.errors.ServiceError``
(a ``RemoteError`` that keeps the dotted path of the remote class, which
``gateway.errors`` maps by).
"""

from __future__ import annotations

import logging
from typing import Any

import eventlet
from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError, UnknownService
from nameko.extensions import DependencyProvider
from nameko.rpc import MethodProxy, RpcReply

from gateway.errors import ServiceError, ServiceUnavailable
from rollcall.messaging.rpc import ReplyListener

TIMEOUT_KEY = "GATEWAY_RPC_TIMEOUT"
DEFAULT_TIMEOUT = 15.0

log = logging.getLogger(__name__)


def _result(reply: RpcReply) -> Any:
    """The reply's result; a remote exception as ``ServiceError``, with its class's path."""
    try:
        return reply.result()
    except RemoteError as exc:
        error = reply.resp_body["error"]
        path = str(error.get("exc_path") or "")
        raise ServiceError(exc.exc_type, exc.value, path, error.get("exc_args")) from None


class _Method:
    def __init__(self, services: RemoteServices, service: str, method: str) -> None:
        self.services = services
        self.service = service
        self.method = method

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.services.call(self.service, self.method, *args, **kwargs)


class _Service:
    def __init__(self, services: RemoteServices, service: str) -> None:
        self.services = services
        self.service = service

    def __getattr__(self, method: str) -> _Method:
        return _Method(self.services, self.service, method)


class RemoteServices:
    """What a worker sees: ``remote.<service>.<method>(...)``."""

    def __init__(self, worker_ctx: Any, listener: ReplyListener, timeout: float) -> None:
        self.worker_ctx = worker_ctx
        self.listener = listener
        self.timeout = timeout

    def __getattr__(self, service: str) -> _Service:
        return _Service(self, service)

    def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        deadline = eventlet.Timeout(self.timeout)
        try:
            proxy = MethodProxy(
                self.worker_ctx, service, method, self.listener, expiration=self.timeout
            )
            return _result(proxy.call_async(*args, **kwargs))
        except eventlet.Timeout as exc:
            if exc is not deadline:
                raise
            log.warning("%s.%s gave no answer within %.1fs", service, method, self.timeout)
            raise ServiceUnavailable(f"{service} did not answer in time") from None
        except UnknownService:
            log.warning("%s.%s: no %s service is running", service, method, service)
            raise ServiceUnavailable(f"{service} is not running") from None
        except (OperationalError, ConnectionError) as exc:
            log.warning("%s.%s: cannot reach the broker: %s", service, method, exc)
            raise ServiceUnavailable("the message broker cannot be reached") from None
        finally:
            deadline.cancel()


class Remote(DependencyProvider):
    """Gives a worker ``RemoteServices`` sharing one reply queue per container."""

    rpc_reply_listener = ReplyListener()

    def get_dependency(self, worker_ctx: Any) -> RemoteServices:
        timeout = float(self.container.config.get(TIMEOUT_KEY, DEFAULT_TIMEOUT))
        return RemoteServices(worker_ctx, self.rpc_reply_listener, timeout)
