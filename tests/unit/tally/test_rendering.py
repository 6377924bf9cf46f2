"""The stage table and chart show what the count did."""

from __future__ import annotations

from services.tally.counting import count_ballots
from services.tally.rendering import row_order, stage_chart, stage_table

BALLOTS = [
    (("A", "C", "E"), 40),
    (("B", "D"), 23),
    (("C", "E"), 15),
    (("D",), 12),
    (("E",), 10),
]
PNG = b"\x89PNG\r\n\x1a\n"


def test_table_shows_every_stage_exactly_with_marks_and_a_legend():
    result = count_ballots("stv", "ABCDE", BALLOTS, seats=4)
    text = stage_table(result, "Example")
    lines = text.splitlines()
    assert lines[0] == "Example: stv, 4 seats, quota 21.00000; valid 100, invalid 0"
    assert lines[2].split() == ["Stage", "1", "Stage", "2", "Stage", "3"]
    assert lines[3].split() == ["A", "40.00000", "E", "21.00000", "21.00000"]
    assert lines[6].split() == ["E", "10.00000", "10.00000", "22.99965", "E"]
    assert "Lost to fractions" in text
    assert "  Stage 3: surplus of C transferred; elected: E" in lines
    assert lines[-1] == "Elected: A, B, C, E"


def test_table_marks_exclusions_and_reports_ties():
    ballots = [(("A",), 2), (("D",), 2), (("B",), 1), (("C", "A"), 1)]
    result = count_ballots("irv", "ABCD", ballots, seed="pub")
    out = result.rounds[1].subject
    text = stage_table(result)
    row = next(line for line in text.splitlines() if line.startswith(out + " "))
    assert row.split()[1:] == ["1", "0", "X", "-"]
    assert f"  Stage 2: {out} excluded, papers transferred" in text
    assert f"lot drawn with seed 'pub' among B, C; {out} chosen" in text


def test_table_wraps_long_counts_into_blocks():
    ballots = [((name,), i + 1) for i, name in enumerate("ABCDEFGHIJKL")]
    result = count_ballots("irv", "ABCDEFGHIJKL", ballots)
    text = stage_table(result)
    assert max(len(line) for line in text.splitlines() if not line.startswith(("  ", "Tie"))) <= 100
    assert text.count("Stage 1 ") == 1 and "Stage 11" in text


def test_rows_put_winners_first_then_the_longest_lasting():
    result = count_ballots("stv", "ABCDE", BALLOTS, seats=4)
    assert row_order(result) == ["A", "B", "C", "E", "D"]


def test_chart_writes_a_png_for_staged_and_single_stage_counts(tmp_path):
    staged = stage_chart(count_ballots("stv", "ABCDE", BALLOTS, seats=4), tmp_path / "s.png", "T")
    single = stage_chart(
        count_ballots("fptp", "ABCDE", [((c,), 1) for c in "ABC"]), tmp_path / "f.png"
    )
    assert staged.read_bytes()[:8] == PNG
    assert single.read_bytes()[:8] == PNG


def test_chart_draws_dollar_signs_in_names_and_titles_as_written(tmp_path, monkeypatch):
    from matplotlib.text import Text

    drawn: list[tuple[str, bool]] = []
    draw = Text.draw

    def recording(self, renderer):  # type: ignore[no-untyped-def]
        words = self.get_text()
        if words:
            drawn.append((words, self._preprocess_math(words)[1]))
        return draw(self, renderer)

    monkeypatch.setattr(Text, "draw", recording)
    names = ["Save $5 for $10", "Ann $x$ Lee", "Bo"]
    ballots = [((names[0], names[1]), 4), ((names[1],), 3), ((names[2], names[0]), 2)]
    for method, seats in (("fptp", 1), ("stv", 2)):
        stage_chart(
            count_ballots(method, names, ballots, seats=seats), tmp_path / "c.png", "$1 fund $"
        )
        shown = {words for words, _ in drawn}
        assert set(names) <= shown and "$1 fund $" in "".join(shown), method
        assert not [words for words, math in drawn if "$" in words and math], method
        drawn.clear()
