"""Reading PrefLib and BLT ballot files, good and malformed."""

from __future__ import annotations

import pytest

from services.tally.ballotfiles import BallotFileError, parse_blt, parse_preflib, read_election

HEAD = """# FILE NAME: x.toi
# TITLE: Test Election
# NUMBER ALTERNATIVES: 3
# ALTERNATIVE NAME 1: Ann Smith
# ALTERNATIVE NAME 2: "Bob"
# ALTERNATIVE NAME 3: Cy   Jones
"""


def test_preflib_reads_names_titles_and_counts():
    data = parse_preflib(HEAD + "5: 1,2,3\n2: 3\n", "x.soi", "soi")
    assert data.title == "Test Election"
    assert data.candidates == ("Ann Smith", '"Bob"', "Cy   Jones")
    assert data.ballots == [(("Ann Smith", '"Bob"', "Cy   Jones"), 5), (("Cy   Jones",), 2)]
    assert data.voters == 7
    assert data.overvotes == 0


def test_toi_equal_ranking_exhausts_the_ballot_and_is_counted():
    data = parse_preflib(HEAD + "4: 2,{1,3}\n3: {1,2},3\n1: 3,{2},1\n", "x.toi", "toi")
    assert data.ballots == [
        (('"Bob"',), 4),
        ((), 3),
        (("Cy   Jones", '"Bob"', "Ann Smith"), 1),
    ]
    assert data.overvotes == 7


def test_equal_ranking_is_refused_in_a_strict_order_file():
    with pytest.raises(BallotFileError, match=r"x.soi:7: equal ranking"):
        parse_preflib(HEAD + "4: 2,{1,3}\n", "x.soi", "soi")


def test_soc_ballots_must_rank_everyone():
    parse_preflib(HEAD + "1: 3,1,2\n", "x.soc", "soc")
    with pytest.raises(BallotFileError, match=r"x.soc:7: a .soc ballot must rank every"):
        parse_preflib(HEAD + "1: 3,1\n", "x.soc", "soc")


@pytest.mark.parametrize(
    ("body", "line", "column", "problem"),
    [
        ("5: 1,4\n", 7, None, "candidate 4 has no ALTERNATIVE NAME"),
        ("5: 1,1\n", 7, None, "candidate 1 ranked twice"),
        ("5 1,2\n", 7, 1, "expected 'count: preferences'"),
        ("x: 1,2\n", 7, 1, "ballot count 'x' is not a whole number"),
        ("0: 1,2\n", 7, None, "ballot count 0 is not positive"),
        ("1: 1,\n", 7, 5, "trailing ','"),
        ("1: 1,{2,3\n", 7, 6, "'{' without a closing '}'"),
        ("1: 1,two\n", 7, 6, "candidate 'two' is not a whole number"),
        ("1: 1 2\n", 7, 4, "candidate '1 2' is not a whole number"),
        ("1: {1,2}3\n", 7, 9, "expected ',' before '3'"),
        ("1: 1,2\n# NUMBER VOTERS: 1\n", 8, 1, "header line after the ballots began"),
    ],
)
def test_malformed_preflib_line_is_reported_with_file_line_and_column(body, line, column, problem):
    with pytest.raises(BallotFileError) as caught:
        parse_preflib(HEAD + body, "x.toi", "toi")
    assert (caught.value.line, caught.value.column) == (line, column)
    where = f"x.toi:{line}:{column}: " if column else f"x.toi:{line}: "
    assert str(caught.value).startswith(where)
    assert problem in str(caught.value)


def test_preflib_headers_must_agree_with_the_data():
    text = HEAD + "# NUMBER VOTERS: 9\n# NUMBER UNIQUE ORDERS: 1\n2: 1\n"
    with pytest.raises(BallotFileError, match=r"x.toi:7: header says 9 voters but the file has 2"):
        parse_preflib(text, "x.toi", "toi")
    with pytest.raises(BallotFileError, match="3 alternatives but the file has 2"):
        parse_preflib(
            HEAD.replace("# ALTERNATIVE NAME 3: Cy   Jones\n", "") + "1: 1\n", "x.toi", "toi"
        )


def test_preflib_without_names_is_refused():
    with pytest.raises(BallotFileError, match=r"x.soi:1: ballots before any ALTERNATIVE NAME"):
        parse_preflib("1: 1,2\n", "x.soi", "soi")
    with pytest.raises(BallotFileError, match="not numbered 1..n"):
        parse_preflib("# ALTERNATIVE NAME 2: B\n1: 2\n", "x.soi", "soi")


BLT = """4 2
-4
3 1 2 0
2 2 3 1 0
1 3=1 2 0
1 4 0
0
"Ann"
"Bob"
"Cy \\"The Fox\\""
"Dee"
"By-election"
"""


def test_blt_reads_seats_withdrawn_overvotes_and_names():
    data = parse_blt(BLT, "x.blt")
    assert data.seats == 2
    assert data.title == "By-election"
    assert data.withdrawn == ("Dee",)
    assert data.candidates == ("Ann", "Bob", 'Cy "The Fox"')
    assert data.ballots == [
        (("Ann", "Bob"), 3),
        (("Bob", 'Cy "The Fox"', "Ann"), 2),
        ((), 2),
    ]
    assert data.overvotes == 1


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("", 1, "empty file"),
        ("4\n", 1, "expected 'candidates seats'"),
        ("2 1\n1 3 0\n0\n", 2, "preference 3 is not a candidate"),
        ("2 1\n1 1 1 0\n0\n", 2, "candidate 1 ranked twice"),
        ("2 1\n1 1 2\n0\n", 2, "must end with 0"),
        ("2 1\n-1 2 1 0\n", 2, "withdrawn candidate"),
        ("2 1\n1 1 0\n", 2, "not ended by a line '0'"),
        ('2 1\n1 1 0\n0\n"A"\n', 4, "expected 2 candidate names, found 1"),
        ('2 1\n1 1 0\n0\n"A"\n"A"\n', 5, "two candidates share the name 'A'"),
        ('2 1\n1 1 0\n0\n"A"\n"B\n', 5, "'\"' without a closing '\"'"),
        ('2 1\n1 x 0\n0\n"A"\n"B"\n', 2, "preference 'x' is not a whole number"),
        ('2 1\nx 1 0\n0\n"A"\n"B"\n', 2, "ballot weight 'x' is not a number"),
        ("2 0\n", 1, "at least 1"),
    ],
)
def test_malformed_blt_is_reported_with_file_and_line(text, line, problem):
    with pytest.raises(BallotFileError) as caught:
        parse_blt(text, "x.blt")
    assert caught.value.line == line, str(caught.value)
    assert problem in str(caught.value)


def test_read_election_picks_the_format_by_extension(tmp_path):
    (tmp_path / "a.blt").write_text(BLT, encoding="utf-8")
    (tmp_path / "b.toi").write_text(HEAD + "1: {1,2}\n", encoding="utf-8")
    assert read_election(tmp_path / "a.blt").format == "blt"
    assert read_election(tmp_path / "b.toi").overvotes == 1
    (tmp_path / "c.csv").write_text("x", encoding="utf-8")
    with pytest.raises(BallotFileError, match="unknown extension"):
        read_election(tmp_path / "c.csv")
    with pytest.raises(BallotFileError, match="cannot read"):
        read_election(tmp_path / "missing.soi")
    (tmp_path / "d.soi").write_bytes(b"# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: \x81\n")
    with pytest.raises(BallotFileError, match=r"d.soi:2: neither UTF-8 nor Windows-1252"):
        read_election(tmp_path / "d.soi")


def test_toc_allows_ties_and_must_rank_everyone_and_preflib_takes_published_quirks():
    text = (
        "\ufeff"
        + HEAD.replace("\n", "\r\n")
        + "# DATA TYPE: toc\r\n# MODIFICATION TYPE: original\r\n"
    )
    data = parse_preflib(text + "3: 1,{2,3}\r\n2:  3 , 1 , 2 \r\n", "x.toc", "toc")
    assert data.format == "toc"
    assert data.ballots == [(("Ann Smith",), 3), (("Cy   Jones", "Ann Smith", '"Bob"'), 2)]
    assert data.overvotes == 3
    with pytest.raises(BallotFileError, match=r"x.toc:7: a .toc ballot must rank every"):
        parse_preflib(HEAD + "3: 1,{2}\n", "x.toc", "toc")


def test_read_election_reads_toc_files(tmp_path):
    (tmp_path / "e.toc").write_text(HEAD + "1: {1,2},3\n", encoding="utf-8")
    assert read_election(tmp_path / "e.toc").overvotes == 1
