"""What the gateway accepts: marshmallow schemas and their plain-word failures."""

from __future__ import annotations

import pytest

from gateway import schemas
from gateway.errors import InvalidRequest


def test_a_vote_loads():
    vote = schemas.load(schemas.VoteSchema(), {"code": "ABC-DEF", "choices": ["Ada", "Mary"]})
    assert vote == {"code": "ABC-DEF", "choices": ["Ada", "Mary"]}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"choices": ["Ada"]}, "code"),
        ({"code": "", "choices": ["Ada"]}, "code"),
        ({"code": "X"}, "choices"),
        ({"code": "X", "choices": []}, "choices"),
        ({"code": "X", "choices": ["Ada", "Ada"]}, "choices"),
        ({"code": "X", "choices": "Ada"}, "choices"),
        ({"code": "X", "choices": ["Ada"], "voter": "M1"}, "voter"),
        ({"code": 7, "choices": ["Ada"]}, "code"),
    ],
)
def test_a_bad_vote_names_the_field(data, field):
    with pytest.raises(InvalidRequest) as caught:
        schemas.load(schemas.VoteSchema(), data)
    assert field in caught.value.fields
    assert str(caught.value).startswith(f"{field}: ")


def test_a_body_that_is_not_an_object_says_so():
    with pytest.raises(InvalidRequest) as caught:
        schemas.load(schemas.VoteSchema(), ["code", "choices"])
    assert str(caught.value) == "The request must be a JSON object."


def test_a_postal_batch_loads_and_refuses_an_empty_one():
    batch = {"batch_id": "B1", "papers": [{"membership_number": "M1", "choices": ["Ada"]}]}
    assert schemas.load(schemas.PostalBatchSchema(), batch) == batch
    with pytest.raises(InvalidRequest):
        schemas.load(schemas.PostalBatchSchema(), {"batch_id": "B1", "papers": []})
    with pytest.raises(InvalidRequest) as caught:
        schemas.load(
            schemas.PostalBatchSchema(), {"batch_id": "B1", "papers": [{"choices": ["Ada"]}]}
        )
    assert caught.value.fields == {
        "papers": {0: {"membership_number": ["Missing data for required field."]}}
    }


def test_a_decision_may_reject_every_candidate_but_must_say_why():
    loaded = schemas.load(schemas.DecisionSchema(), {"elector_id": None, "reason": "moved away"})
    assert loaded == {"elector_id": None, "reason": "moved away"}
    with pytest.raises(InvalidRequest) as caught:
        schemas.load(schemas.DecisionSchema(), {"elector_id": "E1"})
    assert caught.value.fields == {"reason": ["Say why, in a few words."]}


def test_the_association_query_is_optional_and_strict():
    assert schemas.load(schemas.AssociationQuery(), {}) == {"association": None}
    assert schemas.load(schemas.AssociationQuery(), {"association": "HACK"}) == {
        "association": "HACK"
    }
    with pytest.raises(InvalidRequest):
        schemas.load(schemas.AssociationQuery(), {"association": ""})
    with pytest.raises(InvalidRequest):
        schemas.load(schemas.AssociationQuery(), {"assoc": "HACK"})


def test_a_correction_is_trimmed_and_its_postcode_written_as_the_extract_writes_it():
    loaded = schemas.load(
        schemas.CorrectionSchema(),
        {"changes": {"postcode": " e8  1aa ", "town": " London "}, "reason": "moved"},
    )
    assert loaded == {"changes": {"postcode": "E8 1AA", "town": "London"}, "reason": "moved"}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"changes": {"town": "London"}}, "reason"),
        ({"changes": {"town": "London"}, "reason": ""}, "reason"),
        ({"reason": "moved"}, "changes"),
        ({"changes": {}, "reason": "moved"}, "changes"),
        ({"changes": {"association": "ISLI"}, "reason": "moved"}, "changes"),
        ({"changes": {"date_of_birth": "1990-01-01"}, "reason": "moved"}, "changes"),
        ({"changes": {"postcode": "not a postcode!"}, "reason": "moved"}, "changes"),
        ({"changes": {"email": "nobody-at-example"}, "reason": "moved"}, "changes"),
        ({"changes": {"first_name": "  "}, "reason": "moved"}, "changes"),
        ({"changes": {"town": 7}, "reason": "moved"}, "changes"),
    ],
)
def test_a_bad_correction_names_the_field(data, field):
    with pytest.raises(InvalidRequest) as caught:
        schemas.load(schemas.CorrectionSchema(), data)
    assert field in caught.value.fields


def test_a_change_decision_needs_a_real_boolean_and_a_reason():
    assert schemas.load(schemas.ChangeDecisionSchema(), {"approve": False, "reason": "no"}) == {
        "approve": False,
        "reason": "no",
    }
    for approve in ("yes", 1, "true", None):
        with pytest.raises(InvalidRequest) as caught:
            schemas.load(schemas.ChangeDecisionSchema(), {"approve": approve, "reason": "x"})
        assert "approve" in caught.value.fields
    with pytest.raises(InvalidRequest) as caught:
        schemas.load(schemas.ChangeDecisionSchema(), {"approve": True})
    assert caught.value.fields == {"reason": ["Say why, in a few words."]}


def test_a_roll_check_needs_a_number_and_a_postcode_and_never_echoes_them():
    loaded = schemas.load(
        schemas.RollCheckSchema(), {"membership_number": " M1 ", "postcode": "e8 1aa"}
    )
    assert loaded == {"membership_number": "M1", "postcode": "e8 1aa"}
    with pytest.raises(InvalidRequest) as caught:
        schemas.load(schemas.RollCheckSchema(), {"membership_number": "M1", "postcode": "Z"})
    assert set(caught.value.fields) == {"postcode"} and "Z" not in str(caught.value.fields)
    with pytest.raises(InvalidRequest):
        schemas.load(schemas.RollCheckSchema(), {"postcode": "E8 1AA"})


def test_closing_a_complaint_needs_its_outcome():
    assert schemas.load(schemas.ComplaintStatusSchema(), {"status": "investigating"}) == {
        "status": "investigating",
        "outcome": "",
    }
    for status in ("upheld", "dismissed"):
        with pytest.raises(InvalidRequest) as caught:
            schemas.load(schemas.ComplaintStatusSchema(), {"status": status, "outcome": " "})
        assert "outcome" in caught.value.fields
    with pytest.raises(InvalidRequest):
        schemas.load(schemas.ComplaintStatusSchema(), {"status": "open"})


def test_a_complaint_has_a_subject_and_a_deadline_in_whole_days():
    assert schemas.load(schemas.ComplaintSchema(), {"subject": "ballots lost"}) == {
        "subject": "ballots lost",
        "days": 14,
    }
    for days in (0, 366, "7", 1.5):
        with pytest.raises(InvalidRequest):
            schemas.load(schemas.ComplaintSchema(), {"subject": "x", "days": days})


def test_the_member_and_change_queries_are_strict():
    assert schemas.load(schemas.MembersQuery(), {}) == {"association": None, "format": "json"}
    with pytest.raises(InvalidRequest):
        schemas.load(schemas.MembersQuery(), {"format": "xlsx"})
    assert schemas.load(schemas.ChangesQuery(), {}) == {"status": "pending"}
    with pytest.raises(InvalidRequest):
        schemas.load(schemas.ChangesQuery(), {"status": "everything"})


# -- dropped extract rows ---------------------------------------------------------------


def test_a_row_correction_loads_the_columns_given_and_nothing_more():
    loaded = schemas.load(
        schemas.RowCorrectionSchema(),
        {"values": {"postcode": "E8 1AA", "association": "HACK"}, "reason": "typo"},
    )
    assert loaded == {"values": {"postcode": "E8 1AA", "association": "HACK"}, "reason": "typo"}


def test_a_row_correction_without_values_resubmits_the_row_as_received():
    loaded = schemas.load(schemas.RowCorrectionSchema(), {"reason": "HACK now exists"})
    assert loaded == {"values": {}, "reason": "HACK now exists"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"values": {"shoe_size": "9"}, "reason": "r"}, "values: shoe_size is not a column"),
        ({"values": {"x\ud800" * 30: "9"}, "reason": "r"}, "values.x\\ud800x\\ud800"),
        ({"values": {"postcode": 9}, "reason": "r"}, "values: postcode must be text."),
        ({"values": {"postcode": None}, "reason": "r"}, "values: postcode must be text."),
        ({"values": {"email": "a" * 2001}, "reason": "r"}, "values: email has 2,001 characters"),
        ({"values": {"town": "Hack\x00ney"}, "reason": "r"}, "values.town: This holds a control"),
        ({"values": {"town": "Hack\ud800ney"}, "reason": "r"}, "values.town: This holds a control"),
        ({"values": ["postcode"], "reason": "r"}, "values: Not a valid mapping"),
        ({"values": {}}, "reason: Say why"),
        ({"values": {}, "reason": ""}, "reason: Say why"),
        ({"values": {}, "reason": "x" * 2001}, "reason: Say why"),
        ({"values": {}, "reason": "because\x00"}, "reason: This holds a control character"),
        ({"values": {}, "reason": "r", "row_id": 3}, "row_id: Unknown field"),
    ],
)
def test_a_bad_row_correction_says_what_is_wrong_in_one_line(data, message):
    with pytest.raises(InvalidRequest) as caught:
        schemas.load(schemas.RowCorrectionSchema(), data)
    said = str(caught.value)
    assert said.startswith(message) and "\n" not in said
    said.encode("utf-8")  # quotable in a response, even when the request held broken text


def test_a_conflict_is_resolved_by_choosing_first_or_second_and_saying_why():
    loaded = schemas.load(
        schemas.ConflictResolutionSchema(), {"keep": "second", "reason": "newer address"}
    )
    assert loaded == {"keep": "second", "reason": "newer address"}
    for bad, message in (
        ({"keep": "both", "reason": "r"}, "keep: Choose first or second."),
        ({"reason": "r"}, "keep: Choose first or second."),
        ({"keep": "first"}, "reason: Say why, in a few words."),
    ):
        with pytest.raises(InvalidRequest) as caught:
            schemas.load(schemas.ConflictResolutionSchema(), bad)
        assert str(caught.value) == message


def test_the_dropped_rows_query_takes_known_kinds_and_statuses_only():
    query = schemas.load(schemas.DroppedRowsQuery(), {"kind": "conflict", "format": "csv"})
    assert query == {"association": None, "kind": "conflict", "status": None, "format": "csv"}
    for bad in ({"kind": "accepted"}, {"status": "closed"}, {"format": "xlsx"}, {"sort": "x"}):
        with pytest.raises(InvalidRequest):
            schemas.load(schemas.DroppedRowsQuery(), bad)


def test_a_complaints_days_is_any_whole_json_number_and_nothing_else():
    for days, loaded in ((14, 14), (57.0, 57), (365, 365)):
        assert (
            schemas.load(schemas.ComplaintSchema(), {"subject": "s", "days": days})["days"]
            == loaded
        )
    for bad in ("14", True, 14.5, None, 0, 366, float("inf")):
        with pytest.raises(InvalidRequest):
            schemas.load(schemas.ComplaintSchema(), {"subject": "s", "days": bad})
