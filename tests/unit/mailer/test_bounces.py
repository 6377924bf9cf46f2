"""Reading a delivery-status notification and proving which delivery it is about. Pure."""

from __future__ import annotations

import pytest

from rollcall_cli.demo.sink import compose_dsn
from services.mailer import bounces

KEY = bounces.token_key(b"seal-key")
ORIGINAL = (
    b"From: ballots@rollcall.invalid\r\nTo: m1@example.org\r\n"
    b"Message-ID: <ballot-7.M1.initial@rollcall.invalid>\r\n"
    b"X-Rollcall-Delivery: " + bounces.token(KEY, 12).encode() + b"\r\n\r\nYour code\r\n"
)


def test_a_token_names_its_delivery_and_a_changed_one_names_none():
    token = bounces.token(KEY, 12)
    assert bounces.verify(KEY, token) == 12
    assert bounces.verify(KEY, token.upper()) == 12
    assert bounces.verify(KEY, "13-" + token.split("-")[1]) is None
    assert bounces.verify(bounces.token_key(b"another key"), token) is None
    assert bounces.verify(KEY, "12") is None
    assert bounces.return_path(KEY, 12, "rollcall.invalid") == f"bounce+{token}@rollcall.invalid"


def test_a_hard_bounce_is_read_with_its_recipient_words_token_and_message_id():
    path = bounces.return_path(KEY, 12, "rollcall.invalid")
    dsn = compose_dsn(ORIGINAL, recipient="m1@example.org", return_path=path)
    (report,) = bounces.read_dsn(dsn, [path])
    assert report == bounces.Report(
        severity="hard",
        recipient="m1@example.org",
        diagnostic="550 5.1.1 mailbox unavailable: no such user",
        token=bounces.token(KEY, 12),
        message_id="<ballot-7.M1.initial@rollcall.invalid>",
    )


def test_the_token_is_found_in_the_returned_headers_when_the_envelope_has_none():
    dsn = compose_dsn(ORIGINAL, recipient="m1@example.org", return_path="bounce@x")
    (report,) = bounces.read_dsn(dsn, ["bounce@x"])
    assert bounces.verify(KEY, report.token) == 12


@pytest.mark.parametrize(
    ("action", "status", "severity"),
    [("failed", "5.1.1", "hard"), ("delayed", "4.4.7", "soft"), ("delivered", "2.0.0", "none")],
)
def test_a_delay_or_a_success_notice_is_not_a_hard_bounce(action, status, severity):
    dsn = compose_dsn(ORIGINAL, recipient="m1@x", return_path="b@x", action=action, status=status)
    assert [r.severity for r in bounces.read_dsn(dsn)] == [severity]


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"Subject: hello\r\n\r\nnot a report", "not a delivery-status notification"),
        (b"\x00\xff\xfe", "not a delivery-status notification"),
        (
            b'Content-Type: multipart/report; boundary="b"\r\n\r\n--b\r\n'
            b"Content-Type: text/plain\r\n\r\nhi\r\n--b--\r\n",
            "without a message/delivery-status part",
        ),
        (
            b'Content-Type: multipart/report; boundary="b"\r\n\r\n--b\r\n'
            b"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\n--b--\r\n",
            "names no recipient",
        ),
    ],
)
def test_what_is_not_a_readable_dsn_says_why(raw, why):
    with pytest.raises(bounces.Unreadable, match=why):
        bounces.read_dsn(raw)
