"""Eligibility rules, each exclusion with its reason."""

from __future__ import annotations

from datetime import date

from services.registration import eligibility

FREEZE = date(2026, 11, 1)


def member(**kw: str) -> dict[str, str]:
    base = {
        "status": "current",
        "joined_on": "2020-01-01",
        "dues_paid_to": "2027-01-01",
        "payment_reference": "",
    }
    base.update(kw)
    return base


def test_a_current_member_with_no_rules_is_eligible():
    assert eligibility.reasons(member(), {}, FREEZE) == []


def test_a_lapsed_member_is_excluded_naming_the_freeze_date():
    (why,) = eligibility.reasons(member(status="lapsed"), {}, FREEZE)
    assert "not current at the freeze date 2026-11-01" in why and "lapsed" in why


def test_joining_on_or_after_the_cut_off_excludes():
    rules = {"joined_before": "2026-06-01"}
    assert eligibility.reasons(member(joined_on="2026-05-31"), rules, FREEZE) == []
    (why,) = eligibility.reasons(member(joined_on="2026-06-01"), rules, FREEZE)
    assert "not before the cut-off 2026-06-01" in why


def test_dues_in_arrears_exclude_only_where_the_ballot_requires_dues():
    late = member(dues_paid_to="2026-10-31")
    assert eligibility.reasons(late, {}, FREEZE) == []
    (why,) = eligibility.reasons(late, {"dues_required": True}, FREEZE)
    assert "arrears" in why and "2026-10-31" in why


def test_supporters_vote_only_where_allowed_and_with_a_payment_reference():
    supporter = member(status="supporter")
    assert "cannot vote" in eligibility.reasons(supporter, {}, FREEZE)[0]
    assert "payment reference" in eligibility.reasons(supporter, {"supporters": True}, FREEZE)[0]
    paid = member(status="supporter", payment_reference="PAY-123")
    assert eligibility.reasons(paid, {"supporters": True}, FREEZE) == []


def test_unknown_rules_are_refused_by_name():
    assert eligibility.check_rules({"age_over": 16}) == ["unknown eligibility rule 'age_over'"]
