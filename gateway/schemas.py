"""Marshmallow schemas of what the gateway accepts over HTTP.

Each schema refuses unknown fields, so a misspelt key is an error rather than
silently ignored. ``load`` turns a validation failure into ``InvalidRequest``
carrying the messages per field, which the gateway returns as a 400.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates,
    validates_schema,
)

from gateway.errors import InvalidRequest
from rollcall.formats import EXTRACT_COLUMNS, EXTRACT_OPTIONAL_COLUMNS
from rollcall.intake import Limits

MAX_CHOICES = 100
MAX_PAPERS = 5_000
_NAME = validate.Length(min=1, max=200)
#: A voter's own id for one vote: sent again with a vote that was not answered, it gets
#: the first answer (``gateway.voting``).
REQUEST_ID = r"\A[A-Za-z0-9_-]{16,64}\Z"
_REASON = validate.Length(min=1, max=2000, error="Say why, in a few words.")
_SAY_WHY = {"required": "Say why, in a few words."}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MEMBERSHIP_NUMBER = validate.Length(min=1, max=64)
#: Control characters other than tab and line ends.
CONTROL = r"\x00-\x08\x0B\x0C\x0E-\x1F\x7F"
#: What no stored text may hold: ``CONTROL``'s characters, and halves of a UTF-16 pair that
#: JSON's ``\\ud800`` escapes can smuggle in.
_UNSTORABLE = re.compile(rf"[{CONTROL}\ud800-\udfff]")
#: A corrected extract field is held to the intake's limit for a field of a file.
MAX_FIELD = Limits.field_chars
CORRECTABLE_ROW_COLUMNS = EXTRACT_COLUMNS + EXTRACT_OPTIONAL_COLUMNS
DROPPED_KINDS = ("rejected", "duplicate", "conflict")
DROPPED_STATUSES = ("open", "corrected", "resolved")


def _no_repeats(values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValidationError(f"{value} is chosen more than once")
        seen.add(value)


def _storable(value: str) -> None:
    if _UNSTORABLE.search(value):
        raise ValidationError(UNSTORABLE_MESSAGE)


UNSTORABLE_MESSAGE = "This holds a control character or broken text."


def unstorable(data: Any) -> dict[str, Any]:
    """Where ``data`` (parsed JSON, a query, path values) holds text no store can keep.

    The answer maps each field (``papers.0.choices.1``) to the message; empty
    when every string, and every name, is storable. Walked without recursion,
    so no nesting can exhaust the stack (``gateway.web`` limits it anyway).
    """
    found: dict[str, Any] = {}
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                found[where or "_schema"] = [UNSTORABLE_MESSAGE]
        elif isinstance(value, Mapping):
            for name, item in value.items():
                name = str(name)
                path = f"{where}.{name}" if where else name
                if _UNSTORABLE.search(name):
                    found[_shown(path)] = ["This name holds a control character or broken text."]
                else:
                    stack.append((path, item))
        elif isinstance(value, list | tuple):
            stack.extend((f"{where}.{i}" if where else str(i), v) for i, v in enumerate(value))
    return found


def _shown(name: str, limit: int = 40) -> str:
    """``name`` as a message may quote it: cut short, broken text escaped."""
    cut = name[:limit] + ("..." if len(name) > limit else "")
    return cut.encode("utf-8", "backslashreplace").decode("utf-8")


class StrictBoolean(fields.Boolean):
    """``true`` or ``false`` in JSON, and nothing that merely looks like one."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class WholeNumber(fields.Integer):
    """A JSON number with no fractional part (``14`` or ``14.0``, as JSON Schema's ``integer``).

    Text (``"14"``), booleans and ``14.5`` are refused.
    """

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        return int(value)


class Strict(Schema):
    """Unknown fields refused; and no text anywhere in the input that a store cannot keep.

    PostgreSQL refuses a NUL in text and no encoder writes half a UTF-16 pair,
    so either would fail deep inside a service: they are refused here, by
    field, for every schema of the gateway.
    """

    class Meta:
        unknown = RAISE

    @pre_load
    def _storable_text(self, data: Any, **_: Any) -> Any:
        found = unstorable(data)
        if found:
            raise ValidationError(found)
        return data


#: A contest's id, as registration takes it.
_CONTEST_ID = validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,31}$", error="Not a contest of this ballot.")
MAX_CONTESTS = 20


def _contest_choices(blank: bool) -> fields.Dict:
    """``{contest id: [names]}``: each contest's choices, an empty list for a blank contest."""
    return fields.Dict(
        keys=fields.String(validate=_CONTEST_ID),
        values=fields.List(
            fields.String(validate=_NAME),
            validate=validate.Length(max=MAX_CHOICES),
        ),
        validate=validate.Length(
            min=0 if blank else 1, max=MAX_CONTESTS, error="Choose at least one candidate."
        ),
    )


def _one_of_choices_or_contests(data: dict[str, Any]) -> None:
    if ("choices" in data) == ("contests" in data):
        raise ValidationError(
            "Give either choices (a ballot with one contest) or contests (one with several).",
            "choices",
        )


class VoteSchema(Strict):
    """A voter's ballot: their access code and their choices, in order of preference.

    ``choices`` on a ballot with one contest; ``contests`` (``{contest id:
    [names]}``, a contest left out or empty is left blank) on one with several.
    """

    code = fields.String(
        required=True,
        validate=validate.Length(
            min=1, max=64, error="Enter the access code from your letter or email."
        ),
        error_messages={"required": "Enter the access code from your letter or email."},
    )
    choices = fields.List(
        fields.String(validate=_NAME),
        validate=validate.Length(min=1, max=MAX_CHOICES, error="Choose at least one candidate."),
    )
    contests = _contest_choices(blank=False)
    request_id = fields.String(
        validate=validate.Regexp(
            REQUEST_ID,
            error="request_id is 16 to 64 letters, digits, '-' or '_': a new random value for "
            "each vote, the same when the vote is sent again.",
        ),
    )

    @validates("choices")
    def _distinct(self, value: list[str], **_: Any) -> None:
        _no_repeats(value)

    @validates_schema
    def _one_form(self, data: dict[str, Any], **_: Any) -> None:
        if "choices" not in data and "contests" not in data:
            raise ValidationError("Choose at least one candidate.", "choices")
        _one_of_choices_or_contests(data)
        for names in (data.get("contests") or {}).values():
            _no_repeats(names)


class PaperSchema(Strict):
    """One postal voter's returned papers: ``choices``, or on a ballot with several
    contests one paper per contest as ``contests``."""

    membership_number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    choices = fields.List(
        fields.String(validate=_NAME),
        validate=validate.Length(max=MAX_CHOICES),
    )
    contests = _contest_choices(blank=True)

    @validates_schema
    def _one_form(self, data: dict[str, Any], **_: Any) -> None:
        _one_of_choices_or_contests(data)


class PostalBatchSchema(Strict):
    """A batch of postal ballot papers as a teller keyed them in."""

    batch_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    papers = fields.List(
        fields.Nested(PaperSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_PAPERS),
    )


class WithdrawalSchema(Strict):
    """A candidate withdrawn after the papers are out: who, from which contest, and why."""

    candidate = fields.String(required=True, validate=validate.Length(min=1, max=200))
    contest = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=64)
    )
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000, error="Say why, in a few words."),
        error_messages={"required": "Say why, in a few words."},
    )


class DecisionSchema(Strict):
    """An officer's decision on a match review: an elector, or ``null`` to reject all."""

    elector_id = fields.String(
        required=True, allow_none=True, validate=validate.Length(min=1, max=64)
    )
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000, error="Say why, in a few words."),
        error_messages={"required": "Say why, in a few words."},
    )


class AssociationQuery(Strict):
    """``?association=CODE`` on the roll and review listings."""

    association = fields.String(load_default=None, validate=validate.Length(min=1, max=32))


class MembersQuery(AssociationQuery):
    """``?association=CODE&format=csv`` on the member list."""

    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class ChangesQuery(Strict):
    """``?status=`` on the list of contact changes (pending by default)."""

    status = fields.String(
        load_default="pending", validate=validate.OneOf(("pending", "approved", "refused"))
    )


class DroppedRowsQuery(AssociationQuery):
    """``?association=&kind=&status=&format=`` on the list of an extract's dropped rows."""

    kind = fields.String(load_default=None, validate=validate.OneOf(DROPPED_KINDS))
    status = fields.String(load_default=None, validate=validate.OneOf(DROPPED_STATUSES))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


#: White space, as the API spec's patterns spell it out: ECMA-262's ``\\s`` (JSON Schema's
#: dialect) but for U+000B and U+000C, control characters refused everywhere. The spec never
#: writes ``\\s``: Python's ``re``, which Schemathesis and ``jsonschema`` run the patterns
#: with, takes U+0085 and U+001C-U+001F as space too and U+FEFF not, so a value one dialect
#: admits the other refused (``"\\u0085X"``, ``"\\ufeffX"``).
SPACE = r"\t\n\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
#: What the API trims: the characters of ``SPACE``.
SPACES = "".join(filter(re.compile(f"[{SPACE}]").fullmatch, map(chr, range(0x10000))))
#: C1's control characters (U+0080-U+009F): no postcode a member types holds one either.
C1 = r"\x80-\x9F"
#: The spec's patterns, written once here and in gateway/openapi.yaml (a test holds them equal):
#: text with something but space in it; a postcode as a member types it (two characters or
#: more once trimmed, no control character); an officer's corrected postcode (2 to 8 letters
#: and digits, spaces between, or nothing).
NOT_BLANK = f"^[^{CONTROL}]*[^{SPACE}{CONTROL}][^{CONTROL}]*$"
TYPED_POSTCODE = (
    f"^[{SPACE}]*[^{SPACE}{CONTROL}{C1}][^{CONTROL}{C1}]*[^{SPACE}{CONTROL}{C1}][{SPACE}]*$"
)
CORRECTED_POSTCODE = f"^[{SPACE}]*(([A-Za-z0-9][{SPACE}]*){{2,8}})?$"
_C1 = re.compile(f"[{C1}]")
_CORRECTED_POSTCODE = re.compile(CORRECTED_POSTCODE)


def _trimmed(data: Any, schema: Schema) -> Any:
    """``data`` with its text trimmed of spaces (``SPACES``), but for a value longer than its
    field allows as sent: that stays as it came, so the length check refuses it (the API
    spec's ``maxLength`` is on the value as sent)."""
    if not isinstance(data, Mapping):
        return data
    return {
        k: v.strip(SPACES) if isinstance(v, str) and len(v) <= _longest(schema, k) else v
        for k, v in data.items()
    }


def _longest(schema: Schema, name: str) -> float:
    """The most characters a field of ``schema`` takes (infinity if it sets no limit)."""
    field = schema.fields.get(name)
    limits = [
        v.max
        for v in (field.validators if field is not None else [])
        if isinstance(v, validate.Length) and v.max is not None
    ]
    return min(limits, default=float("inf"))


class MemberChangesSchema(Strict):
    """The member fields an officer may correct, as they should read afterwards.

    Values are trimmed; a postcode is upper-cased with one space before its
    last three characters, as the membership extract's are.
    """

    title = fields.String(validate=validate.Length(max=40))
    first_name = fields.String(validate=validate.Length(min=1, max=200))
    last_name = fields.String(validate=validate.Length(min=1, max=200))
    address_1 = fields.String(validate=validate.Length(max=200))
    address_2 = fields.String(validate=validate.Length(max=200))
    address_3 = fields.String(validate=validate.Length(max=200))
    town = fields.String(validate=validate.Length(max=200))
    postcode = fields.String(validate=validate.Length(max=16))
    email = fields.String(validate=validate.Length(max=320))
    phone = fields.String(validate=validate.Length(max=40))

    @pre_load
    def _trim(self, data: Any, **_: Any) -> Any:
        return _trimmed(data, self)

    @validates("postcode")
    def _postcode(self, value: str, **_: Any) -> None:
        # Checked as sent (trimmed): Python's upper() makes "SS" of "ß".
        if not _CORRECTED_POSTCODE.match(value):
            raise ValidationError("This is not a postcode.")

    @post_load
    def _postcode_written(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("postcode"):
            compact = "".join(c for c in data["postcode"] if c not in SPACES).upper()
            data["postcode"] = f"{compact[:-3]} {compact[-3:]}" if len(compact) >= 5 else compact
        return data

    @validates("email")
    def _email(self, value: str, **_: Any) -> None:
        if value and not _EMAIL.match(value):
            raise ValidationError("This is not an email address.")


class CorrectionSchema(Strict):
    """An officer's correction of a member's details, and why."""

    changes = fields.Nested(
        MemberChangesSchema,
        required=True,
        error_messages={"required": "Give at least one field to change."},
    )
    reason = fields.String(required=True, validate=_REASON, error_messages=_SAY_WHY)

    @validates("changes")
    def _some(self, value: dict[str, str], **_: Any) -> None:
        if not value:
            raise ValidationError("Give at least one field to change.")


class RowCorrectionSchema(Strict):
    """A rejected extract row resubmitted: the fields to change (the rest as received), and why.

    No values at all resubmits the row as it was received, for a row whose
    reason has gone (its association has since been added).
    """

    values = fields.Dict(
        keys=fields.String(), values=fields.Raw(allow_none=True), load_default=dict
    )
    reason = fields.String(required=True, validate=[_REASON, _storable], error_messages=_SAY_WHY)

    @validates("values")
    def _fields(self, value: dict[str, Any], **_: Any) -> None:
        for column, text in value.items():
            if column not in CORRECTABLE_ROW_COLUMNS:
                raise ValidationError(f"{_shown(column)} is not a column of a membership extract.")
            if not isinstance(text, str):
                raise ValidationError(f"{column} must be text.")
            if len(text) > MAX_FIELD:
                raise ValidationError(
                    f"{column} has {len(text):,} characters; at most {MAX_FIELD:,}."
                )
            if _UNSTORABLE.search(text):
                raise ValidationError(f"{column} holds a control character or broken text.")


class ConflictResolutionSchema(Strict):
    """Which copy of a conflicting duplicate holds: the first seen, or the second; and why."""

    keep = fields.String(
        required=True,
        validate=validate.OneOf(("first", "second"), error="Choose first or second."),
        error_messages={"required": "Choose first or second."},
    )
    reason = fields.String(required=True, validate=[_REASON, _storable], error_messages=_SAY_WHY)


class ChangeDecisionSchema(Strict):
    """An operator's decision on a contact change waiting for a second person."""

    approve = StrictBoolean(required=True)
    reason = fields.String(required=True, validate=_REASON, error_messages=_SAY_WHY)


class RollCheckSchema(Strict):
    """A member asking whether they are on the roll: their number and postcode."""

    membership_number = fields.String(
        required=True,
        validate=_MEMBERSHIP_NUMBER,
        error_messages={"required": "Enter your membership number."},
    )
    postcode = fields.String(
        required=True,
        validate=validate.Length(min=2, max=16, error="Enter your postcode."),
        error_messages={"required": "Enter your postcode."},
    )

    @validates("postcode")
    def _typed_postcode(self, value: str, **_: Any) -> None:
        if _C1.search(value):
            raise ValidationError(UNSTORABLE_MESSAGE)

    @pre_load
    def _trim(self, data: Any, **_: Any) -> Any:
        return _trimmed(data, self)


class ComplaintSchema(Strict):
    """A new complaint: what it is about, and how many days it has to be settled in."""

    subject = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000, error="Say what the complaint is about."),
        error_messages={"required": "Say what the complaint is about."},
    )
    days = WholeNumber(load_default=14, validate=validate.Range(min=1, max=365))


class EvidenceSchema(Strict):
    text = fields.String(
        required=True,
        validate=validate.Length(min=1, max=20_000, error="Give the evidence as text."),
        error_messages={"required": "Give the evidence as text."},
    )


class ComplaintStatusSchema(Strict):
    """A complaint's next state; closing one (upheld or dismissed) needs its outcome."""

    status = fields.String(
        required=True, validate=validate.OneOf(("investigating", "upheld", "dismissed"))
    )
    outcome = fields.String(load_default="", validate=validate.Length(max=2000))

    @validates_schema
    def _outcome(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("status") in ("upheld", "dismissed") and not data.get("outcome", "").strip():
            raise ValidationError("Say what was decided, and why.", "outcome")


class ReasonSchema(Strict):
    """Why: pausing, asking to resume, approving a resume."""

    reason = fields.String(required=True, validate=_REASON, error_messages=_SAY_WHY)


class ReplacementSchema(Strict):
    """A member asking for a replacement code: their number, and the email or postcode the party holds."""

    membership_number = fields.String(
        required=True,
        validate=[_MEMBERSHIP_NUMBER, _storable],
        error_messages={"required": "Enter your membership number."},
    )
    email = fields.String(
        load_default="",
        validate=[validate.Length(max=320, error="That email address is too long."), _storable],
    )
    postcode = fields.String(
        load_default="",
        validate=[validate.Length(max=16, error="That postcode is too long."), _storable],
    )

    @pre_load
    def _trim(self, data: Any, **_: Any) -> Any:
        return _trimmed(data, self)

    @validates_schema
    def _one_contact(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("email") and not data.get("postcode"):
            raise ValidationError(
                "Enter the email address or the postcode the party holds for you.", "email"
            )


class ReissueSchema(Strict):
    """An officer's or operator's reissue of one member's code: why, and optionally how."""

    reason = fields.String(required=True, validate=_REASON, error_messages=_SAY_WHY)
    channel = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(["email", "post"], error="The channel is email or post."),
    )


def load(schema: Schema, data: Any) -> dict[str, Any]:
    """``data`` loaded by ``schema``; ``InvalidRequest`` naming each bad field."""
    if isinstance(data, Mapping) and not isinstance(data, dict):
        data = dict(data)
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ValidationError as exc:
        raise InvalidRequest(_summary(exc.messages), fields=_as_dict(exc.messages)) from exc
    return loaded


def _as_dict(messages: Any) -> dict[str, Any]:
    if isinstance(messages, dict):
        return messages
    return {"_schema": messages}


def _first(messages: Any) -> str:
    if isinstance(messages, str):
        return messages
    if isinstance(messages, list) and messages:
        return _first(messages[0])
    if isinstance(messages, dict) and messages:
        return _first(next(iter(messages.values())))
    return ""


def _summary(messages: Any) -> str:
    """One sentence for a volunteer: the first problem, and how many more."""
    as_dict = _as_dict(messages)
    if set(as_dict) == {"_schema"}:
        return "The request must be a JSON object."
    names = sorted(as_dict)
    first = names[0]
    words = _first(as_dict[first]).rstrip(".")
    more = f" (and {len(names) - 1} more)" if len(names) > 1 else ""
    if first == "_schema":
        return f"{words}{more}."
    return f"{first}: {words}{more}."
