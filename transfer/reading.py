"""Turn an uploaded CSV or XLSX file into a header and numbered rows of cells.

CSV: the encoding is UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark
(Excel's "Unicode text"), else Windows-1252 (what Excel writes on Western-European Windows);
the delimiter is found by ``csv.Sniffer`` among , ; tab and |, checked against the header.
XLSX: the first worksheet, read with openpyxl; its cells keep their types (a date cell is a
date), numbers become Decimals (from the float's shortest repr, no float arithmetic).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

MAX_ROWS = 50_000
DELIMITERS = ",;\t|"


class FileError(ValueError):
    """The file cannot be read at all; the message says why and what to do."""


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (line number in the file, cells)
    format: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""


def read_table(content: bytes, filename: str) -> Table:
    if not content.strip():
        raise FileError("The file is empty.")
    if content[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content)
    if filename.lower().endswith(".xls") or content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileError("Old Excel files (.xls) cannot be read: save the sheet as .xlsx or "
                        "CSV and upload that.")
    return _read_csv(content)


def decode(content: bytes) -> tuple[str, str]:
    """The text and the name of the encoding it was read with."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16"), "utf-16"
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return content.decode("latin-1"), "latin-1"


def _delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    try:
        found = csv.Sniffer().sniff(text[:20_000], delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = ""
    if found and len(next(csv.reader([first_line], delimiter=found), [])) > 1:
        return found
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(content: bytes) -> Table:
    try:
        text, encoding = decode(content)
    except UnicodeDecodeError:
        raise FileError("The file is not valid UTF-8 text. Save it as CSV UTF-8 and upload "
                        "it again.") from None
    if "\x00" in text:
        raise FileError("This does not look like a CSV file (it holds binary data). Upload a "
                        "CSV or XLSX file.")
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(_numbered(reader))
    except csv.Error as exc:
        raise FileError(f"The CSV file cannot be read: {exc}.") from None
    return _table(records, "csv", encoding=encoding, delimiter=delimiter)


def _numbered(reader: Any) -> Iterator[tuple[int, list[Any]]]:
    """Records with the line they start on (a quoted cell may span lines)."""
    line = 1
    for record in reader:
        yield line, record
        line = reader.line_num + 1


def _read_xlsx(content: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileError(f"The Excel file cannot be read ({exc}). Save it again as .xlsx or "
                        "CSV.") from None
    try:
        sheet = workbook.worksheets[0]
        records = [(number, [_cell(v) for v in values]) for number, values
                   in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        workbook.close()
    return _table(records, "xlsx")


def _cell(value: Any) -> Any:
    """A typed cell as the importer wants it: dates stay dates, numbers become Decimals (never
    read through the file's number locale: a number cell has no separators)."""
    if isinstance(value, datetime):
        return value.date() if value.time() == time(0) else value
    if isinstance(value, date | Decimal):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # repr gives the shortest text that reads back as this float: 1190.1 stays 1190.1.
        return Decimal(int(value)) if value.is_integer() else Decimal(repr(value))
    return "" if value is None else str(value)


def _blank(cells: list[Any]) -> bool:
    return all(not str(c).strip() for c in cells)


def _table(records: list[tuple[int, list[Any]]], fmt: str, **extra: str) -> Table:
    records = [(n, cells) for n, cells in records if not _blank(cells)]
    if not records:
        raise FileError("The file has no rows.")
    (_, header), rows = records[0], records[1:]
    headers = [str(h).strip() for h in header]
    while headers and not headers[-1]:
        headers.pop()
    if not rows:
        raise FileError("The file has a header but no rows below it.")
    if len(rows) > MAX_ROWS:
        raise FileError(f"The file has {len(rows):,} rows; at most {MAX_ROWS:,} are imported "
                        "at once. Split it into several files.")
    return Table(headers, rows, fmt, **extra)
