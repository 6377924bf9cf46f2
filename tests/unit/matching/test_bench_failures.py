"""bench/match_failures.py's judgements: which counted failures the record itself decides
(a false match indistinguishable from a right one, a review issue 10's housemate rule
asks for) and which are the matcher's."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]


def _failures() -> Any:
    spec = importlib.util.spec_from_file_location(
        "match_failures", ROOT / "bench" / "match_failures.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _line(failure: str, first: str, last: str, forenames: str, surname: str, reasons: str):
    return {
        "failure": failure, "membership_number": "SH1", "kind": "x", "decision": "match",
        "score": "0.99", "reasons": reasons,
        "member": {"first_name": first, "last_name": last},
        "true_elector": None,
        "chosen_elector": {"forenames": forenames, "surname": surname},
    }  # fmt: skip


AT_HOME = "same house and street; same postcode; first name identical; surname identical"


def test_a_namesake_at_the_held_address_is_judged_indistinguishable() -> None:
    bench = _failures()
    lines = [
        _line("false_match", "Andrew", "Sutcliffe", "Andrew James", "Sutcliffe", AT_HOME),
        _line("false_match", "Kit", "Marsden", "Christopher", "Marsden", AT_HOME),
        _line("false_match", "Bozena", "Jankowska", "Bożena", "Jankowska", AT_HOME),
    ]
    assert [bench.judge(line) for line in lines] == ["indistinguishable"] * 3
    judged = bench.judgements(lines)
    assert judged["false_match"]["indistinguishable"]["count"] == 3


def test_a_false_match_the_record_could_have_avoided_is_the_matchers() -> None:
    bench = _failures()
    lines = [
        # Known by a middle name: the record does not fit the elector's first name.
        _line("false_match", "Euan", "McDonald", "Angus Euan", "MacDonald", AT_HOME),
        # Another surname (a married name?) at the address.
        _line("false_match", "Timothy", "Jackson", "Timothy", "Moore", AT_HOME),
        # A middle name on the record that is not the elector's.
        _line("false_match", "John Peter", "Wood", "John Frederick", "Wood", AT_HOME),
        # The long form on the record for an elector registered by the short one.
        _line("false_match", "Leonard", "Baker", "Leo", "Baker", AT_HOME),
        # Matched at another house (a district slip, say): not the held address.
        _line("false_match", "Iain", "Ross", "Iain", "Ross", "same street; ..."),
    ]
    assert [bench.judge(line) for line in lines] == ["matcher"] * 5


def test_a_review_of_the_housemate_rule_is_judged_the_issues() -> None:
    bench = _failures()
    rule = _line(
        "avoidable_review", "Megan", "Cadwaladr", "Megan", "Cadwaladr",
        "needs a person: Menna Megan Cadwaladr at the same address has 'Megan' as a "
        "middle name; best fit Megan Cadwaladr (22 Gillygate Mount): " + AT_HOME,
    )  # fmt: skip
    other = _line(
        "avoidable_review", "Jack", "Harris", "John", "Harris",
        "needs a person: the evidence is not strong enough to be sure (90%); best fit ...",
    )  # fmt: skip
    assert (bench.judge(rule), bench.judge(other)) == ("issue rule", "matcher")
