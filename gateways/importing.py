"""Reading import files (CSV and XLSX, streamed), writing templates and the rejected-rows report."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from infra.backup import file_sha256
from services.importing import LAYOUTS, ImportFileError, Layout, Problem, match_headers

checksum = file_sha256


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


def _raw_rows(path: Path) -> Iterator[list[str]]:
    """Every row as text, one at a time: the whole file is never in memory."""
    if path.suffix.lower() == ".xlsx":
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            for values in book.worksheets[0].iter_rows(values_only=True):
                yield [_cell(v) for v in values]
        finally:
            book.close()
        return
    if path.suffix.lower() != ".csv":
        raise ImportFileError(f"{path.name}: only .csv and .xlsx files are read", field="file")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from csv.reader(handle)


def kind_of(path: Path) -> Layout:
    """The kind a file holds, told by its header: the one layout whose required columns are all there."""
    headers = next(_raw_rows(path), None)
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


def rows(path: Path, layout: Layout) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column name: text}) for every data row; blank rows are skipped."""
    raw = _raw_rows(path)
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


class Report:
    """The rejected rows, as CSV with Greek and English reasons, written as they are found."""

    HEADER = ("αρχείο / file", "γραμμή / line", "πεδίο / field", "αιτία", "reason")

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle = path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._handle)
        self._writer.writerow(self.HEADER)
        self.file = ""
        self.count = 0

    def add(self, problem: Problem) -> None:
        self._writer.writerow((self.file, problem.line, problem.field, problem.el, problem.en))
        self.count += 1

    def close(self) -> None:
        self._handle.close()
