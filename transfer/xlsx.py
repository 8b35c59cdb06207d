"""Stream the first worksheet of an XLSX file, within limits checked before anything is kept.

An XLSX file is a zip of XML parts, and both can lie: a sheet may declare
``<dimension ref="A1:XFD1048576"/>`` or number its last row 1048576, a 5 KB zip may hold a
300 MB text, a zip entry may claim a smaller size than it inflates to. So nothing here trusts
a declared size or materializes a range:

* the zip: at most ``MAX_ENTRIES`` entries, their *declared* uncompressed sizes together at
  most ``Limits.uncompressed``, and the bytes really inflated while reading are counted
  against the same cap (reading stops at the first byte over it; ``zipfile`` itself stops an
  entry at its declared size and checks its CRC);
* the XML is parsed incrementally (``XMLPullParser`` fed 64 KB at a time) and never holds more
  than one row; a document type declaration (which OOXML never has: entity expansion) is
  refused;
* the dimension is ignored; only cells that are really there count. A row numbered beyond
  ``Limits.last_row``, a value in a column beyond ``Limits.columns``, a cell longer than
  ``Limits.cell_chars`` or more than ``Limits.rows`` non-empty rows stop the reading with
  the cell or row named, before the row is kept.

Cells come back typed as openpyxl would give them with ``data_only=True`` (the cached value of
a formula): text, bool, int, float, or ``datetime`` for a number in a date format. A number
too large to be a date stays a number (the importer then says it is not a date).
"""

from __future__ import annotations

import io
import math
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from core.text import ascii_digits

MAX_ENTRIES = 2_000
CHUNK = 64 * 1024
SMALL_PART = 16 * 1024 * 1024  # workbook, relationships, styles: read whole, at most this
MAX_GAP = 1024 * 1024  # XML bytes without a tag: a cell is at most 32,767 characters
MAX_SHARED_STRINGS = 1_000_000
EXCEL_LAST_ROW = 1_048_576
EXCEL_LAST_COLUMN = 16_384  # XFD
# Number formats Excel leaves to the locale (ECMA-376 18.8.30): all of them are dates.
LOCALE_DATE_FORMAT_IDS = frozenset(range(27, 37)) | frozenset(range(50, 59))

_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")
_DTD = (b"<!DOCTYPE", b"<!ENTITY")
_RELATIONSHIP_TYPE_END = {"worksheet": "/worksheet", "strings": "/sharedStrings",
                          "styles": "/styles", "document": "/officeDocument"}


class XlsxError(ValueError):
    """The file cannot be read within the limits; the message says why and what to do."""


@dataclass(frozen=True)
class Limits:
    rows: int  # non-empty rows, the header included
    last_row: int  # the highest row number that may hold a value
    columns: int
    cell_chars: int
    uncompressed: int  # bytes, all entries of the zip together


def column_letters(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _Archive:
    """The zip, with every byte inflated counted against one cap."""

    def __init__(self, content: bytes, limits: Limits) -> None:
        self.limits = limits
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(content))
        except zipfile.BadZipFile:
            raise XlsxError("The Excel file cannot be read: it is not an .xlsx file, or it is "
                            "damaged. Save it again as .xlsx or CSV.") from None
        entries = self.zip.infolist()
        if len(entries) > MAX_ENTRIES:
            raise XlsxError(f"The Excel file holds {len(entries):,} parts; an .xlsx has a few "
                            "dozen. Save the sheet again as .xlsx or CSV.")
        declared = sum(info.file_size for info in entries)
        if declared > limits.uncompressed:
            raise XlsxError(
                f"The Excel file unpacks to {declared / 1048576:,.0f} MB (at most "
                f"{limits.uncompressed / 1048576:,.0f} MB are read): it holds far more than a "
                "table. Save only the sheet to import as .xlsx or CSV.")
        self.names = {info.filename for info in entries}
        self.inflated = 0

    def chunks(self, name: str) -> Iterator[bytes]:
        try:
            handle: IO[bytes] = self.zip.open(name)
        except KeyError:
            raise XlsxError(f"The Excel file has no part {name}: save it again as .xlsx or "
                            "CSV.") from None
        with handle:
            while chunk := handle.read(CHUNK):
                self.inflated += len(chunk)
                if self.inflated > self.limits.uncompressed:
                    raise XlsxError(
                        f"The Excel file unpacks to more than "
                        f"{self.limits.uncompressed / 1048576:,.0f} MB, more than its parts "
                        "declare: it is damaged or built to exhaust the server. Save the "
                        "sheet again as .xlsx or CSV.")
                yield chunk

    def read(self, name: str) -> bytes:
        out = bytearray()
        for chunk in self.chunks(name):
            out += chunk
            if len(out) > SMALL_PART:
                raise XlsxError(f"The part {name} of the Excel file is larger than "
                                f"{SMALL_PART // (1024 * 1024)} MB: save the sheet again as "
                                ".xlsx or CSV.")
        return bytes(out)

    def events(self, name: str) -> Iterator[tuple[str, str, Element]]:
        """(event, local name, element) as the XML streams by: ``start`` (attributes only)
        and ``end``. After an ``end`` has been handled the element is dropped from its
        parent, so memory holds the open elements only. A text node (a cell's) that goes on
        for ``MAX_GAP`` bytes without a tag is refused before it is all in memory."""
        parser = XMLPullParser(events=("start", "end"))
        stack: list[Element] = []
        tail = b""
        quiet = 0  # bytes fed since the last event
        for chunk in self.chunks(name):
            window = tail + chunk
            if any(marker in window for marker in _DTD):
                raise XlsxError("The Excel file declares XML entities, which no spreadsheet "
                                "writes: it is refused. Save the sheet again as .xlsx or CSV.")
            tail = window[-16:]
            parser.feed(chunk)
            seen = False
            for item in self._events(parser, stack):
                seen = True
                yield item
            quiet = 0 if seen else quiet + len(chunk)
            if quiet > MAX_GAP:
                raise XlsxError(f"A cell of the sheet holds more than "
                                f"{self.limits.cell_chars:,} characters (at most that many "
                                "are read from a cell). Shorten it and upload again.")
        parser.close()
        yield from self._events(parser, stack)

    @staticmethod
    def _events(parser: XMLPullParser, stack: list[Element]
                ) -> Iterator[tuple[str, str, Element]]:
        for item in parser.read_events():
            event, element = item[0], item[-1]  # only start and end were asked for
            assert isinstance(event, str) and isinstance(element, Element)
            if event == "start":
                stack.append(element)
                yield "start", _local(element.tag), element
                continue
            stack.pop()
            yield "end", _local(element.tag), element
            element.clear()
            if stack:
                stack[-1].remove(element)

    def xml(self, name: str) -> Element:
        from xml.etree.ElementTree import fromstring

        data = self.read(name)
        if any(marker in data for marker in _DTD):
            raise XlsxError("The Excel file declares XML entities, which no spreadsheet "
                            "writes: it is refused. Save the sheet again as .xlsx or CSV.")
        # No DTD (checked above), and expat neither fetches external entities nor expands
        # beyond its amplification limit: what defusedxml would refuse is refused.
        return fromstring(data)  # noqa: S314


def _relationships(archive: _Archive, part: str) -> dict[str, tuple[str, str]]:
    """Id → (type, the target part's name) of ``part``'s relationships."""
    folder, base = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    if rels not in archive.names:
        return {}
    found = {}
    for rel in archive.xml(rels):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        name = (target.lstrip("/") if target.startswith("/")
                else posixpath.normpath(posixpath.join(folder, target)))
        found[rel.get("Id", "")] = (rel.get("Type", ""), name)
    return found


def _of_type(rels: dict[str, tuple[str, str]], kind: str) -> str | None:
    return next((name for type_, name in rels.values()
                 if type_.endswith(_RELATIONSHIP_TYPE_END[kind])), None)


@dataclass
class _Book:
    sheet: str
    strings: str | None
    styles: str | None
    epoch: datetime


def _book(archive: _Archive) -> _Book:
    workbook = _of_type(_relationships(archive, ""), "document") or "xl/workbook.xml"
    if workbook not in archive.names:
        raise XlsxError("The file has no workbook inside: it is not an Excel (.xlsx) file. "
                        "Save it as .xlsx or CSV.")
    rels = _relationships(archive, workbook)
    root = archive.xml(workbook)
    epoch = CALENDAR_WINDOWS_1900
    sheet = None
    for element in root.iter():
        tag = _local(element.tag)
        if tag == "workbookPr" and element.get("date1904", "").lower() in ("1", "true"):
            epoch = CALENDAR_MAC_1904
        elif tag == "sheet" and sheet is None:
            rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
            type_, name = rels.get(rid, ("", ""))
            if type_.endswith("/worksheet") and name in archive.names:
                sheet = name
    if sheet is None:
        raise XlsxError("The Excel file has no worksheet: save the sheet to import as .xlsx "
                        "or CSV.")
    return _Book(sheet, _of_type(rels, "strings"), _of_type(rels, "styles"), epoch)


def _date_styles(archive: _Archive, part: str | None) -> set[int]:
    """The indexes of the cell formats (a cell's ``s``) that show a number as a date."""
    if part is None or part not in archive.names:
        return set()
    root = archive.xml(part)
    custom: dict[int, str] = {}
    dates: set[int] = set()
    for element in root.iter():
        if _local(element.tag) == "numFmt":
            try:
                custom[int(element.get("numFmtId", ""))] = element.get("formatCode", "")
            except ValueError:
                continue
    for element in root.iter():
        if _local(element.tag) == "cellXfs":
            for index, xf in enumerate(x for x in element if _local(x.tag) == "xf"):
                try:
                    number_format = int(xf.get("numFmtId", "0"))
                except ValueError:
                    continue
                code = custom.get(number_format, BUILTIN_FORMATS.get(number_format, ""))
                if number_format in LOCALE_DATE_FORMAT_IDS or (code and is_date_format(code)):
                    dates.add(index)
            break
    return dates


class _Strings:
    """Collects the text of a shared or inline string from its ``t`` elements as they end
    (rich-text runs included, the phonetic guide ``rPh`` left out), counting characters."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.parts: list[str] = []
        self.size = 0
        self.phonetic = 0

    def event(self, event: str, tag: str, element: Element, where: str) -> None:
        if tag == "rPh":
            self.phonetic += 1 if event == "start" else -1
        elif tag == "t" and event == "end" and not self.phonetic:
            text = element.text or ""
            self.size += len(text)
            if self.size > self.limits.cell_chars:
                raise XlsxError(f"{where} holds more than {self.limits.cell_chars:,} "
                                "characters; at most that many are read from a cell. Shorten "
                                "it and upload again.")
            self.parts.append(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts, self.size, self.phonetic = [], 0, 0
        return text


def _shared_strings(archive: _Archive, part: str | None, limits: Limits) -> list[str]:
    if part is None or part not in archive.names:
        return []
    strings: list[str] = []
    current = _Strings(limits)
    for event, tag, element in archive.events(part):
        if tag == "si" and event == "end":
            strings.append(current.take())
            if len(strings) > MAX_SHARED_STRINGS:
                raise XlsxError(f"The Excel file holds more than {MAX_SHARED_STRINGS:,} "
                                "different texts: save the sheet to import as CSV.")
        else:
            current.event(event, tag, element, "A cell of the sheet")
    return strings


class _Sheet:
    """Reads the rows of a worksheet part from its events, one cell at a time."""

    def __init__(self, strings: list[str], dates: set[int], epoch: datetime,
                 limits: Limits) -> None:
        self.strings, self.dates, self.epoch, self.limits = strings, dates, epoch, limits

    def rows(self, archive: _Archive, part: str) -> Iterator[tuple[int, list[Any]]]:
        """(row number, values) of each row that holds a value, in the sheet's order."""
        number = column = kept = 0
        values: dict[int, Any] = {}
        cell: dict[str, str] = {}
        raw: str | None = None
        inline = _Strings(self.limits)
        in_inline = False
        ref = ""
        for event, tag, element in archive.events(part):
            if event == "start":
                if tag == "row":
                    number, column, values = self._row_number(element, number), 0, {}
                elif tag == "c":
                    column, ref = self._column(element, column, number)
                    cell, raw, in_inline = dict(element.attrib), None, False
                elif tag == "is":
                    in_inline = True
                elif in_inline:
                    inline.event(event, tag, element, f"Cell {ref}")
            elif tag == "v":
                raw = self._checked(element.text or "", ref)
            elif in_inline and tag != "is":
                inline.event(event, tag, element, f"Cell {ref}")
            elif tag == "is":
                raw = inline.take() if cell.get("t") == "inlineStr" else raw
                in_inline = False
            elif tag == "c":
                value = self.value(cell, raw, ref)
                if value is not None and value != "":
                    if column > self.limits.columns:
                        raise XlsxError(
                            f"Cell {ref} holds a value; at most {self.limits.columns} columns "
                            f"(A to {column_letters(self.limits.columns)}) are read. Delete "
                            "what is right of your table and upload again.")
                    values[column] = value
            elif tag == "row" and values:
                kept = self._within(number, kept)
                yield number, [values.get(c) for c in range(1, max(values) + 1)]

    def _within(self, number: int, kept: int) -> int:
        limits = self.limits
        if number > limits.last_row:
            raise XlsxError(
                f"Row {number:,} of the sheet holds a value; an import reads the rows up to "
                f"{limits.last_row:,}. Delete what is below your table (or split the file) "
                "and upload again.")
        if kept + 1 > limits.rows:
            raise XlsxError(
                f"The sheet has more than {limits.rows - 1:,} rows below its header; at most "
                f"{limits.rows - 1:,} are imported at once. Split it into several files.")
        return kept + 1

    def value(self, cell: dict[str, str], raw: str | None, ref: str) -> Any:
        kind = cell.get("t", "n")
        if raw is None:
            return None
        if kind == "s":
            try:
                return self.strings[int(raw)]
            except (ValueError, IndexError):
                raise XlsxError(f"Cell {ref} refers to a text the file does not hold: the "
                                "file is damaged. Save it again as .xlsx or CSV.") from None
        if kind in ("str", "inlineStr", "e"):
            return raw
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind == "d":
            try:
                return datetime.fromisoformat(raw.strip())
            except ValueError:
                return raw
        return self._number(raw.strip(), cell.get("s"))

    def _number(self, raw: str, style: str | None) -> Any:
        try:
            number: int | float = int(raw) if ascii_digits(raw.lstrip("-")) else float(raw)
        except ValueError:
            return raw  # not a number: the importer says what it expected
        if isinstance(number, float) and not math.isfinite(number):
            return raw
        if style is not None and ascii_digits(style) and int(style) in self.dates:
            try:
                return from_excel(number, self.epoch)
            except (ValueError, OverflowError, TypeError):
                return number  # beyond the calendar: "not a date" for a date column
        return number

    def _checked(self, value: str, ref: str) -> str:
        if len(value) > self.limits.cell_chars:
            raise XlsxError(f"Cell {ref} holds {len(value):,} characters; at most "
                            f"{self.limits.cell_chars:,} are read from a cell. Shorten it and "
                            "upload again.")
        return value

    @staticmethod
    def _row_number(row: Element, previous: int) -> int:
        given = row.get("r")
        if given is None:
            number = previous + 1
        elif ascii_digits(given) and len(given) < 10:
            number = int(given)
        else:
            raise XlsxError(f"The sheet numbers a row '{given[:20]}': the file is damaged. "
                            "Save it again as .xlsx or CSV.")
        if not previous < number <= EXCEL_LAST_ROW:
            raise XlsxError(f"The sheet's rows are out of order or beyond Excel's last row "
                            f"(row {number:,} after row {previous:,}): the file is damaged. "
                            "Save it again as .xlsx or CSV.")
        return number

    @staticmethod
    def _column(cell: Element, previous: int, row: int) -> tuple[int, str]:
        given = cell.get("r")
        if given is None:
            column = previous + 1
        else:
            match = _REF.fullmatch(given)
            if match is None or int(match.group(2)) != row:
                raise XlsxError(f"The sheet has a cell '{given[:20]}' in row {row:,}: the "
                                "file is damaged. Save it again as .xlsx or CSV.")
            column = _column_index(match.group(1))
        if not previous < column <= EXCEL_LAST_COLUMN:
            raise XlsxError(f"The cells of row {row:,} are out of order or beyond Excel's last "
                            "column: the file is damaged. Save it again as .xlsx or CSV.")
        return column, f"{column_letters(column)}{row}"


def read_rows(content: bytes, limits: Limits) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cell values) of every row of the first worksheet that holds a value.
    ``XlsxError`` for a file that is not a readable XLSX within ``limits``."""
    archive = _Archive(content, limits)
    try:
        book = _book(archive)
        strings = _shared_strings(archive, book.strings, limits)
        sheet = _Sheet(strings, _date_styles(archive, book.styles), book.epoch, limits)
        yield from sheet.rows(archive, book.sheet)
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise XlsxError(f"The Excel file is damaged: a part of it is not well-formed XML "
                        f"(line {line}, column {column}: it may be cut off). Save it again as "
                        ".xlsx or CSV.") from None
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError) as exc:
        # A bad CRC, a cut-off entry, encryption, an unknown compression method.
        raise XlsxError(f"The Excel file is damaged ({exc}). Save it again as .xlsx or "
                        "CSV.") from None
    finally:
        archive.zip.close()
