"""Input a user can send that once got a 500: each is a 4xx that says what was wrong.

A NUL (which PostgreSQL refuses in text) or half a UTF-16 pair (which no
encoder writes) anywhere in a body, a path or a query; JSON nested a thousand
or a hundred thousand deep; digits of other scripts where a number goes; what
the HTTP server itself refuses (an over-long header, a bad Content-Length)
and a chunked body over the limit. Each is refused before any service is
asked, in JSON (the HTML page on the voting form).
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from tests.integration.gateway import standins
from tests.integration.gateway.harness import Gateway, error_of

BALLOT = f"/api/ballots/{standins.OPEN}"
NUL = "\\u0000"  # as JSON escapes them
SURROGATE = "\\ud800"


def post_raw(gateway: Gateway, path: str, body: str, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    return gateway.post(path, token, data=body.encode("ascii"), headers=headers)


def refused(response: Any, field: str, code: str = "invalid_request") -> dict[str, Any]:
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["code"] == code, error
    assert field in error.get("fields", {}), error
    return error


# -- NUL and lone surrogates, in every kind of field ------------------------------------
def test_nul_in_a_roll_check_is_400_naming_the_field(gateway):
    body = f'{{"membership_number": "M{NUL}1", "postcode": "E8 1AA"}}'
    refused(post_raw(gateway, f"{BALLOT}/roll-check", body), "membership_number")
    assert standins.CALLS == []


def test_nul_in_a_postal_paper_and_in_a_batch_id_are_400(gateway):
    teller = gateway.user("teller", ballot_id=standins.OPEN)
    paper = (
        f'{{"batch_id": "B1", "papers": [{{"membership_number": "M{NUL}", "choices": ["Ada"]}}]}}'
    )
    refused(
        post_raw(gateway, f"{BALLOT}/postal-batches", paper, teller), "papers.0.membership_number"
    )
    batch = (
        f'{{"batch_id": "B{NUL}", "papers": [{{"membership_number": "M1", "choices": ["Ada"]}}]}}'
    )
    refused(post_raw(gateway, f"{BALLOT}/postal-batches", batch, teller), "batch_id")
    assert standins.CALLS == []


def test_nul_in_a_complaint_subject_is_400(gateway):
    body = f'{{"subject": "a{NUL}b"}}'
    refused(post_raw(gateway, f"{BALLOT}/complaints", body, gateway.user("operator")), "subject")


def test_a_lone_surrogate_in_vote_choices_is_400(gateway):
    body = f'{{"code": "GOOD-CODE-0001", "choices": ["Ada{SURROGATE}"]}}'
    refused(post_raw(gateway, f"{BALLOT}/votes", body), "choices.0")
    assert standins.CALLS == []


def test_a_lone_surrogate_in_a_reviews_elector_id_is_400(gateway):
    body = f'{{"elector_id": "E{SURROGATE}", "reason": "same person"}}'
    response = post_raw(gateway, "/api/reviews/1/decision", body, gateway.user("officer", "HACK"))
    refused(response, "elector_id")
    assert standins.CALLS == []


def test_a_lone_surrogate_in_a_postal_paper_is_400(gateway):
    teller = gateway.user("teller", ballot_id=standins.OPEN)
    body = f'{{"batch_id": "B1", "papers": [{{"membership_number": "M1", "choices": ["{SURROGATE}"]}}]}}'
    refused(post_raw(gateway, f"{BALLOT}/postal-batches", body, teller), "papers.0.choices.0")


def test_a_lone_surrogate_in_complaint_evidence_is_400(gateway):
    body = f'{{"text": "seen {SURROGATE} there"}}'
    response = post_raw(gateway, "/api/complaints/1/evidence", body, gateway.user("operator"))
    refused(response, "text")


def test_a_lone_surrogate_in_a_field_name_is_400_and_the_answer_is_utf8(gateway):
    body = f'{{"code": "X", "choices": ["Ada"], "{SURROGATE}": 1}}'
    response = post_raw(gateway, f"{BALLOT}/votes", body)
    assert response.status_code == 400 and error_of(response)["code"] == "invalid_request"
    response.content.decode("utf-8")


def test_nul_in_a_path_value_or_a_query_is_400(gateway):
    officer = gateway.user("officer", "HACK")
    path = gateway.post(
        f"{BALLOT}/members/M%001/corrections",
        officer,
        json={"changes": {"town": "Hackney"}, "reason": "typo"},
    )
    refused(path, "membership_number")
    query = gateway.get(f"{BALLOT}/reviews?association=HA%00CK", officer)
    refused(query, "association")
    receipt = gateway.get(f"{BALLOT}/receipts/%ED%A0%80%00")
    assert receipt.status_code == 400 and error_of(receipt)["code"] == "invalid_request"
    assert standins.CALLS == []


# -- nesting ----------------------------------------------------------------------------
@pytest.mark.parametrize("levels", [1_000, 100_000])
def test_json_nested_deep_is_400_malformed_json(gateway, levels):
    body = "[" * levels + "]" * levels
    response = post_raw(gateway, f"{BALLOT}/votes", body)
    assert response.status_code == 400 and error_of(response)["code"] == "malformed_json"
    nested = '{"code": "X", "choices": ' + "[" * 40 + "]" * 40 + "}"
    response = post_raw(gateway, f"{BALLOT}/votes", nested)
    assert response.status_code == 400 and error_of(response)["code"] == "malformed_json"


# -- numbers ----------------------------------------------------------------------------
@pytest.mark.parametrize("page", ["/vote", "/replacement", "/roll-check"])
@pytest.mark.parametrize("digits", ["²", "٣", "１", "99999999999999999999"])
def test_digits_of_other_scripts_on_a_page_are_400_on_the_page(gateway, page, digits):
    response = gateway.get(page, params={"ballot": digits})
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/html")
    assert "digits 0 to 9" in response.text
    assert standins.CALLS == []


@pytest.mark.parametrize("digits", ["%C2%B2", "%D9%A3", "99999999999999999999"])
def test_digits_of_other_scripts_or_too_many_in_a_path_are_404(gateway, digits):
    response = gateway.get(f"/api/ballots/{digits}/result")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert standins.CALLS == []


# -- what the HTTP server refuses --------------------------------------------------------
def raw_exchange(gateway: Gateway, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` as bytes; the status, headers and body of the answer."""
    settings = gateway.settings
    with socket.create_connection((settings.gateway_host, settings.gateway_port), 10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def assert_json_error(headers: dict[str, str], body: bytes, code: str) -> None:
    import json

    assert headers["content-type"].startswith("application/json"), headers
    assert int(headers["content-length"]) == len(body)
    assert json.loads(body)["error"]["code"] == code


def test_an_over_long_header_is_a_json_400(gateway):
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 10_000 + b"\r\n\r\n"
    status, headers, body = raw_exchange(gateway, request)
    assert status == 400
    assert_json_error(headers, body, "bad_http_request")


@pytest.mark.parametrize("length", [b"-1", b"ten", b"\xd9\xa3"])
def test_a_bad_content_length_is_a_json_400(gateway, length):
    request = (
        f"POST {BALLOT}/votes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n".encode()
        + b"Content-Length: "
        + length
        + b"\r\n\r\n{}"
    )
    status, headers, body = raw_exchange(gateway, request)
    assert status == 400
    assert_json_error(headers, body, "bad_http_request")


def test_an_over_long_address_is_a_json_414(gateway):
    status, headers, body = raw_exchange(gateway, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n")
    assert status == 414
    assert_json_error(headers, body, "uri_too_long")


def test_a_chunked_body_over_the_limit_is_413(gateway):
    def chunks():  # type: ignore[no-untyped-def]
        piece = b" " * (1024 * 1024)
        for _ in range(7):
            yield piece

    response = gateway.post(f"{BALLOT}/votes", data=chunks())
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == 413 and error_of(response)["code"] == "payload_too_large"


def test_a_small_chunked_body_is_read(gateway):
    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"code": "GOOD-CODE-0001", '
        yield b'"choices": ["Ada Lovelace"]}'

    response = gateway.post(f"{BALLOT}/votes", data=chunks())
    assert response.status_code == 201, response.text
