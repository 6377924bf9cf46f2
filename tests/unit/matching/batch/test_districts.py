"""Postcode districts are shared out between a file run's workers: evenly, and so that a
register row's postcode text goes where its normalised postcode does."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from rollcall.formats import EXTRACT_COLUMNS
from services.matching.batch.districts import Districts
from services.matching.matcher.addresses import normalise_postcode
from tests.builders.registers import write_lines


@pytest.mark.parametrize(
    "text", ["E8 1AB", "e81ab", " SW1A 2AA ", "N1-9GU", "W1A 0AX", "EC1A 1BB", "E8 IAB", "B1 1AA"]
)
def test_a_rows_postcode_text_goes_to_the_worker_of_its_normalised_district(text: str) -> None:
    postcode = normalise_postcode(text)
    assert postcode is not None
    for workers in (2, 3, 4):
        for owner in ({}, {"E8": workers - 1, "N1": 1, "SW1A": 0, "EC1A": 1}):
            districts = Districts(workers, owner)
            assert districts.of_text(text) == districts.of_postcode(postcode)


def test_districts_are_shared_out_so_workers_get_about_as_many_members(tmp_path: Path) -> None:
    rows = [f"M{i},,A,B,1 High St,,,,E{i % 7 + 1} {i % 9}AB,,,,,X,current" for i in range(700)]
    rows += [f"N{i},,A,B,1 High St,,,,SW{i % 3 + 1} 1AB,,,,,X,current" for i in range(300)]
    members = write_lines(tmp_path / "m.csv", EXTRACT_COLUMNS, rows)
    districts = Districts.balanced(members, 3)
    assert len(districts.owner) == 10
    loads = Counter(districts.owner[d] for d in [f"E{i % 7 + 1}" for i in range(700)])
    loads.update(districts.owner[d] for d in [f"SW{i % 3 + 1}" for i in range(300)])
    assert max(loads.values()) - min(loads.values()) <= 100  # one district of 100 at most
