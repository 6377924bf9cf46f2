"""A postal batch for the print house: the letters as one PDF and the manifest as CSV.

Guarantees:

- ``write_batch`` writes ``<stem>.pdf`` and ``<stem>.csv`` side by side, each
  atomically (a temporary file, fsynced, then renamed), the PDF first: whoever
  sees the manifest can rely on the letters being there.
- The PDF has one A4 page per letter, in manifest order (row ``n`` is page
  ``n``), however long the words: a page whose words would not fit is set in
  smaller type, never continued on a second page.
- The address block sits in the window of a DL or C5 window envelope when the
  page is folded in three at the fold marks (DIN 5008 form B): its field
  starts 20 mm from the left edge and 45 mm from the top, and is 85 mm wide
  and 45 mm high. Its lines are the name, the address lines and the postcode,
  set smaller (down to 7 pt) when a line would be wider than the window.
- The code is printed in large monospaced type, grouped as it is shown online.
- Text is set in DejaVu (the system's, else the copy matplotlib ships), so
  names like Zoë, Siân, Ó Súilleabháin or Łukasz print as written. Without
  DejaVu the PDF's core fonts are used and a letter outside Latin-1 is printed
  as its base letter (Ł as L) rather than lost. The fonts are read and parsed once per
  process; a batch prints the same whatever batches the process printed before.
- The manifest is formula-safe: a cell a spreadsheet would read as a formula
  is prefixed with ``'`` (``rollcall.spreadsheet``); a code, membership
  number, postcode or URL is never changed by that.
"""

from __future__ import annotations

import copy
import csv
import importlib.util
import io
import math
import os
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

from rollcall.spreadsheet import safe_cell
from services.mailer.letters import Letter

#: The manifest's columns after the postal row's: the letter's kind and its page in the PDF.
MANIFEST_EXTRA_COLUMNS = ("letter", "page")

#: The address field of DIN 5008 form B, in mm from the page's top-left corner.
WINDOW_X, WINDOW_Y, WINDOW_W, WINDOW_H = 20.0, 45.0, 85.0, 45.0
#: Where the page is folded in three for a DL / C5 window envelope (mm from the top).
FOLDS = (105.0, 210.0)
_LEFT, _RIGHT_COLUMN, _WIDTH = 20.0, 125.0, 170.0
_FOOTER_Y = 287.0
_ADDRESS_SIZE, _ADDRESS_MIN = 10.0, 7.0
_BODY_Y, _BODY_SIZE, _BODY_MIN = WINDOW_Y + WINDOW_H + 14, 11.0, 6.0
_GREY = (90, 90, 90)
#: Characters that break a line or may (newlines, a soft hyphen): a paragraph with one is
#: set by ``multi_cell`` itself.
_BREAKS = ("\n", "\r", "\f", "\u00ad")

_SYSTEM_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_FACES = {
    "sans": "DejaVuSans.ttf",
    "sans-bold": "DejaVuSans-Bold.ttf",
    "mono": "DejaVuSansMono.ttf",
}
_CORE = {"sans": ("helvetica", ""), "sans-bold": ("helvetica", "B"), "mono": ("courier", "")}
#: Letters with no Latin-1 form that do not decompose to a base letter.
_LATIN1_FALLBACK = str.maketrans(
    {
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Ħ": "H",
        "ħ": "h",
        "Œ": "OE",
        "œ": "oe",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "–": "-",
        "—": "-",
        "…": "...",
    }
)


def font_dirs() -> tuple[Path, ...]:
    """Where DejaVu is looked for: the system's fonts, then matplotlib's copy."""
    dirs = [_SYSTEM_DEJAVU]
    spec = importlib.util.find_spec("matplotlib")
    for location in (spec.submodule_search_locations or []) if spec else []:
        dirs.append(Path(location) / "mpl-data" / "fonts" / "ttf")
    return tuple(dirs)


def find_fonts(dirs: Sequence[Path]) -> dict[str, Path] | None:
    """Each face's TTF file from the first folder that has all of them; None if none has."""
    for folder in dirs:
        faces = {face: folder / name for face, name in _FACES.items()}
        if all(path.is_file() for path in faces.values()):
            return faces
    return None


def latin1(text: str) -> str:
    """``text`` as the core fonts can print it: accents kept where Latin-1 has them,
    else the base letter (Ł as L, ā as a)."""
    out = []
    for ch in text.translate(_LATIN1_FALLBACK):
        if ord(ch) < 256:
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if ord(c) < 256)
        out.append(base or "?")
    return "".join(out)


#: Each font file's bytes and the font fpdf2 parsed from them (``_font``), by path.
_PARSED: dict[tuple[str, Path], tuple[bytes, TTFFont]] = {}


def _font(face: str, path: Path, index: int) -> TTFFont:
    """Font ``face`` from ``path`` for a new document, as ``FPDF.add_font`` would add it as
    its ``index``th font, without parsing the file again (~20 ms a face).

    fpdf2 has no way to share a parsed font between documents (writing one subsets its
    font program in place), so this copies the one parsed first: what parsing yields
    (widths, glyph ids, metrics) is shared, and each document gets its own of what a
    document changes (the glyphs it uses, the font program it subsets, the descriptor it
    names). Those are fpdf2 2.8's ``TTFFont`` attributes; ``test_printing`` checks that a
    batch prints byte for byte the same after others as on its own."""
    if (face, path) not in _PARSED:
        data = path.read_bytes()
        scratch = FPDF()
        scratch.add_font(face, fname=str(path))
        parsed_font = scratch.fonts[face]
        assert isinstance(parsed_font, TTFFont)  # add_font with a file makes one
        _PARSED[face, path] = data, parsed_font
    data, parsed = _PARSED[face, path]
    font = copy.copy(parsed)
    font.i = index
    font.ttfont = ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False, lazy=True)
    font.desc = copy.copy(parsed.desc)
    font.subset = SubsetMap(font)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    return font


@dataclass(frozen=True)
class _Type:
    """The fonts a document sets its text in."""

    unicode: bool

    def use(self, pdf: FPDF, face: str, size: float) -> None:
        if self.unicode:
            pdf.set_font(face, size=size)
        else:
            family, style = _CORE[face]
            pdf.set_font(family, style, size)

    def text(self, text: str) -> str:
        return text if self.unicode else latin1(text)


@dataclass(frozen=True)
class _Block:
    """A paragraph of the body: its face and size, its words, the space after it."""

    face: str
    size: float
    text: str
    gap: float
    boxed: bool = False


class _LetterPages:
    """Lays out one letter a page on an A4 document (and, after a code letter of a ballot
    with candidates' statements, the statements on pages of their own)."""

    def __init__(self, fonts: Mapping[str, Path] | None, sender: str, date: str) -> None:
        self.pdf = FPDF(format="A4", unit="mm")
        self.pdf.set_margins(_LEFT, 15, _LEFT)
        self.pdf.set_auto_page_break(False)
        self.pdf.set_creator("Rollcall mailer")
        self.type = _Type(unicode=fonts is not None)
        for face, path in (fonts or {}).items():
            self.pdf.fonts[face] = _font(face, path, len(self.pdf.fonts) + 1)
        self.sender, self.date = sender, date
        #: How ``multi_cell`` breaks each paragraph set so far (``_paragraph``).
        self._lines: dict[tuple[str, float, str], list[str]] = {}

    def _at(self, x: float, y: float, face: str, size: float, text: str) -> None:
        self.type.use(self.pdf, face, size)
        self.pdf.text(x, y, self.type.text(text))

    def _marks(self) -> None:
        self.pdf.set_draw_color(*_GREY)
        self.pdf.set_line_width(0.2)
        for y in FOLDS:
            self.pdf.line(4, y, 9, y)

    def _address(self, letter: Letter) -> None:
        lines = [self.type.text(line) for line in (letter.name, *letter.address, letter.postcode)]
        lines = self._wrapped([line for line in lines if line], _ADDRESS_SIZE)
        size = _ADDRESS_SIZE
        while size > _ADDRESS_MIN and (
            len(lines) * size * 0.45 > WINDOW_H - 8
            or max(self._width(line, size) for line in lines) > WINDOW_W - 4
        ):
            size -= 0.5
        y = WINDOW_Y + 6 + size * 0.35
        for line in lines:
            self._at(WINDOW_X + 2, y, "sans", size, self._clip(line, size))
            y += size * 0.45

    def _wrapped(self, lines: list[str], size: float) -> list[str]:
        """Lines too wide for the window split after a comma, while the block still fits."""
        room = int((WINDOW_H - 8) / (size * 0.45))
        out: list[str] = []
        for n, line in enumerate(lines):
            left = room - len(out) - (len(lines) - n)
            while left > 0 and self._width(line, size) > WINDOW_W - 4 and ", " in line:
                cuts = [i for i in range(len(line)) if line.startswith(", ", i)]
                fits = [i for i in cuts if self._width(line[: i + 1], size) <= WINDOW_W - 4]
                cut = (fits or cuts)[-1]
                out.append(line[: cut + 1])
                line, left = line[cut + 2 :], left - 1
            out.append(line)
        return out

    def _width(self, line: str, size: float) -> float:
        self.type.use(self.pdf, "sans", size)
        return float(self.pdf.get_string_width(line))

    def _clip(self, line: str, size: float) -> str:
        while line and self._width(line, size) > WINDOW_W - 4:
            line = line[:-1]
        return line

    def _head(self, letter: Letter) -> None:
        self._at(_RIGHT_COLUMN, 22, "sans-bold", 11, "The ballot office")
        self._at(_RIGHT_COLUMN, 27.5, "sans", 9, self.sender)
        self._at(_RIGHT_COLUMN, WINDOW_Y + WINDOW_H + 5, "sans", 10, self.date)
        self._at(
            _LEFT,
            WINDOW_Y + WINDOW_H + 5,
            "sans",
            8,
            f"Membership number {letter.membership_number} · Ballot {letter.ballot_id}",
        )

    def _blocks(self, letter: Letter, size: float) -> list[_Block]:
        """The letter's body, top to bottom, with its words in type of ``size`` points."""
        plain = [_Block("sans", size, p, size * 0.25) for p in letter.paragraphs]
        after = [_Block("sans", size, p, size * 0.25) for p in letter.after_code]
        blocks = [
            _Block("sans-bold", size + 4, f"{letter.heading}: {letter.title}", size * 0.4),
            _Block("sans", size, f"Dear {letter.name},", size * 0.25),
            *plain,
        ]
        if letter.code:
            blocks.append(_Block("mono", size + 11, letter.code, size * 0.45, boxed=True))
        blocks += after
        if letter.kind == "code":
            dates = [f"{what}: {when}" for what, when in letter.dates] or [
                "The voting page shows when voting opens and closes."
            ]
            blocks.append(_Block("sans-bold", size, "The ballot's dates", 0))
            blocks += [_Block("sans", size, line, 0) for line in dates]
        return blocks

    def _height(self, blocks: list[_Block]) -> float:
        """At least the height the blocks take: each paragraph's width over the line's, with
        room for words that do not fill a line, in whole lines."""
        total = 0.0
        for block in blocks:
            self.type.use(self.pdf, block.face, block.size)
            width = self.pdf.get_string_width(self.type.text(block.text))
            lines = 1 if block.boxed else math.ceil(width * 1.15 / _WIDTH + 0.3)
            total += lines * block.size * (0.7 if block.boxed else 0.5) + block.gap
        return total

    def _draw(self, blocks: list[_Block]) -> None:
        pdf = self.pdf
        pdf.set_xy(_LEFT, _BODY_Y)
        for block in blocks:
            self.type.use(pdf, block.face, block.size)
            text = self.type.text(block.text)
            if block.boxed:
                pdf.ln(block.gap / 2)
                pdf.cell(
                    _WIDTH,
                    block.size * 0.7,
                    text,
                    border=1,
                    align="C",
                    new_x="LMARGIN",
                    new_y="NEXT",
                )
            else:
                self._paragraph(block.face, block.size, text)
            pdf.ln(block.gap)

    def _paragraph(self, face: str, size: float, text: str) -> None:
        """``text`` left-aligned across the body's width, broken into lines as ``multi_cell``
        breaks it. Most paragraphs are the same in every letter of a batch: each is broken
        once a document (fpdf2's line breaking costs the square of a line's length), then
        set line by line as ``multi_cell`` sets its lines."""
        pdf, height = self.pdf, size * 0.5
        if any(c in text for c in _BREAKS):
            pdf.multi_cell(_WIDTH, height, text, align="L", new_x="LMARGIN", new_y="NEXT")
            return
        key = (face, size, text)
        if key not in self._lines:
            broken = pdf.multi_cell(_WIDTH, height, text, align="L", dry_run=True, output="LINES")
            assert isinstance(broken, list)  # output="LINES": the lines alone
            self._lines[key] = broken
        lines = self._lines[key]
        for n, line in enumerate(lines, start=1):
            last = n == len(lines)
            pdf.cell(
                _WIDTH, height, line, align="L", new_x="LMARGIN" if last else "LEFT", new_y="NEXT"
            )

    def add(self, letter: Letter, number: int, total: int) -> None:
        """One page for ``letter``, the ``number``th of ``total``."""
        pdf = self.pdf
        pdf.add_page()
        self._marks()
        self._head(letter)
        self._address(letter)
        size = _BODY_SIZE
        blocks = self._blocks(letter, size)
        while size > _BODY_MIN and self._height(blocks) > _FOOTER_Y - 8 - _BODY_Y:
            size -= 0.5
            blocks = self._blocks(letter, size)
        self._draw(blocks)
        pdf.set_text_color(*_GREY)
        self._at(
            _LEFT,
            _FOOTER_Y,
            "sans",
            7,
            f"Letter {number} of {total} · {letter.membership_number} · ballot {letter.ballot_id}",
        )
        pdf.set_text_color(0, 0, 0)
        if letter.statements:
            self._statements(letter)

    def _statements(self, letter: Letter) -> None:
        """The candidates' statements on pages of their own after the letter, as plain text."""
        pdf = self.pdf
        pdf.add_page()
        pdf.set_auto_page_break(True, margin=20)
        pdf.set_xy(_LEFT, 20)

        def para(face: str, size: float, text: str, gap: float) -> None:
            self.type.use(pdf, face, size)
            pdf.multi_cell(
                _WIDTH, size * 0.5, self.type.text(text), align="L", new_x="LMARGIN", new_y="NEXT"
            )
            pdf.ln(gap)

        para("sans-bold", 14, f"What the candidates say: {letter.title}", 3)
        para(
            "sans",
            9,
            f"Enclosed with the letter to membership number {letter.membership_number}, "
            f"ballot {letter.ballot_id}. Each candidate's own words, as they gave them.",
            3,
        )
        for title, rows in letter.statements:
            if title:
                para("sans-bold", 12, title, 2)
            for name, text, link in rows:
                para("sans-bold", 10.5, name, 0.5)
                if text:
                    para("sans", 10, text, 0.5)
                if link:
                    para("sans", 9, link, 0.5)
                pdf.ln(2)
        pdf.set_auto_page_break(False)


def render_pdf(
    letters: Sequence[Letter], *, sender: str, date: datetime, fonts: Mapping[str, Path] | None
) -> bytes:
    """The letters as one PDF, one A4 page each, in order; ``fonts`` None: the core fonts."""
    return render_pdf_pages(letters, sender=sender, date=date, fonts=fonts)[0]


def render_pdf_pages(
    letters: Sequence[Letter], *, sender: str, date: datetime, fonts: Mapping[str, Path] | None
) -> tuple[bytes, list[int]]:
    """The PDF, and the page each letter starts on (a code letter's statements follow it)."""
    pages = _LetterPages(fonts, sender, f"{date.day} {date:%B %Y}")
    first: list[int] = []
    for number, letter in enumerate(letters, start=1):
        first.append(pages.pdf.page_no() + 1)
        pages.add(letter, number, len(letters))
    return bytes(pages.pdf.output()), first


def manifest_csv(
    columns: Sequence[str],
    rows: Sequence[Mapping[str, str]],
    letters: Sequence[Letter],
    pages: Sequence[int] | None = None,
) -> str:
    """The printer's manifest: each row's ``columns``, its letter's kind and the page it starts
    on (``pages``; one page a letter if not given); formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*columns, *MANIFEST_EXTRA_COLUMNS])
    starts = list(pages) if pages is not None else list(range(1, len(letters) + 1))
    for page, row, letter in zip(starts, rows, letters, strict=True):
        writer.writerow([safe_cell(row[c]) for c in columns] + [letter.kind, str(page)])
    return out.getvalue()


def _replace_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


def write_batch(
    stem: Path,
    columns: Sequence[str],
    rows: Sequence[Mapping[str, str]],
    letters: Sequence[Letter],
    *,
    sender: str,
    now: datetime,
    fonts: Mapping[str, Path] | None = None,
    find: bool = True,
) -> tuple[Path, Path]:
    """Write ``<stem>.pdf`` then ``<stem>.csv`` (each row names the page its letter starts
    on); return both paths.

    ``fonts`` None and ``find``: DejaVu from ``font_dirs()`` when there is one.
    """
    if fonts is None and find:
        fonts = find_fonts(font_dirs())
    pdf, manifest = stem.with_suffix(".pdf"), stem.with_suffix(".csv")
    data, starts = render_pdf_pages(letters, sender=sender, date=now, fonts=fonts)
    _replace_atomically(pdf, data)
    _replace_atomically(manifest, manifest_csv(columns, rows, letters, starts).encode())
    return pdf, manifest
