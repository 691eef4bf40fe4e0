"""Writing rows to a file as they come: CSV, XLSX and JSON, memory flat however many rows.

Spreadsheet formats get neutralised cells (see `rows.neutralise`); every format carries its
manifest where the format has room for one (JSON: a `manifest` member; XLSX: a `Manifest`
sheet). CSV has no such room: its manifest is served beside it.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Callable, Iterable

from openpyxl import Workbook

from . import sheet as sheets
from .rows import neutralise

Progress = Callable[[int], None]
# Rows come in chunks (lists of rows): per-row work stays inside the C csv writer.
Chunks = Iterable[list]


def _chunks(chunks: Chunks, progress: Progress | None):
    """Each chunk with the count of rows so far, progress reported after each."""
    count = 0
    for chunk in chunks:
        yield chunk
        count += len(chunk)
        if progress is not None:
            progress(count)


class _Utf8:
    """A text sink over a binary file: one encoder, no buffering of its own."""

    def __init__(self, out):
        self.out = out
        self.encode = codecs.getincrementalencoder("utf-8")().encode

    def write(self, text: str) -> None:
        self.out.write(self.encode(text))


# Python's writer quotes a field holding a line end; with CR LF as line end, a field holding a
# lone carriage return is quoted too. PostgreSQL's COPY quotes both and ends lines with LF.
CRLF, LF = "\r\n", "\n"


def write_csv_header(out, header: list[str], line_end: str = CRLF) -> None:
    """UTF-8 with a byte-order mark, so that spreadsheets read accents right; then the names."""
    out.write(codecs.BOM_UTF8)
    csv.writer(_Utf8(out), lineterminator=line_end).writerow([neutralise(h) for h in header])


def write_csv(out, header: list[str], chunks: Chunks, *, manifest: Callable[[int], dict],
              progress: Progress | None = None) -> int:
    write_csv_header(out, header)
    writer = csv.writer(_Utf8(out), lineterminator=CRLF)
    count = 0
    for chunk in _chunks(chunks, progress):
        writer.writerows(chunk)
        count += len(chunk)
    return count


def write_json(out, header: list[str], chunks: Chunks, *,
               manifest: Callable[[int], dict], progress: Progress | None = None) -> int:
    """`{"columns": [...], "rows": [{...}, ...], "manifest": {...}}`, written row by row."""
    sink = _Utf8(out)
    sink.write('{"columns": ' + json.dumps(header, ensure_ascii=False) + ', "rows": [')
    count = 0
    for chunk in _chunks(chunks, progress):
        for row in chunk:
            sink.write(("\n" if count == 0 else ",\n")
                       + json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False))
            count += 1
    sink.write('\n], "manifest": ' + json.dumps(manifest(count), ensure_ascii=False, indent=1)
               + "}\n")
    return count


def write_xlsx(out, header: list[str], chunks: Chunks, *,
               manifest: Callable[[int], dict], progress: Progress | None = None,
               tlp_label: Callable[[], str] | None = None,
               layout: list[sheets.SheetColumn] | None = None) -> int:
    """A write-only workbook (openpyxl streams each sheet to a temporary file), laid out for a
    person by `layout` (see `sheet.py`), with a sheet naming the field each column shows. The
    label, known once every row is written, is printed at the top of every page."""
    workbook = Workbook(write_only=True)
    data = workbook.create_sheet("Data")
    layout = layout or sheets.plain_layout(header)
    count = sheets.write_table(data, layout, iter(_chunks(chunks, progress)))
    sheets.write_columns(workbook.create_sheet("Columns"), layout)
    sheet = workbook.create_sheet("Manifest")
    for key, value in manifest(count).items():
        if isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False)
        sheet.append([key, neutralise(str(value)) if value is not None else ""])
    if tlp_label is not None:
        data.oddHeader.right.text = data.evenHeader.right.text = tlp_label()
    workbook.save(out)
    return count


WRITERS = {"csv": write_csv, "json": write_json, "xlsx": write_xlsx}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
