"""The one error table: every exception to one status, one stable code, plain words."""

from __future__ import annotations

import importlib

import pytest
from nameko.exceptions import UnknownService, serialize

from gateway import errors
from services.codes import errors as codes
from services.matching import errors as matching
from services.registration import errors as registration
from services.tally import errors as tally


def raised(exc: Exception) -> errors.ServiceError:
    """``exc`` as the gateway receives it from the service that raised it."""
    sent = serialize(exc)
    return errors.ServiceError(sent["exc_type"], sent["value"], sent["exc_path"])


@pytest.mark.parametrize(
    ("exc_type", "status", "code"),
    [
        (codes.MalformedCode, 400, "malformed_code"),
        (codes.InvalidCode, 403, "invalid_code"),
        (codes.LockedOut, 429, "locked_out"),
        (codes.BallotNotOpen, 409, "ballot_not_open"),
        (codes.VoterNotFound, 404, "voter_not_found"),
        (tally.BallotNotOpen, 409, "ballot_not_open"),
        (tally.AlreadyVoted, 409, "already_voted"),
        (tally.NotOnRoll, 403, "not_on_roll"),
        (tally.InvalidChoices, 400, "invalid_choices"),
        (tally.BallotNotFound, 404, "ballot_not_found"),
        (tally.ResultNotReady, 409, "result_not_ready"),
        (tally.BallotNotClosed, 409, "ballot_not_closed"),
        (matching.ReviewNotFound, 404, "review_not_found"),
        (registration.BallotNotFound, 404, "ballot_not_found"),
        (registration.MemberNotFound, 404, "member_not_found"),
        (registration.ChangeNotFound, 404, "change_not_found"),
        (registration.SamePerson, 409, "same_person"),
        (registration.CaseError, 409, "case_error"),
        (registration.PhaseError, 409, "phase_error"),
    ],
)
def test_remote_errors_map_by_the_dotted_path_of_their_class(exc_type, status, code):
    answer = errors.answer(raised(exc_type("words for a volunteer")))
    assert (answer.status, answer.body["error"]["code"]) == (status, code)
    assert answer.body["error"]["message"] == "Words for a volunteer."
    assert not answer.unexpected


def test_a_services_exception_is_keyed_by_its_path_below_services():
    assert errors.key(raised(tally.BallotNotFound())) == "tally.errors.BallotNotFound"
    assert errors.key(errors.Forbidden()) == "gateway.errors.Forbidden"


def test_two_services_same_named_exceptions_map_independently(monkeypatch):
    table = dict(errors.TABLE)
    table["tally.errors.BallotNotFound"] = errors.Mapping(409, "tally_says", "Tally's words.")
    monkeypatch.setattr(errors, "TABLE", table)
    from_tally = errors.answer(raised(tally.BallotNotFound()))
    from_registration = errors.answer(raised(registration.BallotNotFound()))
    assert (from_tally.status, from_tally.body["error"]["code"]) == (409, "tally_says")
    assert (from_registration.status, from_registration.body["error"]["code"]) == (
        404,
        "ballot_not_found",
    )


def test_a_same_named_exception_from_elsewhere_is_not_mistaken_for_a_services():
    stranger = errors.ServiceError("BallotNotFound", "no", "mailer.outbox.BallotNotFound")
    answer = errors.answer(stranger)
    assert answer.status == 500 and answer.unexpected


def test_every_key_names_a_class_that_exists():
    for path in errors.TABLE:
        module, _, name = path.rpartition(".")
        if module.split(".")[0] not in ("gateway", "nameko", "marshmallow"):
            module = errors.SERVICES + module
        assert isinstance(getattr(importlib.import_module(module), name, None), type), path


def test_a_remote_error_without_words_gets_the_tables_words():
    answer = errors.answer(raised(codes.InvalidCode()))
    assert answer.body["error"]["message"] == "That access code is not valid for this ballot."


def test_an_unknown_remote_error_is_a_500_that_reveals_nothing():
    answer = errors.answer(raised(KeyError("secret-code-123")))
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
    assert errors.answer(raised(registration.SamePerson("x"))).headers == {}


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
