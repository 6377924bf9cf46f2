"""rollcall.intake: membership exports and registers read the way people really produce them.

Files are written here as the tools write them (tests/unit/kernel/intake_files.py):
every case ends in records with exact values and problems, or in a one-line
Refused naming the place; never another exception.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollcall.formats import EXTRACT_COLUMNS, EXTRACT_OPTIONAL_COLUMNS, REGISTER_COLUMNS
from rollcall.intake import Export, Record, Refused, open_export
from tests.unit.kernel import intake_files as files
from tests.unit.kernel.intake_files import NAMES, Formula, member, members, table


def extract(path: Path, sheet: str | None = None) -> Export:
    return open_export(
        path, required=EXTRACT_COLUMNS, optional=EXTRACT_OPTIONAL_COLUMNS, sheet=sheet
    )


def refusal(path: Path, *where: str, sheet: str | None = None) -> str:
    """The one-line refusal of ``path``, which names the file and each of ``where``."""
    with pytest.raises(Refused) as caught:
        extract(path, sheet)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message
    assert path.name in message
    for place in where:
        assert place in message, message
    return message


def names(records: list[Record]) -> list[tuple[str, str]]:
    return [(r.values["first_name"], r.values["last_name"]) for r in records]


def sound(export: Export) -> list[Record]:
    records = list(export.records())
    assert [r.problems for r in records] == [[] for _ in records]
    assert export.count() == len(records)
    return records


# --- encodings -------------------------------------------------------------------------


def test_excel_csv_utf8_with_bom_and_crlf(tmp_path: Path) -> None:
    export = extract(files.excel_csv_utf8(tmp_path / "members.csv", table(members())))
    assert (export.kind, export.encoding, export.delimiter) == ("csv", "utf-8-sig", ",")
    assert export.header == EXTRACT_COLUMNS  # the BOM is not part of the first name
    records = sound(export)
    assert names(records) == list(NAMES)
    assert [r.line for r in records] == [2, 3, 4]
    assert records[0].values == {
        **member(1, *NAMES[0]),
        "payment_reference": "",
        "dues_paid_to": "",
    }
    assert records[0].raw == files.delimited(table(members()))[:-2].split("\r\n")[1]
    assert export.describe() == "CSV, UTF-8 with BOM, comma-separated"


def test_utf8_without_bom(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes(files.delimited(table(members()), newline="\n").encode("utf-8"))
    export = extract(path)
    assert export.encoding == "utf-8"
    assert names(sound(export)) == list(NAMES)


def test_excel_plain_csv_in_windows_1252_keeps_every_name_exactly(tmp_path: Path) -> None:
    path = files.excel_csv(tmp_path / "members.csv", table(members()))
    assert "Zoë".encode("cp1252") in path.read_bytes()  # a legacy file, not UTF-8
    export = extract(path)
    assert export.encoding == "windows-1252"
    assert names(sound(export)) == list(NAMES)
    assert "Windows-1252" in export.describe()


def test_a_byte_windows_1252_leaves_undefined_reads_as_latin_1(tmp_path: Path) -> None:
    rows = [member(1, "Zoë", "Lefèvre", address_2="Flat\x81")]
    path = tmp_path / "members.csv"
    path.write_bytes(files.delimited(table(rows)).encode("latin-1"))
    export = extract(path)
    assert export.encoding == "iso-8859-1"
    [record] = list(export.records())
    assert names([record]) == [("Zoë", "Lefèvre")]
    assert record.values["address_2"] == "Flat\x81"


def test_excel_unicode_text_utf16_with_tabs(tmp_path: Path) -> None:
    export = extract(files.excel_unicode_text(tmp_path / "members.txt", table(members())))
    assert (export.encoding, export.delimiter) == ("utf-16", "\t")
    assert names(sound(export)) == list(NAMES)


def test_a_file_mixing_utf8_and_windows_1252_is_refused_at_the_first_bad_byte(
    tmp_path: Path,
) -> None:
    path = tmp_path / "members.csv"
    good = files.delimited(table(members()[:1])).encode("utf-8")
    bad = files.delimited(table(members()[1:])[1:]).encode("cp1252")
    path.write_bytes(good + bad)
    offset = len(good) + bad.index("Siân".encode("cp1252")) + 2
    message = refusal(path, f"offset {offset:,}", "0xE2", "UTF-8")
    assert message.endswith("export it again as CSV (UTF-8)")


def test_a_utf8_bom_over_windows_1252_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes(b"\xef\xbb\xbf" + files.delimited(table(members())).encode("cp1252"))
    refusal(path, "mixes encodings", "offset 0 is UTF-8")


# --- delimiters and headers ------------------------------------------------------------


def test_libreoffice_semicolon_export(tmp_path: Path) -> None:
    rows = [member(1, "Zoë", "Lefèvre", address_1="1, Church Street")]
    export = extract(files.libreoffice_semicolon(tmp_path / "members.csv", table(rows)))
    assert (export.encoding, export.delimiter) == ("utf-8", ";")
    [record] = sound(export)
    assert record.values["address_1"] == "1, Church Street"
    assert "semicolon-separated" in export.describe()


def test_tab_separated(tmp_path: Path) -> None:
    export = extract(files.tsv(tmp_path / "members.tsv", table(members())))
    assert export.delimiter == "\t"
    assert names(sound(export)) == list(NAMES)


def test_reordered_columns_with_other_spellings_and_extra_columns(tmp_path: Path) -> None:
    columns = list(reversed(EXTRACT_COLUMNS))
    header = [c.replace("_", " ").title() for c in columns]  # "Membership Number"
    header[0] = "STATUS "
    header[1] = "association"
    cells = [
        ["Region", *header, "Branch Notes", "dues-paid-to"],
        *(
            ["North", *(row[c] for c in columns), f"note {n}", "2026-12-31"]
            for n, row in enumerate(members())
        ),
    ]
    export = extract(files.excel_csv_utf8(tmp_path / "members.csv", cells))
    assert export.extra_columns == ("Region", "Branch Notes")
    assert export.columns["membership_number"] == len(EXTRACT_COLUMNS)
    assert export.columns["dues_paid_to"] == len(cells[0]) - 1
    assert "extra columns ignored and kept: Region, Branch Notes" in export.describe()
    records = sound(export)
    assert records[2].values == {
        **member(3, *NAMES[2]),
        "payment_reference": "",
        "dues_paid_to": "2026-12-31",
    }
    assert list(records[2].values)[:2] == ["membership_number", "title"]  # the format's order
    assert records[2].extra == {"Region": "North", "Branch Notes": "note 2"}
    assert records[2].raw.startswith("North,current,HACK-N,")


def test_a_missing_column_refuses_the_file_in_one_line(tmp_path: Path) -> None:
    columns = [c for c in EXTRACT_COLUMNS if c not in ("email", "status")] + ["Notes\r\nfor branch"]
    path = files.excel_csv_utf8(tmp_path / "members.csv", table(members(), columns))
    message = refusal(path, "line 1", "lacks column(s) email, status")
    assert "the header has 'membership_number'" in message
    assert "'Notes\\r\\nfor branch'" in message  # the file's text, escaped


def test_a_header_on_line_3_after_blank_lines_names_line_3(tmp_path: Path) -> None:
    columns = EXTRACT_COLUMNS[1:]
    path = tmp_path / "members.csv"
    path.write_text("\n\n" + files.delimited(table(members(), columns)), encoding="utf-8")
    refusal(path, "members.csv, line 3", "lacks column(s) membership_number")
    path.write_text("\n\n" + files.delimited(table(members())), encoding="utf-8")
    export = extract(path)
    assert export.header_line == 3
    assert [r.line for r in export.records()] == [4, 5, 6]


def test_a_pipe_delimited_header_is_refused_naming_its_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_text(files.delimited(table(members()), delimiter="|"), encoding="utf-8")
    refusal(path, "line 1", "lacks column(s) membership_number", "seems to use '|'")


def test_a_repeated_column_refuses_the_file(tmp_path: Path) -> None:
    columns = [*EXTRACT_COLUMNS, "Email"]
    path = files.excel_csv_utf8(tmp_path / "members.csv", table(members(), columns))
    refusal(path, "line 1", "repeats email (columns 10 and 16)")


def test_a_register_is_read_with_the_same_machinery(tmp_path: Path) -> None:
    header = ["Elector ID", *REGISTER_COLUMNS[1:]]
    row = [
        "E1",
        "Ó Súilleabháin",
        "Siân",
        "1 Mill Row",
        "",
        "",
        "",
        "",
        "E8 1AA",
        "W1",
        "C1",
        "",
        "",
    ]
    path = files.excel_csv(tmp_path / "register.csv", [header, row])
    export = open_export(path, required=REGISTER_COLUMNS)
    [record] = sound(export)
    assert record.values == dict(zip(REGISTER_COLUMNS, row, strict=True))
    with pytest.raises(Refused, match="lacks column"):
        open_export(path, required=EXTRACT_COLUMNS)


# --- rows --------------------------------------------------------------------------------


def test_a_200_kb_field_is_a_problem_on_its_row_only(tmp_path: Path) -> None:
    rows = members()
    rows[1]["address_1"] = "x" * 200_000
    path = files.excel_csv_utf8(tmp_path / "members.csv", table(rows))
    export = extract(path)
    first, huge, last = list(export.records())
    assert first.problems == last.problems == []
    assert huge.problems == [
        "the field in column address_1 has 200,000 characters, over the limit of 2,000 "
        "(kept cut to the limit)"
    ]
    assert huge.values["address_1"] == "x" * 2_000
    assert len(huge.raw) < 33_000 and huge.raw.endswith("characters in all]")
    assert names([first, huge, last]) == list(NAMES)
    assert export.count() == 3


def test_an_embedded_newline_stays_in_its_field_and_lines_stay_physical(tmp_path: Path) -> None:
    rows = members()
    rows[0]["address_1"] = "Flat 2\r\n1 Church Street"
    path = files.excel_csv_utf8(tmp_path / "members.csv", table(rows))
    records = sound(extract(path))
    assert records[0].values["address_1"] == "Flat 2\r\n1 Church Street"
    assert "Flat 2\r\n1 Church Street" in records[0].raw
    assert [r.line for r in records] == [2, 4, 5]


def test_formula_cells_are_kept_as_text_never_evaluated(tmp_path: Path) -> None:
    formulas = {
        "first_name": '=HYPERLINK("http://x.example","Zoë")',
        "last_name": "@SUM(1+1)*cmd|' /C calc'!A0",
        "phone": "+44 20 7946 0000",
        "address_2": "-1+1",
    }
    rows = [member(1, "x", "y", **formulas)]
    records = sound(extract(files.excel_csv_utf8(tmp_path / "members.csv", table(rows))))
    assert {k: records[0].values[k] for k in formulas} == formulas


def test_a_truncated_last_row_is_a_record_with_a_problem(tmp_path: Path) -> None:
    text = files.delimited(table(members()))
    path = tmp_path / "members.csv"
    cut = text.rindex("Church Street")
    head, _, tail = text[:cut].rpartition(",3 ")
    path.write_bytes(f'{head},"3 {tail}'.encode())  # the last row stops inside "3 Church…
    export = extract(path)
    records = list(export.records())
    assert [r.problems for r in records[:2]] == [[], []]
    assert records[2].line == 4
    assert records[2].problems == [
        "the file ends inside a quoted field of this row: the row is cut short or a closing "
        "quote is missing",
        "the row has 5 fields but the header has 15",
    ]
    assert export.count() == 3


def test_a_last_row_without_a_newline_is_whole(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_text(files.delimited(table(members())).rstrip("\r\n"), encoding="utf-8")
    assert names(sound(extract(path))) == list(NAMES)


def test_rows_with_the_wrong_number_of_fields(tmp_path: Path) -> None:
    header, *rows = table(members())
    cells = [header, rows[0][:3], [*rows[1], "surplus"], [*rows[2], "", ""]]
    records = list(extract(files.excel_csv_utf8(tmp_path / "members.csv", cells)).records())
    assert [r.problems for r in records] == [
        ["the row has 3 fields but the header has 15"],
        ["the row has 16 fields but the header has 15"],
        [],  # empty cells past the last column are no field
    ]
    assert records[0].values["membership_number"] == "M000001"
    assert records[0].values["email"] == ""


def test_blank_lines_and_rows_of_empty_cells_are_skipped(tmp_path: Path) -> None:
    header, *rows = table(members())
    text = files.delimited([header, rows[0]]) + "\r\n" + ",,,\r\n" + files.delimited(rows[1:])
    path = tmp_path / "members.csv"
    path.write_text(text, encoding="utf-8")
    export = extract(path)
    assert [r.line for r in sound(export)] == [2, 5, 6]


def test_a_control_character_in_a_field_is_a_problem_on_its_row(tmp_path: Path) -> None:
    rows = members()
    rows[1]["town"] = "Lon\x1bdon"
    records = list(extract(files.excel_csv_utf8(tmp_path / "m.csv", table(rows))).records())
    assert [r.problems for r in records] == [
        [],
        ["the field in column town holds a control character (0x1B)"],
        [],
    ]


# --- empty, header only, not a table ------------------------------------------------------


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes(b"")
    refusal(path, "is empty (0 bytes)")


def test_a_file_of_blank_lines_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes(b"\r\n \r\n\r\n")
    refusal(path, "has no header row")


def test_a_header_only_file_has_no_records(tmp_path: Path) -> None:
    export = extract(files.excel_csv_utf8(tmp_path / "members.csv", table([])))
    assert list(export.records()) == [] and export.count() == 0


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("members.csv", PNG, "is a PNG image"),
        ("members.xls", OLE2, "is an .xls workbook (Excel 97-2003)"),
        ("members.csv", _zip({"members.csv": b"a,b\n"}), "is a zip archive: unzip it"),
        (
            "members.ods",
            _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}),
            "is an .ods",
        ),
        ("members.xlsb", _zip({"xl/workbook.bin": b""}), "is an .xlsb"),
        (
            "members.xls",
            b"<html><body><table><tr><td>membership_number</td></tr>",
            "is a web page (HTML)",
        ),
        ("members.csv", b"PK\x03\x04 not really a zip", "is a damaged zip archive"),
        ("members.csv", b"%PDF-1.7\n", "is a PDF document"),
        ("members.csv", b"membership_number,\x00\x01title\n", "offset 18 is 0x00"),
        ("members.csv", b"\x13\x37junk\xfe\xff,x\n", "offset 0 is 0x13"),
    ],
)
def test_what_is_not_a_table_is_refused_in_its_own_words(
    tmp_path: Path, name: str, data: bytes, said: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    refusal(path, said)


def test_a_sheet_name_for_a_csv_file_is_refused(tmp_path: Path) -> None:
    path = files.excel_csv_utf8(tmp_path / "members.csv", table(members()))
    refusal(path, "not a workbook", "'Members'", sheet="Members")


def test_an_unreadable_path_is_refused(tmp_path: Path) -> None:
    refusal(tmp_path / "gone.csv", "cannot be read")


# --- workbooks (written with XlsxWriter, read with openpyxl) ---------------------------


def _sheet_rows() -> list[list[object]]:
    header: list[object] = ["Membership Number", *EXTRACT_COLUMNS[1:], "Notes"]
    rows: list[list[object]] = [header]
    for n, (first, last) in enumerate(NAMES, start=1):
        row: list[object] = list(member(n, first, last).values())
        row[0] = 1000 + n  # a number, as systems store membership numbers
        row[11] = date(1980, 2, 29)  # date_of_birth, a real date cell
        row[12] = datetime(2019, 6, 1, 0, 0)  # joined_on
        row.append(Formula("=1+1", 2) if n == 1 else None)
        rows.append(row)
    return rows


def test_an_xlsx_workbook_written_by_another_library(tmp_path: Path) -> None:
    rows = _sheet_rows()
    rows.insert(3, [])  # an empty row in the sheet
    path = files.xlsx(tmp_path / "members.xlsx", {"Members": rows, "Notes": [["nothing"]]})
    export = extract(path)
    assert (export.kind, export.sheet, export.encoding, export.delimiter) == (
        "xlsx",
        "Members",
        None,
        None,
    )
    assert export.extra_columns == ("Notes",)
    assert (
        export.describe()
        == "Excel workbook, sheet 'Members'; extra columns ignored and kept: Notes"
    )
    records = sound(export)
    assert [r.line for r in records] == [2, 3, 5]  # the sheet's row numbers
    assert names(records) == list(NAMES)
    assert records[0].values == {
        **member(1, *NAMES[0]),
        "membership_number": "1001",  # an integer, without '.0'
        "date_of_birth": "1980-02-29",
        "joined_on": "2019-06-01",
        "payment_reference": "",
        "dues_paid_to": "",
    }
    assert records[0].values["phone"] == "07700 900123"  # stored as text: kept
    assert records[0].extra == {"Notes": "2"}  # a formula gives its saved value
    assert records[1].extra == {"Notes": ""}
    assert records[0].raw.startswith("1001,Ms,Zoë,Lefèvre,1 Church Street,,,London,")


def test_a_named_sheet_and_an_unknown_one(tmp_path: Path) -> None:
    path = files.xlsx(
        tmp_path / "members.xlsx", {"Cover": [["Exported 2026-11-01"]], "Data": _sheet_rows()}
    )
    refusal(path, "sheet 'Cover', row 1", "lacks column(s) membership_number")
    assert names(sound(extract(path, sheet="Data"))) == list(NAMES)
    assert extract(path, sheet="data").sheet == "Data"  # Excel's names ignore case
    refusal(path, "no worksheet 'Members'", "'Cover', 'Data'", sheet="Members")


def test_an_empty_sheet_is_refused(tmp_path: Path) -> None:
    path = files.xlsx(tmp_path / "members.xlsx", {"Sheet1": []})
    refusal(path, "worksheet 'Sheet1' is empty")


def test_a_sheet_row_with_values_past_the_header(tmp_path: Path) -> None:
    rows = _sheet_rows()
    rows[2] = [*rows[2], "stray", None, "more"]
    records = list(extract(files.xlsx(tmp_path / "m.xlsx", {"S": rows})).records())
    assert [r.problems for r in records] == [
        [],
        ["the row has 19 fields but the header has 16"],
        [],
    ]


def test_a_float_and_a_long_number_read_as_excel_shows_them(tmp_path: Path) -> None:
    from rollcall.intake.workbook import text

    assert [text(v) for v in (0.1 + 0.2, 12.0, 1e20, True, None)] == [
        "0.3",
        "12",
        "1e+20",
        "TRUE",
        "",
    ]
    assert text(datetime(2026, 1, 2, 9, 30)) == "2026-01-02 09:30:00"


def test_a_truncated_workbook_is_refused(tmp_path: Path) -> None:
    path = files.xlsx(tmp_path / "members.xlsx", {"Members": _sheet_rows()})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    refusal(path, "members.xlsx")


def test_a_workbook_damaged_past_its_first_rows_is_refused_when_opened(tmp_path: Path) -> None:
    path = files.xlsx(tmp_path / "members.xlsx", {"Members": _sheet_rows()})
    with zipfile.ZipFile(path) as book:
        parts = {n: book.read(n) for n in book.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet[: sheet.index(b'<row r="3"') + 40]
    path.write_bytes(_zip(parts))
    refusal(path, "cannot be read as a workbook", "open it in Excel and save it again")


def test_a_workbook_that_understates_its_size_is_read_whole(tmp_path: Path) -> None:
    """Some writers leave a stale <dimension>; openpyxl would trust it and drop rows."""
    path = files.xlsx(tmp_path / "members.xlsx", {"Members": _sheet_rows()})
    with zipfile.ZipFile(path) as book:
        parts = {n: book.read(n) for n in book.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    start = sheet.index(b"<dimension ref=")
    end = sheet.index(b"/>", start)
    parts["xl/worksheets/sheet1.xml"] = sheet[:start] + b'<dimension ref="A1:C2"' + sheet[end:]
    path.write_bytes(_zip(parts))
    assert names(sound(extract(path))) == list(NAMES)


def test_a_refusal_is_one_line_whatever_it_is_given() -> None:
    assert str(Refused("line 1: 'a\r\nb'\u2028c")) == "line 1: 'a\\r\\nb'\\u2028c"


# --- never another exception ------------------------------------------------------------


def _read_all(path: Path) -> None:
    try:
        export = extract(path)
    except Refused as refused:
        assert "\n" not in str(refused) and path.name in str(refused)
        return
    records = list(export.records())
    assert export.count() == len(records)
    assert all(r.line > export.header_line for r in records)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=2_000))
def test_any_bytes_are_refused_or_read(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "any.csv"
    path.write_bytes(data)
    _read_all(path)


_HEADER = files.delimited([EXTRACT_COLUMNS]).encode("utf-8")


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        st.binary(max_size=2_000),
        st.text(alphabet=st.sampled_from(',;\t"\r\n =+-@aéZ\x1b'), max_size=400).map(str.encode),
    )
)
def test_any_rows_under_a_good_header_are_records(tmp_path: Path, body: bytes) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(_HEADER + body)
    _read_all(path)


@pytest.fixture(scope="module")
def workbook_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("book") / "members.xlsx"
    return files.xlsx(path, {"Members": _sheet_rows()}).read_bytes()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edits=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=8)
)
def test_a_damaged_workbook_is_refused_or_read(
    tmp_path: Path, workbook_bytes: bytes, edits: list[tuple[int, int]]
) -> None:
    data = bytearray(workbook_bytes)
    for at, value in edits:
        data[at % len(data)] = value
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(data))
    _read_all(path)
