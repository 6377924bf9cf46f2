"""The order candidates are shown in: fixed, alphabetical by surname, random per view, rotated
per print batch; and the stored paper is by name, so the order never matters to the count."""

from __future__ import annotations

from collections import Counter

from rollcall import ordering
from services.tally import contests

NAMES = ["Mary Ann SMITH", "Ó Súilleabháin, Siân", "Ada Lovelace", "Tom ABBOTT (Lab)", ordering.RON]


def test_fixed_is_as_listed():
    assert ordering.for_page(NAMES, "fixed") == NAMES
    assert ordering.for_page(NAMES, None) == NAMES


def test_alphabetical_is_by_surname_folded_then_name_with_ron_last():
    names = [
        "Mary Ann SMITH",
        "Siân Ó Súilleabháin",
        "Ada Lovelace",
        "Tom ABBOTT (Lab)",
        "Zed Smith",
    ]
    assert ordering.for_page([*names, ordering.RON], "alphabetical") == [
        "Tom ABBOTT (Lab)",
        "Ada Lovelace",
        "Mary Ann SMITH",
        "Zed Smith",
        "Siân Ó Súilleabháin",
        ordering.RON,
    ]


def test_random_differs_across_views_and_puts_every_candidate_first():
    views = [tuple(ordering.for_page(NAMES, "random")) for _ in range(400)]
    assert all(sorted(v) == sorted(NAMES) for v in views)
    assert len(set(views)) > 50  # 120 orders possible; a fixed or seeded order gives 1
    firsts = Counter(v[0] for v in views)
    assert set(firsts) == set(NAMES)
    assert min(firsts.values()) > 40  # 80 expected each; far from it would not be uniform


def test_post_rotates_per_batch_starting_at_candidate_k_mod_n():
    n = len(NAMES)
    for k in range(2 * n + 1):
        order = ordering.for_batch(NAMES, "random", k)
        assert order[0] == NAMES[k % n]
        assert order == NAMES[k % n :] + NAMES[: k % n]
    assert ordering.for_batch(NAMES, "fixed", 3) == NAMES
    assert ordering.for_batch(NAMES, "alphabetical", 3) == ordering.alphabetical(NAMES)


def test_the_stored_paper_is_by_name_whatever_order_the_page_showed():
    definition = {"title": "T", "method": "irv", "seats": 1, "candidates": NAMES, "order": "random"}
    shown = ordering.for_page(NAMES, "random")
    choices = ["Ada Lovelace", "Mary Ann SMITH"]
    assert contests.paper(definition, choices) == choices
    assert contests.paper({**definition, "candidates": shown}, choices) == choices
