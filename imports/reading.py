"""An uploaded file of cases read as a table: a header row, then data rows, each cell as
written, whatever produced the file (Excel, LibreOffice, Numbers, a script, our own export).

- The format comes from the content's signature, checked against the name: XLSX is a ZIP
  archive, old Excel (.xls) is refused with a word on how to save it, anything else must be
  text. Nothing is guessed silently: a CSV's encoding is its BOM, or the UTF-16 its bytes
  show, or UTF-8 or Windows-1252 only if the whole file decodes under it.
- An XLSX is checked as a ZIP bomb before openpyxl opens it, so that a file of a few kilobytes
  cannot unpack to gigabytes; openpyxl then reads it in read-only mode, as a stream.
- A formula is never taken for a value: it comes back as `Formula`, for the row checker to
  report. A cell our export neutralised with a leading "'" (reporting.exports.rows) comes
  back as it was before.
- Memory stays flat however long the file: it is read row by row, in the pass that counts the
  rows at opening and in each pass over the rows after.

Messages are for the uploader and never quote a cell: cells may name people at risk.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from xml.etree.ElementTree import ParseError  # noqa: S405 (caught, not parsed with)

# With defusedxml installed (a dependency of ours for this), openpyxl parses every part
# through it, which refuses entity declarations and so any XML entity expansion.
import openpyxl
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from openpyxl.utils.exceptions import InvalidFileException

from reporting.exports.rows import FORMULA_STARTS

ZIP_SIGNATURE = b"PK\x03\x04"
# The compound file of old Excel (.xls), and of a password-protected XLSX.
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0"
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
# How much of the start is read to tell the format, the BOM and UTF-16 without BOM.
HEAD_BYTES = 4096
DELIMITERS = (",", ";", "\t")
# What a CSV cell starts with when it is a formula, or neutralised: the others are as written.
MARKS = ("=", "'")
# One row of a CSV is held whole while it is read: a longer one is refused, so that a file of
# one endless line (or of quoted cells running on) cannot fill memory.
MAX_ROW_CHARS = 1024 * 1024

# A real spreadsheet unpacks to a few times its size, its XML to at most some tens of times.
XLSX_UNPACKED_PER_BYTE = 50
XLSX_MAX_UNPACKED = 1024**3
XLSX_MAX_RATIO = 200
XLSX_RATIO_FROM = 1024 * 1024
XLSX_MAX_MEMBERS = 10_000
# Cells, counting the empty ones openpyxl fills in (a row is at least one), over which a sheet
# is refused: a cell in the last column, or a row numbered in the billions, costs its padding
# however small the file.
XLSX_MAX_CELLS = 20_000_000
# What a damaged or hostile archive makes zipfile, the XML parser or openpyxl raise.
XLSX_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, InvalidFileException, ParseError,
               RuntimeError, NotImplementedError, EOFError, OSError, KeyError, IndexError,
               TypeError, ValueError, zlib.error)


class FileRejected(Exception):
    """The file as a whole cannot be read; `message` says why, in words for the uploader."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Formula:
    """A cell holding a formula rather than a value; the row checker reports it per field."""

    # The formula as written (e.g. "=A1+1"), for the owner's eyes only: kept out of repr, so
    # out of logs and tracebacks.
    text: str = field(repr=False)


@dataclass(frozen=True)
class Table:
    format: str
    # For CSV: "utf-8", "utf-16" or "windows-1252"; None for XLSX.
    encoding: str | None
    delimiter: str | None
    # The header row, each stripped; trailing empty ones dropped.
    headers: list[str]
    # Data rows, not counting the header row or empty rows.
    rows: int
    # Where and how the rows are read again: the file, Python's codec for a CSV (utf-16-le
    # where `encoding` says utf-16, say) and the header's row number.
    source: Path = field(kw_only=True, repr=False)
    codec: str | None = field(kw_only=True, repr=False, default=None)
    header_row: int = field(kw_only=True, repr=False, default=1)

    def iter_rows(self) -> Iterator[tuple[int, list]]:
        """(row number as the spreadsheet shows it: the header is row 1, so the first data row
        is 2, cells) for each data row, read afresh from the file each call (re-iterable),
        streaming: memory does not grow with the file.

        Empty rows are skipped. Each row has at least one cell per header ("" where empty),
        and any non-empty cells beyond the last header too."""
        width = len(self.headers)
        for number, cells in self._records():
            if number > self.header_row and not _empty(cells):
                yield number, _fitted(cells, width)

    def _records(self) -> Iterator[tuple[int, list]]:
        if self.format == "xlsx":
            return _xlsx_records(self.source)
        return _csv_records(self.source, self.codec, self.delimiter)


def open_table(path: str | os.PathLike, filename: str, *, max_bytes: int,
               max_rows: int) -> Table:
    """The upload at `path` (sent as `filename`) as a table, read once through to find its
    header and count its rows; `FileRejected` when it cannot be imported as a whole."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise FileRejected(_("The file is empty."))
    if size > max_bytes:
        raise FileRejected(_("The file is %(size)s; the limit is %(limit)s.") % {
            "size": filesizeformat(size), "limit": filesizeformat(max_bytes)})
    with path.open("rb") as file:
        head = file.read(HEAD_BYTES)
    if _format(head, filename) == "xlsx":
        _check_zip(path, max_bytes)
        header_row, headers, rows = _scan(_xlsx_records(path), max_rows)
        return Table("xlsx", None, None, headers, rows, source=path, header_row=header_row)
    for encoding, codec in _encodings(head):
        try:
            delimiter = _delimiter(path, codec)
            header_row, headers, rows = _scan(_csv_records(path, codec, delimiter), max_rows)
        except UnicodeDecodeError:
            continue
        return Table("csv", encoding, delimiter, headers, rows, source=path, codec=codec,
                     header_row=header_row)
    raise FileRejected(_("The file's text encoding could not be recognised; save it as UTF-8 "
                         "(in Excel: “CSV UTF-8”) and upload it again."))


def _format(head: bytes, filename: str) -> str:
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if head.startswith(OLE2_SIGNATURE) or suffix == ".xls":
        raise FileRejected(_(
            "This is an old Excel (.xls) workbook or a password-protected one, which cannot be "
            "read: open it and save it as an Excel workbook (XLSX) or as CSV, without a "
            "password, then upload that."))
    if head.startswith(ZIP_SIGNATURE) and suffix in (*XLSX_SUFFIXES, ""):
        return "xlsx"
    if not head.startswith(ZIP_SIGNATURE) and suffix in (*CSV_SUFFIXES, ""):
        return "csv"
    raise FileRejected(_("Only CSV and XLSX files can be imported, and this file is neither."))


def _scan(records: Iterator[tuple[int, list]], max_rows: int) -> tuple[int, list[str], int]:
    """The header's row number, the headers and how many data rows follow: the first row
    with anything in it is the header."""
    header_row, headers, rows = 0, [], 0
    for number, cells in records:
        if _empty(cells):
            continue
        if not header_row:
            header_row, headers = number, _headers(cells)
            continue
        rows += 1
        if rows > max_rows:
            raise FileRejected(_("The file has more than %(limit)s rows of data, the most one "
                                 "import takes: split it into smaller files.")
                               % {"limit": max_rows})
    if not header_row:
        raise FileRejected(_("The file has no header row: its first row should name the "
                             "columns."))
    return header_row, headers, rows


def _headers(cells: list) -> list[str]:
    headers = [c.text if isinstance(c, Formula) else str(c).strip() for c in cells]
    while headers and not headers[-1]:
        headers.pop()
    seen = set()
    for header in headers:
        if header and header.casefold() in seen:
            raise FileRejected(_("The column “%(header)s” appears more than once in "
                                 "the header row: give each column a name of its own.")
                               % {"header": header})
        seen.add(header.casefold())
    return headers


def _empty(cells: list) -> bool:
    return cells.count("") == len(cells)


def _fitted(cells: list, width: int) -> list:
    """Padded with "" to `width`; beyond it, only up to the last non-empty cell."""
    if len(cells) == width:
        return cells
    end = len(cells)
    while end > width and cells[end - 1] == "":
        end -= 1
    return [*cells[:end], *[""] * (width - end)]


def _plain(text: str) -> str:
    """Text without surrounding whitespace, and without the "'" that keeps a spreadsheet from
    running it as a formula (reporting.exports.rows.neutralise)."""
    text = text.strip()
    if text[:1] == "'" and text[1:2] in FORMULA_STARTS:
        return text[1:]
    return text


# --- CSV -------------------------------------------------------------------------------------


def _encodings(head: bytes) -> list[tuple[str, str]]:
    """The encodings the file may be in, as (name shown, Python's codec), to try in order:
    the one its BOM or its bytes say, or else UTF-8, then Windows-1252."""
    if head.startswith(codecs.BOM_UTF8):
        return [("utf-8", "utf-8-sig")]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return [("utf-16", "utf-16")]
    # Without a BOM, UTF-16 shows in text mostly of Latin letters as a NUL byte in every pair:
    # the second for little-endian, the first for big-endian.
    pairs = len(head) // 2
    even = head[0:pairs * 2:2].count(0)
    odd = head[1:pairs * 2:2].count(0)
    if pairs and odd > pairs * 0.3 and even < pairs * 0.05:
        return [("utf-16", "utf-16-le")]
    if pairs and even > pairs * 0.3 and odd < pairs * 0.05:
        return [("utf-16", "utf-16-be")]
    # Windows-1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined, so it too can fail.
    return [("utf-8", "utf-8"), ("windows-1252", "cp1252")]


def _text(path: Path, codec: str) -> io.TextIOWrapper:
    # Strict: a byte the codec cannot decode raises UnicodeDecodeError, and the next
    # encoding is tried. The wrapper decodes incrementally, a chunk at a time.
    return io.TextIOWrapper(path.open("rb"), encoding=codec, errors="strict", newline="")


def _delimiter(path: Path, codec: str) -> str:
    """The delimiter that splits the first line with text into the most cells; "," on a tie."""
    with _text(path, codec) as stream:
        while line := stream.readline(MAX_ROW_CHARS):
            if line.strip():
                break
    counts = {d: len(next(csv.reader([line], delimiter=d), [])) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: (counts[d], d == ","))


class _Lines:
    """The lines of a CSV for `csv.reader`: refused when they hold NUL (binary data, not text)
    or when one row runs past MAX_ROW_CHARS; `row_chars` is set back to 0 after each row."""

    def __init__(self, stream: io.TextIOWrapper):
        self.stream = stream
        self.row_chars = 0
        self.row = 1

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.stream.readline(MAX_ROW_CHARS + 1)
        if not line:
            raise StopIteration
        self.row_chars += len(line)
        if self.row_chars > MAX_ROW_CHARS:
            raise FileRejected(_("Row %(row)s is longer than %(limit)s characters: check that "
                                 "its quotes are closed.")
                               % {"row": self.row, "limit": MAX_ROW_CHARS})
        if "\x00" in line:
            raise FileRejected(_("The file holds binary data, not text: upload a CSV or XLSX "
                                 "file."))
        return line


def _csv_records(path: Path, codec: str, delimiter: str) -> Iterator[tuple[int, list]]:
    """Every row, empty ones too, numbered from 1 as a spreadsheet shows them (a cell with a
    line break inside is still one row)."""
    with _text(path, codec) as stream:
        lines = _Lines(stream)
        # RFC 4180: quotes around a cell, doubled inside it; the csv module's default dialect.
        reader = csv.reader(lines, delimiter=delimiter)
        try:
            for number, cells in enumerate(reader, start=1):
                yield number, [cell if cell[:1] not in MARKS else _csv_cell(cell)
                               for cell in map(str.strip, cells)]
                lines.row, lines.row_chars = number + 1, 0
        except csv.Error as error:
            raise FileRejected(_("Row %(row)s cannot be read: a cell is longer than %(limit)s "
                                 "characters, or a quote is not closed.")
                               % {"row": lines.row, "limit": csv.field_size_limit()}) from error


def _csv_cell(text: str) -> str | Formula:
    # In a CSV a formula is a cell starting with "="; an XLSX marks its formulas by type, and
    # its cells of text starting with "=" are text.
    if text.startswith("="):
        return Formula(text)
    return _plain(text)


# --- XLSX ------------------------------------------------------------------------------------


def _check_zip(path: Path, max_bytes: int) -> None:
    """Refuse an archive that is not a spreadsheet's, or that would unpack to far more than
    a real one: zipfile stops at a member's declared size, so declared sizes bound the work."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except XLSX_ERRORS as error:
        raise _unreadable() from error
    if len(members) > XLSX_MAX_MEMBERS:
        raise FileRejected(_("The spreadsheet holds %(count)s parts, more than a real one does; "
                             "it was not opened.") % {"count": len(members)})
    for member in members:
        name = PurePosixPath(member.filename.replace("\\", "/"))
        if name.is_absolute() or ".." in name.parts or PureWindowsPath(member.filename).drive:
            raise FileRejected(_("The spreadsheet holds a part with an unsafe name; it was not "
                                 "opened."))
    if "xl/workbook.xml" not in {member.filename for member in members}:
        raise FileRejected(_("The file is a ZIP archive but not an Excel workbook (it may be a "
                             "Word document): upload a CSV or XLSX file."))
    unpacked = sum(member.file_size for member in members)
    if unpacked > min(XLSX_UNPACKED_PER_BYTE * max_bytes, XLSX_MAX_UNPACKED):
        raise FileRejected(_("The spreadsheet unpacks to %(size)s, more than a real one within "
                             "the upload limit would; it was not opened.")
                           % {"size": filesizeformat(unpacked)})
    for member in members:
        if member.file_size > XLSX_RATIO_FROM and (
                member.file_size > XLSX_MAX_RATIO * member.compress_size):
            raise FileRejected(_("A part of the spreadsheet is compressed %(ratio)s to 1, far "
                                 "more than in a real one; it was not opened.")
                               % {"ratio": member.file_size // max(member.compress_size, 1)})


def _unreadable() -> FileRejected:
    return FileRejected(_("The spreadsheet cannot be read; it may be damaged. Open it and save "
                          "it again as an Excel workbook (XLSX) or as CSV."))


def _xlsx_records(path: Path) -> Iterator[tuple[int, list]]:
    """Every row of the first worksheet, empty ones too, numbered as Excel shows them."""
    with path.open("rb") as file:
        try:
            # From an open file, not the path: openpyxl would refuse the upload's temporary name.
            workbook = openpyxl.load_workbook(file, read_only=True, data_only=False)
        except XLSX_ERRORS as error:
            raise _unreadable() from error
        # A read-only workbook keeps its archive open until closed.
        with contextlib.closing(workbook):
            if not workbook.worksheets:
                raise FileRejected(_("The spreadsheet has no worksheet."))
            sheet = workbook.worksheets[0]
            # The size a sheet declares may be wrong or far larger than its cells: without it,
            # each row is as long as its own last cell and the sheet ends with its last row.
            sheet.reset_dimensions()
            cells_left = XLSX_MAX_CELLS
            try:
                for number, row in enumerate(sheet.iter_rows(min_row=1), start=1):
                    cells_left -= max(len(row), 1)
                    if cells_left < 0:
                        raise FileRejected(_(
                            "The first sheet of the spreadsheet spans more than %(limit)s "
                            "cells, counting empty ones: delete its unused rows and columns "
                            "and try again.") % {"limit": XLSX_MAX_CELLS})
                    yield number, [_xlsx_cell(cell) for cell in row]
            except XLSX_ERRORS as error:
                raise _unreadable() from error


def _xlsx_cell(cell) -> object:
    if cell.data_type == "f":
        # An array formula comes as an object holding its text.
        return Formula(str(getattr(cell.value, "text", cell.value)))
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, str):
        return _plain(value)
    return value
