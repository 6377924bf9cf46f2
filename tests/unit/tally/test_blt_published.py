"""BLT files as councils and researchers publish them: every variant reads, and means
exactly what the strict file with the same ballots means.

``STRICT`` is the reference: quoted names, quoted title, one paper per line. Each
variant below is the same election written another way, as found in published
files; reading it must give the same candidates, ballots, seats and title (and the
party, where the file gives one). The hand-written files under ``blt_files/`` are
whole published-style files kept as fixtures.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.tally.ballotfiles import BallotFileError, parse_blt, read_election
from services.tally.counting import count_ballots, count_rows

FIXTURES = Path(__file__).parent / "blt_files"

STRICT = """4 2
1 1 2 0
1 2 3 1 0
1 2 3 0
1 4 1 0
1 3 0
0
"Yvonne ALLAN"
"Hazel MCLEOD"
"Ruairidh MacDHÒMHNAILL"
"Zoë O'NEILL"
"Ward 2 - Bonnyrigg"
"""

BALLOTS = {
    ("Yvonne ALLAN", "Hazel MCLEOD"): 1,
    ("Hazel MCLEOD", "Ruairidh MacDHÒMHNAILL", "Yvonne ALLAN"): 1,
    ("Hazel MCLEOD", "Ruairidh MacDHÒMHNAILL"): 1,
    ("Zoë O'NEILL", "Yvonne ALLAN"): 1,
    ("Ruairidh MacDHÒMHNAILL",): 1,
}
NAMES = ("Yvonne ALLAN", "Hazel MCLEOD", "Ruairidh MacDHÒMHNAILL", "Zoë O'NEILL")
BODY = "1 1 2 0\n1 2 3 1 0\n1 2 3 0\n1 4 1 0\n1 3 0\n0\n"


def names_block(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


VARIANTS = {
    "unquoted names with a party in parentheses": "4 2\n"
    + BODY
    + names_block(
        [
            "Yvonne ALLAN (Lab)",
            "Hazel MCLEOD (Lab)",
            "Ruairidh MacDHÒMHNAILL (SNP)",
            "Zoë O'NEILL (Ind)",
            '"Ward 2 - Bonnyrigg"',
        ]
    ),
    "a second quoted string for the party": "4 2\n"
    + BODY
    + names_block(
        [
            '"Yvonne ALLAN" "Scottish Labour Party"',
            '"Hazel MCLEOD" "Scottish Labour Party"',
            '"Ruairidh MacDHÒMHNAILL" "Scottish National Party (SNP)"',
            '"Zoë O\'NEILL" "Independent"',
            '"Ward 2 - Bonnyrigg"',
        ]
    ),
    "a party in parentheses inside the quotes": STRICT.replace('ALLAN"', 'ALLAN (Lab)"'),
    "names without quotes or parties": "4 2\n"
    + BODY
    + names_block([*NAMES, '"Ward 2 - Bonnyrigg"']),
    "the title unquoted": STRICT.replace('"Ward 2 - Bonnyrigg"', "Ward 2 - Bonnyrigg"),
    "the title on several lines": STRICT.replace('"Ward 2 - Bonnyrigg"', "Ward 2 -\nBonnyrigg"),
    "commas after the header's numbers": STRICT.replace("4 2\n", "4,2,\n", 1),
    "commas between a ballot's numbers": STRICT.replace("1 2 3 1 0", "1,2,3,1,0"),
    "blank lines everywhere": STRICT.replace("\n", "\n\n"),
    "runs of spaces inside names": STRICT.replace("Yvonne ALLAN", "Yvonne    ALLAN"),
    "runs of spaces and tabs between numbers": STRICT.replace("1 2 3 0", "1  2\t3   0"),
    "trailing whitespace on every line": STRICT.replace("\n", " \t \n"),
    "CRLF line endings": STRICT.replace("\n", "\r\n"),
    "a byte-order mark": "\ufeff" + STRICT,
    "ballot ids before the weight": STRICT.replace("\n1 ", "\n(0007) 1 ", 5),
    "a terminating 0 written with a comma": STRICT.replace("\n0\n", "\n0,\n"),
}


def same_as_strict(data, parties=None):
    assert data.candidates == NAMES
    assert dict(data.ballots) == BALLOTS
    assert data.seats == 2
    assert data.title == "Ward 2 - Bonnyrigg"
    assert data.parties == (parties or {})


def test_the_strict_reference_reads():
    same_as_strict(parse_blt(STRICT, "x.blt"))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_published_variant_reads_as_the_strict_file(variant):
    data = parse_blt(VARIANTS[variant], "x.blt")
    assert data.candidates == NAMES
    assert dict(data.ballots) == BALLOTS
    assert data.seats == 2
    assert data.title == "Ward 2 - Bonnyrigg"


def test_the_party_in_parentheses_is_kept_as_the_candidates_party():
    data = parse_blt(VARIANTS["unquoted names with a party in parentheses"], "x.blt")
    same_as_strict(
        data,
        {
            "Yvonne ALLAN": "Lab",
            "Hazel MCLEOD": "Lab",
            "Ruairidh MacDHÒMHNAILL": "SNP",
            "Zoë O'NEILL": "Ind",
        },
    )
    assert data.label("Yvonne ALLAN") == "Yvonne ALLAN (Lab)"


def test_a_second_quoted_string_is_the_candidates_party():
    data = parse_blt(VARIANTS["a second quoted string for the party"], "x.blt")
    assert data.parties["Hazel MCLEOD"] == "Scottish Labour Party"
    assert data.parties["Ruairidh MacDHÒMHNAILL"] == "Scottish National Party (SNP)"
    assert dict(data.ballots) == BALLOTS


def test_grouped_papers_and_papers_one_per_line_are_the_same_ballots():
    grouped = STRICT.replace("1 1 2 0\n", "3 1 2 0\n")
    single = STRICT.replace("1 1 2 0\n", "1 1 2 0\n1 1 2 0\n1 1 2 0\n")
    assert dict(parse_blt(grouped, "g.blt").ballots) == dict(parse_blt(single, "s.blt").ballots)
    assert parse_blt(grouped, "g.blt").voters == 7


def test_equal_rankings_and_withdrawn_candidates_in_a_published_file():
    text = "4,2,\n-4\n(1) 1 1 2=3 4 0 \n(2) 1 4 2 0\n0\nA (Lab)\nB (SNP)\nC\nD (Con)\nTitle\n"
    data = parse_blt(text, "x.blt")
    assert data.withdrawn == ("D",)
    assert data.candidates == ("A", "B", "C")
    assert dict(data.ballots) == {("A",): 1, ("B",): 1}
    assert data.overvotes == 1
    assert data.parties == {"A": "Lab", "B": "SNP"}


def test_fractional_weights_are_read_exactly():
    text = STRICT.replace("1 1 2 0", "0.5 1 2 0").replace("1 3 0\n", "1/3 3 0\n")
    data = parse_blt(text, "x.blt")
    weights = dict(data.ballots)
    assert weights[("Yvonne ALLAN", "Hazel MCLEOD")] == Fraction(1, 2)
    assert weights[("Ruairidh MacDHÒMHNAILL",)] == Fraction(1, 3)
    assert data.fractional
    assert data.voters == Fraction(23, 6)


def test_a_weight_that_divides_by_zero_is_refused_with_its_line_and_column():
    with pytest.raises(BallotFileError) as refused:
        parse_blt(STRICT.replace("1 3 0\n", "1/0 3 0\n"), "x.blt")
    assert str(refused.value).startswith("x.blt:6:1:") and "divides by zero" in str(refused.value)


def test_a_windows_1252_file_reads(tmp_path):
    path = tmp_path / "ward.blt"
    path.write_bytes(STRICT.replace("Ò", "O").encode("cp1252"))
    data = read_election(path)
    assert data.candidates[3] == "Zoë O'NEILL"


def test_mojibake_and_gaelic_titles_are_kept_as_written():
    text = STRICT.replace('"Ward 2 - Bonnyrigg"', "Ward 7 â€“ Leith\nNa Hearadh agus Ceann a Deas")
    assert parse_blt(text, "x.blt").title == "Ward 7 â€“ Leith Na Hearadh agus Ceann a Deas"


@pytest.mark.parametrize(
    ("text", "line", "column", "problem"),
    [
        ("4 2 1\n", 1, 1, "expected 'candidates seats' (two whole numbers)"),
        ("4 x\n", 1, 3, "header value 'x' is not a whole number"),
        ("2 1\n1 1 5 0\n0\nA\nB\n", 2, 5, "preference 5 is not a candidate (expected 1 to 2)"),
        ("2 1\n1 1 2 1 0\n0\nA\nB\n", 2, 7, "candidate 1 ranked twice"),
        ("2 1\n1 1 2\n0\nA\nB\n", 2, 6, "must end with 0 (expected '0' here)"),
        ("2 1\n1 1 2 0 \n1 1 2=x 0\n0\nA\nB\n", 3, 7, "preference 'x' is not a whole number"),
        ("2 1\n-3\n1 1 0\n0\nA\nB\n", 2, 1, "withdrawn candidate -3 out of range"),
        ('2 1\n1 1 0\n0\n"A" "Lab" "extra"\nB\n', 4, None, "at most one party"),
        ("2 1\n1 1 0\n0\nA\n", 4, None, "expected 2 candidate names, found 1"),
        ("2 1\n1 1 0\n1 2 0\n", 3, None, "expected '0' after the ballots"),
    ],
)
def test_what_cannot_be_read_is_refused_with_line_column_and_what_was_expected(
    text, line, column, problem
):
    with pytest.raises(BallotFileError) as caught:
        parse_blt(text, "x.blt")
    assert (caught.value.line, caught.value.column) == (line, column), str(caught.value)
    assert problem in str(caught.value)
    where = f"x.blt:{line}:{column}: " if column else f"x.blt:{line}: "
    assert str(caught.value).startswith(where)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from('0123456789 ,=-\t\n()"#.A/'), max_size=80),
    st.integers(0, len(STRICT)),
)
def test_any_damage_to_a_file_is_read_or_refused_never_anything_else(junk, at):
    try:
        data = parse_blt(STRICT[:at] + junk + STRICT[at:], "x.blt")
    except BallotFileError as err:
        assert str(err).startswith("x.blt:")
        return
    assert len(data.candidates) == len(set(data.candidates))
    assert all(set(choices) <= set(data.candidates) for choices, _ in data.ballots)


def test_the_hand_written_fixtures_read_and_count_like_their_strict_twins():
    published = sorted(FIXTURES.glob("*.blt"))
    assert len(published) >= 5
    for path in published:
        strict = FIXTURES / "strict" / path.name
        a, b = read_election(path), read_election(strict)
        assert (a.candidates, dict(a.ballots), a.seats, a.withdrawn) == (
            b.candidates,
            dict(b.ballots),
            b.seats,
            b.withdrawn,
        ), path.name
        for method, seats in (("irv", 1), ("stv", a.seats)):
            rows = count_rows(method, a.candidates, a.prefs, a.weights, seats, "s").to_dict()
            strict_count = count_ballots(method, b.candidates, b.ballots, seats, "s").to_dict()
            assert rows == strict_count, path.name


def doc_examples(name: str) -> list[str]:
    text = (Path(__file__).resolve().parents[3] / "docs" / name).read_text(encoding="utf-8")
    return re.findall(r"```blt\n(.*?)```", text, flags=re.S)


def test_the_example_in_docs_formats_reads_as_the_doc_says():
    [example] = doc_examples("formats.md")
    data = parse_blt(example, "ward.blt")
    assert data.candidates == (
        "Yvonne ALLAN",
        "Hazel MCLEOD",
        "Peter SMAILL",
        "Debbi MCCALL",
        "Ellen SCOTT",
    )
    assert data.parties == {
        "Yvonne ALLAN": "Lab",
        "Hazel MCLEOD": "Scottish Labour Party",
        "Peter SMAILL": "Con",
    }
    assert (data.voters, data.seats, data.overvotes) == (6, 1, 1)
    assert dict(data.ballots)[()] == 1
    assert data.title == "Ward 2 - Bonnyrigg"


def test_a_file_that_stops_after_its_ballots_blames_the_line_that_ends_them():
    with pytest.raises(BallotFileError) as caught:
        parse_blt("2 1\n1 1 2 0\n0\n", "x.blt")
    assert caught.value.line == 3
    assert "expected 2 candidate names, found 0" in str(caught.value)
