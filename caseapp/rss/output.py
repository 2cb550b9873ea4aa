"""The RSS report as JSON, CSV and XLSX (files through caseapp/spreadsheets.py: formula-safe cells)."""

from __future__ import annotations

from decimal import Decimal

from caseapp.rss.report import MEASURES, RssReport, report_rows, shown_count
from caseapp.spreadsheets import csv_text, xlsx_bytes

HEADER = ["section", "group", "label", "round", "persons", *MEASURES]


def _plain(value):
    return str(value) if isinstance(value, Decimal) else value


def report_json(report: RssReport, *, shared: bool, office: str | None = None, project: str | None = None) -> dict:
    return {
        "period": {"from": report.filters.date_from.isoformat(), "to": report.filters.date_to.isoformat()},
        "office": office,
        "project": project,
        "shared": shared,
        "surveyed": shown_count(report.surveyed, shared),
        "rows": [{key: _plain(value) for key, value in row.items()} for row in report_rows(report, shared)],
    }


def _table(report: RssReport, shared: bool) -> list[list]:
    return [
        [_plain(row[name]) if row[name] is not None else "" for name in HEADER] for row in report_rows(report, shared)
    ]


def report_csv(report: RssReport, *, shared: bool) -> str:
    return csv_text(HEADER, _table(report, shared))


def report_xlsx(report: RssReport, *, shared: bool) -> bytes:
    return xlsx_bytes([("RSS", HEADER, _table(report, shared))])
