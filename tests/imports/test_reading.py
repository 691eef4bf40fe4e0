"""Reading an upload as a table: the encodings and delimiters people's CSV files come in, typed
cells and formulas from XLSX, and the files refused as a whole (too large, too long, bombs,
other formats) with words for the uploader. Pure reading: no database.
"""

from __future__ import annotations

import datetime
import re
import tracemalloc
import zipfile
from collections import deque

import openpyxl
import pytest

from imports import reading
from imports.reading import FileRejected, Formula, open_table
from reporting.exports.rows import neutralise

from . import files

LIMITS = {"max_bytes": 10 * files.MB, "max_rows": 1000}
CASES = "reference;name;note\nEX-1;Müller;Ærø\n"


def _open(path, name=None, **limits):
    return open_table(path, name or path.name, **{**LIMITS, **limits})


def _rows(table):
    return list(table.iter_rows())


def _rejected(path, name=None, **limits) -> str:
    with pytest.raises(FileRejected) as caught:
        _open(path, name, **limits)
    return caught.value.message


# --- encodings -------------------------------------------------------------------------------


@pytest.mark.parametrize(("encoding", "shown", "codec"), [
    ("utf-8", "utf-8", "utf-8"),
    ("utf-8-sig", "utf-8", "utf-8-sig"),
    ("utf-16", "utf-16", "utf-16"),
    ("utf-16-le", "utf-16", "utf-16-le"),
    ("utf-16-be", "utf-16", "utf-16-be"),
])
def test_unicode_files_read_by_their_bom_or_their_bytes(tmp_path, encoding, shown, codec):
    table = _open(files.csv_file(tmp_path, CASES, encoding))

    assert (table.format, table.encoding, table.codec) == ("csv", shown, codec)
    assert table.headers == ["reference", "name", "note"]
    assert _rows(table) == [(2, ["EX-1", "Müller", "Ærø"])]


@pytest.mark.parametrize("bom", ["\ufeff", ""])
def test_a_bom_is_not_part_of_the_first_header(tmp_path, bom):
    for encoding in ("utf-16-le", "utf-16-be"):
        path = files.written(tmp_path, f"{encoding}.csv", (bom + CASES).encode(encoding))

        assert _open(path).headers[0] == "reference"


def test_windows_1252_only_when_the_file_is_not_utf_8(tmp_path):
    data = CASES.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")

    table = _open(files.written(tmp_path, "cases.csv", data))

    assert table.encoding == "windows-1252"
    assert _rows(table) == [(2, ["EX-1", "Müller", "Ærø"])]


def test_a_byte_late_in_the_file_decides_the_encoding(tmp_path):
    text = "reference\n" + "EX-1\n" * 50_000 + "Müller\n"
    many = {"max_rows": 100_000}

    assert _open(files.csv_file(tmp_path, text, "cp1252"), **many).encoding == "windows-1252"
    assert _open(files.csv_file(tmp_path, text, "utf-8"), **many).encoding == "utf-8"


@pytest.mark.parametrize("data", [
    # 0x81 and 0x9D are neither UTF-8 here nor anything in Windows-1252.
    b"reference\nEX-\x81\x9d\n",
    # UTF-8 with a BOM, then a byte that is not UTF-8: no falling back.
    b"\xef\xbb\xbfreference\nM\xfcller\n",
    # UTF-16 cut in the middle of a character.
    "reference\nEX-1\n".encode("utf-16") + b"\x00",
])
def test_undecodable_text_is_refused(tmp_path, data):
    message = _rejected(files.written(tmp_path, "cases.csv", data))

    assert "encoding could not be recognised" in message


def test_binary_data_is_refused_as_not_text(tmp_path):
    path = files.written(tmp_path, "cases.csv", b"reference\nEX-1\x00\x00\x01\x02\n")

    assert "binary data" in _rejected(path)


# --- dialect and cells -----------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_the_delimiter_is_the_one_that_splits_the_header(tmp_path, delimiter):
    text = delimiter.join(["reference", "name", "opened on"]) + "\n"
    text += delimiter.join(["EX-1", "Müller, Hans", "2024-03-01"]) + "\n"
    if delimiter == ",":
        text = text.replace("Müller, Hans", '"Müller, Hans"')

    table = _open(files.csv_file(tmp_path, text))

    assert table.delimiter == delimiter
    assert _rows(table) == [(2, ["EX-1", "Müller, Hans", "2024-03-01"])]


def test_a_tie_is_a_comma(tmp_path):
    assert _open(files.csv_file(tmp_path, "reference\nEX-1\n")).delimiter == ","


def test_quoted_cells_hold_delimiters_quotes_and_line_breaks(tmp_path):
    text = ('reference,note,name\r\n'
            '"EX-1","seen on 3 May, then\r\nagain on 4 May","the ""elder"" son"\r\n'
            'EX-2,  kept as written  inside ,\r\n')

    table = _open(files.csv_file(tmp_path, text))

    assert table.rows == 2
    # The second data row is row 3 as a spreadsheet shows it, though line 4 of the file.
    assert _rows(table) == [
        (2, ["EX-1", "seen on 3 May, then\r\nagain on 4 May", 'the "elder" son']),
        (3, ["EX-2", "kept as written  inside", ""]),
    ]


def test_neutralised_cells_come_back_as_they_were(tmp_path):
    text = "reference,phone,note\n'=EX-1,'+33 1 23,'@home\n'-1,'plain,=SUM(A1)\n"

    rows = _rows(_open(files.csv_file(tmp_path, text)))

    assert rows[0] == (2, ["=EX-1", "+33 1 23", "@home"])
    assert rows[1] == (3, ["-1", "'plain", Formula("=SUM(A1)")])
    assert "SUM" not in repr(rows[1][1][2])


def test_our_own_export_reads_back_as_it_was_written(tmp_path):
    values = ["=1+1", "+44 20", "-5", "@x", "plain"]
    text = "a,b,c,d,e\n" + ",".join(neutralise(v) for v in values) + "\n"

    assert _rows(_open(files.csv_file(tmp_path, text))) == [(2, values)]


# --- rows ------------------------------------------------------------------------------------


def test_empty_rows_are_skipped_but_keep_their_numbers(tmp_path):
    text = "\n ; \nreference;name\n\nEX-1;A\n;\n  \nEX-2;B\n\n"

    table = _open(files.csv_file(tmp_path, text))

    assert table.headers == ["reference", "name"]
    assert table.rows == 2
    assert _rows(table) == [(5, ["EX-1", "A"]), (8, ["EX-2", "B"])]


def test_short_rows_are_padded_and_long_ones_keep_what_they_hold(tmp_path):
    text = "reference,name,,\nEX-1\nEX-2,B,,,\nEX-3,C,,D,\n"

    table = _open(files.csv_file(tmp_path, text))

    assert table.headers == ["reference", "name"]
    assert _rows(table) == [
        (2, ["EX-1", ""]), (3, ["EX-2", "B"]), (4, ["EX-3", "C", "", "D"]),
    ]


def test_rows_are_read_afresh_each_time(tmp_path):
    table = _open(files.csv_file(tmp_path, "reference\nEX-1\nEX-2\n"))

    first = table.iter_rows()
    assert next(first) == (2, ["EX-1"])
    assert _rows(table) == [(2, ["EX-1"]), (3, ["EX-2"])]
    assert list(first) == [(3, ["EX-2"])]


def test_too_many_rows(tmp_path):
    path = files.csv_file(tmp_path, "reference\n" + "EX\n\n" * 3)

    assert _open(path, max_rows=3).rows == 3
    assert "more than 2 rows" in _rejected(path, max_rows=2)


def test_a_row_that_runs_on_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROW_CHARS", 100)
    unclosed = files.csv_file(tmp_path, 'reference,note\nEX-1,"open\n' + "more\n" * 30)
    endless = files.csv_file(tmp_path, "reference\n" + "x," * 100, name="endless.csv")

    assert "Row 2 is longer than 100 characters" in _rejected(unclosed)
    assert "Row 2 is longer than 100 characters" in _rejected(endless)


# --- the file as a whole ---------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\n\n  \n,,\n ,\t, \n", b"\xef\xbb\xbf"])
def test_a_file_without_a_header_is_refused(tmp_path, data):
    message = _rejected(files.written(tmp_path, "cases.csv", data))

    assert message in ("The file is empty.",
                       "The file has no header row: its first row should name the columns.")


def test_duplicate_headers_are_refused_by_name(tmp_path):
    path = files.csv_file(tmp_path, "reference,Name,,,name\nEX-1,A,,,B\n")

    assert "\u201cname\u201d appears more than once" in _rejected(path)


def test_a_file_over_the_limit_says_both_sizes(tmp_path):
    path = files.csv_file(tmp_path, "reference\n" + "EX-1\n" * 600_000)

    assert _rejected(path, max_bytes=files.MB) == (
        "The file is 2.9\xa0MB; the limit is 1.0\xa0MB.")


def test_old_excel_is_refused_with_how_to_save_it(tmp_path):
    for name in ("cases.xls", "cases.xlsx", "cases"):
        message = _rejected(files.written(tmp_path, name, files.XLS_HEAD), name)

        assert "save it as an Excel workbook (XLSX) or as CSV" in message


@pytest.mark.parametrize(("name", "data"), [
    ("cases.pdf", b"%PDF-1.7\nreference\n"),
    ("cases.csv", files.workbook_bytes([["reference"]])),
    ("cases.xlsx", b"reference\nEX-1\n"),
])
def test_a_name_and_content_that_disagree_are_refused(tmp_path, name, data):
    path = files.written(tmp_path, "upload.bin", data)

    assert "neither" in _rejected(path, name)


def test_the_upload_name_decides_not_the_stored_one(tmp_path):
    path = files.written(tmp_path, "upload.tmp", files.workbook_bytes([["reference"], ["A"]]))

    assert _open(path, "Cases 2024.XLSX").format == "xlsx"
    assert _open(path, "no extension").format == "xlsx"


# --- XLSX ------------------------------------------------------------------------------------


def test_xlsx_cells_come_typed(tmp_path):
    opened = datetime.datetime(2024, 3, 1, 9, 30)
    path = files.xlsx_file(tmp_path, [
        ["reference", " name ", "opened", "decided on", "count", "share", "closed", None],
        [],
        ["EX-1", "  Müller ", opened, datetime.date(2024, 4, 2), 3, 0.5, False, None],
        ["'=EX-2", None, None, None, 0, None, None, None, "extra"],
    ])

    table = _open(path)

    assert (table.format, table.encoding, table.delimiter) == ("xlsx", None, None)
    assert table.headers == ["reference", "name", "opened", "decided on", "count", "share",
                             "closed"]
    assert table.rows == 2
    assert _rows(table) == [
        (3, ["EX-1", "Müller", opened, datetime.datetime(2024, 4, 2), 3, 0.5, False]),
        (4, ["=EX-2", "", "", "", 0, "", "", "", "extra"]),
    ]


def test_an_xlsx_formula_is_a_formula_and_text_is_text(tmp_path):
    path = files.xlsx_file(tmp_path, [["reference", "total"], ["EX-1", "=SUM(B3:B4)"]])
    # A cell of text that starts with "=" (typed as '=... in Excel) is text, not a formula.
    workbook = openpyxl.load_workbook(path)
    workbook.active["A2"].value = "=EX-1"
    workbook.active["A2"].data_type = "s"
    workbook.save(path)

    assert _rows(_open(path)) == [(2, ["=EX-1", Formula("=SUM(B3:B4)")])]


def test_a_sheet_that_declares_a_wrong_size_is_read_by_its_cells(tmp_path):
    path = files.xlsx_file(tmp_path, [["reference"], ["EX-1"]])
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    sheet = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:AMJ1048576"', sheet)
    path = files.repacked(tmp_path, "sized.xlsx", {"xl/worksheets/sheet1.xml": sheet})

    assert b"AMJ1048576" in sheet
    assert _rows(_open(path)) == [(2, ["EX-1"])]


def test_xlsx_rows_are_read_afresh_each_time(tmp_path):
    table = _open(files.xlsx_file(tmp_path, [["reference"], ["EX-1"], ["EX-2"]]))

    assert _rows(table) == _rows(table) == [(2, ["EX-1"]), (3, ["EX-2"])]


def test_a_sheet_of_endless_empty_cells_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "XLSX_MAX_CELLS", 1000)
    path = files.xlsx_file(tmp_path, [["reference"], *[[None] * 100 + [""]] * 20])

    assert "more than 1000 cells" in _rejected(path)


def test_too_many_xlsx_rows(tmp_path):
    path = files.xlsx_file(tmp_path, [["reference"], *[["EX"]] * 4])

    assert "more than 3 rows" in _rejected(path, max_rows=3)


def test_openpyxl_refuses_entity_declarations():
    # Through defusedxml: no "billion laughs" however the XML is written.
    assert openpyxl.DEFUSEDXML


def test_an_xml_entity_bomb_is_not_expanded(tmp_path):
    laughs = (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row>'
              b'</sheetData></worksheet>')
    path = files.repacked(tmp_path, "laughs.xlsx", {"xl/worksheets/sheet1.xml": laughs})

    assert "cannot be read" in _rejected(path)


# --- ZIP bombs and other archives ------------------------------------------------------------


def test_a_zip_bomb_is_not_opened(tmp_path):
    # 300 MB of spaces deflate to about 300 KB: under the limit as a file, not unpacked.
    path = files.bomb_file(tmp_path, 300 * files.MB)

    assert path.stat().st_size < files.MB
    message = _rejected(path, max_bytes=files.MB)
    assert message == ("The spreadsheet unpacks to 300.0\xa0MB, more than a real one within "
                       "the upload limit would; it was not opened.")


def test_a_part_compressed_far_more_than_a_real_one_is_not_opened(tmp_path):
    path = files.bomb_file(tmp_path, 8 * files.MB)

    message = _rejected(path, max_bytes=files.MB)

    assert message.startswith("A part of the spreadsheet is compressed ")
    assert message.endswith(" to 1, far more than in a real one; it was not opened.")


def test_many_parts_each_under_the_ratio_still_add_up(tmp_path):
    parts = {f"xl/media/part{n}.bin": files.MB for n in range(8)}
    path = files.repacked(tmp_path, "parts.xlsx", added=parts)

    assert path.stat().st_size < 100_000
    assert "unpacks to 8.0\xa0MB" in _rejected(path, max_bytes=100_000)


def test_an_archive_of_too_many_parts_is_not_opened(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "XLSX_MAX_MEMBERS", 20)
    path = files.repacked(tmp_path, "parts.xlsx", added={f"x/{n}": b"" for n in range(20)})

    assert "it was not opened" in _rejected(path)


@pytest.mark.parametrize("name", ["../outside.xml", "/etc/cron.d/job", "xl/..\\..\\x",
                                  "C:/x.xml", "//host/share/x.xml"])
def test_a_part_with_an_unsafe_name_is_not_opened(tmp_path, name):
    path = files.repacked(tmp_path, "unsafe.xlsx", added={name: b"x"})

    assert "unsafe name" in _rejected(path)


def test_a_word_document_is_not_a_spreadsheet(tmp_path):
    assert "not an Excel workbook" in _rejected(files.docx_like(tmp_path))


def test_a_damaged_workbook_is_refused(tmp_path):
    data = files.workbook_bytes([["reference"], ["EX-1"]])
    cut = files.written(tmp_path, "cut.xlsx", data[: len(data) // 2])
    broken = files.repacked(tmp_path, "broken.xlsx",
                            {"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row"})
    sheetless = files.written(tmp_path, "sheetless.xlsx",
                              data.replace(b"worksheets/sheet1.xml", b"worksheets/sheetX.xml"))

    assert _rejected(cut).startswith("The spreadsheet cannot be read")
    assert _rejected(broken).startswith("The spreadsheet cannot be read")
    assert _rejected(sheetless) == "The spreadsheet has no worksheet."


# --- memory ----------------------------------------------------------------------------------


def test_memory_stays_flat_however_long_the_file(tmp_path):
    path = files.long_csv(tmp_path, 200_000)
    size = path.stat().st_size

    table = open_table(path, "long.csv", max_bytes=size, max_rows=200_000)
    # The rows are counted at opening by the same reader; tracing one pass is enough (and
    # tracing slows it fivefold).
    tracemalloc.start()
    try:
        last = deque(table.iter_rows(), maxlen=1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert table.rows == 200_000
    assert last[0] == (200_001, ["EX-0199999", "Person 199999", "FR", "2024-03-24",
                              "a note, with a comma"])
    assert size > 10 * files.MB
    assert peak < 2 * files.MB, f"{peak:,} bytes at the peak for a file of {size:,}"
