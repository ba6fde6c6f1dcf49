"""Import files built to exhaust the server (zip bombs, lying headers, endless rows) are refused in bounded memory."""

from __future__ import annotations

import csv
import io
import struct
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from gateways.importing import DEFAULT_LIMITS, Limits, check_file, kind_of, rows
from services.importing import LAYOUTS, ImportFileError, ImportTooLargeError
from tests.conftest import TEST_MASTER_KEY
from tests.integration.test_cli import run
from tests.integration.test_import import BENEFICIARIES, REQUESTS, head, write_csv

SHARED_STRINGS = "xl/sharedStrings.xml"
SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
BOMB_BYTES = 54 * 1024 * 1024


def workbook(table: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in table:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_shared_strings(path: Path, table: list[list[str]], extra_bytes: int, part: str = SHARED_STRINGS) -> None:
    """A valid workbook with a shared-strings part of ``extra_bytes`` of short unused texts
    (compressed about a thousand to one), written as a stream so the test itself stays small."""
    source = zipfile.ZipFile(io.BytesIO(workbook(table)))
    override = f'<Override PartName="/{part}" ContentType="{SHARED_STRINGS_TYPE}" /></Types>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "[Content_Types].xml":
                content = content.replace(b"</Types>", override.encode())
            bomb.writestr(info, content)
        with bomb.open(part, "w", force_zip64=True) as member:
            member.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            unit = b"<si><t>x</t></si>" * 4096
            written = 0
            while written < extra_bytes:
                member.write(unit)
                written += len(unit)
            member.write(b"</sst>")


def peak_of(call: object) -> tuple[int, BaseException | None]:
    assert callable(call)
    tracemalloc.start()
    try:
        call()
        failure = None
    except ImportFileError as error:
        failure = error
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, failure


def test_a_workbook_whose_shared_strings_unpack_to_54_mib_is_refused_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "people.xlsx"
    with_shared_strings(path, BENEFICIARIES, BOMB_BYTES)
    assert path.stat().st_size < 1024 * 1024  # small on the wire: the danger is what it unpacks to
    for read in (lambda: kind_of(path), lambda: check_file(path), lambda: list(rows(path, LAYOUTS["beneficiaries"]))):
        peak, failure = peak_of(read)
        assert isinstance(failure, ImportTooLargeError), failure
        assert "nothing was imported" in failure.message
        assert peak < 8 * 1024 * 1024, peak  # far below the 54 MiB unpacked (openpyxl alone: several hundred MB)


def test_an_archive_over_the_unpacked_limit_is_refused_while_it_is_decompressed(tmp_path: Path) -> None:
    path = tmp_path / "people.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
        types = f'<Types><Override PartName="/xl/worksheets/sheet1.xml" ContentType="{sheet}"/></Types>'
        bomb.writestr("[Content_Types].xml", types)
        with bomb.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            member.write(b"<worksheet><sheetData>")
            for _ in range(40):
                member.write(b"<x/>" * (256 * 1024))  # a sheet streams, but its size still bounds the work
    small = Limits(unpacked_bytes=30 * 1024 * 1024)
    peak, failure = peak_of(lambda: check_file(path, small))
    assert isinstance(failure, ImportTooLargeError)
    assert "unpacks to more than" in failure.message
    assert peak < 4 * 1024 * 1024


def test_a_sheet_with_one_endless_text_is_refused_before_a_reader_gathers_it(tmp_path: Path) -> None:
    path = tmp_path / "people.xlsx"
    source = zipfile.ZipFile(io.BytesIO(workbook(BENEFICIARIES)))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                content = content.replace(b"<sheetData>", b"<sheetData>" + b" " * 20_000_000)
            bomb.writestr(info, content)
    for read in (lambda: check_file(path), lambda: kind_of(path)):
        peak, failure = peak_of(read)
        assert isinstance(failure, ImportTooLargeError), failure
        assert "longer than" in failure.message
        assert peak < 4 * 1024 * 1024, peak


def test_a_zip_header_that_understates_a_size_does_not_let_more_through(tmp_path: Path) -> None:
    honest = tmp_path / "honest.xlsx"
    with_shared_strings(honest, BENEFICIARIES, BOMB_BYTES)
    lying = tmp_path / "people.xlsx"
    data = bytearray(honest.read_bytes())
    # The central directory (which readers trust) now claims the shared strings unpack to 1 KiB.
    entry = data.rfind(SHARED_STRINGS.encode()) - 46
    assert data[entry : entry + 4] == b"PK\x01\x02"
    struct.pack_into("<I", data, entry + 24, 1024)
    lying.write_bytes(bytes(data))
    for read in (lambda: check_file(lying), lambda: kind_of(lying)):
        peak, failure = peak_of(read)
        assert isinstance(failure, ImportFileError), failure
        assert peak < 8 * 1024 * 1024, peak


def test_rows_and_columns_over_the_limits_are_refused_before_any_row_is_read(tmp_path: Path) -> None:
    limits = Limits(rows=50, columns=30)
    long = tmp_path / "people.csv"
    with long.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([BENEFICIARIES[0], *([BENEFICIARIES[1]] * 60)])
    wide = tmp_path / "wide.xlsx"
    wide.write_bytes(workbook([[*BENEFICIARIES[0], *(f"x{n}" for n in range(20))]]))
    sparse = tmp_path / "sparse.xlsx"
    table = [BENEFICIARIES[0], BENEFICIARIES[1]]
    sparse.write_bytes(workbook(table))
    with zipfile.ZipFile(sparse) as source, zipfile.ZipFile(tmp_path / "far.xlsx", "w") as far:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                content = content.replace(b'<row r="2"', b'<row r="900000"').replace(b'r="A2"', b'r="A900000"')
            far.writestr(info, content)
    for path, what in ((long, "rows"), (wide, "columns"), (tmp_path / "far.xlsx", "rows")):
        with pytest.raises(ImportTooLargeError, match=f"more than .* {what}"):
            check_file(path, limits)
        with pytest.raises(ImportTooLargeError):
            list(rows(path, LAYOUTS["beneficiaries"], limits))
    check_file(sparse, limits)  # within every limit: read as before
    assert len(list(rows(sparse, LAYOUTS["beneficiaries"], DEFAULT_LIMITS))) == 1


def test_a_file_that_is_not_a_workbook_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "people.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ImportFileError, match="not an XLSX workbook"):
        check_file(path)


def test_the_cli_refuses_an_over_limit_file_among_others_and_records_none_of_them(tmp_path: Path) -> None:
    env = {"KENTRA_DATA_DIR": str(tmp_path / "data"), "KENTRA_MASTER_KEY": TEST_MASTER_KEY, "COLUMNS": "200"}
    env["KENTRA_MAX_IMPORT_ROWS"] = str(len(BENEFICIARIES))
    assert run(env, "tenants", "sync")[0] == 0
    before = head(env)
    people = write_csv(tmp_path / "people.csv", BENEFICIARIES)
    requests = write_csv(tmp_path / "requests.csv", [REQUESTS[0], *([REQUESTS[1]] * 5)])
    code, _, err = run(env, "import", "--tenant", "sofades", str(people), str(requests))
    assert code == 2
    assert f"requests.csv: it has more than {len(BENEFICIARIES)} rows; nothing was imported" in err
    assert head(env) == before


def test_a_csv_line_of_millions_of_empty_columns_is_refused_in_flat_memory(tmp_path: Path) -> None:
    """A 2 MB line of commas is two million columns: refused before the reader holds them all."""
    path = tmp_path / "people.csv"
    path.write_text(",".join(BENEFICIARIES[0]) + "\n" + "," * 2_000_000 + "\n", encoding="utf-8")
    for read in (lambda: check_file(path), lambda: list(rows(path, LAYOUTS["beneficiaries"]))):
        peak, failure = peak_of(read)
        assert isinstance(failure, ImportTooLargeError), failure
        assert "columns" in failure.message
        assert peak < 4 * 1024 * 1024, peak


def test_a_csv_line_longer_than_a_field_may_be_is_refused_as_too_large_not_as_not_utf8(tmp_path: Path) -> None:
    """A valid UTF-8 CSV with one enormous cell: the error says what is wrong with it."""
    path = tmp_path / "people.csv"
    path.write_text(",".join(BENEFICIARIES[0]) + "\n" + "x" * 1_000_000 + "\n", encoding="utf-8")
    with pytest.raises(ImportTooLargeError):
        check_file(path)


def test_a_cell_of_many_inline_text_runs_is_refused_before_a_reader_gathers_it(tmp_path: Path) -> None:
    """No text node is long, but one cell's runs add up to 10 MB (a cell holds at most 32,767
    characters): the reader would join them into one value in memory."""
    source = zipfile.ZipFile(io.BytesIO(workbook(BENEFICIARIES[:2])))
    run = b"<r><t>" + b"x" * 50_000 + b"</t></r>"
    cell = b'<c r="A3" t="inlineStr"><is>' + run * 200 + b"</is></c>"
    path = tmp_path / "people.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                content = content.replace(b"</sheetData>", b'<row r="3">' + cell + b"</row></sheetData>")
            bomb.writestr(info, content)
    for read in (lambda: check_file(path), lambda: list(rows(path, LAYOUTS["beneficiaries"]))):
        peak, failure = peak_of(read)
        assert isinstance(failure, ImportTooLargeError), failure
        assert peak < 8 * 1024 * 1024, peak


def test_a_csv_cell_over_the_field_limit_is_refused_naming_the_limit_by_the_cli(tmp_path: Path) -> None:
    env = {"KENTRA_DATA_DIR": str(tmp_path / "data"), "KENTRA_MASTER_KEY": TEST_MASTER_KEY, "COLUMNS": "200"}
    assert run(env, "tenants", "sync")[0] == 0
    before = head(env)
    long_note = [*BENEFICIARIES[1][:-1], "x" * (csv.field_size_limit() + 1)]
    people = write_csv(tmp_path / "people.csv", [BENEFICIARIES[0], long_note])
    code, _, err = run(env, "import", "--tenant", "sofades", str(people))
    assert code == 2
    limit = f"{csv.field_size_limit():,}"
    assert f"people.csv: a cell in it is longer than {limit} characters; nothing was imported" in err
    assert "UTF-8" not in err
    assert head(env) == before


def test_a_quoted_csv_cell_over_several_lines_and_full_of_commas_is_still_read(tmp_path: Path) -> None:
    """The row bounds count a quoted cell's lines as one row, and its commas are not columns."""
    path = tmp_path / "people.csv"
    note = "first line\r\n" + "," * 300 + "\nlast line"
    person = list(BENEFICIARIES[1])
    person[BENEFICIARIES[0].index("Περιοχή κατοικίας")] = note
    write_csv(path, [BENEFICIARIES[0], person])
    check_file(path)
    (_, row), *_ = rows(path, LAYOUTS["beneficiaries"])
    assert note in row.values()
    # ...and the lines of a row are counted together against the row's length.
    with pytest.raises(ImportTooLargeError, match="a row in it is longer than 200 characters"):
        check_file(path, Limits(line=200))
