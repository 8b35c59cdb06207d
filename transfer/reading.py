"""Turn an uploaded CSV or XLSX file into a header and numbered rows of cells.

CSV: a byte-order mark decides the encoding (UTF-8 or UTF-16, Excel's "Unicode text"); else
it is the one the user chose (UTF-8 unless told otherwise), strictly: a byte that does not
decode refuses the file with its line, nothing is guessed. The delimiter is found by
``csv.Sniffer`` among , ; tab and |, checked against the header.
XLSX: the first worksheet, streamed by ``transfer.xlsx`` within limits checked before anything
is kept (rows, columns, cell length, the archive's unpacked size); its cells keep their types
(a date cell is a date), numbers become Decimals (from the float's shortest repr, no float
arithmetic).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from transfer.xlsx import Limits, XlsxError, read_rows

MAX_ROWS = 50_000
MAX_COLUMNS = 256
MAX_CELL_CHARS = 32_767  # Excel's own limit for a cell
MAX_UNCOMPRESSED = 100 * 1024 * 1024  # an XLSX's parts together, as declared and as inflated
DELIMITERS = ",;\t|"
DEFAULT_ENCODING = "utf-8"
ENCODINGS = {  # what the form offers: codec → the name shown
    "utf-8": "UTF-8",
    "cp1252": "Windows-1252",
    "iso-8859-1": "ISO-8859-1",
    "iso-8859-15": "ISO-8859-15",
    "utf-16": "UTF-16",
}


class FileError(ValueError):
    """The file cannot be read at all; the message says why and what to do."""


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (line number in the file, cells)
    format: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""


def read_table(content: bytes, filename: str, *, encoding: str = "") -> Table:
    """The file's header and rows; ``encoding`` is the one the user chose for a CSV file
    (empty: UTF-8). ``FileError`` says why a file cannot be used, with the line or cell."""
    if not content.strip():
        raise FileError("The file is empty.")
    if content[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content)
    if filename.lower().endswith(".xls") or content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FileError("Old Excel files (.xls) cannot be read: save the sheet as .xlsx or "
                        "CSV and upload that.")
    return _read_csv(content, encoding or DEFAULT_ENCODING)


def decode(content: bytes, encoding: str = DEFAULT_ENCODING) -> tuple[str, str]:
    """The text and the name of the encoding it was read with: a byte-order mark decides
    (UTF-8 or UTF-16), else ``encoding``, strictly. A byte that does not decode is a
    ``FileError`` naming its line and position; nothing is guessed."""
    if content.startswith(b"\xef\xbb\xbf"):
        encoding, skip = "utf-8-sig", 3
    elif content.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding, skip = "utf-16", 0
    else:
        skip = 0
    try:
        return content.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        raise FileError(_decode_problem(content, encoding, exc, skip)) from None
    except LookupError:
        raise FileError(f"Unknown encoding {encoding!r}.") from None


def _decode_problem(content: bytes, encoding: str, exc: UnicodeDecodeError, skip: int) -> str:
    start = exc.start + skip  # utf-8-sig reports positions after its mark
    before = content[:start].decode(encoding, errors="replace")
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    bad = content[start:min(exc.end + skip, start + 4)].hex(" ").upper()
    name = ENCODINGS.get(encoding.removesuffix("-sig"), encoding)
    advice = ("Choose the file's encoding on the form (Excel on Western-European Windows "
              "writes Windows-1252), or save it as \"CSV UTF-8\" and upload it again."
              if encoding in ("utf-8", "utf-8-sig") else
              "Choose the encoding the file was saved in, or save it as \"CSV UTF-8\" and "
              "upload it again.")
    return (f"The file is not valid {name} text: line {line} (character {column}, byte "
            f"{start + 1:,} of the file: {bad}) cannot be read as {name}. {advice}")


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


def _read_csv(content: bytes, encoding: str) -> Table:
    text, encoding = decode(content, encoding)
    if "\x00" in text:
        raise FileError("This does not look like a CSV file (it holds binary data). Upload a "
                        "CSV or XLSX file.")
    delimiter = _delimiter(text)
    reader = csv.reader(_lines(io.StringIO(text, newline=""), delimiter), delimiter=delimiter)
    try:
        records = list(_checked_csv(_numbered(reader)))
    except csv.Error as exc:
        raise FileError(f"The CSV file cannot be read after line {reader.line_num}: {exc}. "
                        "Check the quotes on that line.") from None
    return _table(records, "csv", encoding=encoding, delimiter=delimiter)


def _lines(lines: Iterable[str], delimiter: str) -> Iterator[str]:
    """The file's lines, each refused before the csv module splits it when it could not fit
    in the columns read (more separators than a quoted text could explain)."""
    for number, line in enumerate(lines, start=1):
        if line.count(delimiter) > 4 * MAX_COLUMNS:
            raise FileError(f"Line {number:,} has {line.count(delimiter):,} separators; at most "
                            f"{MAX_COLUMNS} columns are read. Delete what is right of your "
                            "table and upload again.")
        yield line


def _checked_csv(records: Iterable[tuple[int, list[str]]]) -> Iterator[tuple[int, list[Any]]]:
    """Each record within the limits: columns (trailing empty cells do not count), cell
    length and the number of rows, checked as the rows are read."""
    kept = 0
    for line, cells in records:
        while len(cells) > MAX_COLUMNS and not cells[-1].strip():
            cells.pop()
        if len(cells) > MAX_COLUMNS:
            raise FileError(f"Line {line:,} has {len(cells):,} columns; at most {MAX_COLUMNS} "
                            "are read. Delete what is right of your table and upload again.")
        for index, cell in enumerate(cells, start=1):
            if len(cell) > MAX_CELL_CHARS:
                raise FileError(f"Line {line:,}, column {index} holds {len(cell):,} characters; "
                                f"at most {MAX_CELL_CHARS:,} are read from a cell. Shorten it "
                                "and upload again.")
        if _blank(cells):
            continue
        kept += 1
        if kept > MAX_ROWS + 1:
            raise FileError(f"The file has more than {MAX_ROWS:,} rows; at most {MAX_ROWS:,} "
                            "are imported at once. Split it into several files.")
        yield line, cells


def _numbered(reader: Any) -> Iterator[tuple[int, list[Any]]]:
    """Records with the line they start on (a quoted cell may span lines)."""
    line = 1
    for record in reader:
        yield line, record
        line = reader.line_num + 1


XLSX_LIMITS = Limits(rows=MAX_ROWS + 1, last_row=2 * MAX_ROWS + 1, columns=MAX_COLUMNS,
                     cell_chars=MAX_CELL_CHARS, uncompressed=MAX_UNCOMPRESSED)


def _read_xlsx(content: bytes) -> Table:
    try:
        records = [(number, [_cell(v) for v in values])
                   for number, values in read_rows(content, XLSX_LIMITS)]
    except XlsxError as exc:
        raise FileError(str(exc)) from None
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
