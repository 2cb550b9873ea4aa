"""Hostile import files, built in memory: a small workbook that unpacks to a huge cell or row.

Deflating 300 MB takes seconds, so the huge part is deflated once per megabyte: after a full flush,
deflate starts afresh, and the same megabyte always gives the same bytes. Repeating them makes a stream
that unpacks to the whole part. The zip is then written by hand (zipfile can only compress by itself)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from openpyxl import Workbook

MB = 1024 * 1024


def workbook_parts() -> dict[str, bytes]:
    """The parts of a real, small workbook with a returnees sheet (header and one row)."""
    buffer = io.BytesIO()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "returnees"
    sheet.append(["external_id", "first_name"])
    sheet.append(["GO-1", "Nino"])
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


class Deflated:
    """A part as raw deflate data with its CRC and unpacked size."""

    def __init__(self, head: bytes, repeated: bytes = b"", times: int = 0, tail: bytes = b""):
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        pieces = [compressor.compress(head), compressor.flush(zlib.Z_FULL_FLUSH)]
        crc = zlib.crc32(head)
        if times:
            block = compressor.compress(repeated) + compressor.flush(zlib.Z_FULL_FLUSH)
            pieces.append(block * times)
            for _ in range(times):
                crc = zlib.crc32(repeated, crc)
        pieces += [compressor.compress(tail), compressor.flush()]
        self.data = b"".join(pieces)
        self.crc = zlib.crc32(tail, crc)
        self.size = len(head) + len(repeated) * times + len(tail)


def zip_of(parts: dict[str, Deflated]) -> bytes:
    out = io.BytesIO()
    directory = []
    for name, part in parts.items():
        encoded = name.encode()
        offset = out.tell()
        out.write(
            struct.pack(
                "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, part.crc, len(part.data), part.size, len(encoded), 0
            )
            + encoded
            + part.data
        )
        directory.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0x21,
                part.crc,
                len(part.data),
                part.size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    start = out.tell()
    out.write(b"".join(directory))
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(directory), len(directory), out.tell() - start, start, 0))
    return out.getvalue()


def workbook_with_sheet(sheet: Deflated) -> bytes:
    parts = {name: Deflated(data) for name, data in workbook_parts().items()}
    parts["xl/worksheets/sheet1.xml"] = sheet
    return zip_of(parts)


def _sheet_around(rows_head: bytes, repeated: bytes, times: int, rows_tail: bytes) -> Deflated:
    sheet = workbook_parts()["xl/worksheets/sheet1.xml"]
    start = sheet.index(b"<sheetData>") + len(b"<sheetData>")
    end = sheet.index(b"</sheetData>")
    return Deflated(sheet[:start] + rows_head, repeated, times, rows_tail + sheet[end:])


def huge_cell_workbook(megabytes: int = 300) -> bytes:
    """One cell of `megabytes` MB of text in row 1 (about 300 KB of file for 300 MB)."""
    return workbook_with_sheet(
        _sheet_around(b'<row r="1"><c r="A1" t="inlineStr"><is><t>', b"A" * MB, megabytes, b"</t></is></c></row>")
    )


def wide_row_workbook(cells: int = 1_000_000) -> bytes:
    """A first row of `cells` numeric cells (about 50 KB of file)."""
    return workbook_with_sheet(_sheet_around(b'<row r="1">', b'<c t="n"><v>1</v></c>' * 1000, cells // 1000, b"</row>"))


def wide_csv(columns: int = 1_000_000) -> bytes:
    """A CSV whose header names external_id and then has a million empty columns."""
    return b"external_id" + b"," * (columns - 1) + b"\r\nGO-1" + b"," * (columns - 1) + b"\r\n"
