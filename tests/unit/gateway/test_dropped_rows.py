"""What the dropped-row routes work out themselves: a refused correction's words, an officer's counts."""

from __future__ import annotations

from gateway import dropped_rows

COUNTS = {
    "by_association": {
        "HACK": {"rejected": 2, "duplicate": 1, "conflict": 1, "corrected": 1, "resolved": 0},
        "ISLI": {"rejected": 1, "duplicate": 0, "conflict": 0, "corrected": 0, "resolved": 0},
    },
    "totals": {"rejected": 3, "duplicate": 1, "conflict": 1, "corrected": 1, "resolved": 0},
}


def test_a_correction_still_rejected_is_a_422_giving_every_reason_in_one_line():
    answer = dropped_rows.still_rejected(["the postcode 'E8' is not a postcode", "no date"])
    assert answer.status == 422
    assert answer.body == {
        "error": {
            "code": "row_still_rejected",
            "message": (
                "The corrected row is still rejected: the postcode 'E8' is not a postcode; no date."
            ),
        }
    }


def test_counts_for_one_association_are_that_associations_alone():
    assert dropped_rows.counts_for(COUNTS, None) == COUNTS
    hack = COUNTS["by_association"]["HACK"]
    assert dropped_rows.counts_for(COUNTS, "HACK") == {
        "by_association": {"HACK": hack},
        "totals": hack,
    }
    nothing = dropped_rows.counts_for(COUNTS, "CAMD")
    assert nothing["totals"] == dict.fromkeys(dropped_rows.COUNTED, 0)
    assert nothing["by_association"] == {"CAMD": nothing["totals"]}
