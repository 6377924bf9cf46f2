"""``rollcall count`` on ballot files: output, seats, charts and bad files."""

from __future__ import annotations

import json

from click.testing import CliRunner

from rollcall_cli.main import main

TOI = """# TITLE: Small Town Mayor
# ALTERNATIVE NAME 1: Ann
# ALTERNATIVE NAME 2: Bob
# ALTERNATIVE NAME 3: Cy
5: 1,2
4: 2,1
3: 3,2
2: {1,3}
"""

BLT = """3 2
4 1 2 0
3 2 0
2 3 1 0
0
"Ann"
"Bob"
"Cy"
"Two Seats"
"""


def run(args):
    try:
        runner = CliRunner(mix_stderr=False)  # click 8.1 mixes the streams by default
    except TypeError:
        runner = CliRunner()  # click >= 8.2 keeps them apart
    return runner.invoke(main, ["count", *args])


def files(tmp_path):
    (tmp_path / "mayor.toi").write_text(TOI, encoding="utf-8")
    (tmp_path / "two.blt").write_text(BLT, encoding="utf-8")
    (tmp_path / "broken.soi").write_text("# ALTERNATIVE NAME 1: A\n3: 1,2\n", encoding="utf-8")
    return tmp_path


def test_json_gives_one_object_per_file_with_the_whole_count(tmp_path):
    d = files(tmp_path)
    result = run(
        [str(d / "mayor.toi"), str(d / "two.blt"), "--method", "stv", "--json", "--seed", "s"]
    )
    assert result.exit_code == 0, result.stderr
    mayor, two = [json.loads(line) for line in result.stdout.splitlines()]
    assert mayor["file"] == str(d / "mayor.toi")
    assert (mayor["method"], mayor["seats"], mayor["winners"]) == ("stv", 1, ["Bob"])
    assert mayor["overvotes"] == 2
    assert mayor["invalid"] == 2
    assert mayor["quota"] == 7
    assert mayor["rounds"][1]["action"] == "exclusion"
    assert mayor["rounds"][1]["transfers"] == {"Bob": 3, "Cy": -3}
    assert two["seats"] == 2
    assert two["winners"] == ["Ann", "Bob"]
    assert mayor["ties"] == [] and "ties" in two


def test_a_broken_file_is_reported_and_the_others_still_counted(tmp_path):
    d = files(tmp_path)
    result = run([str(d / "broken.soi"), str(d / "mayor.toi"), "--method", "irv", "--json"])
    assert result.exit_code == 1
    assert f"error: {d / 'broken.soi'}:2: candidate 2 has no ALTERNATIVE NAME" in result.stderr
    [line] = result.stdout.splitlines()
    assert json.loads(line)["winners"] == ["Bob"]


def test_a_count_that_cannot_run_is_reported_with_the_file(tmp_path):
    d = files(tmp_path)
    result = run([str(d / "mayor.toi"), "--method", "irv", "--seats", "2"])
    assert result.exit_code == 1
    assert f"error: {d / 'mayor.toi'}: irv fills one seat" in result.stderr


def test_irv_fills_one_seat_whatever_the_blt_header_says(tmp_path):
    d = files(tmp_path)
    result = run([str(d / "two.blt"), "--method", "irv"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"{d / 'two.blt'}: irv, 1 seat(s): Ann"


def test_fptp_from_a_ranked_file_counts_first_preferences(tmp_path):
    d = files(tmp_path)
    result = run([str(d / "mayor.toi"), "--method", "fptp", "--json"])
    data = json.loads(result.stdout)
    assert data["rounds"][0]["totals"] == {"Ann": 5, "Bob": 4, "Cy": 3}
    assert data["winners"] == ["Ann"]


def test_table_and_chart(tmp_path):
    d = files(tmp_path)
    out = tmp_path / "charts"
    result = run([str(d / "two.blt"), "--method", "stv", "--table", "--chart", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "Two Seats: stv, 2 seats, quota 4.00000" in result.stdout
    assert "Stage 1" in result.stdout
    assert (out / "two-stv.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_lot_with_no_seed_is_warned_about(tmp_path):
    (tmp_path / "tie.soi").write_text(
        "# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n1: 1\n1: 2\n", encoding="utf-8"
    )
    result = run([str(tmp_path / "tie.soi"), "--method", "irv"])
    assert result.exit_code == 0
    assert "a lot was drawn with an empty seed" in result.stderr
    assert "(1 tie(s) decided by lot)" in result.stdout


PUBLISHED = """3,1,\r
1 1 2 0 \r
1 1 0\r
1 2 0\r
(17) 1 3 2 0\r
0\r
Yvonne ALLAN (Lab)\r
"Hazel MCLEOD" "Scottish Labour Party"\r
Ruairidh MacDHÒMHNAILL\r
Ward 2 -\r
Bonnyrigg\r
"""


def test_a_published_blt_file_counts_and_shows_each_candidates_party(tmp_path):
    (tmp_path / "ward.blt").write_text(PUBLISHED, encoding="utf-8", newline="")
    result = run([str(tmp_path / "ward.blt"), "--method", "stv", "--table", "--seed", "s"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"{tmp_path / 'ward.blt'}: stv, 1 seat(s): Yvonne ALLAN (Lab)")
    assert "Ward 2 - Bonnyrigg: stv, 1 seat" in result.stdout
    assert "Hazel MCLEOD (Scottish Labour Party)" in result.stdout
    assert "Ruairidh MacDHÒMHNAILL " in result.stdout
    data = json.loads(run([str(tmp_path / "ward.blt"), "--method", "irv", "--json"]).stdout)
    assert data["winners"] == ["Yvonne ALLAN"]
    assert data["parties"] == {"Yvonne ALLAN": "Lab", "Hazel MCLEOD": "Scottish Labour Party"}
    assert data["title"] == "Ward 2 - Bonnyrigg"


def test_a_file_that_cannot_be_read_is_one_line_with_line_and_column(tmp_path):
    (tmp_path / "bad.blt").write_text(PUBLISHED.replace("1 3 2 0", "1 3 9 0"), encoding="utf-8")
    result = run([str(tmp_path / "bad.blt"), "--method", "stv"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {tmp_path / 'bad.blt'}:5:10: preference 9 is not a candidate (expected 1 to 3)\n"
    )
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_fractional_weights_are_read_but_refused_by_a_whole_ballot_count(tmp_path):
    (tmp_path / "half.blt").write_text(PUBLISHED.replace("\n1 2 0", "\n0.5 2 0"), encoding="utf-8")
    result = run([str(tmp_path / "half.blt"), "--method", "irv"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {tmp_path / 'half.blt'}: the file gives fractional ballot weights; "
        "irv counts whole ballots (expected whole-number weights)\n"
    )


def test_rollcall_count_says_when_ron_wins(tmp_path):
    (tmp_path / "ron.blt").write_text(
        '3 1\n4 3 0\n2 1 0\n1 2 3 0\n0\n"Ann"\n"Bob"\n"RON"\n"Chair"\n', encoding="utf-8"
    )
    result = run([str(tmp_path / "ron.blt"), "--method", "irv"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == (
        f"{tmp_path / 'ron.blt'}: irv, 1 seat(s): RON; "
        "RON (re-open nominations) won: its seat is not filled and nominations re-open"
    )
