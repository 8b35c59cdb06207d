"""The readers' limits and strictness: XLSX parts streamed and capped, CSV columns and cells
capped, encodings never guessed."""

import io
import re
import zipfile
from datetime import datetime

import pytest
from openpyxl import Workbook

from tests.transfer.conftest import csv_bytes
from transfer.reading import MAX_COLUMNS, FileError, decode, read_table
from transfer.xlsx import Limits, XlsxError, read_rows

SMALL = Limits(rows=4, last_row=10, columns=5, cell_chars=20, uncompressed=200_000)
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _book(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _replace(content: bytes, parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, parts.pop(info.filename, None)
                         or src.read(info.filename))
        for name, data in parts.items():
            dst.writestr(name, data)
    return out.getvalue()


def _with_shared_strings(sheet_data: str, strings: str, *, date1904: bool = False) -> bytes:
    base = _book([["x"]])
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        rels = z.read("xl/_rels/workbook.xml.rels").replace(b"</Relationships>", (
            b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/sharedStrings" Target="sharedStrings.xml" Id="rId9"/>'
            b"</Relationships>"))
        workbook = z.read("xl/workbook.xml")
    if date1904:
        workbook = workbook.replace(b"<workbookPr", b'<workbookPr date1904="1"', 1)
    return _replace(base, {
        "xl/_rels/workbook.xml.rels": rels, "xl/workbook.xml": workbook,
        "xl/worksheets/sheet1.xml": f"<worksheet {NS}><sheetData>{sheet_data}</sheetData>"
                                    "</worksheet>".encode(),
        "xl/sharedStrings.xml": f"<sst {NS}>{strings}</sst>".encode()})


def test_shared_rich_and_phonetic_strings_and_cells_without_references():
    content = _with_shared_strings(
        '<row r="1"><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row>'
        '<row><c r="B2" t="b"><v>1</v></c><c t="e"><v>#N/A</v></c><c><v>1.5E2</v></c></row>',
        "<si><t>Müller &amp; Co</t></si>"
        "<si><r><t>rich </t></r><r><t>text</t></r><rPh><t>ルビ</t></rPh></si>")
    assert list(read_rows(content, SMALL)) == [
        (1, ["Müller & Co", "rich text"]), (2, [None, True, "#N/A", 150.0])]


def test_a_reference_to_a_missing_shared_string_is_a_damaged_file():
    content = _with_shared_strings('<row r="1"><c r="A1" t="s"><v>7</v></c></row>',
                                   "<si><t>only one</t></si>")
    with pytest.raises(XlsxError, match="Cell A1 refers to a text the file does not hold"):
        list(read_rows(content, SMALL))


def test_date1904_workbooks_and_numbers_beyond_the_calendar():
    book = Workbook()
    book.active.append([datetime(2026, 3, 1), 1])
    book.active["B1"].number_format = "yyyy-mm-dd"
    book.active["B1"].value = 99_999_999  # a date format, but no date
    out = io.BytesIO()
    book.save(out)
    assert list(read_rows(out.getvalue(), SMALL)) == [(1, [datetime(2026, 3, 1), 99_999_999])]
    with zipfile.ZipFile(out) as z:
        workbook = z.read("xl/workbook.xml")
    mac = _replace(out.getvalue(), {"xl/workbook.xml": workbook.replace(
        b"<workbookPr", b'<workbookPr date1904="1"', 1)})
    assert next(iter(read_rows(mac, SMALL)))[1][0] == datetime(2030, 3, 2)


@pytest.mark.parametrize(("sheet_data", "says"), [
    ('<row r="1"><c r="F1" t="inlineStr"><is><t>x</t></is></c></row>',
     "Cell F1 holds a value; at most 5 columns (A to E)"),
    ('<row r="11"><c r="A11" t="inlineStr"><is><t>x</t></is></c></row>',
     "Row 11 of the sheet holds a value; an import reads the rows up to 10"),
    ("".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 6)),
     "more than 3 rows below its header"),
    ('<row r="1"><c r="A1" t="inlineStr"><is><t>' + "y" * 21 + "</t></is></c></row>",
     "Cell A1 holds more than 20 characters"),
    ('<row r="1"><c r="A1" t="str"><v>' + "y" * 21 + "</v></c></row>",
     "Cell A1 holds 21 characters"),
    ('<row r="2"><c r="A2"><v>1</v></c></row><row r="1"><c r="A1"><v>1</v></c></row>',
     "out of order"),
    ('<row r="1"><c r="A2"><v>1</v></c></row>', "a cell 'A2' in row 1"),
    ('<row r="99999999999"><c><v>1</v></c></row>', "numbers a row"),
])
def test_limits_stop_the_reading_at_the_cell_or_row_that_passes_them(sheet_data, says):
    content = _replace(_book([["x"]]), {
        "xl/worksheets/sheet1.xml": f"<worksheet {NS}><sheetData>{sheet_data}</sheetData>"
                                    "</worksheet>".encode()})
    with pytest.raises(XlsxError, match=re.escape(says)):
        list(read_rows(content, SMALL))


def test_empty_styled_cells_far_right_and_below_cost_nothing():
    content = _replace(_book([["x"]]), {"xl/worksheets/sheet1.xml": (
        f'<worksheet {NS}><dimension ref="A1:XFD1048576"/><sheetData>'
        '<row r="1"><c r="A1"><v>1</v></c><c r="XFD1" s="0"/></row>'
        '<row r="1048576"><c r="XFD1048576" s="0"/></row></sheetData></worksheet>').encode()})
    assert list(read_rows(content, SMALL)) == [(1, [1])]


def test_entities_and_oversized_archives_are_refused():
    bomb = (f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><worksheet {NS}>'
            "<sheetData><row><c t=\"inlineStr\"><is><t>&lol;</t></is></c></row></sheetData>"
            "</worksheet>")
    content = _replace(_book([["x"]]), {"xl/worksheets/sheet1.xml": bomb.encode()})
    with pytest.raises(XlsxError, match="declares XML entities"):
        list(read_rows(content, SMALL))
    big = _replace(_book([["x"]]), {"xl/media/padding.bin": b"\0" * 300_000})
    with pytest.raises(XlsxError, match="unpacks to 0 MB"):
        list(read_rows(big, SMALL))


def test_a_text_node_without_end_is_refused_before_it_is_in_memory():
    limits = Limits(rows=4, last_row=10, columns=5, cell_chars=20, uncompressed=10_000_000)
    content = _replace(_book([["x"]]), {"xl/worksheets/sheet1.xml": (
        f'<worksheet {NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
        + "z" * 3_000_000 + "</t></is></c></row></sheetData></worksheet>").encode()})
    with pytest.raises(XlsxError, match="more than 20 characters"):
        list(read_rows(content, limits))


def test_csv_columns_cells_and_quotes_are_file_errors_with_the_line():
    head = ["Client reference", "Name"]
    wide = csv_bytes([head, ["C-1", "Acme", *(["x"] * MAX_COLUMNS)]])
    with pytest.raises(FileError, match="Line 2 has 258 columns; at most 256"):
        read_table(wide, "x.csv")
    padded = csv_bytes([head, ["C-1", "Acme", *([""] * MAX_COLUMNS)]])
    assert read_table(padded, "x.csv").rows == [(2, ["C-1", "Acme"] + [""] * 254)]
    many = csv_bytes([head, ["C-1", "Acme" + "," * 5000]])
    with pytest.raises(FileError, match="Line 2 has 5,001 separators"):
        read_table(many, "x.csv")
    long = csv_bytes([head, ["C-1", "A" * 40_000]])
    with pytest.raises(FileError, match="Line 2, column 2 holds 40,000 characters"):
        read_table(long, "x.csv")
    quotes = b'Client reference,Name\r\nC-1,"Acme\r\n' + b"x" * 200_000
    with pytest.raises(FileError, match="cannot be read after line"):
        read_table(quotes, "x.csv")


def test_encodings_are_never_guessed():
    assert decode("Müller".encode()) == ("Müller", "utf-8")
    assert decode(b"\xef\xbb\xbf" + "Müller".encode()) == ("Müller", "utf-8-sig")
    assert decode("a\r\nMüller".encode("utf-16")) == ("a\r\nMüller", "utf-16")
    assert decode(b"M\xfcller", "cp1252") == ("Müller", "cp1252")
    assert decode(b"M\xfcller", "iso-8859-1") == ("Müller", "iso-8859-1")
    with pytest.raises(FileError, match=r"line 2 \(character 2, byte 7 of the file: FC\)"):
        decode(b"\xef\xbb\xbfa\nM\xfcller")
    with pytest.raises(FileError, match="not valid Windows-1252 text: line 1"):
        decode(b"abc\x81", "cp1252")  # one of the five bytes Windows-1252 leaves undefined
    with pytest.raises(FileError, match="not valid UTF-16 text: line 2"):
        decode("a\nb".encode("utf-16") + b"\x00")
