"""The ledger's states and moves: pure rules, and properties over every state and fact."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.registration import ledger


def test_ledger_moves_follow_the_flow_and_refuse_what_cannot_happen():
    assert ledger.move("awaiting_match", "matched", "ok").state == "awaiting_code"
    assert ledger.move("awaiting_code", "code_emailed", "sent").state == "code_emailed"
    assert ledger.move("code_emailed", "voted", "online").state == "voted"
    with pytest.raises(ledger.MoveRefused, match="has voted"):
        ledger.move("voted", "matched", "late decision")
    with pytest.raises(ledger.MoveRefused):
        ledger.move("awaiting_match", "code_emailed", "too early")


def test_a_new_member_awaits_a_match_unless_excluded_with_every_reason():
    assert ledger.initial([]) == ledger.Move("awaiting_match", ledger.STATES["awaiting_match"])
    assert ledger.initial(["joined too late", "dues in arrears"]) == ledger.Move(
        "excluded", "excluded: joined too late; dues in arrears"
    )


@pytest.mark.parametrize("state", ["awaiting_match", "in_review", *ledger.ENROLLED])
def test_a_lapse_excludes_whoever_has_not_voted(state):
    assert ledger.move(state, "lapsed", "excluded: lapsed").state == "excluded"


@pytest.mark.parametrize("state", ["voted", "excluded"])
def test_a_lapse_leaves_a_vote_or_an_exclusion_as_it_is(state):
    assert ledger.move(state, "lapsed", "excluded: lapsed") == ledger.Move(state, "", changes=False)


def test_every_state_has_words_and_every_named_state_is_a_state():
    assert set(ledger.IN_FLIGHT) <= set(ledger.STATES)
    assert set(ledger.ENROLLED) <= set(ledger.STATES)
    for fact in ledger.MOVES.values():
        assert fact.to in ledger.STATES
        assert set(fact.from_states) | set(fact.leaves) <= set(ledger.STATES)


@given(st.sampled_from(list(ledger.STATES)), st.sampled_from(list(ledger.MOVES)))
def test_every_fact_from_every_state_ends_in_one_known_state_or_is_refused(state, fact):
    try:
        result = ledger.move(state, fact, "why")
    except ledger.MoveRefused as refused:
        assert state in str(refused)
        return
    assert result.state in ledger.STATES
    assert result.changes or result.state == state


@pytest.mark.parametrize("state", ledger.HOLDS_CODE)
def test_a_replacement_asked_for_by_a_code_holder_awaits_the_new_code(state):
    assert ledger.move(state, "replacement_requested", "asked").state == "awaiting_code"


@pytest.mark.parametrize("state", ["awaiting_match", "in_review", "excluded", "voted"])
def test_no_replacement_for_a_member_who_holds_no_code_or_has_voted(state):
    with pytest.raises(ledger.MoveRefused):
        ledger.move(state, "replacement_requested", "asked")


def test_a_late_bounce_leaves_the_member_not_reached_until_a_letter_is_queued():
    bounced = ledger.move("code_emailed", "bounced", "bounced: 550 no such user")
    assert bounced.state in ledger.NOT_REACHED
    assert ledger.move(bounced.state, "letter_queued_after_bounce", "posted").state == (
        "letter_queued"
    )
    with pytest.raises(ledger.MoveRefused):
        ledger.move("voted", "bounced", "a bounce after the vote changes nothing")
