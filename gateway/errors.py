"""Every error the gateway can answer with, in one table keyed by the exception's dotted path.

``TABLE`` maps the dotted path of an exception class to the HTTP status, the
stable error code and the words a volunteer reads. A service's exception is
keyed by its path below ``services`` (``registration.errors.BallotNotFound``,
``tally.errors.BallotNotFound``), so two services' classes of the same name
never share an entry; the gateway's own by theirs (``gateway.errors.Forbidden``).
A service's exception arrives as a ``ServiceError`` (``gateway.remote`` keeps
the path nameko sends and its ``RemoteError`` drops). A path not in the table
is a bug somewhere: it becomes a 500 ``internal_error`` that reveals nothing.

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

#: Where the services' packages live; a service's exception is keyed by its path below it.
SERVICES = "services."


@dataclass(frozen=True, slots=True)
class Mapping:
    status: int
    code: str
    message: str
    #: Use the exception's own words when it has some (they were written
    #: for a volunteer); otherwise, or when False, ``message``.
    detail: bool = True
    #: A service's exception whose last argument is whole seconds to wait:
    #: sent as ``Retry-After`` (``codes.errors.LockedOut``).
    retry_after: bool = False


class GatewayError(Exception):
    """A condition the gateway itself reports; its dotted path keys ``TABLE``."""

    def __init__(self, message: str = "", *, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.fields = fields

    @property
    def headers(self) -> dict[str, str]:
        """Headers the response carries besides the body."""
        return {}


class ServiceError(RemoteError):
    """An exception another service raised, with the dotted path of its class."""

    def __init__(
        self, exc_type: str | None, value: str, exc_path: str, exc_args: Any = None
    ) -> None:
        super().__init__(exc_type, value)
        self.exc_path = exc_path
        self.exc_args = list(exc_args) if isinstance(exc_args, list | tuple) else []


# -- the gateway's own conditions -----------------------------------------
class MalformedJson(GatewayError):
    """The request body is not JSON."""


class InvalidRequest(GatewayError):
    """The request failed validation; ``fields`` says where."""


class Unauthenticated(GatewayError):
    """A privileged route was asked without a bearer token."""


class InvalidToken(GatewayError):
    """The bearer token is no user's."""


class TokenRevoked(GatewayError):
    """The bearer token's user has been revoked."""


class Forbidden(GatewayError):
    """The caller may not do this; the message says why."""


class NotFound(GatewayError):
    """No route has this address."""


class MethodNotAllowed(GatewayError):
    """The address does not accept this method."""


class BadHttpRequest(GatewayError):
    """The HTTP server refused the request before any route saw it (a header, a length)."""


class UriTooLong(GatewayError):
    """The request line is over the HTTP server's limit."""


class PayloadTooLarge(GatewayError):
    """The request body is over the limit."""


class ServiceUnavailable(GatewayError):
    """A service, the broker or the gateway's database did not answer."""


class InternalError(GatewayError):
    """Something failed that no caller could have caused."""


class RateLimited(GatewayError):
    """Too many requests under one key; ``retry_after`` says when to come back."""

    def __init__(self, message: str = "", *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class TestBallotHidden(GatewayError):
    """A test ballot asked for by an officer: officers' views never show test ballots."""


class TestReviewHidden(GatewayError):
    """A test ballot's review asked for by an officer by its id: to them it does not exist."""


class ReplacementClosed(GatewayError):
    """No replacement code can be sent any more (cut-offs passed, or voting closed); the message says what is left."""


class NoSuchMember(GatewayError):
    """The member is not on the ballot, or is not the caller's to see (answered alike)."""


class RowStillRejected(GatewayError):
    """A corrected extract row is still not valid; the message gives every reason."""


# -- the gateway's RPC contract ---------------------------------------------
class InvalidUser(GatewayError):
    """A user with these details may not be created."""


class UserNotFound(GatewayError):
    """There is no user with this id."""


RPC_EXPECTED = (InvalidUser, UserNotFound)

_UNAVAILABLE = (
    "Part of the ballot system is not answering just now. Please try again in a few minutes."
)
_INVALID = "Some of the request is missing or wrong."
_BALLOT_NOT_FOUND = Mapping(404, "ballot_not_found", "There is no such ballot.")
_REVIEW_NOT_FOUND = Mapping(404, "review_not_found", "There is no such review.")
_BALLOT_NOT_OPEN = Mapping(409, "ballot_not_open", "This ballot is not open for voting.")

TABLE: dict[str, Mapping] = {
    # the gateway
    "gateway.errors.TestBallotHidden": _BALLOT_NOT_FOUND,
    "gateway.errors.TestReviewHidden": _REVIEW_NOT_FOUND,
    "gateway.errors.MalformedJson": Mapping(
        400, "malformed_json", "The request body is not valid JSON."
    ),
    "gateway.errors.InvalidRequest": Mapping(400, "invalid_request", _INVALID),
    "gateway.errors.Unauthenticated": Mapping(
        401, "unauthenticated", "This needs a token: send 'Authorization: Bearer <token>'."
    ),
    "gateway.errors.InvalidToken": Mapping(
        401, "invalid_token", "That token is not recognised.", False
    ),
    "gateway.errors.TokenRevoked": Mapping(
        401, "token_revoked", "That token has been revoked; ask an operator for a new one.", False
    ),
    "gateway.errors.Forbidden": Mapping(403, "forbidden", "You may not do that."),
    "gateway.errors.NotFound": Mapping(404, "not_found", "There is nothing at this address."),
    "gateway.errors.MethodNotAllowed": Mapping(
        405, "method_not_allowed", "This address does not accept that."
    ),
    "gateway.errors.BadHttpRequest": Mapping(
        400, "bad_http_request", "The request is not valid HTTP."
    ),
    "gateway.errors.UriTooLong": Mapping(414, "uri_too_long", "The address is too long."),
    "gateway.errors.PayloadTooLarge": Mapping(
        413, "payload_too_large", "The request is too large."
    ),
    "gateway.errors.RateLimited": Mapping(
        429,
        "rate_limited",
        "Too many requests like this one have been made. Please try again later.",
    ),
    "gateway.errors.ServiceUnavailable": Mapping(503, "service_unavailable", _UNAVAILABLE, False),
    "nameko.exceptions.UnknownService": Mapping(503, "service_unavailable", _UNAVAILABLE, False),
    "gateway.errors.InternalError": Mapping(
        500,
        "internal_error",
        "Something went wrong on our side. It has been logged; please try again later.",
        False,
    ),
    "gateway.errors.ReplacementClosed": Mapping(
        409, "replacement_closed", "Replacement codes can no longer be sent for this ballot."
    ),
    "gateway.errors.NoSuchMember": Mapping(
        404, "member_not_found", "That member is not on this ballot."
    ),
    "gateway.errors.RowStillRejected": Mapping(
        422, "row_still_rejected", "The corrected row is still not valid."
    ),
    "gateway.bounces.SignatureMissing": Mapping(
        401, "signature_missing", "This needs a signature in the X-Rollcall-Signature header."
    ),
    "gateway.bounces.SignatureInvalid": Mapping(
        403, "signature_invalid", "The signature does not match the body."
    ),
    "gateway.bounces.SignatureExpired": Mapping(
        403, "signature_expired", "The signature is too old (or from the future): not accepted."
    ),
    "gateway.bounces.WebhookNotConfigured": Mapping(
        503, "service_unavailable", "The bounce webhook is not configured yet."
    ),
    "gateway.errors.InvalidUser": Mapping(400, "invalid_user", "Those user details are not valid."),
    "gateway.errors.UserNotFound": Mapping(404, "user_not_found", "There is no such user."),
    # codes
    "codes.errors.MalformedCode": Mapping(
        400, "malformed_code", "That is not an access code: check it against your letter or email."
    ),
    "codes.errors.InvalidCode": Mapping(
        403, "invalid_code", "That access code is not valid for this ballot."
    ),
    "codes.errors.LockedOut": Mapping(
        429,
        "locked_out",
        "That access code is not valid, and too many wrong ones have come from here lately: "
        "wait a little before trying another.",
        retry_after=True,
    ),
    "codes.errors.VoterNotFound": Mapping(
        404, "voter_not_found", "That voter is not on the roll of this ballot."
    ),
    "codes.errors.BallotNotOpen": _BALLOT_NOT_OPEN,
    # tally
    "tally.errors.BallotNotFound": _BALLOT_NOT_FOUND,
    "tally.errors.BallotNotOpen": _BALLOT_NOT_OPEN,
    "tally.errors.AlreadyVoted": Mapping(
        409, "already_voted", "A vote has already been recorded for this voter."
    ),
    "tally.errors.NotOnRoll": Mapping(
        403, "not_on_roll", "This voter is not on the roll of this ballot."
    ),
    "tally.errors.InvalidChoices": Mapping(
        400, "invalid_choices", "Those choices are not valid on this ballot."
    ),
    "tally.errors.BadRequestToken": Mapping(
        400, "invalid_request", "That request id is not one the ballot system accepts."
    ),
    "tally.errors.ResultNotReady": Mapping(
        409, "result_not_ready", "The result is not published yet."
    ),
    "tally.errors.WithdrawalRefused": Mapping(
        409, "withdrawal_refused", "That candidate cannot be withdrawn now."
    ),
    "tally.errors.BallotNotClosed": Mapping(
        409, "ballot_not_closed", "This is only available once the ballot has closed."
    ),
    # registration
    "registration.errors.BallotNotFound": _BALLOT_NOT_FOUND,
    "registration.errors.BallotInvalid": Mapping(
        400, "ballot_invalid", "That ballot definition is not valid."
    ),
    "registration.errors.PhaseError": Mapping(
        409, "phase_error", "The ballot is not at the right stage for that."
    ),
    "registration.errors.ExtractNotFound": Mapping(
        404, "extract_not_found", "There is no such extract."
    ),
    "registration.errors.ExtractRefused": Mapping(
        400, "extract_refused", "That extract was refused."
    ),
    "registration.errors.MemberNotFound": Mapping(
        404, "member_not_found", "That member is not on this ballot."
    ),
    "registration.errors.ChangeNotFound": Mapping(
        404, "change_not_found", "There is no such change waiting for approval."
    ),
    "registration.errors.SamePerson": Mapping(
        409, "same_person", "A second, different person must approve this."
    ),
    "registration.errors.DroppedRowNotFound": Mapping(
        404, "dropped_row_not_found", "There is no such rejected or duplicate row in this ballot."
    ),
    "registration.errors.RowNotCorrectable": Mapping(
        409,
        "row_not_correctable",
        "This row cannot be changed that way: it is already settled, or not of that kind.",
    ),
    "registration.errors.ReissueRefused": Mapping(
        409, "reissue_refused", "This member's code cannot be reissued now."
    ),
    "registration.errors.CaseError": Mapping(
        409, "case_error", "The complaint is not at the right stage for that."
    ),
    # matching
    "matching.errors.ReviewNotFound": _REVIEW_NOT_FOUND,
    "matching.errors.ReviewClosed": Mapping(
        409, "review_closed", "This review has already been decided."
    ),
    "matching.errors.UnknownCandidate": Mapping(
        400, "unknown_candidate", "That elector is not one of this review's candidates."
    ),
    "matching.errors.NoRegister": Mapping(
        409, "no_register", "No electoral register is loaded for this member's area yet."
    ),
    # a remote service validating its own input
    "marshmallow.exceptions.ValidationError": Mapping(400, "invalid_request", _INVALID, False),
}

INTERNAL = TABLE["gateway.errors.InternalError"]


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


def path_of(exc_type: type[BaseException]) -> str:
    """The dotted path of a class: its module, then its name."""
    return f"{exc_type.__module__}.{exc_type.__qualname__}"


def key(exc: BaseException) -> str:
    """The ``TABLE`` key of ``exc``; a service's class is keyed by its path below ``services``."""
    if isinstance(exc, ServiceError):
        return exc.exc_path.removeprefix(SERVICES)
    if isinstance(exc, GatewayError | UnknownService):
        return path_of(type(exc))
    return ""


def _words(exc: BaseException) -> str:
    if isinstance(exc, RemoteError):
        return str(exc.value or "")
    if isinstance(exc, GatewayError):
        return str(exc)
    return ""


def _sentence(words: str) -> str:
    words = words.strip()
    words = words[:1].upper() + words[1:]
    return words if words[-1] in ".!?" else words + "."


def answer(exc: BaseException) -> Answer:
    """The response for ``exc``, looked up in ``TABLE`` by its dotted path."""
    mapping = TABLE.get(key(exc))
    if mapping is None:
        return Answer(INTERNAL.status, body(INTERNAL.code, INTERNAL.message), unexpected=True)
    words = _words(exc)
    message = _sentence(words) if mapping.detail and words.strip() else mapping.message
    if isinstance(exc, GatewayError):
        return Answer(mapping.status, body(mapping.code, message, exc.fields), headers=exc.headers)
    headers = {}
    if mapping.retry_after and isinstance(exc, ServiceError):
        # nameko sends every argument as text.
        wait = str(exc.exc_args[-1]) if exc.exc_args else ""
        if wait.isascii() and wait.isdigit() and int(wait) > 0:
            headers["Retry-After"] = str(int(wait))
    return Answer(mapping.status, body(mapping.code, message), headers=headers)
