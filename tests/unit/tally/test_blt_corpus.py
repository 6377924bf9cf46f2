"""A corpus of 1,100 BLT files in the published styles counts exactly as the same
ballots written in strict BLT: the result does not depend on the file's style.

The corpus is ``tests/builders/bltcorpus.py`` at a small scale (about 30 ballots a
file, so the test is quick); ``bench/count.py`` times the same builder at the scale
of Scottish council elections. Published files are counted from the reader's arrays
(``count_rows``), strict files from ``(names, weight)`` pairs (``count_ballots``),
so the two paths into the count are checked against each other too.
"""

from __future__ import annotations

from collections import Counter

import pytest

from services.tally.ballotfiles import read_election
from services.tally.counting import count_ballots, count_rows
from tests.builders.bltcorpus import NAME_STYLES, TITLE_STYLES, write_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("blt-corpus")
    return folder, write_corpus(folder, files=1100, mean_ballots=30, seed=7)


def test_the_corpus_mixes_every_published_variant(corpus):
    _, contests = corpus
    seen = Counter(flag for contest in contests for flag in contest.style.variants)
    wanted = {f"names:{s}" for s in NAME_STYLES} | {f"title:{s}" for s in TITLE_STYLES}
    wanted |= {"encoding:utf-8", "encoding:utf-8-sig", "encoding:cp1252"}
    wanted |= {"header_commas", "blank_lines", "name_spaces", "trailing_space", "crlf"}
    wanted |= {"ids", "grouped"}
    assert wanted <= set(seen), sorted(wanted - set(seen))
    assert sum(bool(c.withdrawn) for c in contests) >= 50
    assert sum(any("=" in p for p in c.papers) for c in contests) >= 50
    assert len(contests) == 1100


def test_every_published_file_reads_and_counts_as_its_strict_twin(corpus):
    folder, contests = corpus
    for contest in contests:
        name = f"{contest.number:04d}.blt"
        published = read_election(folder / name)
        strict = read_election(folder / "strict" / name)
        assert (
            published.candidates
            == strict.candidates
            == tuple(n for i, n in enumerate(contest.names, 1) if i not in contest.withdrawn)
        )
        assert dict(published.ballots) == dict(strict.ballots), name
        assert published.voters == len(contest.papers)
        assert (published.seats, published.title) == (contest.seats, contest.title)
        assert published.overvotes == strict.overvotes
        if contest.style.names in ("quoted-paren", "unquoted-paren"):
            assert set(published.parties.values()) <= {short for short, _ in contest.parties}
        elif contest.style.names == "two-strings":
            assert set(published.parties.values()) <= {long for _, long in contest.parties}
        else:
            assert published.parties == {}
        for method, seats in (("irv", 1), ("stv", contest.seats)):
            mine = count_rows(
                method, published.candidates, published.prefs, published.weights, seats, "s"
            )
            theirs = count_ballots(method, strict.candidates, strict.ballots, seats, "s")
            assert mine.to_dict() == theirs.to_dict(), (name, method)
