"""The gateway's HTTP plumbing: routes that always answer, in JSON or HTML.

``@route(method, url)`` declares a nameko HTTP entrypoint whose handler may
raise: ``gateway.errors`` turns the exception into the response. Whatever
happens, the client gets a clear answer, never a stack trace:

- an exception in ``gateway.errors.TABLE`` (the gateway's own, a remote
  service's, a service that is down), found by its dotted path, gets its
  status and stable code;
- anything else is logged here, with its traceback when the fault is the
  gateway's own and with only the remote class name when it is another
  service's (whose message could hold what a voter typed), and answered
  with a 500 ``internal_error`` that says nothing more;
- an unknown address is a JSON 404 and a wrong method a JSON 405.

Every request is counted in ``rollcall_gateway_requests_total`` and timed in
``rollcall_gateway_request_seconds``, labelled by the route's template
(``/api/ballots/<int:ballot_id>/votes``), never by the raw path.

Request bodies are never logged: they hold access codes and votes. A JSON
answer is always UTF-8, even when it quotes broken text the client sent.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from nameko.exceptions import ContainerBeingKilled, RemoteError
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import MethodNotAllowed as WerkzeugMethodNotAllowed
from werkzeug.exceptions import NotFound as WerkzeugNotFound
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Request, Response

from gateway import errors
from rollcall import metrics

log = logging.getLogger(__name__)

MAX_BODY = 5 * 1024 * 1024
MAX_FORM = 64 * 1024
UNMATCHED = "<unmatched>"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

Renderer = Callable[[errors.Answer, Request], Response]


def observe(method: str, route: str, status: int, seconds: float) -> None:
    metrics.GATEWAY_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    metrics.GATEWAY_SECONDS.labels(route=route).observe(seconds)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    # A lone surrogate (JSON's "\ud800", echoed back in a validation error)
    # cannot be UTF-8: it goes back as the same JSON escape.
    response = Response(
        text.encode("utf-8", "backslashreplace"), status=status, mimetype="application/json"
    )
    response.headers.update(SECURITY_HEADERS)
    if headers:
        response.headers.update(headers)
    return response


def file_response(
    body: str | bytes, mimetype: str, filename: str, disposition: str = "inline"
) -> Response:
    """A file to show (``inline``) or to save (``attachment``) as ``filename``."""
    response = Response(body, status=200, mimetype=mimetype)
    response.headers.update(SECURITY_HEADERS)
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


def json_error(answer: errors.Answer, request: Request | None = None) -> Response:
    headers = dict(answer.headers)
    if answer.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="rollcall"'
    return json_response(answer.status, answer.body, headers)


def limit_body(request: Request, limit: int = MAX_BODY) -> None:
    """Refuse a body over ``limit`` bytes before anything reads it."""
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        raise errors.PayloadTooLarge(
            f"The request is too large: it may be at most {limit // 1024} KiB."
        )


def read_body(request: Request) -> bytes:
    """The request body, refusing one over ``MAX_BODY`` bytes."""
    limit_body(request)
    data = request.stream.read(MAX_BODY + 1)
    if len(data) > MAX_BODY:
        raise errors.PayloadTooLarge(
            f"The request is too large: it may be at most {MAX_BODY // 1024} KiB."
        )
    return data


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def read_json(request: Request) -> Any:
    """The request body parsed as JSON; ``MalformedJson`` when it is not."""
    raw = read_body(request)
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError) as exc:
        raise errors.MalformedJson(
            "The request body is not valid JSON (UTF-8, with double quotes around names)."
        ) from exc


def _log_unexpected(exc: BaseException, request: Request, route: str) -> None:
    where = f"{request.method} {route}"
    if isinstance(exc, RemoteError):
        # The remote service logged its own traceback; its message could
        # hold an argument (an access code), so it stays out of this log.
        log.error("%s: unexpected %s from a remote service", where, exc.exc_type)
    else:
        log.error("%s: unexpected %s", where, type(exc).__name__, exc_info=exc)


def answer_for(exc: BaseException, request: Request, route: str) -> errors.Answer:
    if isinstance(exc, RequestEntityTooLarge):  # Werkzeug's, reading a chunked body
        exc = errors.PayloadTooLarge()
    answer = errors.answer(exc)
    if answer.unexpected:
        _log_unexpected(exc, request, route)
    elif answer.status >= 500:
        log.warning("%s %s: %s", request.method, route, answer.body["error"]["code"])
    return answer


class JsonWsgiApp(WsgiApp):
    """nameko's WSGI app, answering unknown addresses and methods in JSON."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        started = time.perf_counter()
        try:
            provider, values = adapter.match()
        except RequestRedirect as redirect:
            return redirect(environ, start_response)
        except WerkzeugMethodNotAllowed as exc:
            allowed = ", ".join(sorted(exc.valid_methods or ()))
            response = json_error(
                errors.answer(errors.MethodNotAllowed(f"This address accepts {allowed}.")), request
            )
            response.headers["Allow"] = allowed
        except WerkzeugNotFound:
            response = json_error(errors.answer(errors.NotFound()), request)
        else:
            request.path_values = values  # type: ignore[attr-defined]  # nameko reads it
            return provider.handle_request(request)(environ, start_response)
        observe(request.method, UNMATCHED, response.status_code, time.perf_counter() - started)
        return response(environ, start_response)


class JsonWebServer(WebServer):
    def get_wsgi_app(self) -> JsonWsgiApp:
        return JsonWsgiApp(self)


class Route(HttpRequestHandler):
    """An HTTP entrypoint on ``JsonWebServer`` that times and counts each request."""

    server = JsonWebServer()

    def handle_request(self, request: Request) -> Response:
        started = time.perf_counter()
        response: Response = super().handle_request(request)
        observe(request.method, self.url, response.status_code, time.perf_counter() - started)
        return response

    def response_from_exception(self, exc: BaseException) -> Response:
        # Only failures outside the handler reach here: the handler answers its own.
        if isinstance(exc, ContainerBeingKilled):
            return json_error(errors.answer(errors.ServiceUnavailable()))
        log.error("%s: %s outside the handler", self.url, type(exc).__name__, exc_info=exc)
        return json_error(errors.answer(errors.InternalError()))


def route(method: str, url: str, *, render: Renderer = json_error) -> Callable[..., Any]:
    """Declare ``url`` (a Werkzeug rule) for ``method``; errors rendered by ``render``."""

    def decorate(handler: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(handler)
        def answering(service: Any, request: Request, **values: Any) -> Response:
            try:
                return handler(service, request, **values)
            except Exception as exc:  # noqa: BLE001 - answered, and logged when unexpected
                return render(answer_for(exc, request, url), request)

        return Route.decorator(method, url)(answering)

    return decorate
