"""The demo's HTTP clients ride out a service's restart: a 503 or a refused connection is
tried again with a backoff, a final answer is taken as it is, and each retry is counted."""

from __future__ import annotations

import http.server as httpserver
import socket
import threading
import time

import pytest

from rollcall_cli.demo import http


class _Flaky(httpserver.BaseHTTPRequestHandler):
    """Answers 503 to the first ``unavailable`` requests, then ``final``."""

    unavailable = 2
    final = 201
    seen: list[tuple[str, bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Flaky.seen.append((self.path, body))
        status = 503 if len(_Flaky.seen) <= _Flaky.unavailable else _Flaky.final
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky():  # type: ignore[no-untyped-def]
    _Flaky.seen = []
    server = httpserver.HTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_post_answered_503_is_sent_again_until_it_is_answered(flaky):  # type: ignore[no-untyped-def]
    http.RETRIED.clear()
    body = http.vote_body("ABCDEF-GHJKMN-PQRST", ["Ada Lovelace"])
    answer = http.session().post(f"http://127.0.0.1:{flaky.server_port}/votes", json=body)
    assert answer.status_code == 201
    assert len(_Flaky.seen) == 3 and len({b for _, b in _Flaky.seen}) == 1, "the same body again"
    assert http.RETRIED["503"] == 2


def test_a_refusal_is_not_tried_again(flaky):  # type: ignore[no-untyped-def]
    _Flaky.unavailable, _Flaky.final = 0, 409
    try:
        answer = http.session().post(f"http://127.0.0.1:{flaky.server_port}/votes", json={})
    finally:
        _Flaky.unavailable, _Flaky.final = 2, 201
    assert answer.status_code == 409 and len(_Flaky.seen) == 1


def test_a_refused_connection_is_tried_again_until_the_server_is_back():  # type: ignore[no-untyped-def]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _Flaky.seen, _Flaky.unavailable = [], 0
    server = httpserver.HTTPServer  # bound after a delay, as a restarted process would

    def come_back() -> None:
        time.sleep(1.0)
        started = server(("127.0.0.1", port), _Flaky)
        threading.Thread(target=started.serve_forever, daemon=True).start()
        stop.append(started)

    stop: list[httpserver.HTTPServer] = []
    threading.Thread(target=come_back, daemon=True).start()
    try:
        answer = http.session().post(f"http://127.0.0.1:{port}/votes", json={})
    finally:
        _Flaky.unavailable = 2
        for started in stop:
            started.shutdown()
            started.server_close()
    assert answer.status_code == 201 and len(_Flaky.seen) == 1


def test_each_vote_has_a_request_id_of_its_own():  # type: ignore[no-untyped-def]
    a, b = (http.vote_body("C", ["Ada Lovelace"])["request_id"] for _ in range(2))
    assert a != b and 16 <= len(a) <= 64
