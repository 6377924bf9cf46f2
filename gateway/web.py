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
- an unknown address is a JSON 404 and a wrong method a JSON 405;
- text no store can keep (a NUL, half a UTF-16 pair) in a path value or a
  query parameter is a 400 ``invalid_request`` before the handler runs, and
  in a body the schemas refuse it (``gateway.schemas.Strict``);
- a whole number in a path is ASCII digits up to ``MAX_ID`` (``/api/ballots/٣``
  and ``/api/ballots/99999999999`` are 404s, never a database's overflow);
- JSON nested deeper than ``MAX_DEPTH`` is ``malformed_json``; a chunked body
  over the limit is a 413, as one with a ``Content-Length`` is;
- what the HTTP server itself refuses (a header line over ``MAX_HEADER_LINE``,
  a bad ``Content-Length``, a request line over ``MAX_REQUEST_LINE``) is
  answered in the same JSON shape (``JsonProtocol``).

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
from http import HTTPStatus
from typing import Any

from eventlet import wsgi
from nameko.exceptions import ContainerBeingKilled, RemoteError
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from werkzeug.exceptions import MethodNotAllowed as WerkzeugMethodNotAllowed
from werkzeug.exceptions import NotFound as WerkzeugNotFound
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter, Map, RequestRedirect
from werkzeug.wrappers import Request, Response

from gateway import errors, schemas
from rollcall import metrics

log = logging.getLogger(__name__)

MAX_BODY = 5 * 1024 * 1024
MAX_FORM = 64 * 1024
#: Deepest nesting of arrays and objects a JSON body may have (the deepest we accept is 3).
MAX_DEPTH = 32
#: Largest id in a path: PostgreSQL's ``integer``.
MAX_ID = 2**31 - 1
#: The HTTP server's limits (eventlet's defaults), answered in JSON when passed.
MAX_REQUEST_LINE = wsgi.MAX_REQUEST_LINE
MAX_HEADER_LINE = wsgi.MAX_HEADER_LINE
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
    # One byte more than allowed may be read, so a chunked body (no length
    # to check first) that is over the limit is told apart from one at it.
    request.max_content_length = MAX_BODY + 1
    data = request.stream.read(MAX_BODY + 1)
    if len(data) > MAX_BODY:
        raise errors.PayloadTooLarge(
            f"The request is too large: it may be at most {MAX_BODY // 1024} KiB."
        )
    return data


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def depth(value: Any) -> int:
    """How deeply arrays and objects nest in ``value`` (a scalar: 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item if isinstance(child, dict | list))
    return deepest


def read_json(request: Request) -> Any:
    """The request body parsed as JSON; ``MalformedJson`` when it is not, or nests too deep."""
    return parse_json(read_body(request))


def parse_json(raw: bytes) -> Any:
    """``raw`` parsed as JSON; ``MalformedJson`` when it is not, or nests too deep."""
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError) as exc:
        raise errors.MalformedJson(
            "The request body is not valid JSON (UTF-8, with double quotes around names)."
        ) from exc
    except RecursionError as exc:  # the parser's own guard, long before MAX_DEPTH matters
        raise errors.MalformedJson(_too_deep()) from exc
    if depth(data) > MAX_DEPTH:
        raise errors.MalformedJson(_too_deep())
    return data


def _too_deep() -> str:
    return f"The request body nests arrays and objects more than {MAX_DEPTH} deep."


def ballot_number(raw: str) -> int:
    """A ballot number typed into a form or a query; ``InvalidRequest`` unless ASCII digits up to ``MAX_ID``."""
    # str.isdigit takes "²" and "٣", which int refuses or reads as another number.
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_ID:
        raise errors.InvalidRequest("A ballot number is made of the digits 0 to 9 only.")
    return int(raw)


def check_request(request: Request, values: dict[str, Any]) -> None:
    """404 for an id over ``MAX_ID``; 400 for text no store can keep in the path or the query."""
    if any(isinstance(v, int) and v > MAX_ID for v in values.values()):
        raise errors.NotFound()
    found = schemas.unstorable(values)
    query = {k: v[0] if len(v) == 1 else v for k, v in request.args.lists()}
    found.update(schemas.unstorable(query))
    if found:
        raise errors.InvalidRequest(
            "The address holds a control character or broken text.", fields=found
        )


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
        if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
            # eventlet decodes chunks and ends the stream itself: Werkzeug may
            # then read it, up to the route's limit (a 413 past it), instead of
            # taking it for empty.
            environ["wsgi.input_terminated"] = True
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


class AsciiInteger(IntegerConverter):
    """``<int:...>`` in a path: ASCII digits only (``\\d`` takes ``٣``).

    ``MAX_ID`` is held by the route (``check_request``), not here: Werkzeug
    answers 405 when a converter refuses a value that another method's rule
    would have refused too.
    """

    regex = r"[0-9]+"


def _raw_answer(status: int, reason: str, exc: errors.GatewayError) -> bytes:
    """A whole HTTP/1.0 response with ``exc``'s JSON answer, for the server to write itself."""
    response = json_error(errors.answer(exc))
    body = response.get_data()
    head = [f"HTTP/1.0 {status} {reason}", "Connection: close", f"Content-Length: {len(body)}"]
    head += [
        f"{name}: {value}" for name, value in response.headers.items() if name != "Content-Length"
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class JsonProtocol(HttpOnlyProtocol):  # type: ignore[misc]  # eventlet is untyped
    """eventlet's HTTP protocol, answering what it refuses before the app in JSON, not empty."""

    def _read_request_line(self) -> Any:
        line = super()._read_request_line()
        if len(line) >= self.server.url_length_limit:
            self.wfile.write(
                _raw_answer(
                    414,
                    "URI Too Long",
                    errors.UriTooLong(
                        f"The address is too long: at most {MAX_REQUEST_LINE:,} characters."
                    ),
                )
            )
            return ""  # eventlet closes the connection on an empty line
        return line

    def parse_request(self) -> bool:
        try:
            if not super().parse_request():
                return False
        except (wsgi.HeaderLineTooLong, wsgi.HeadersTooLarge):
            self._refuse(f"A header is too long: at most {MAX_HEADER_LINE:,} bytes a line.")
            return False
        length = self.headers.get("content-length")
        if length is not None:
            if not (length.isascii() and length.strip().isdigit()):
                self._refuse("The Content-Length header is not a whole number of bytes.")
                return False
            if self.headers.get("transfer-encoding") is not None:
                self._refuse("Send Content-Length or Transfer-Encoding, not both.")
                return False
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server's own refusals (a bad request line, too many headers), in JSON.
        self.close_connection = True
        status = HTTPStatus(code if 400 <= code < 500 else 400)
        exc = errors.BadHttpRequest(f"The request is not valid HTTP: {message or status.phrase}.")
        self.wfile.write(_raw_answer(status.value, status.phrase, exc))

    def _refuse(self, message: str) -> None:
        self.close_connection = True
        self.wfile.write(_raw_answer(400, "Bad Request", errors.BadHttpRequest(message)))


class JsonWebServer(WebServer):
    def get_wsgi_app(self) -> JsonWsgiApp:
        return JsonWsgiApp(self)

    def get_wsgi_server(
        self, sock: Any, wsgi_app: Any, protocol: Any = None, debug: bool = False
    ) -> Any:
        return super().get_wsgi_server(sock, wsgi_app, protocol=JsonProtocol, debug=debug)

    def make_url_map(self) -> Map:
        url_map = Map(converters={"int": AsciiInteger})
        for provider in self._providers:
            rule = provider.get_url_rule()
            rule.endpoint = provider
            url_map.add(rule)
        return url_map


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
                check_request(request, values)
                return handler(service, request, **values)
            except Exception as exc:  # noqa: BLE001 - answered, and logged when unexpected
                return render(answer_for(exc, request, url), request)

        return Route.decorator(method, url)(answering)

    return decorate
