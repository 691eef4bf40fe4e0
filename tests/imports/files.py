"""Files to import, made in memory or streamed to disk: CSV in each encoding, workbooks with
typed cells and formulas, and the hostile ones (ZIP bombs, a Word document, old Excel).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from openpyxl import Workbook

# What a compound file (old Excel, or a password-protected workbook) starts with.
XLS_HEAD = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
MB = 1024 * 1024


def written(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def csv_file(folder: Path, text: str, encoding: str = "utf-8", name: str = "cases.csv") -> Path:
    """`text` encoded as given; "utf-8-sig" and "utf-16" write a BOM, "utf-16-le" and
    "utf-16-be" none."""
    return written(folder, name, text.encode(encoding))


def workbook_bytes(rows: list[list]) -> bytes:
    """An XLSX with `rows` on its one sheet, as openpyxl writes it: a str starting with "="
    becomes a formula."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_file(folder: Path, rows: list[list], name: str = "cases.xlsx") -> Path:
    return written(folder, name, workbook_bytes(rows))


def repacked(folder: Path, name: str, replaced: dict[str, bytes | int] | None = None,
             added: dict[str, bytes | int] | None = None) -> Path:
    """A real one-sheet workbook with members replaced or added: bytes as given, an int as that
    many spaces, streamed in so that even a bomb's worth never sits in memory."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes([["reference"], ["A-1"]])))
    replaced, added = replaced or {}, added or {}
    path = folder / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = replaced.get(info.filename, source.read(info.filename))
            _member(archive, info.filename, content)
        for member, content in added.items():
            _member(archive, member, content)
    return path


def _member(archive: zipfile.ZipFile, name: str, content: bytes | int) -> None:
    if isinstance(content, bytes):
        archive.writestr(name, content)
        return
    chunk = b" " * MB
    # force_zip64: the size is not known before writing.
    with archive.open(name, "w", force_zip64=content > 2**31) as member:
        left = content
        while left > 0:
            member.write(chunk[:left])
            left -= len(chunk)


def bomb_file(folder: Path, unpacked: int) -> Path:
    """A workbook whose sheet is `unpacked` bytes, nearly all spaces: valid XML that openpyxl
    would read to the end, deflated about a thousand times."""
    head = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet '
            b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
    tail = b"</sheetData></worksheet>"
    path = folder / "bomb.xlsx"
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes([["reference"]])))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(info.filename, source.read(info.filename))
                continue
            with archive.open(info.filename, "w", force_zip64=True) as member:
                member.write(head)
                spaces, left = b" " * MB, unpacked - len(head) - len(tail)
                while left > 0:
                    member.write(spaces[:left])
                    left -= len(spaces)
                member.write(tail)
    return path


def docx_like(folder: Path) -> Path:
    """A ZIP laid out as a Word document, named as a workbook."""
    path = folder / "cases.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", "<document/>")
    return path


def long_csv(folder: Path, rows: int) -> Path:
    """A CSV of `rows` data rows, written a thousand rows at a time."""
    path = folder / "long.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("reference,name,requesting_state,opened_on,note\n")
        for start in range(0, rows, 1000):
            out.write("".join(
                f"EX-{n:07d},Person {n},FR,2024-03-{n % 28 + 1:02d},\"a note, with a comma\"\r\n"
                for n in range(start, min(start + 1000, rows))
            ))
    return path
