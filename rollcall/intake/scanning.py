"""What a file is, from its bytes: a workbook, a refused format, or text in an encoding.

The encoding is decided by rules, not guessed: strict UTF-8 (a BOM is recorded
as ``utf-8-sig``), UTF-16 when the file starts with its BOM (Excel's "Unicode
Text"), and otherwise Windows-1252, which is what Excel's plain "CSV" and most
older databases in Britain write; a file holding one of the five bytes
Windows-1252 leaves undefined is read as ISO-8859-1, which defines every byte.
(charset-normalizer, tried on a short Windows-1252 file of names, answers
cp1250 and would turn "Zoë" into "Zoë" only by luck.) A file that is partly
UTF-8 and partly not is refused rather than read half-mangled, as is anything
holding a NUL byte or binary control characters in its first line.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rollcall.intake.refusal import Refused, byte_at

_CHUNK = 1 << 20
_NUL = re.compile(rb"\x00")
_CONTROL = re.compile(rb"[\x01-\x08\x0b\x0c\x0e-\x1f]")
_NEWLINE = re.compile(rb"[\r\n]")
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_INVALID = re.compile("[\udc80-\udcff]")  # bytes UTF-8 could not decode (surrogateescape)
_NON_ASCII = re.compile("[^\x00-\x7f\udc80-\udcff]")  # characters UTF-8 did decode

_AGAIN = "export it again as CSV (UTF-8)"
_SAVE_AS = "save it as .xlsx or CSV (UTF-8)"
#: Leading bytes of formats people send instead of a CSV file, and what to say.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", f"is an .xls workbook (Excel 97-2003) or a password-protected file: {_SAVE_AS}, without a password"),
    (b"\x89PNG\r\n\x1a\n", f"is a PNG image, not a table: {_AGAIN}"),
    (b"\xff\xd8\xff", f"is a JPEG image, not a table: {_AGAIN}"),
    (b"GIF8", f"is a GIF image, not a table: {_AGAIN}"),
    (b"%PDF", f"is a PDF document, not a table: {_AGAIN}"),
    (b"\x1f\x8b", "is compressed (gzip): uncompress it and import the CSV inside"),
    (b"7z\xbc\xaf\x27\x1c", "is a 7-Zip archive: unpack it and import the CSV inside"),
    (b"Rar!", "is a RAR archive: unpack it and import the CSV inside"),
)  # fmt: skip
_MARKUP = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*<(!doctype html|html|table|\?xml)", re.IGNORECASE)


@dataclass(frozen=True)
class Scan:
    """What a file is: an .xlsx workbook, or text in ``encoding``; and its size and SHA-256."""

    kind: Literal["csv", "xlsx"]
    encoding: str | None
    size: int
    sha256: str


def scan(path: Path) -> Scan:
    """What ``path`` holds; Refused (one line) if it is not a table intake can read."""
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise Refused(f"{path.name} cannot be read: {exc.strerror or exc}") from None
    if not head:
        raise Refused(f"{path.name} is empty (0 bytes): export it again with a header row")
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise Refused(f"{path.name} {what}")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        _zip_kind(path)
        return Scan("xlsx", None, *_digest(path))
    markup = _MARKUP.match(head)
    if markup:
        what = "an XML file" if markup.group(1) == b"?xml" else "a web page (HTML)"
        raise Refused(
            f"{path.name} is {what}, as some systems write for 'export to Excel': "
            f"open it in Excel and {_SAVE_AS}"
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _utf16(path)
    return _text(path)


def _zip_kind(path: Path) -> None:
    """Nothing if the zip is an .xlsx workbook; otherwise Refused saying what it is."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise Refused(f"{path.name} is a damaged zip archive ({exc}): {_AGAIN}") from None
    if "xl/workbook.xml" in names:
        return
    if "xl/workbook.bin" in names:
        what = "an .xlsb (binary) workbook"
    elif b"opendocument.spreadsheet" in mimetype:
        what = "an .ods (OpenDocument) spreadsheet"
    elif any(n.startswith("Index/") for n in names):
        what = "a Numbers spreadsheet"
    elif "word/document.xml" in names:
        what = "a Word document, not a table"
    else:
        raise Refused(f"{path.name} is a zip archive: unzip it and import the CSV inside")
    raise Refused(f"{path.name} is {what}: {_SAVE_AS}")


def _digest(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _not_text(path: Path, offset: int, value: int) -> Refused:
    return Refused(f"{path.name} is not text: {byte_at(offset, value)}; {_AGAIN}")


def _text(path: Path) -> Scan:
    """One pass: the SHA-256, and whether the bytes are UTF-8, Windows-1252 or not text."""
    digest, size = hashlib.sha256(), 0
    decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    decoded = 0  # bytes the decoder has turned into text so far
    invalid = utf8 = first_line_end = None
    legacy_gaps = False
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            if nul := _NUL.search(chunk):
                raise _not_text(path, size + nul.start(), 0)
            if first_line_end is None:
                if control := _CONTROL.search(chunk):
                    end = _NEWLINE.search(chunk, 0, control.start())
                    if end is None:
                        raise _not_text(path, size + control.start(), chunk[control.start()])
                if end_of_line := _NEWLINE.search(chunk):
                    first_line_end = size + end_of_line.start()
            legacy_gaps = legacy_gaps or bool(_CP1252_UNDEFINED.search(chunk))
            size += len(chunk)
            text = decoder.decode(chunk)
            if invalid is None and (bad := _INVALID.search(text)):
                invalid = decoded + _utf8_len(text[: bad.start()])
            if utf8 is None and (good := _NON_ASCII.search(text)):
                utf8 = decoded + _utf8_len(text[: good.start()])
            decoded += _utf8_len(text)
        text = decoder.decode(b"", final=True)
        if invalid is None and text:
            invalid = decoded
    if invalid is None:
        bom = utf8 == 0 and _starts_with_bom(path)
        return Scan("csv", "utf-8-sig" if bom else "utf-8", size, digest.hexdigest())
    if utf8 is not None:
        with path.open("rb") as f:
            f.seek(invalid)
            value = f.read(1)[0]
        raise Refused(
            f"{path.name} mixes encodings: the text at offset {utf8:,} is UTF-8 but "
            f"{byte_at(invalid, value)}, which is not; {_AGAIN}"
        )
    encoding = "iso-8859-1" if legacy_gaps else "windows-1252"
    return Scan("csv", encoding, size, digest.hexdigest())


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogateescape"))


def _starts_with_bom(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(3) == codecs.BOM_UTF8


def _utf16(path: Path) -> Scan:
    """Excel's "Unicode Text": UTF-16 with a BOM (small files; read at once)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-16")
    except UnicodeDecodeError as exc:
        raise Refused(
            f"{path.name} starts as UTF-16 but {byte_at(exc.start, data[exc.start])} "
            f"and cannot be decoded; {_AGAIN}"
        ) from None
    first_line = re.split(r"[\r\n]", text, maxsplit=1)[0]
    if bad := re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", first_line):
        offset = 2 + len(text[: bad.start()].encode("utf-16-le"))
        raise _not_text(path, offset, ord(bad.group()))
    return Scan("csv", "utf-16", len(data), hashlib.sha256(data).hexdigest())
