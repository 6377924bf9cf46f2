"""The one error table: every exception to one status, one stable code, plain words."""

from __future__ import annotations

import pytest
from nameko.exceptions import RemoteError, UnknownService

from gateway import errors


@pytest.mark.parametrize(
    ("exc_type", "status", "code"),
    [
        ("MalformedCode", 400, "malformed_code"),
        ("InvalidCode", 403, "invalid_code"),
        ("LockedOut", 429, "locked_out"),
        ("BallotNotOpen", 409, "ballot_not_open"),
        ("AlreadyVoted", 409, "already_voted"),
        ("NotOnRoll", 403, "not_on_roll"),
        ("InvalidChoices", 400, "invalid_choices"),
        ("BallotNotFound", 404, "ballot_not_found"),
        ("ResultNotReady", 409, "result_not_ready"),
        ("BallotNotClosed", 409, "ballot_not_closed"),
        ("ReviewNotFound", 404, "review_not_found"),
        ("MemberNotFound", 404, "member_not_found"),
        ("ChangeNotFound", 404, "change_not_found"),
        ("SamePerson", 409, "same_person"),
        ("CaseError", 409, "case_error"),
        ("PhaseError", 409, "phase_error"),
    ],
)
def test_remote_errors_map_by_class_name(exc_type, status, code):
    answer = errors.answer(RemoteError(exc_type, "words for a volunteer"))
    assert (answer.status, answer.body["error"]["code"]) == (status, code)
    assert answer.body["error"]["message"] == "Words for a volunteer."
    assert not answer.unexpected


def test_a_remote_error_without_words_gets_the_tables_words():
    answer = errors.answer(RemoteError("InvalidCode", ""))
    assert answer.body["error"]["message"] == "That access code is not valid for this ballot."


def test_an_unknown_remote_error_is_a_500_that_reveals_nothing():
    answer = errors.answer(RemoteError("KeyError", "'secret-code-123'"))
    assert answer.status == 500 and answer.unexpected
    assert answer.body == {"error": {"code": "internal_error", "message": errors.INTERNAL.message}}


def test_a_local_bug_is_a_500_that_reveals_nothing():
    answer = errors.answer(ZeroDivisionError("division by zero at line 12"))
    assert answer.status == 500 and answer.unexpected
    assert "division" not in str(answer.body)


def test_a_service_that_is_not_running_is_a_503():
    answer = errors.answer(UnknownService("tally"))
    assert answer.status == 503 and answer.body["error"]["code"] == "service_unavailable"
    assert "tally" not in answer.body["error"]["message"]


def test_validation_failures_carry_their_fields():
    answer = errors.answer(errors.InvalidRequest("code: missing.", fields={"code": ["missing"]}))
    assert answer.status == 400
    assert answer.body["error"] == {
        "code": "invalid_request",
        "message": "Code: missing.",
        "fields": {"code": ["missing"]},
    }


def test_rate_limited_is_a_429_that_says_when_to_come_back():
    answer = errors.answer(errors.RateLimited("Try again in 12 minutes.", retry_after=700))
    assert answer.status == 429 and answer.body["error"]["code"] == "rate_limited"
    assert answer.headers == {"Retry-After": "700"}


def test_other_answers_add_no_headers():
    assert errors.answer(errors.Forbidden("no")).headers == {}
    assert errors.answer(RemoteError("SamePerson", "x")).headers == {}


def test_token_errors_never_echo_what_was_sent():
    answer = errors.answer(errors.InvalidToken("abc123"))
    assert answer.status == 401 and "abc123" not in str(answer.body)


def test_every_code_has_one_status():
    statuses: dict[str, set[int]] = {}
    for mapping in errors.TABLE.values():
        statuses.setdefault(mapping.code, set()).add(mapping.status)
    assert {code: s for code, s in statuses.items() if len(s) > 1} == {}


def test_every_status_is_an_error_status_and_only_infrastructure_is_5xx():
    for name, mapping in errors.TABLE.items():
        assert 400 <= mapping.status < 600, name
        if mapping.status >= 500:
            assert mapping.code in ("internal_error", "service_unavailable"), name
