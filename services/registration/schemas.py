"""What crosses registration's boundary: the ballot definition file."""

from __future__ import annotations

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

METHODS = ("fptp", "approval", "irv", "stv", "meek")
#: The candidate ``ron: true`` adds; the tally's count recognises it (``counting.is_ron``).
RON = "RON (re-open nominations)"
_RON_NAMES = {"ron", "re-open nominations", "reopen nominations", RON.casefold()}


class TimetableSchema(Schema):
    class Meta:
        unknown = RAISE

    freeze_at = fields.AwareDateTime(load_default=None, format="iso")
    opens_at = fields.AwareDateTime(load_default=None, format="iso")
    closes_at = fields.AwareDateTime(load_default=None, format="iso")
    #: The last moment a code letter is worth queuing: after it, an email that failed is not posted.
    postal_cutoff = fields.AwareDateTime(load_default=None, format="iso")
    #: The last moment a member may ask for a replacement code by email (a letter: ``postal_cutoff``).
    replacement_cutoff = fields.AwareDateTime(load_default=None, format="iso")
    #: When voters who have not voted are reminded (``ballots.reminder_problems`` checks the order).
    reminders = fields.List(fields.AwareDateTime(format="iso"), load_default=list)
    joined_before = fields.Date(load_default=None)


class BallotDefinitionSchema(Schema):
    class Meta:
        unknown = RAISE

    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    method = fields.String(load_default="fptp", validate=validate.OneOf(METHODS))
    seats = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100))
    candidates = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)),
        required=True,
        validate=validate.Length(min=1),
    )
    area = fields.List(
        fields.String(validate=validate.Length(min=1)),
        required=True,
        validate=validate.Length(min=1),
    )
    timetable = fields.Nested(TimetableSchema, load_default=dict)
    eligibility = fields.Dict(load_default=dict)
    seed = fields.String(load_default=None, allow_none=True)
    #: RON (re-open nominations) offered as one more candidate, counted like any other.
    ron = fields.Boolean(load_default=False)

    @validates_schema
    def _check(self, data, **kwargs):  # type: ignore[no-untyped-def]
        names = data["candidates"]
        if len(set(names)) != len(names):
            raise ValidationError("candidate names must be distinct", "candidates")
        if data.get("ron") and any(" ".join(n.split()).casefold() in _RON_NAMES for n in names):
            raise ValidationError("RON is already a candidate; leave it out or drop ron", "ron")
        offered = len(names) + (1 if data.get("ron") else 0)
        if data["seats"] >= offered and data["method"] != "approval":
            raise ValidationError("there must be more candidates than seats", "seats")

    @post_load
    def _add_ron(self, data, **kwargs):  # type: ignore[no-untyped-def]
        if data.pop("ron"):
            data["candidates"] = [*data["candidates"], RON]
        return data
