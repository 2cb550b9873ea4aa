"""Stream the rows of an import file (CSV or one sheet of an XLSX workbook) as lists of text cells.

Nothing here knows what the columns mean: a reader yields (spreadsheet row number, [cell text, ...]),
the header being row 1. Files are read row by row, never loaded whole, so memory stays flat.

Reading is bounded (ReadLimits, from the IMPORT_MAX_* settings) so that a hostile file cannot sink the
server: a workbook is a zip, and a few hundred kilobytes can unpack to gigabytes (one 300 MB cell, a row
of a million cells). Before openpyxl sees a workbook, the zip's directory is checked (number of parts,
declared sizes); while openpyxl reads it, every part is read through BoundedPart, which counts the bytes
actually unpacked and stops at the first of: the total limit; a row of more cells than the columns
limit; a row or shared string of more than ROW_XML_BYTES of XML, or more than PART_XML_BYTES before the
first one (a part parsed whole, such as the styles) - what openpyxl holds in memory at once. CSV lines,
rows, columns and cell lengths are bounded too. A file over a limit is refused as a whole with one
problem that names the limit."""
from __future__ import annotations

import csv
import hashlib
import re
import struct
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import gettext as _

from caseapp.spreadsheets import unescape_formula

TABLES = ("returnees", "assistance")


class UnreadableFile(Exception):
    """The file is not a CSV in UTF-8 or not an XLSX workbook holding the sheet asked for."""

    def __init__(self, message: str, *, whole_file: bool = False):
        super().__init__(message)
        #: the file cannot be opened at all (then its other sheet need not be named again)
        self.whole_file = whole_file


class FileTooLarge(UnreadableFile):
    """The file goes beyond one of the reading limits: refused whole, without reading further."""

    def __init__(self, message: str):
        super().__init__(message, whole_file=True)


MB = 1024 * 1024
#: the most XML openpyxl holds at once. ElementTree needs about 16 bytes of memory (and real time) per
#: byte of a row of small cells, so: a row or a shared string (a real one is a few kilobytes) at most
ROW_XML_BYTES = 1 * MB
#: and a part parsed whole (styles, workbook, relations; the start of a sheet before its first row)
PART_XML_BYTES = 8 * MB
#: the zip's directory: a real workbook has a few dozen parts (a directory of 1 MB is ~10,000 of them)
ZIP_DIRECTORY_BYTES = 1 * MB
#: where openpyxl's memory starts again: a row of a sheet, an entry of the shared strings
XML_SEGMENT_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:row|si)[\s>/]")


@dataclass(frozen=True)
class ReadLimits:
    """How much of a file is read before it is refused (settings IMPORT_MAX_*)."""

    #: a workbook's parts, unpacked (declared in the zip and counted while reading)
    uncompressed_bytes: int = 512 * MB
    #: rows of one table, header included (Excel's own maximum)
    rows: int = 1_048_576
    #: columns of one table (a real file has a dozen; Excel 97 stopped at 256)
    columns: int = 256
    #: characters of one cell (Excel's own maximum)
    cell_chars: int = 32_767

    @classmethod
    def configured(cls) -> ReadLimits:
        if not has_app_context():
            return cls()
        config = current_app.config
        return cls(uncompressed_bytes=int(config["IMPORT_MAX_UNCOMPRESSED_MB"] * MB),
                   rows=config["IMPORT_MAX_ROWS"], columns=config["IMPORT_MAX_COLUMNS"],
                   cell_chars=config["IMPORT_MAX_CELL_CHARS"])

    @property
    def line_chars(self) -> int:
        """The longest CSV line: every column at its longest, with quotes and comma."""
        return self.columns * (self.cell_chars + 3)

    def check_width(self, row_number: int, cells: list) -> None:
        if len(cells) > self.columns:
            raise FileTooLarge(_(
                "Row %(row)d has %(count)s columns; at most %(limit)s are read (setting IMPORT_MAX_COLUMNS). "
                "Nothing was imported.", row=row_number, count=f"{len(cells):,}", limit=f"{self.columns:,}"))
        for index, cell in enumerate(cells):
            if isinstance(cell, str) and len(cell) > self.cell_chars:
                raise FileTooLarge(_(
                    "Row %(row)d, column %(column)d holds %(count)s characters; a cell may hold at most "
                    "%(limit)s (setting IMPORT_MAX_CELL_CHARS). Nothing was imported.", row=row_number,
                    column=index + 1, count=f"{len(cell):,}", limit=f"{self.cell_chars:,}"))

    def check_row_count(self, row_number: int) -> None:
        if row_number > self.rows:
            raise FileTooLarge(_(
                "The table has more than %(limit)s rows (setting IMPORT_MAX_ROWS): nothing was imported. "
                "Split the file.", limit=f"{self.rows:,}"))

    def too_much_unpacked(self) -> FileTooLarge:
        return FileTooLarge(_(
            "The workbook unpacks to more than %(limit)s MB (setting IMPORT_MAX_UNCOMPRESSED_MB): it was not "
            "read. Nothing was imported.", limit=f"{self.uncompressed_bytes // MB:,}"))


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
    limits = ReadLimits.configured()
    try:
        handle = open(source.path, encoding="utf-8-sig", newline="")
    except OSError as error:
        raise UnreadableFile(str(error)) from None
    with handle:
        reader = csv.reader(_bounded_lines(handle, limits), strict=True)
        try:
            header = next(reader, [])
        except (UnicodeDecodeError, csv.Error) as error:
            raise UnreadableFile(_csv_problem(error, limits)) from None
        limits.check_width(1, header)
        header = [cell.strip() for cell in header]
        while header and not header[-1]:  # Excel's ",,," after the last column
            header.pop()
        yield header, _csv_rows(reader, limits)


def _bounded_lines(handle, limits: ReadLimits) -> Iterator[str]:
    """The lines of a CSV file, refusing one longer than a row can be (csv would hold it whole)."""
    longest = limits.line_chars
    while line := handle.readline(longest + 1):
        if len(line) > longest:
            raise FileTooLarge(_(
                "A line of the file is longer than %(limit)s characters (IMPORT_MAX_COLUMNS columns of "
                "IMPORT_MAX_CELL_CHARS characters): it was not read. Nothing was imported.",
                limit=f"{longest:,}"))
        yield line


def _csv_rows(reader, limits: ReadLimits) -> Iterator[tuple[int, list[str]]]:
    row_number = 1
    try:
        for cells in reader:
            row_number += 1
            limits.check_row_count(row_number)
            limits.check_width(row_number, cells)
            if not is_blank(cells):
                # A CSV export wrote text starting with =, +, -, @ with a leading apostrophe: take it off.
                yield row_number, [unescape_formula(cell) if cell[:1] == "'" else cell for cell in cells]
    except (UnicodeDecodeError, csv.Error) as error:
        raise UnreadableFile(f"row {row_number + 1}: {_csv_problem(error, limits)}") from None


def _csv_problem(error: Exception, limits: ReadLimits) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "the file is not UTF-8 text (save it as 'CSV UTF-8')"
    if "field larger than field limit" in str(error):  # the csv module's own cap, above ours
        return _("a cell holds more than %(limit)s characters (setting IMPORT_MAX_CELL_CHARS)",
                 limit=f"{limits.cell_chars:,}")
    return f"not a valid CSV file ({error})"


@contextmanager
def _open_sheet(source: Source):
    limits = ReadLimits.configured()
    try:
        handle = open(source.path, "rb")  # a file, not a name: openpyxl would refuse a name not ending in .xlsx
    except OSError as error:
        raise UnreadableFile(str(error), whole_file=True) from None
    try:
        workbook = _load_bounded_workbook(handle, limits)
    except FileTooLarge:
        handle.close()
        raise
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
        sheet = workbook[named[0]]
        sheet.reset_dimensions()  # a sheet claiming A1:XFD1048576 would otherwise pad every row to it
        rows = sheet.iter_rows()
        header_cells = _values(next(rows, ()))
        limits.check_width(1, header_cells)
        header = [cell_text(cell).strip() for cell in header_cells]
        while header and not header[-1]:
            header.pop()
        yield header, _sheet_rows(rows, len(header), limits)
    finally:
        workbook.close()
        handle.close()


def _load_bounded_workbook(handle, limits: ReadLimits):
    """openpyxl's load_workbook (read-only, values), reading the zip through BoundedZipFile."""
    from openpyxl.reader.excel import ExcelReader

    check_zip_directory(handle, limits)
    # ExcelReader is what load_workbook uses; its archive is swapped for the bounded one before any part
    # is read (tests/test_import_limits.py fails if an openpyxl release changes this).
    reader = ExcelReader(handle, read_only=True, data_only=True)
    reader.archive = BoundedZipFile(handle, limits)
    reader.valid_files = reader.archive.namelist()
    reader.read()
    return reader.wb


def check_zip_directory(handle, limits: ReadLimits) -> None:
    """Refuse a zip whose directory is huge or whose parts declare more than the limit, before unpacking."""
    handle.seek(0, 2)
    size = handle.tell()
    tail_length = min(size, 22 + 65535)  # the end record and its longest comment
    handle.seek(size - tail_length)
    tail = handle.read(tail_length)
    handle.seek(0)
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or len(tail) < end + 22:
        return  # not a zip: openpyxl says so in its own words
    entries, directory_bytes = struct.unpack("<HI", tail[end + 10:end + 16])
    if entries == 0xFFFF or directory_bytes == 0xFFFFFFFF or directory_bytes > ZIP_DIRECTORY_BYTES:
        raise FileTooLarge(_("The workbook is made of too many parts to be a spreadsheet: it was not read. "
                             "Nothing was imported."))
    try:
        with zipfile.ZipFile(handle) as archive:
            declared = sum(part.file_size for part in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    finally:
        handle.seek(0)
    if declared > limits.uncompressed_bytes:
        raise limits.too_much_unpacked()


class BoundedZipFile(zipfile.ZipFile):
    """A zip whose parts open as BoundedPart, all counting against one budget of unpacked bytes."""

    def __init__(self, file, limits: ReadLimits):
        super().__init__(file)
        self.limits = limits
        self.unpacked = 0

    def open(self, name, mode="r", pwd=None, **kwargs):
        part = super().open(name, mode, pwd, **kwargs)
        return BoundedPart(part, self) if mode == "r" else part


class BoundedPart:
    """A part of the workbook, read-only, that stops with FileTooLarge at the first limit it reaches.

    Python's zipfile already never unpacks more than a part's declared size (and a part holding more
    fails its CRC check); this counts what is really unpacked, across the parts, and watches how much XML
    goes by without a row or shared string starting."""

    CHUNK = 64 * 1024

    def __init__(self, part, archive: BoundedZipFile):
        self.part = part
        self.archive = archive
        self.since_segment = 0
        self.cells_in_row = 0  # cells of the current row so far: a row of too many is refused at once
        self.segmented = False  # a row or shared string has started: from now on ROW_XML_BYTES apply
        self.tail = b""  # the end of the previous block, for a tag split across two reads

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(self.CHUNK), b""))
        block = self.part.read(size)
        self._count(block)
        return block

    def _count(self, block: bytes) -> None:
        limits = self.archive.limits
        self.archive.unpacked += len(block)
        if self.archive.unpacked > limits.uncompressed_bytes:
            raise limits.too_much_unpacked()
        scanned = self.tail + block
        last = None
        for last in XML_SEGMENT_START.finditer(scanned):
            pass
        if last is None:
            self.since_segment += len(block)
            self.cells_in_row += block.count(b"<c ")
        else:
            self.since_segment = len(scanned) - last.start()
            self.cells_in_row = scanned.count(b"<c ", last.start())
            self.segmented = True
        self.tail = scanned[-32:]
        if self.cells_in_row > limits.columns:
            raise FileTooLarge(_(
                "A row of the workbook has more than %(limit)s columns (setting IMPORT_MAX_COLUMNS): it was "
                "not read. Nothing was imported.", limit=f"{limits.columns:,}"))
        limit = ROW_XML_BYTES if self.segmented else PART_XML_BYTES
        if self.since_segment > limit:
            raise FileTooLarge(_(
                "The workbook holds a single row, cell or part larger than %(limit)s MB: it was not read. "
                "Nothing was imported.", limit=limit // MB))

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.part.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class SheetError(str):
    """A cell holding a spreadsheet error such as #N/A or #DIV/0! (a broken formula), not text."""


def _values(cells) -> list:
    return [SheetError(cell.value) if getattr(cell, "data_type", None) == "e" else cell.value for cell in cells]


def is_blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _sheet_rows(rows, width: int, limits: ReadLimits) -> Iterator[tuple[int, list[str]]]:
    for row_number, row in enumerate(rows, start=2):
        limits.check_row_count(row_number)
        limits.check_width(row_number, row)
        cells = [cell_text(value) for value in _values(row)]
        limits.check_width(row_number, cells)
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
