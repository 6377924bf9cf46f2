"""What crosses registration's boundary: the ballot definition file."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from rollcall.ordering import ORDERS

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


#: The longest candidate statement, in characters; longer is refused, never trimmed.
MAX_STATEMENT = 1000
MAX_INSTRUCTIONS = 1000
MAX_TEST_TITLE = 186
_CONTEST_ID = r"^[a-z0-9][a-z0-9_-]{0,31}$"


def _plain(text: str) -> bool:
    """Plain text: no control characters but line breaks and tabs."""
    return all(ch in "\n\t" or (ord(ch) >= 32 and ord(ch) != 127) for ch in text)


class StatementSchema(Schema):
    """A candidate's statement: short plain text (shown escaped) and an optional http(s) link."""

    class Meta:
        unknown = RAISE

    text = fields.String(load_default="", validate=validate.Length(max=MAX_STATEMENT))
    link = fields.String(load_default="")

    @validates_schema
    def _plain_text(self, data, **kwargs):  # type: ignore[no-untyped-def]
        if not _plain(data.get("text", "")):
            raise ValidationError("must be plain text, without control characters", "text")
        link = data.get("link", "")
        if link:
            try:
                validate.URL(schemes={"http", "https"}, require_tld=False)(link)
            except ValidationError:
                raise ValidationError("must be an http:// or https:// address", "link") from None


class _ContestFields(Schema):
    """What a contest has, in the single-contest form and in each of ``contests``."""

    class Meta:
        unknown = RAISE

    method = fields.String(validate=validate.OneOf(METHODS))
    seats = fields.Integer(validate=validate.Range(min=1, max=100))
    candidates = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)),
        validate=validate.Length(min=1),
    )
    #: RON (re-open nominations) offered as one more candidate, counted like any other.
    ron = fields.Boolean()
    instructions = fields.String(validate=validate.Length(max=MAX_INSTRUCTIONS))
    statements = fields.Dict(keys=fields.String(), values=fields.Nested(StatementSchema))
    #: How the candidates are shown (``rollcall.ordering``): fixed (default), alphabetical, random.
    order = fields.String(
        validate=validate.OneOf(ORDERS, error="must be one of: " + ", ".join(ORDERS))
    )


def _check_candidates(data: dict[str, Any]) -> None:
    """One contest's candidates, seats, RON and statements hang together."""
    names = data["candidates"]
    if len(set(names)) != len(names):
        raise ValidationError("candidate names must be distinct", "candidates")
    if data.get("ron") and any(" ".join(n.split()).casefold() in _RON_NAMES for n in names):
        raise ValidationError("RON is already a candidate; leave it out or drop ron", "ron")
    offered = len(names) + (1 if data.get("ron") else 0)
    if data["seats"] >= offered and data["method"] != "approval":
        raise ValidationError("there must be more candidates than seats", "seats")
    strangers = sorted(set(data.get("statements") or {}) - set(names))
    if strangers:
        raise ValidationError(
            f"statements for who is not a candidate: {', '.join(strangers)}", "statements"
        )
    if not _plain(data.get("instructions", "")):
        raise ValidationError("must be plain text, without control characters", "instructions")


def _finish(data: dict[str, Any]) -> dict[str, Any]:
    """Defaults filled in, RON added, empty extras dropped (an old definition stays as it was)."""
    data.setdefault("method", "fptp")
    data.setdefault("seats", 1)
    if data.pop("ron", False):
        data["candidates"] = [*data["candidates"], RON]
    for key in ("instructions", "statements"):
        if key in data and not data[key]:
            del data[key]
    if data.get("order") == "fixed":
        del data["order"]
    return data


class ContestDefinitionSchema(_ContestFields):
    id = fields.String(
        required=True,
        validate=validate.Regexp(
            _CONTEST_ID, error="must be 1-32 lower-case letters, digits, - or _"
        ),
    )
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))


class BallotDefinitionSchema(_ContestFields):
    """A ballot definition: one list of candidates (``method``, ``seats``, ``candidates``,
    optionally ``instructions`` and ``statements``) or ``contests``, each with its own."""

    class Meta:
        unknown = RAISE

    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    contests = fields.List(
        fields.Nested(ContestDefinitionSchema), validate=validate.Length(min=1, max=20)
    )
    area = fields.List(
        fields.String(validate=validate.Length(min=1)),
        required=True,
        validate=validate.Length(min=1),
    )
    timetable = fields.Nested(TimetableSchema, load_default=dict)
    eligibility = fields.Dict(load_default=dict)
    seed = fields.String(load_default=None, allow_none=True)
    #: A test ballot: marked TEST BALLOT on the page and every letter, kept out of officers'
    #: views and of the metrics of real ballots.
    test = fields.Boolean(load_default=False)

    @validates_schema
    def _check(self, data, **kwargs):  # type: ignore[no-untyped-def]
        if data.get("test") and len(data.get("title", "")) > MAX_TEST_TITLE:
            # Every letter's title starts "TEST BALLOT - ", and a title holds 200 characters.
            raise ValidationError(
                f"a test ballot's title has at most {MAX_TEST_TITLE} characters", "title"
            )
        single = ("method", "seats", "candidates", "ron", "instructions", "statements", "order")
        if "contests" in data:
            given = [k for k in single if k in data]
            if given:
                raise ValidationError(
                    f"a ballot with contests gives {', '.join(given)} in each contest, "
                    "not at the top",
                    given[0],
                )
            ids = [c["id"] for c in data["contests"]]
            if len(set(ids)) != len(ids):
                raise ValidationError("contest ids must be distinct", "contests")
            for contest in data["contests"]:
                if "candidates" not in contest:
                    raise ValidationError(f"contest {contest['id']} has no candidates", "contests")
                try:
                    _check_candidates({"method": "fptp", "seats": 1, **contest})
                except ValidationError as exc:
                    said = exc.messages
                    words = "; ".join(map(str, said)) if isinstance(said, list) else str(said)
                    raise ValidationError(f"contest {contest['id']}: {words}", "contests") from None
            return
        if "candidates" not in data:
            raise ValidationError("Missing data for required field.", "candidates")
        _check_candidates({"method": "fptp", "seats": 1, **data})

    @post_load
    def _add_ron(self, data, **kwargs):  # type: ignore[no-untyped-def]
        if "contests" in data:
            data["contests"] = [_finish(c) for c in data["contests"]]
            return data
        return _finish(data)
