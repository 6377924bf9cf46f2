"""Every event's marshmallow contract, its version and its consumers, in one place.

A producer validates a payload against its contract before it writes it to the
outbox, so a bug in a producer fails the producer's transaction instead of
poisoning a consumer. A consumer validates again on receipt; a payload that
fails is parked with the reason (``ContractViolation``), never dropped.

``CONSUMERS`` is the topology: each event type and the services that consume
it. Every service declares the whole topology when it starts, so an event
published before its consumer ever ran waits in the consumer's queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from rollcall.formats import MATCH_FIELDS, MEMBER_FIELDS, UPDATABLE_FIELDS


class ContractViolation(ValueError):
    """A payload does not satisfy its event's contract."""


class UnknownEvent(ContractViolation):
    """An event type no contract describes."""


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class _Lenient(Schema):
    """For nested items: newer producers may add fields; old consumers ignore them."""

    class Meta:
        unknown = EXCLUDE


_id = fields.Integer(required=True, validate=validate.Range(min=1))
_membership_number = fields.String(required=True, validate=validate.Length(min=1, max=64))


class _TimetableEntry(fields.Field):
    """A timetable entry: an ISO timestamp, or a list of them (``reminders``)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        raise ValidationError("must be a timestamp or a list of timestamps")


class StatementSchema(_Lenient):
    """A candidate's statement: short plain text and an optional http(s) link."""

    text = fields.String(load_default="")
    link = fields.String(load_default="")


_statements = fields.Dict(keys=fields.String(), values=fields.Nested(StatementSchema))


class ContestSchema(_Lenient):
    """One contest of a ballot with several: counted on its own."""

    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,31}$"))
    title = fields.String(required=True)
    method = fields.String(required=True)
    seats = fields.Integer(required=True, validate=validate.Range(min=1))
    candidates = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    instructions = fields.String(load_default="")
    statements = _statements
    order = fields.String()


class BallotSchema(_Strict):
    """A ballot's definition: one contest (``method``, ``seats``, ``candidates``) or
    several (``contests``), never both."""

    ballot_id = _id
    title = fields.String(required=True)
    method = fields.String()
    seats = fields.Integer(validate=validate.Range(min=1))
    candidates = fields.List(fields.String(), validate=validate.Length(min=1))
    instructions = fields.String()
    statements = _statements
    order = fields.String()
    #: A test ballot (``registration.schemas``): marked as such, kept out of real ballots' views.
    test = fields.Boolean()
    contests = fields.List(fields.Nested(ContestSchema), validate=validate.Length(min=1))
    area = fields.List(fields.String(), required=True)
    timetable = fields.Dict(keys=fields.String(), values=_TimetableEntry(), required=True)
    eligibility = fields.Dict(required=True)
    seed = fields.String(required=True)
    phase = fields.String(required=True)

    @validates_schema
    def _one_form(self, data: dict[str, Any], **_: Any) -> None:
        single = [k for k in ("method", "seats", "candidates") if k in data]
        if "contests" in data and single:
            raise ValidationError(f"a ballot with contests has no {', '.join(single)} of its own")
        if "contests" not in data and len(single) < 3:
            raise ValidationError("a ballot needs method, seats and candidates, or contests")


class PhaseChangedSchema(_Strict):
    ballot_id = _id
    phase = fields.String(
        required=True, validate=validate.OneOf(["draft", "open", "paused", "closed"])
    )
    at = fields.String(required=True)
    #: The registration audit log's head at the change, for the bulletin board.
    audit_head = fields.Dict(load_default=None, allow_none=True)


def _member_schema(
    base: type[Schema], name: str, names: tuple[str, ...], **special: fields.Field
) -> type[Schema]:
    """A schema of the member fields ``names``: text, empty unless sent, but for ``special``."""
    declared = {n: special.get(n) or fields.String(load_default="") for n in names}
    return base.from_dict(declared, name=name)


#: A member as matching receives them.
MemberSchema = _member_schema(
    _Lenient,
    "MemberSchema",
    MATCH_FIELDS,
    membership_number=_membership_number,
    first_name=fields.String(required=True),
    last_name=fields.String(required=True),
)


class MembersRegisteredSchema(_Strict):
    ballot_id = _id
    extract_id = fields.String(required=True)
    chunk = fields.Integer(required=True, validate=validate.Range(min=0))
    area = fields.List(fields.String(), required=True)
    members = fields.List(fields.Nested(MemberSchema), required=True)


class DecisionSchema(_Lenient):
    membership_number = _membership_number
    decision = fields.String(
        required=True, validate=validate.OneOf(["match", "review", "no_match"])
    )
    elector_id = fields.String(allow_none=True, load_default=None)
    score = fields.Float(required=True, validate=validate.Range(min=0, max=1))
    reasons = fields.String(required=True)
    ward = fields.String(allow_none=True, load_default=None)
    eligible = fields.Boolean(required=True)
    exclusion = fields.String(allow_none=True, load_default=None)
    review_id = fields.Integer(allow_none=True, load_default=None)


class MatchOutcomeSchema(_Strict):
    ballot_id = _id
    decisions = fields.List(fields.Nested(DecisionSchema), required=True)


class VoterSchema(_Lenient):
    membership_number = _membership_number
    name = fields.String(required=True)
    email = fields.String(load_default="")
    address = fields.List(fields.String(), load_default=list)
    postcode = fields.String(load_default="")


class VotersEnrolledSchema(_Strict):
    ballot_id = _id
    voters = fields.List(fields.Nested(VoterSchema), required=True)


class VotersWithdrawnSchema(_Strict):
    ballot_id = _id
    membership_numbers = fields.List(fields.String(), required=True)
    reason = fields.String(required=True)


class IssuedCodeSchema(VoterSchema):
    sealed_code = fields.String(required=True)
    kind = fields.String(load_default="initial")
    not_before = fields.String(allow_none=True, load_default=None)


class CodesIssuedSchema(_Strict):
    ballot_id = _id
    codes = fields.List(fields.Nested(IssuedCodeSchema), required=True)


class DeliverySchema(_Lenient):
    membership_number = _membership_number
    channel = fields.String(required=True, validate=validate.OneOf(["email", "post"]))
    outcome = fields.String(required=True, validate=validate.OneOf(["sent", "queued", "failed"]))
    kind = fields.String(load_default="initial")
    reason = fields.String(load_default="")


class MailOutcomeSchema(_Strict):
    ballot_id = _id
    deliveries = fields.List(fields.Nested(DeliverySchema), required=True)


class BouncedSchema(_Lenient):
    membership_number = _membership_number
    kind = fields.String(load_default="initial")
    reason = fields.String(required=True)
    #: Whether the code follows by letter (else the member is not reached).
    letter = fields.Boolean(required=True)


class MailBouncedSchema(_Strict):
    ballot_id = _id
    bounces = fields.List(fields.Nested(BouncedSchema), required=True)


class BallotMarkedSchema(_Strict):
    ballot_id = _id
    membership_number = _membership_number
    channel = fields.String(required=True, validate=validate.OneOf(["online", "postal"]))


class ErasureDueSchema(_Strict):
    ballot_id = _id
    #: Who ordered the erasure (audited by every service beside what it erased).
    actor = fields.String(required=True, validate=validate.Length(min=1))
    reason = fields.String(required=True)


class ResultPublishedSchema(_Strict):
    ballot_id = _id
    method = fields.String(required=True)
    winners = fields.List(fields.String(), required=True)
    bulletin_sha256 = fields.String(required=True)


#: A new member as the membership system sends them: every member field.
InboundMemberSchema = _member_schema(
    _Strict,
    "InboundMemberSchema",
    tuple(MEMBER_FIELDS),
    membership_number=_membership_number,
    first_name=fields.String(required=True, validate=validate.Length(min=1)),
    last_name=fields.String(required=True, validate=validate.Length(min=1)),
    association=fields.String(required=True, validate=validate.Length(min=1)),
    status=fields.String(load_default="current"),
)


class _Inbound(_Strict):
    membership_number = _membership_number
    changed_at = fields.AwareDateTime(required=True, format="iso")
    source = fields.String(required=True, validate=validate.Length(min=1, max=120))
    actor = fields.String(required=True, validate=validate.Length(min=1, max=120))
    reason = fields.String(load_default="")


class MemberJoinedSchema(_Inbound):
    member = fields.Nested(InboundMemberSchema, required=True)


class MemberUpdatedSchema(_Inbound):
    changes = fields.Dict(
        keys=fields.String(validate=validate.OneOf(UPDATABLE_FIELDS)),
        values=fields.String(),
        required=True,
        validate=validate.Length(min=1),
    )


class MemberLapsedSchema(_Inbound):
    lapsed_on = fields.Date(required=True)


class ContactChangedSchema(_Strict):
    ballot_id = _id
    membership_number = _membership_number
    name = fields.String(required=True)
    old = fields.Dict(required=True)
    new = fields.Dict(required=True)
    fields_changed = fields.List(fields.String(), required=True)
    reissue = fields.Boolean(required=True)
    voter = fields.Nested(VoterSchema, allow_none=True, load_default=None)


class RollCheckSchema(_Strict):
    ballot_id = _id
    membership_number = _membership_number
    name = fields.String(required=True)
    email = fields.String(load_default="")
    address = fields.List(fields.String(), load_default=list)
    postcode = fields.String(load_default="")
    state = fields.String(required=True)
    answer = fields.String(required=True)


class ExclusionNoticeSchema(VoterSchema):
    #: A stable code (``not_on_register``, ``address_differs``, ``not_in_area``).
    reason = fields.String(required=True, validate=validate.Length(min=1, max=24))
    why = fields.String(required=True, validate=validate.Length(min=1))
    fix = fields.String(required=True, validate=validate.Length(min=1))


class ExclusionNoticesSchema(_Strict):
    ballot_id = _id
    #: When the roll freezes, if the timetable says: a fix after it is too late.
    fix_by = fields.String(allow_none=True, load_default=None)
    notices = fields.List(fields.Nested(ExclusionNoticeSchema), required=True)


class ReplacementRequestedSchema(_Strict):
    """A member's own request for a replacement code, as they typed it: matched later, never shown."""

    ballot_id = _id
    membership_number = _membership_number
    email = fields.String(load_default="", validate=validate.Length(max=320))
    postcode = fields.String(load_default="", validate=validate.Length(max=16))
    #: When the member asked: the cut-offs apply to this moment, not to when the message is handled.
    requested_at = fields.String(required=True)


class ReissueRequestedSchema(_Strict):
    ballot_id = _id
    #: Where the new code goes: the party-held contact, without the email when it goes by post.
    voter = fields.Nested(VoterSchema, required=True)
    #: Who asked: ``member`` (self-service), ``officer`` or ``operator``.
    source = fields.String(
        required=True, validate=validate.OneOf(["member", "officer", "operator"])
    )


@dataclass(frozen=True)
class Contract:
    event_type: str
    version: int
    schema: type[Schema]
    consumers: tuple[str, ...]
    description: str


CONTRACTS: dict[str, Contract] = {
    c.event_type: c
    for c in (
        Contract(
            "ballot.created",
            1,
            BallotSchema,
            ("tally", "codes", "mailer", "matching"),
            "A ballot was defined.",
        ),
        Contract(
            "ballot.phase_changed",
            1,
            PhaseChangedSchema,
            ("tally", "codes", "mailer"),
            "A ballot opened or closed.",
        ),
        Contract(
            "members.registered",
            1,
            MembersRegisteredSchema,
            ("matching",),
            "A chunk of accepted extract rows, to be matched to the register.",
        ),
        Contract(
            "members.matched",
            1,
            MatchOutcomeSchema,
            ("registration",),
            "Members matched to an elector (eligible or excluded by area).",
        ),
        Contract(
            "members.review_needed",
            1,
            MatchOutcomeSchema,
            ("registration",),
            "Members whose match needs a person's decision.",
        ),
        Contract(
            "members.unmatched",
            1,
            MatchOutcomeSchema,
            ("registration",),
            "Members not found on the register.",
        ),
        Contract(
            "voters.enrolled",
            1,
            VotersEnrolledSchema,
            ("codes", "tally"),
            "Eligible members, with the contact details their code goes to.",
        ),
        Contract(
            "voters.withdrawn",
            1,
            VotersWithdrawnSchema,
            ("codes", "tally", "mailer"),
            "Members no longer eligible; their codes are revoked.",
        ),
        Contract(
            "codes.issued",
            1,
            CodesIssuedSchema,
            ("mailer",),
            "Access codes, each sealed for the mailer, with where to send them.",
        ),
        Contract("mail.sent", 1, MailOutcomeSchema, ("registration",), "Codes sent or queued."),
        Contract("mail.failed", 1, MailOutcomeSchema, ("registration",), "Codes not delivered."),
        Contract(
            "mail.bounced",
            1,
            MailBouncedSchema,
            ("registration",),
            "Code emails that bounced after they were sent; whether a letter follows.",
        ),
        Contract(
            "ballots.marked",
            1,
            BallotMarkedSchema,
            ("registration", "codes", "mailer"),
            "A voter's mark on the marked register (who and how, never what).",
        ),
        Contract(
            "member.joined",
            1,
            MemberJoinedSchema,
            ("registration",),
            "Inbound from the membership system: a new member.",
        ),
        Contract(
            "member.updated",
            1,
            MemberUpdatedSchema,
            ("registration",),
            "Inbound from the membership system: changed member fields.",
        ),
        Contract(
            "member.lapsed",
            1,
            MemberLapsedSchema,
            ("registration",),
            "Inbound from the membership system: a membership lapsed.",
        ),
        Contract(
            "voters.contact_changed",
            1,
            ContactChangedSchema,
            ("codes", "mailer"),
            "A voter's contact details changed: notify old and new, reissue the code.",
        ),
        Contract(
            "roll.check_answered",
            1,
            RollCheckSchema,
            ("mailer",),
            "A member asked whether they are on the roll; the answer goes to their party-held contact.",
        ),
        Contract(
            "members.exclusion_notice_requested",
            1,
            ExclusionNoticesSchema,
            ("mailer",),
            "Members excluded for a reason they can fix, before the freeze: tell each why and "
            "how, at the contact the party holds.",
        ),
        Contract(
            "replacement.requested",
            1,
            ReplacementRequestedSchema,
            ("registration",),
            "A member asked for a replacement code through the gateway; registration matches "
            "the request against the party-held contact, whatever the gateway answered.",
        ),
        Contract(
            "voters.reissue_requested",
            1,
            ReissueRequestedSchema,
            ("codes",),
            "A voter's code is replaced (self-service or an officer's or operator's reissue): "
            "the old one stops working and a new one goes to the party-held contact.",
        ),
        Contract(
            "result.published",
            1,
            ResultPublishedSchema,
            ("registration",),
            "A closed ballot was counted and its bulletin board written.",
        ),
        Contract(
            "ballot.erasure_due",
            1,
            ErasureDueSchema,
            ("matching", "codes", "mailer", "tally"),
            "A ballot's retention date passed and registration erased its part: each service "
            "erases or pseudonymises the personal data it holds for the ballot and audits it.",
        ),
    )
}


def contract(event_type: str) -> Contract:
    try:
        return CONTRACTS[event_type]
    except KeyError:
        raise UnknownEvent(f"no contract for event type {event_type!r}") from None


#: One schema instance per event type, made on first use and reused: making one copies
#: every field (marshmallow), which cost several times the validation itself, on every
#: event sent and every event taken (``docs/scaling.md``, "Votes"). The schemas keep no
#: state between loads.
_schemas: dict[str, Schema] = {}


def _schema(spec: Contract) -> Schema:
    schema = _schemas.get(spec.event_type)
    if schema is None:
        schema = _schemas[spec.event_type] = spec.schema()
    return schema


def dump(event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Validate an outgoing payload; raise ``ContractViolation`` if it breaks the contract."""
    schema = _schema(contract(event_type))
    try:
        loaded = schema.load(payload)
    except ValidationError as exc:
        raise ContractViolation(f"{event_type}: {exc.messages}") from exc
    return schema.dump(loaded)


def load(event_type: str, version: int | None, payload: Any) -> dict[str, Any]:
    """Validate an incoming payload; raise ``ContractViolation`` with the reason."""
    spec = contract(event_type)
    if version != spec.version:
        raise ContractViolation(
            f"{event_type}: schema version {version!r} is not the supported {spec.version}"
        )
    if not isinstance(payload, dict):
        raise ContractViolation(f"{event_type}: payload must be a JSON object")
    try:
        loaded: dict[str, Any] = _schema(spec).load(payload)
        return loaded
    except ValidationError as exc:
        raise ContractViolation(f"{event_type}: {exc.messages}") from exc


def consumers_of(event_type: str) -> tuple[str, ...]:
    return contract(event_type).consumers


def events_consumed_by(service: str) -> list[str]:
    return [c.event_type for c in CONTRACTS.values() if service in c.consumers]
