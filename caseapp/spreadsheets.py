"""CSV and XLSX files that are safe to open in a spreadsheet.

A cell whose text starts with =, +, -, @, tab or carriage return would be run as a formula by
Excel or LibreOffice ("CSV injection"). In CSV there is no cell type, so such text gets a leading
apostrophe, which spreadsheets show as text; `unescape_formula` takes it off again on import, so an
export re-imports to the same values. In XLSX the cell is written with the string type, so the text
stays exactly as stored and is never a formula."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

from flask import Response
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def unescape_formula(text: str) -> str:
    """Undo `escape_formula` (what a CSV export did to a cell)."""
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


def _plain(value) -> object:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if hasattr(value, "value") and not isinstance(value, (int, float, Decimal)):  # enums
        return value.value
    return value


class RowTally:
    """Counts the data rows a file gets as they are written (the audit of an export says how many), without
    a second query: `csv_text(header, rows, tally=tally)`, then `tally.rows`."""

    def __init__(self):
        self.rows = 0

    def counted(self, rows: Iterable[Sequence[object]]) -> Iterable[Sequence[object]]:
        for row in rows:
            self.rows += 1
            yield row


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]], *, tally: RowTally | None = None) -> str:
    """UTF-8 CSV (with BOM, so Excel reads Georgian script) with every text cell made formula-safe."""
    if tally is not None:
        rows = tally.counted(rows)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([escape_formula(str(h)) for h in header])
    for row in rows:
        writer.writerow([escape_formula(v) if isinstance(v, str) else v for v in map(_plain, row)])
    return buffer.getvalue()


def write_sheet(workbook: Workbook, title: str, header: Sequence[str], rows: Iterable[Sequence[object]]):
    """Add a sheet; text cells are typed as strings so that nothing in them runs as a formula."""
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([str(h) for h in header])
    for row in rows:
        sheet.append([_plain(v) for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = TYPE_STRING
    for cell in sheet[1]:
        cell.data_type = TYPE_STRING
    return sheet


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[object]]]], *,
               tally: RowTally | None = None) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, header, rows in sheets:
        write_sheet(workbook, title, header, tally.counted(rows) if tally is not None else rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def download(content: str | bytes, filename: str) -> Response:
    mimetype = ("text/csv; charset=utf-8" if filename.endswith(".csv")
                else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename)
    return response


def content_disposition(filename: str) -> str:
    """An attachment header that survives any office name: HTTP headers are Latin-1 (a Georgian name
    would break the response in the server), so the name goes in RFC 5987 form, with an ASCII fallback
    for old browsers that cannot hold a quote to end the value early."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    if fallback == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
