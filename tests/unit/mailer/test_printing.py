"""A postal batch as the print house gets it: one PDF page per letter with what it must carry,
beside a formula-safe manifest whose row ``n`` is page ``n``."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from datetime import UTC, datetime

import fpdf.fpdf as fpdf_module
import pytest
from fpdf.fonts import TTFFont
from pypdf import PdfReader

from services.codes import codeformat
from services.mailer import letters, printing

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
BALLOT = letters.BallotFacts(
    ballot_id=3,
    title="Selection for Hackney North",
    vote_url="https://vote.example.org/vote",
    roll_check_url="https://vote.example.org/roll-check?ballot=3",
    timetable={"opens_at": "2026-12-08T09:00:00+00:00", "closes_at": "2026-12-22T17:00:00+00:00"},
)
CODE = codeformat.formatted(codeformat.generate())


def _contact(number, name, *address, postcode="E8 1AA", **extra):
    return {
        "membership_number": number,
        "name": name,
        "address": list(address),
        "postcode": postcode,
        **extra,
    }


VOTER = _contact("M1", "Łukasz Ó Súilleabháin", "Flat 2", "10 High Street", "London")
EXCLUDED = _contact(
    "M2",
    "Zoë Siân Byron",
    "Rose Cottage",
    "Little Snoring",
    postcode="NR21 0AA",
    why="not found on the electoral register at this address",
    fix="Register to vote at https://www.gov.uk/register-to-vote.",
    fix_by=None,
)
MOVED = _contact("M3", "Siân Jones", "3 Mill Lane", "Leeds", fields_changed=["email"])


def _batch(items):
    """(letters, manifest rows) of (kind, contact, code) items, as the dispatcher makes them."""
    printed = [letters.letter(kind, contact, code, BALLOT) for kind, contact, code in items]
    rows = [
        letters.postal_row(
            ballot_id=BALLOT.ballot_id,
            contact=contact,
            code=code,
            vote_url=BALLOT.vote_url,
            message=letters.notice_text(kind, contact, BALLOT.roll_check_url) if not code else "",
        )
        for kind, contact, code in items
    ]
    return printed, rows


ITEMS = [
    ("initial", VOTER, CODE),
    (letters.exclusion_kind("not_on_register"), EXCLUDED, ""),
    ("notice-old-0123456789ab", MOVED, ""),
]


def _pages(pdf: bytes) -> list[str]:
    return [
        " ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages
    ]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    stem = tmp_path_factory.mktemp("postal") / "batch-1"
    printed, rows = _batch(ITEMS)
    pdf, manifest = printing.write_batch(
        stem, letters.POSTAL_COLUMNS, rows, printed, sender="ballots@party.example", now=NOW
    )
    return pdf, manifest


def test_the_pdf_sits_beside_the_manifest_with_one_page_per_letter_in_its_order(written):
    pdf, manifest = written
    assert pdf.with_suffix(".csv") == manifest and pdf.suffix == ".pdf"
    rows = list(csv.DictReader(manifest.open(newline="")))
    pages = _pages(pdf.read_bytes())
    assert len(pages) == len(rows) == 3
    assert [r["page"] for r in rows] == ["1", "2", "3"]
    assert [r["letter"] for r in rows] == ["code", "notice", "notice"]
    for row, page in zip(rows, pages, strict=True):
        assert row["membership_number"] in page


def test_a_code_letter_carries_name_address_code_how_to_vote_and_the_dates(written):
    page = _pages(written[0].read_bytes())[0]
    for words in ("Łukasz Ó Súilleabháin", "Flat 2", "10 High Street", "London", "E8 1AA"):
        assert words in page
    assert CODE in page and "https://vote.example.org/vote" in page
    assert "To vote by post" in page and "Selection for Hackney North" in page
    assert "Voting opens: Tuesday 8 December 2026, 09:00 UTC" in page
    assert "Voting closes: Tuesday 22 December 2026, 17:00 UTC" in page


def test_a_notice_letter_carries_its_words_and_no_code(written):
    pages = _pages(written[0].read_bytes())
    excluded, moved = pages[1], pages[2]
    for words in ("Zoë Siân Byron", "Rose Cottage", "Little Snoring", "NR21 0AA"):
        assert words in excluded
    assert "not found on the electoral register at this address" in excluded
    assert "How to fix it: Register to vote" in excluded and BALLOT.roll_check_url in excluded
    assert "were changed (email)" in moved and "Siân Jones" in moved
    for page in (excluded, moved):
        assert CODE not in page and "access code" not in page.lower()
        assert "To vote online" not in page and "To vote by post" not in page
    notice = letters.letter("notice-old-0123456789ab", MOVED, CODE, BALLOT)
    assert notice.code == "" and notice.kind == "notice"


def test_a_formula_looking_cell_is_neutralised_and_the_code_and_number_are_not():
    contact = _contact("M9", "=cmd|' /C calc'!A0", "@SUM(A1)", "+44 High Street", postcode="-E8")
    printed, rows = _batch([("initial", contact, CODE)])
    manifest = printing.manifest_csv(letters.POSTAL_COLUMNS, rows, printed)
    row = next(csv.DictReader(io.StringIO(manifest)))
    assert row["name"] == "'=cmd|' /C calc'!A0"
    assert row["address"] == "'@SUM(A1) / +44 High Street" and row["postcode"] == "'-E8"
    assert row["code"] == CODE and row["membership_number"] == "M9"
    assert row["vote_at"] == BALLOT.vote_url


def _baselines(pdf: bytes) -> list[tuple[float, str]]:
    """(height above the page's bottom edge, text, distance from the left edge) of each piece
    of text on page 1, in points."""
    found: list[tuple[float, str, float]] = []

    def seen(text, cm, tm, font, size):
        if text.strip():
            found.append((tm[5] * cm[3] + cm[5], text, tm[4] * cm[0] + cm[4]))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=seen)
    return found


def test_the_address_block_sits_in_the_envelope_window_even_when_a_line_is_long():
    mm = 72 / 25.4
    long_line = "Rose Cottage, The Long Lane Near The Old Mill At The End Of The Village"
    contact = _contact("M5", "Siân Jones", "Flat 2", long_line, "Little Snoring", "Fakenham")
    printed, _ = _batch([("initial", contact, CODE)])
    fonts = printing.find_fonts(printing.font_dirs())
    lines = _baselines(printing.render_pdf(printed, sender="b@example", date=NOW, fonts=fonts))
    wanted = (
        "Siân Jones",
        "Flat 2",
        "Rose Cottage,",
        "The Long Lane",
        "Little",
        "Fakenham",
        "E8 1AA",
    )
    block = [(y, text, x) for y, text, x in lines if text.startswith(wanted)]
    assert len(block) == 7  # the long line split after its comma
    top, bottom = printing.WINDOW_Y, printing.WINDOW_Y + printing.WINDOW_H
    left = printing.WINDOW_X
    for y, text, x in block:
        assert top * mm < 297 * mm - y < bottom * mm, text
        assert left * mm <= x < (left + 5) * mm, text


def test_a_very_long_letter_is_set_smaller_on_its_one_page_above_the_footer():
    answer = "You are on the roll for this ballot. " * 120
    contact = _contact("M4", "Ada Byron", "1 High Street", answer=answer)
    printed, _ = _batch([("notice-roll-0123456789ab", contact, "")])
    fonts = printing.find_fonts(printing.font_dirs())
    pdf = printing.render_pdf(printed, sender="b@example", date=NOW, fonts=fonts)
    pages = _pages(pdf)
    assert len(pages) == 1 and pages[0].count("You are on the roll") > 100
    lines = _baselines(pdf)
    (footer,) = [y for y, text, _ in lines if text.startswith("Letter 1 of 1")]
    assert min(y for y, text, _ in lines if not text.startswith("Letter 1 of 1")) > footer + 14


def test_without_dejavu_the_core_fonts_print_every_name_by_its_base_letters():
    printed, _ = _batch(ITEMS)
    pages = _pages(printing.render_pdf(printed, sender="b@example", date=NOW, fonts=None))
    assert len(pages) == 3
    assert "Lukasz Ó Súilleabháin" in pages[0] and "Zoë Siân Byron" in pages[1]
    assert printing.latin1("Łódź – Œuvre’s ā") == "Lódz - OEuvre's a"


def test_dejavu_is_found_where_it_is_and_not_where_it_is_not(tmp_path):
    assert printing.find_fonts([tmp_path]) is None
    found = printing.find_fonts([tmp_path, *printing.font_dirs()])
    assert found is not None and found["mono"].name == "DejaVuSansMono.ttf"


def test_code_reminder_and_notice_letters_print_one_a_page_and_a_reminder_carries_no_code():
    reminded = dataclasses.replace(
        BALLOT, replacement_url="https://vote.example.org/replacement?ballot=3"
    )
    postal = _contact("M6", "Ada Byron", "4 Mill Lane", "Leeds", postcode="LS1 1AA")
    items = [
        ("initial", VOTER, CODE),
        ("reminder-20261215T090000Z", {**postal, "code_channel": "post"}, ""),
        (letters.exclusion_kind("not_on_register"), EXCLUDED, ""),
    ]
    printed = [letters.letter(kind, contact, code, reminded) for kind, contact, code in items]
    rows = [
        letters.postal_row(ballot_id=3, contact=c, code=code, vote_url=BALLOT.vote_url)
        for _, c, code in items
    ]
    fonts = printing.find_fonts(printing.font_dirs())
    pdf = printing.render_pdf(printed, sender="b@example", date=NOW, fonts=fonts)
    pages = _pages(pdf)
    manifest = list(
        csv.DictReader(io.StringIO(printing.manifest_csv(letters.POSTAL_COLUMNS, rows, printed)))
    )
    assert len(pages) == 3
    assert [(r["membership_number"], r["letter"], r["page"]) for r in manifest] == [
        ("M1", "code", "1"),
        ("M6", "reminder", "2"),
        ("M2", "notice", "3"),
    ]
    reminder = pages[1]
    for words in (
        "Reminder: you have not voted yet: Selection for Hackney North",
        "Ada Byron",
        "4 Mill Lane",
        "LS1 1AA",
        "have not voted yet",
        "Voting closes on Tuesday 22 December 2026, 17:00 UTC",
        "https://vote.example.org/vote",
        "https://vote.example.org/replacement?ballot=3",
        "postal ballot paper",
    ):
        assert words in reminder, words
    assert CODE not in reminder and manifest[1]["code"] == ""
    assert CODE in pages[0] and "How to fix it" in pages[2] and CODE not in pages[2]


def _without_dates(pdf: bytes) -> bytes:
    """A PDF without what differs between two renderings of it: its creation time and id."""
    pdf = re.sub(rb"/CreationDate \(D:[^)]*\)", b"", pdf)
    return re.sub(rb"/ID \[<[0-9A-F]+><[0-9A-F]+>\]", b"", pdf)


def test_fonts_are_parsed_once_a_process_and_a_batch_prints_the_same_after_others(monkeypatch):
    fonts = printing.find_fonts(printing.font_dirs())
    assert fonts is not None
    monkeypatch.setattr(printing, "_PARSED", {})  # a process that has printed nothing yet
    later, _ = _batch([("initial", MOVED, CODE), ("initial", EXCLUDED, CODE)])

    def render(printed: list[letters.Letter]) -> bytes:
        return _without_dates(printing.render_pdf(printed, sender="b@e", date=NOW, fonts=fonts))

    alone = render(later)
    render(_batch(ITEMS)[0])  # other names, other glyphs, in each face
    parsed = []
    real = TTFFont.__init__
    monkeypatch.setattr(TTFFont, "__init__", lambda *a, **k: parsed.append(a) or real(*a, **k))
    assert render(later) == alone
    assert parsed == []


def test_a_paragraph_every_letter_has_is_broken_into_lines_once_a_batch_as_multi_cell_would(
    monkeypatch,
):
    fonts = printing.find_fonts(printing.font_dirs())
    names = ["Ada Byron", "Zoë Siân Byron", "Łukasz Ó Súilleabháin " * 4, "A. N. Other"]
    printed, _ = _batch(
        [("initial", _contact(f"M{n}", name, "1 Mill Lane"), CODE) for n, name in enumerate(names)]
    )
    broken = []
    real = fpdf_module.MultiLineBreak
    monkeypatch.setattr(
        fpdf_module, "MultiLineBreak", lambda *a, **k: broken.append(1) or real(*a, **k)
    )

    def render(printed: list[letters.Letter]) -> bytes:
        return _without_dates(printing.render_pdf(printed, sender="b@e", date=NOW, fonts=fonts))

    one = render(printed[:1])
    once = len(broken)
    batch = render(printed)
    # Only each letter's own words are broken again: "Dear <name>,".
    assert len(broken) - 2 * once == len(names) - 1
    monkeypatch.setattr(printing, "_BREAKS", ("",))  # "" is in every text: all by multi_cell
    assert render(printed) == batch and render(printed[:1]) == one
