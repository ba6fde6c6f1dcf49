"""Reading import files (CSV and XLSX, streamed), writing templates and the rejected-rows report.

A spreadsheet is a zip archive, and a small one can unpack to gigabytes (a "zip bomb"): a 136 KiB
file whose shared strings unpack to 54 MiB once took the API from 283 MB to 724 MB. So before any
reader opens it, every member is decompressed as a stream and counted, byte by byte, against the
limits (the sizes its headers declare are never trusted); the shared strings, which every XLSX
reader (openpyxl's read-only mode included) keeps in memory, are counted too; and the worksheets'
rows and columns are counted without keeping them. Only a file within every limit is read.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any
from xml.sax import SAXException
from xml.sax.handler import ContentHandler

from defusedxml.sax import make_parser
from openpyxl import Workbook, load_workbook

from gateways.reports import inert
from infra.backup import file_sha256
from infra.settings import Settings
from services.importing import LAYOUTS, ImportFileError, ImportTooLargeError, Layout, Problem, match_headers

checksum = file_sha256
CONTENT_TYPES = "[Content_Types].xml"
SPREADSHEETML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
WORKSHEET = f"{SPREADSHEETML}.worksheet+xml"
SHARED_STRINGS = f"{SPREADSHEETML}.sharedStrings+xml"
COLUMN_LETTERS = re.compile(r"[A-Z]+")
CHUNK = 1 << 16


@dataclass(frozen=True)
class Limits:
    """What an import file may hold. The shared strings are kept in memory by the reader, so their
    bounds are what bounds its memory; the rest bounds the work."""

    unpacked_bytes: int = 256_000_000  # the whole XLSX archive, unpacked
    rows: int = 1_000_000
    columns: int = 256
    in_memory_bytes: int = 16_000_000  # every part but the worksheets (shared strings, styles…), unpacked
    shared_strings: int = 250_000
    text: int = 100_000  # characters between two tags, and of one cell (all its text runs together)
    line: int = 1_000_000  # characters of one CSV row (a quoted cell's line breaks included)
    members: int = 1_000

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(unpacked_bytes=settings.max_import_unpacked_bytes, rows=settings.max_import_rows)


DEFAULT_LIMITS = Limits()


def _too_large(path: Path, what: str) -> ImportTooLargeError:
    return ImportTooLargeError(f"{path.name}: {what}; nothing was imported", field="file")


class _Counted(io.RawIOBase):
    """A zip member read as a stream, refusing as soon as the bytes unpacked pass a limit."""

    def __init__(self, member: IO[bytes], path: Path, budget: list[int], own_limit: int | None, shown: int) -> None:
        self.member, self.path, self.budget, self.own_limit, self.shown = member, path, budget, own_limit, shown
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.member.read(min(len(buffer), CHUNK))
        self.size += len(data)
        self.budget[0] -= len(data)
        if self.budget[0] < 0:
            raise _too_large(self.path, f"it unpacks to more than {self.budget[1]:,} bytes")
        if self.own_limit is not None and self.size > self.own_limit:
            raise _too_large(self.path, f"its parts other than the sheets unpack to more than {self.shown:,} bytes")
        buffer[: len(data)] = data
        return len(data)


def _column_number(reference: str) -> int:
    letters = COLUMN_LETTERS.match(reference)
    number = 0
    for char in letters[0] if letters else "":
        number = number * 26 + ord(char) - 64
    return number


class _Parts(ContentHandler):
    """What a part holds, counted as SAX events go by: nothing of it is kept (no tree, no text)."""

    def __init__(self, path: Path, limits: Limits) -> None:
        super().__init__()
        self.path, self.limits = path, limits
        self.types: dict[str, str] = {}
        self.strings = self.rows = self.cells = self.text = 0
        self.cell: int | None = None  # characters of the cell (<c>) or shared string (<si>) being read

    def startElement(self, name: str, attrs: Any) -> None:  # noqa: N802 - the SAX interface's name
        tag = name.rpartition(":")[2]
        self.text = 0
        if tag in ("c", "si"):
            self.cell = 0
        if tag == "Override":
            self.types.setdefault(attrs.get("PartName", "").lstrip("/"), attrs.get("ContentType", ""))
        elif tag == "si":
            self.strings += 1
            if self.strings > self.limits.shared_strings:
                raise _too_large(self.path, f"it has more than {self.limits.shared_strings:,} distinct texts")
        elif tag == "row":
            number = attrs.get("r", "")
            self.rows = max(self.rows + 1, int(number)) if number.isdigit() else self.rows + 1
            self.cells = 0
            if self.rows > self.limits.rows:
                raise _too_large(self.path, f"it has more than {self.limits.rows:,} rows")
        elif tag == "c":
            self.cells += 1
            if max(self.cells, _column_number(attrs.get("r", ""))) > self.limits.columns:
                raise _too_large(self.path, f"it has more than {self.limits.columns:,} columns")

    def endElement(self, name: str) -> None:  # noqa: N802 - the SAX interface's name
        self.text = 0
        if name.rpartition(":")[2] in ("c", "si"):
            self.cell = None

    def characters(self, content: str) -> None:
        # Readers gather the text between two tags whole; a cell holds at most 32,767 characters.
        self.text += len(content)
        if self.text > self.limits.text:
            raise _too_large(self.path, f"a text in it is longer than {self.limits.text:,} characters")
        # ...and join a cell's text runs (<r><t>…</t></r>, many of them, each short) into one value.
        if self.cell is not None:
            self.cell += len(content)
            if self.cell > self.limits.text:
                raise _too_large(self.path, f"a cell in it holds more than {self.limits.text:,} characters")


def _scan(counted: _Counted, handler: _Parts | None) -> None:
    """Read a part to its end (so its CRC is checked), feeding it to ``handler`` if one is given."""
    parser = None
    if handler is not None:
        parser = make_parser()
        parser.setContentHandler(handler)
    while chunk := counted.read(CHUNK):
        if parser is not None:
            parser.feed(chunk)
    if parser is not None:
        parser.close()


def _check_workbook(path: Path, limits: Limits) -> None:
    """Unpack every part as a stream, counting what it really holds (never the sizes its headers
    declare), and refuse at the first limit passed. A file found within them is not scanned again."""
    stat = path.stat()
    _scanned(str(path.resolve()), stat.st_mtime_ns, stat.st_size, limits)


@functools.lru_cache(maxsize=64)
def _scanned(name: str, _mtime: int, _size: int, limits: Limits) -> None:
    path = Path(name)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise ImportFileError(f"{path.name} is not an XLSX workbook (not a zip archive)", field="file") from None
    unpacked = [limits.unpacked_bytes, limits.unpacked_bytes]  # what is left, and the limit
    with archive:
        members = archive.infolist()
        if len(members) > limits.members:
            raise _too_large(path, f"it has more than {limits.members:,} parts")
        try:
            # Readers find each part by its content type (openpyxl finds the shared strings so), not its name.
            listing = _Parts(path, limits)
            with archive.open(CONTENT_TYPES) as member:
                _scan(_Counted(member, path, unpacked, limits.in_memory_bytes, limits.in_memory_bytes), listing)
            held = 0  # bytes of the parts a reader keeps in memory: all but the worksheets
            for info in members:
                kind = listing.types.get(info.filename, "")
                with archive.open(info) as member:
                    own = None if kind == WORKSHEET else limits.in_memory_bytes - held
                    counted = _Counted(member, path, unpacked, own, limits.in_memory_bytes)
                    xml = kind in (SHARED_STRINGS, WORKSHEET)
                    _scan(counted, _Parts(path, limits) if xml else None)
                    held += 0 if kind == WORKSHEET else counted.size
        except ImportTooLargeError:
            raise
        except (zipfile.BadZipFile, KeyError, EOFError, NotImplementedError, RuntimeError, ValueError, SAXException):
            # a CRC that does not match (a header that lies about a size), a broken stream, bad XML
            raise ImportFileError(f"{path.name} is a damaged XLSX workbook", field="file") from None


def check_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a file over any limit before a row of it is read (so nothing of it is recorded)."""
    if path.suffix.lower() == ".xlsx":
        _check_workbook(path, limits)
        return
    for _ in _raw_rows(path, limits):  # a CSV streams: counting its rows keeps one in memory
        pass


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _bounded(path: Path, values: Iterator[list[str]], limits: Limits) -> Iterator[list[str]]:
    for number, row in enumerate(values, start=1):
        if number > limits.rows:
            raise _too_large(path, f"it has more than {limits.rows:,} rows")
        if len(row) > limits.columns:
            raise _too_large(path, f"it has more than {limits.columns:,} columns")
        yield row


def _xlsx_rows(path: Path, limits: Limits) -> Iterator[list[str]]:
    _check_workbook(path, limits)  # before openpyxl reads the shared strings into memory
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ImportFileError(f"{path.name} is a damaged XLSX workbook", field="file") from None
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # a dimension that lies would pad every row to its width
        for values in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in values]
    finally:
        book.close()


def _raw_rows(path: Path, limits: Limits = DEFAULT_LIMITS) -> Iterator[list[str]]:
    """Every row as text, one at a time: the whole file is never in memory."""
    if path.suffix.lower() == ".xlsx":
        yield from _bounded(path, _xlsx_rows(path, limits), limits)
        return
    if path.suffix.lower() != ".csv":
        raise ImportFileError(f"{path.name}: only .csv and .xlsx files are read", field="file")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = _Lines(handle, path, limits)
        try:
            for row in _bounded(path, csv.reader(lines), limits):
                lines.row = 0  # the reader has taken exactly this row's lines: the next row starts
                yield row
        except csv.Error as error:
            if "field limit" in str(error):  # a cell longer than csv's field_size_limit
                limit = csv.field_size_limit()
                raise _too_large(path, f"a cell in it is longer than {limit:,} characters") from None
            raise ImportFileError(f"{path.name} is not a UTF-8 CSV file", field="file") from None
        except UnicodeDecodeError:
            raise ImportFileError(f"{path.name} is not a UTF-8 CSV file", field="file") from None


class _Lines:
    """A CSV file's lines for csv.reader, refusing a row too long before the reader parses it.

    csv.reader builds a whole row before its columns can be counted: a 2 MB line of commas is two
    million cells (about 20 MB). So no line is read past what the row may still hold, the lines of
    one row (a quoted cell may span several) are counted together, and a one-line
    row without quotes is refused by its separators alone, before it is parsed.
    """

    def __init__(self, handle: IO[str], path: Path, limits: Limits) -> None:
        self.handle, self.path, self.limits = handle, path, limits
        self.row = 0  # characters of the row being read, so far

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.handle.readline(self.limits.line + 1 - self.row)  # never more than the row may hold, plus one
        if not line:
            raise StopIteration
        first, self.row = self.row == 0, self.row + len(line)
        # A row's first line without quotes is the whole row, and each comma in it ends a cell.
        if first and '"' not in line and line.count(",") >= self.limits.columns:
            raise _too_large(self.path, f"it has more than {self.limits.columns:,} columns")
        if self.row > self.limits.line:
            raise _too_large(self.path, f"a row in it is longer than {self.limits.line:,} characters")
        return line


def kind_of(path: Path, limits: Limits = DEFAULT_LIMITS) -> Layout:
    """The kind a file holds, told by its header: the one layout whose required columns are all there."""
    headers = next(_raw_rows(path, limits), None)
    if not headers:
        raise ImportFileError(f"{path.name} is empty", field="file")
    fitting = []
    for layout in LAYOUTS.values():
        try:
            match_headers(layout, headers)
        except ImportFileError:
            continue
        fitting.append(layout)
    specific = [f for f in fitting if not any(o is not f and set(o.columns) > set(f.columns) for o in fitting)]
    if len(specific) != 1:
        raise ImportFileError(f"{path.name}: cannot tell the kind from its header; give --kind", field="file")
    return specific[0]


def rows(path: Path, layout: Layout, limits: Limits = DEFAULT_LIMITS) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column name: text}) for every data row; blank rows are skipped."""
    raw = _raw_rows(path, limits)
    headers = next(raw, None) or []
    columns = match_headers(layout, headers)
    for number, values in enumerate(raw, start=2):
        if not any(v.strip() for v in values):
            continue
        yield number, {columns[i].name: v for i, v in enumerate(values) if i in columns}


def template(kind: str, fmt: str, lang: str = "el") -> bytes:
    """A file with the layout's headers (Greek or English) and one example row."""
    layout = LAYOUTS[kind]
    headers = [col.el if lang == "el" else col.name for col in layout.columns]
    example = [col.example for col in layout.columns]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerows([headers, example])
        return ("\ufeff" + buffer.getvalue()).encode()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = layout.el[:31]
    sheet.append(headers)
    sheet.append(example)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


AMKA_LIKE = re.compile(r"(?<!\d)\d{8}(\d{3})(?!\d)")


def without_amka(text: str) -> str:
    """Any eleven digits in a row (an ΑΜΚΑ, or what looks like one) kept only by their last three."""
    return AMKA_LIKE.sub(lambda found: "•" * 8 + found[1], text)


class Report:
    """The rejected rows, as CSV with Greek and English reasons, written as they are found.

    A report holds what staff typed into a spreadsheet: no value in it becomes a live formula, and
    no ΑΜΚΑ is kept in clear (its last three digits say which row is meant).
    """

    HEADER = ("αρχείο / file", "γραμμή / line", "πεδίο / field", "αιτία", "reason")

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle = path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._handle)
        self._writer.writerow(self.HEADER)
        self.file = ""
        self.count = 0

    def add(self, problem: Problem) -> None:
        cells = (self.file, problem.line, problem.field, problem.el, problem.en)
        self._writer.writerow([inert(without_amka(c)) if isinstance(c, str) else c for c in cells])
        self.count += 1

    def close(self) -> None:
        self._handle.close()
