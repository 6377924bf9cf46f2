"""Marshmallow schemas of what the gateway accepts over HTTP.

Each schema refuses unknown fields, so a misspelt key is an error rather than
silently ignored. ``load`` turns a validation failure into ``InvalidRequest``
carrying the messages per field, which the gateway returns as a 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from gateway.errors import InvalidRequest

MAX_CHOICES = 100
MAX_PAPERS = 5_000
_NAME = validate.Length(min=1, max=200)


def _no_repeats(values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValidationError(f"{value} is chosen more than once")
        seen.add(value)


class Strict(Schema):
    class Meta:
        unknown = RAISE


class VoteSchema(Strict):
    """A voter's ballot: their access code and their choices, in order of preference."""

    code = fields.String(
        required=True,
        validate=validate.Length(
            min=1, max=64, error="Enter the access code from your letter or email."
        ),
        error_messages={"required": "Enter the access code from your letter or email."},
    )
    choices = fields.List(
        fields.String(validate=_NAME),
        required=True,
        validate=validate.Length(min=1, max=MAX_CHOICES, error="Choose at least one candidate."),
        error_messages={"required": "Choose at least one candidate."},
    )

    @validates("choices")
    def _distinct(self, value: list[str], **_: Any) -> None:
        _no_repeats(value)


class PaperSchema(Strict):
    membership_number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    choices = fields.List(
        fields.String(validate=_NAME),
        required=True,
        validate=validate.Length(max=MAX_CHOICES),
    )


class PostalBatchSchema(Strict):
    """A batch of postal ballot papers as a teller keyed them in."""

    batch_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    papers = fields.List(
        fields.Nested(PaperSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_PAPERS),
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
