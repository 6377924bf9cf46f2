"""What each SMTP result means for a delivery, from the exceptions smtplib really raises."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta

import pytest

from services.mailer.outcomes import BOUNCE, PERMANENT, TRANSIENT, classify, gave_up, retry_at

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "exc, words",
    [
        (ConnectionRefusedError(111, "Connection refused"), "unreachable"),
        (TimeoutError("timed out"), "timed out"),
        (TimeoutError(), "timed out"),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), "closed the connection"),
        (smtplib.SMTPConnectError(421, b"too busy, try later"), "421 too busy, try later"),
        (
            smtplib.SMTPSenderRefused(451, b"4.3.0 queue full", "ballots@x"),
            "deferred the sender: 451 4.3.0 queue full",
        ),
        (
            smtplib.SMTPDataError(452, b"4.3.1 out of storage"),
            "deferred the message: 452 4.3.1 out of storage",
        ),
        (
            smtplib.SMTPResponseException(421, b"4.4.2 idle"),
            "deferred the transaction: 421 4.4.2 idle",
        ),
        (smtplib.SMTPNotSupportedError("no STARTTLS"), "no STARTTLS"),
        (smtplib.SMTPResponseException(-1, b"garbled"), "unexpected reply"),
    ],
)
def test_a_network_failure_or_a_4xx_is_transient_with_its_reason(exc, words) -> None:
    outcome = classify(exc)
    assert outcome.kind == TRANSIENT
    assert words in outcome.reason


def test_a_recipient_deferred_with_a_4xx_is_transient() -> None:
    exc = smtplib.SMTPRecipientsRefused({"m1@example.org": (450, b"4.2.1 mailbox busy")})
    outcome = classify(exc)
    assert outcome.kind == TRANSIENT
    assert outcome.reason == "email address deferred: m1@example.org: 450 4.2.1 mailbox busy"


@pytest.mark.parametrize(
    "code, words",
    [
        (550, b"5.1.1 <m1@example.org>: user unknown"),
        (551, b"5.1.6 user not local"),
        (553, b"5.1.3 bad address syntax"),
    ],
)
def test_a_recipient_refused_with_a_5xx_is_a_hard_bounce_in_the_servers_words(code, words) -> None:
    exc = smtplib.SMTPRecipientsRefused({"m1@example.org": (code, words)})
    outcome = classify(exc)
    assert outcome.kind == BOUNCE
    assert outcome.reason == f"email address refused: m1@example.org: {code} {words.decode()}"


def test_one_refused_recipient_among_deferred_ones_bounces() -> None:
    exc = smtplib.SMTPRecipientsRefused(
        {"a@example.org": (451, b"later"), "b@example.org": (550, b"no such user")}
    )
    assert classify(exc).kind == BOUNCE


@pytest.mark.parametrize(
    "exc, words",
    [
        (
            smtplib.SMTPDataError(552, b"5.3.4 message too big"),
            "message: 552 5.3.4 message too big",
        ),
        (smtplib.SMTPDataError(554, b"5.7.1 rejected by policy"), "message: 554 5.7.1 rejected"),
        (smtplib.SMTPSenderRefused(553, b"5.7.1 sender denied", "b@x"), "sender: 553 5.7.1"),
        (smtplib.SMTPResponseException(554, b"5.3.0 no"), "transaction: 554 5.3.0 no"),
    ],
)
def test_a_5xx_about_the_message_or_policy_is_permanent(exc, words) -> None:
    outcome = classify(exc)
    assert outcome.kind == PERMANENT
    assert words in outcome.reason


def test_a_multiline_reply_is_kept_on_one_line() -> None:
    exc = smtplib.SMTPDataError(554, b"5.7.1 rejected\n5.7.1 see https://example.org/policy")
    assert classify(exc).reason.endswith("554 5.7.1 rejected 5.7.1 see https://example.org/policy")


def test_anything_that_is_no_smtp_or_network_failure_is_not_passed_off_as_one() -> None:
    with pytest.raises(TypeError, match="not an SMTP or network failure"):
        classify(ValueError("a bug"))


def test_each_retry_waits_the_next_delay_of_the_schedule_then_the_schedule_runs_out() -> None:
    delays = (30.0, 120.0, 600.0)
    assert retry_at(1, delays, NOW) == NOW + timedelta(seconds=30)
    assert retry_at(2, delays, NOW) == NOW + timedelta(seconds=120)
    assert retry_at(3, delays, NOW) == NOW + timedelta(seconds=600)
    assert retry_at(4, delays, NOW) is None


def test_giving_up_says_how_long_it_tried_and_why() -> None:
    reason = gave_up(4, (30.0, 120.0, 3600.0), "mail server unreachable: refused")
    assert reason == "not delivered after 4 attempts over 1:02:30: mail server unreachable: refused"


def test_the_default_schedule_rides_out_a_night_long_outage() -> None:
    from rollcall.config import load_settings

    delays = load_settings({}).mail_retry_delays
    assert sum(delays) >= 12 * 3600
    assert list(delays) == sorted(delays), "delays grow"


@pytest.mark.parametrize("raw", ["0,30", "-5", "30,inf"])
def test_a_retry_schedule_without_positive_delays_is_refused_at_start(raw) -> None:
    from rollcall.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="mail_retry_delays"):
        load_settings({"ROLLCALL_MAIL_RETRY_DELAYS": raw})
