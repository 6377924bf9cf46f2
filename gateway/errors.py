"""Every error the gateway can answer with, in one table.

``TABLE`` maps the name of an exception class to the HTTP status, the stable
error code and the words a volunteer reads. The same table serves the
gateway's own exceptions (raised here) and the expected exceptions of the
services it calls, which arrive as ``nameko.exceptions.RemoteError`` carrying
the remote class name in ``exc_type``. A name not in the table is a bug
somewhere: it becomes a 500 ``internal_error`` that reveals nothing.

Every response body has the shape
``{"error": {"code": "<stable_code>", "message": "<words>"}}``, with
``"fields"`` added when a request failed validation. A gateway exception may
add response headers (``RateLimited`` adds ``Retry-After``).

The gateway's RPC exceptions (``InvalidUser``, ``UserNotFound``) are part of
its RPC contract: the CLI matches on their names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nameko.exceptions import RemoteError, UnknownService


@dataclass(frozen=True, slots=True)
class Mapping:
    status: int
    code: str
    message: str
    #: Use the exception's own words when it has some (they were written
    #: for a volunteer); otherwise, or when False, ``message``.
    detail: bool = True


class GatewayError(Exception):
    """A condition the gateway itself reports; its class name keys ``TABLE``."""

    def __init__(self, message: str = "", *, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.fields = fields

    @property
    def headers(self) -> dict[str, str]:
        """Headers the response carries besides the body."""
        return {}


# -- the gateway's own conditions -----------------------------------------
class MalformedJson(GatewayError):
    pass


class InvalidRequest(GatewayError):
    pass


class Unauthenticated(GatewayError):
    pass


class InvalidToken(GatewayError):
    pass


class TokenRevoked(GatewayError):
    pass


class Forbidden(GatewayError):
    pass


class NotFound(GatewayError):
    pass


class MethodNotAllowed(GatewayError):
    pass


class PayloadTooLarge(GatewayError):
    pass


class ServiceUnavailable(GatewayError):
    pass


class InternalError(GatewayError):
    pass


class RateLimited(GatewayError):
    def __init__(self, message: str = "", *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


# -- the gateway's RPC contract ---------------------------------------------
class InvalidUser(GatewayError):
    pass


class UserNotFound(GatewayError):
    pass


RPC_EXPECTED = (InvalidUser, UserNotFound)

_UNAVAILABLE = (
    "Part of the ballot system is not answering just now. Please try again in a few minutes."
)

TABLE: dict[str, Mapping] = {
    # the gateway
    "MalformedJson": Mapping(400, "malformed_json", "The request body is not valid JSON."),
    "InvalidRequest": Mapping(400, "invalid_request", "Some of the request is missing or wrong."),
    "Unauthenticated": Mapping(
        401, "unauthenticated", "This needs a token: send 'Authorization: Bearer <token>'."
    ),
    "InvalidToken": Mapping(401, "invalid_token", "That token is not recognised.", False),
    "TokenRevoked": Mapping(
        401, "token_revoked", "That token has been revoked; ask an operator for a new one.", False
    ),
    "Forbidden": Mapping(403, "forbidden", "You may not do that."),
    "NotFound": Mapping(404, "not_found", "There is nothing at this address."),
    "MethodNotAllowed": Mapping(405, "method_not_allowed", "This address does not accept that."),
    "PayloadTooLarge": Mapping(413, "payload_too_large", "The request is too large."),
    "RateLimited": Mapping(
        429,
        "rate_limited",
        "Too many requests like this one have been made. Please try again later.",
    ),
    "ServiceUnavailable": Mapping(503, "service_unavailable", _UNAVAILABLE, False),
    "UnknownService": Mapping(503, "service_unavailable", _UNAVAILABLE, False),
    "InternalError": Mapping(
        500,
        "internal_error",
        "Something went wrong on our side. It has been logged; please try again later.",
        False,
    ),
    "InvalidUser": Mapping(400, "invalid_user", "Those user details are not valid."),
    "UserNotFound": Mapping(404, "user_not_found", "There is no such user."),
    # codes
    "MalformedCode": Mapping(
        400, "malformed_code", "That is not an access code: check it against your letter or email."
    ),
    "InvalidCode": Mapping(403, "invalid_code", "That access code is not valid for this ballot."),
    "LockedOut": Mapping(
        429,
        "locked_out",
        "Too many wrong access codes have been tried. Wait 15 minutes and try again.",
    ),
    "VoterNotFound": Mapping(
        404, "voter_not_found", "That voter is not on the roll of this ballot."
    ),
    # tally (and codes, which shares the name)
    "BallotNotOpen": Mapping(409, "ballot_not_open", "This ballot is not open for voting."),
    "AlreadyVoted": Mapping(
        409, "already_voted", "A vote has already been recorded for this voter."
    ),
    "NotOnRoll": Mapping(403, "not_on_roll", "This voter is not on the roll of this ballot."),
    "InvalidChoices": Mapping(
        400, "invalid_choices", "Those choices are not valid on this ballot."
    ),
    "ResultNotReady": Mapping(409, "result_not_ready", "The result is not published yet."),
    "BallotNotClosed": Mapping(
        409, "ballot_not_closed", "This is only available once the ballot has closed."
    ),
    # registration (and tally, which shares the name)
    "BallotNotFound": Mapping(404, "ballot_not_found", "There is no such ballot."),
    "BallotInvalid": Mapping(400, "ballot_invalid", "That ballot definition is not valid."),
    "PhaseError": Mapping(409, "phase_error", "The ballot is not at the right stage for that."),
    "ExtractNotFound": Mapping(404, "extract_not_found", "There is no such extract."),
    "ExtractRefused": Mapping(400, "extract_refused", "That extract was refused."),
    "MemberNotFound": Mapping(404, "member_not_found", "That member is not on this ballot."),
    "ChangeNotFound": Mapping(
        404, "change_not_found", "There is no such change waiting for approval."
    ),
    "SamePerson": Mapping(409, "same_person", "A second, different person must approve this."),
    "CaseError": Mapping(409, "case_error", "The complaint is not at the right stage for that."),
    # matching
    "ReviewNotFound": Mapping(404, "review_not_found", "There is no such review."),
    "ReviewClosed": Mapping(409, "review_closed", "This review has already been decided."),
    "UnknownCandidate": Mapping(
        400, "unknown_candidate", "That elector is not one of this review's candidates."
    ),
    "NoRegister": Mapping(
        409, "no_register", "No electoral register is loaded for this member's area yet."
    ),
    # a remote service validating its own input
    "ValidationError": Mapping(
        400, "invalid_request", "Some of the request is missing or wrong.", False
    ),
}

INTERNAL = TABLE["InternalError"]


@dataclass(frozen=True, slots=True)
class Answer:
    """What to send back: a status, a JSON-ready body and any extra headers."""

    status: int
    body: dict[str, Any]
    #: The exception was not in the table: whoever answers should log it.
    unexpected: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def _name_and_words(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, RemoteError):
        return str(exc.exc_type or ""), str(exc.value or "")
    if isinstance(exc, UnknownService):
        return "UnknownService", ""
    if isinstance(exc, GatewayError):
        return type(exc).__name__, str(exc)
    return "", ""


def _sentence(words: str) -> str:
    words = words.strip()
    words = words[:1].upper() + words[1:]
    return words if words[-1] in ".!?" else words + "."


def answer(exc: BaseException) -> Answer:
    """The response for ``exc``, looked up in ``TABLE`` by class name."""
    name, words = _name_and_words(exc)
    mapping = TABLE.get(name)
    if mapping is None:
        return Answer(INTERNAL.status, body(INTERNAL.code, INTERNAL.message), unexpected=True)
    message = _sentence(words) if mapping.detail and words.strip() else mapping.message
    if isinstance(exc, GatewayError):
        return Answer(mapping.status, body(mapping.code, message, exc.fields), headers=exc.headers)
    return Answer(mapping.status, body(mapping.code, message))
