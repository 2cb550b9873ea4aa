"""Stream the rows of an import file (CSV or one sheet of an XLSX workbook) as lists of text cells.

Nothing here knows what the columns mean: a reader yields (spreadsheet row number, [cell text, ...]),
the header being row 1. Files are read row by row, never loaded whole, so memory stays flat."""
from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from caseapp.spreadsheets import unescape_formula

TABLES = ("returnees", "assistance")


class UnreadableFile(Exception):
    """The file is not a CSV in UTF-8 or not an XLSX workbook holding the sheet asked for."""

    def __init__(self, message: str, *, whole_file: bool = False):
        super().__init__(message)
        #: the file cannot be opened at all (then its other sheet need not be named again)
        self.whole_file = whole_file


@dataclass(frozen=True)
class Source:
    """One table to import: a CSV file, or a sheet of a workbook."""

    table: str  # "returnees" or "assistance"
    path: Path
    #: the name the user knows the file by (the upload's name, or the path given on the command line)
    file_name: str
    sha256: str
    #: given as the workbook (--workbook, or the upload's workbook field), whatever its name ends with
    workbook: bool = False

    @property
    def is_workbook(self) -> bool:
        return self.workbook or self.path.suffix.lower() in (".xlsx", ".xlsm")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sources_for(*, returnees: Path | None = None, assistance: Path | None = None,
                workbook: Path | None = None, names: dict[str, str] | None = None) -> list[Source]:
    """The tables to import, from two CSV files (either may be left out) or from one workbook."""
    names = names or {}
    if workbook is not None:
        checksum = sha256_of(workbook)
        name = names.get("workbook", str(workbook))
        return [Source(table, Path(workbook), name, checksum, workbook=True) for table in TABLES]
    found = []
    for table, path in (("returnees", returnees), ("assistance", assistance)):
        if path is not None:
            found.append(Source(table, Path(path), names.get(table, str(path)), sha256_of(path)))
    return found


@contextmanager
def open_rows(source: Source) -> Iterator[tuple[list[str], Iterator[tuple[int, list[str]]]]]:
    """Yield (header, rows); rows are (row number, cells as text) with wholly empty rows left out."""
    if source.is_workbook:
        with _open_sheet(source) as opened:
            yield opened
    else:
        with _open_csv(source) as opened:
            yield opened


@contextmanager
def _open_csv(source: Source):
    try:
        handle = open(source.path, encoding="utf-8-sig", newline="")
    except OSError as error:
        raise UnreadableFile(str(error)) from None
    with handle:
        reader = csv.reader(handle, strict=True)
        try:
            header = next(reader, [])
        except (UnicodeDecodeError, csv.Error) as error:
            raise UnreadableFile(_csv_problem(error)) from None
        header = [cell.strip() for cell in header]
        while header and not header[-1]:  # Excel's ",,," after the last column
            header.pop()
        yield header, _csv_rows(reader)


def _csv_rows(reader) -> Iterator[tuple[int, list[str]]]:
    row_number = 1
    try:
        for cells in reader:
            row_number += 1
            if not is_blank(cells):
                # A CSV export wrote text starting with =, +, -, @ with a leading apostrophe: take it off.
                yield row_number, [unescape_formula(cell) if cell[:1] == "'" else cell for cell in cells]
    except (UnicodeDecodeError, csv.Error) as error:
        raise UnreadableFile(f"row {row_number + 1}: {_csv_problem(error)}") from None


def _csv_problem(error: Exception) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "the file is not UTF-8 text (save it as 'CSV UTF-8')"
    return f"not a valid CSV file ({error})"


@contextmanager
def _open_sheet(source: Source):
    from openpyxl import load_workbook

    try:
        handle = open(source.path, "rb")  # a file, not a name: openpyxl would refuse a name not ending in .xlsx
    except OSError as error:
        raise UnreadableFile(str(error), whole_file=True) from None
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file
        handle.close()
        raise UnreadableFile("the file is not an Excel workbook (.xlsx): open it in Excel and save it as "
                             f"'Excel Workbook' ({error.__class__.__name__})", whole_file=True) from None
    try:
        # Sheet names as typed by people: "Returnees" or "returnees " is the sheet meant.
        named = [name for name in workbook.sheetnames if name.strip().casefold() == source.table]
        if len(named) != 1:
            raise UnreadableFile(f"the workbook has no sheet named '{source.table}'" if not named
                                 else f"the workbook has {len(named)} sheets named '{source.table}'")
        rows = workbook[named[0]].iter_rows()
        header = [cell_text(cell).strip() for cell in _values(next(rows, ()))]
        while header and not header[-1]:
            header.pop()
        yield header, _sheet_rows(rows, len(header))
    finally:
        workbook.close()
        handle.close()


class SheetError(str):
    """A cell holding a spreadsheet error such as #N/A or #DIV/0! (a broken formula), not text."""


def _values(cells) -> list:
    return [SheetError(cell.value) if getattr(cell, "data_type", None) == "e" else cell.value for cell in cells]


def is_blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _sheet_rows(rows, width: int) -> Iterator[tuple[int, list[str]]]:
    for row_number, row in enumerate(rows, start=2):
        cells = [cell_text(value) for value in _values(row)]
        if not is_blank(cells):
            # Cells past the header are empty formatting in most workbooks; keep them only if they hold text.
            while len(cells) > width and not cells[-1]:
                cells.pop()
            yield row_number, cells


def cell_text(value) -> str:
    """A workbook cell as the text a CSV would hold: dates ISO, whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, SheetError):
        return value
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return str(value)
    return str(value)
