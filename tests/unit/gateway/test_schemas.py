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
