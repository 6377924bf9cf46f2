"""What crosses registration's boundary: the ballot definition file."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

METHODS = ("fptp", "approval", "irv", "stv", "meek")


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

    @validates_schema
    def _check(self, data, **kwargs):  # type: ignore[no-untyped-def]
        names = data["candidates"]
        if len(set(names)) != len(names):
            raise ValidationError("candidate names must be distinct", "candidates")
        if data["seats"] >= len(names) and data["method"] != "approval":
            raise ValidationError("there must be more candidates than seats", "seats")
