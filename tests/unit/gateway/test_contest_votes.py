"""What the gateway takes as a vote or a postal paper on a ballot with several contests."""

from __future__ import annotations

import pytest

from gateway.errors import InvalidRequest
from gateway.schemas import PostalBatchSchema, VoteSchema, load


def test_a_vote_gives_each_contest_its_choices_and_a_contest_may_be_empty():
    vote = load(VoteSchema(), {"code": "C", "contests": {"selection": ["Ada"], "motion": []}})
    assert vote["contests"] == {"selection": ["Ada"], "motion": []}
    assert load(VoteSchema(), {"code": "C", "choices": ["Ada"]})["choices"] == ["Ada"]


@pytest.mark.parametrize(
    "vote",
    [
        {"code": "C"},
        {"code": "C", "contests": {}},
        {"code": "C", "choices": ["Ada"], "contests": {"selection": ["Ada"]}},
        {"code": "C", "contests": {"Not An Id": ["Ada"]}},
        {"code": "C", "contests": {"selection": ["Ada", "Ada"]}},
        {"code": "C", "contests": {"selection": "Ada"}},
    ],
)
def test_a_vote_with_neither_both_or_bad_contests_is_refused_by_field(vote):
    with pytest.raises(InvalidRequest) as refused:
        load(VoteSchema(), vote)
    # Refused for what is wrong with the contests, not because the field is unknown.
    assert refused.value.fields and "Unknown field" not in str(refused.value.fields)


def test_a_postal_voter_s_papers_are_entered_together_one_per_contest():
    batch = load(
        PostalBatchSchema(),
        {
            "batch_id": "b1",
            "papers": [
                {"membership_number": "M1", "contests": {"selection": ["Ada"], "motion": []}},
                {"membership_number": "M2", "choices": ["Ada"]},
            ],
        },
    )
    assert batch["papers"][0]["contests"] == {"selection": ["Ada"], "motion": []}
    with pytest.raises(InvalidRequest):
        load(PostalBatchSchema(), {"batch_id": "b1", "papers": [{"membership_number": "M1"}]})
