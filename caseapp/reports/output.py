"""A presented report as files and machine-readable data: CSV and XLSX (through caseapp.spreadsheets, so that no
cell can run as a formula), JSON for the command line, and plain text."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from caseapp.assistance.models import Currency
from caseapp.reports.counting import (
    ASSISTED,
    DIMENSIONS,
    EVENTS,
    PERSONS,
    RETURNED,
    TOTAL,
)
from caseapp.reports.cycle import PresentedCycle, build_cycle, cycle_json
from caseapp.reports.presentation import (
    PresentedReport,
    dimension_title,
    group_code,
    scope_phrase,
)
from caseapp.reports.suppression import WITHHELD
from caseapp.spreadsheets import csv_text, xlsx_bytes

CSV_HEADER = ["table", "group", "assistance_type", "measure", "currency", "value"]


def _amount_text(amount) -> str:
    return f"{amount:.2f}"


def figure_rows(shown: PresentedReport) -> list[list[object]]:
    """Every figure of the report, one per row: (table, group, type code, measure, currency, value)."""
    report = shown.report
    rows = []
    for dimension, groups in [(TOTAL, [None]), *[(d, report.groups[d]) for d in DIMENSIONS]]:
        for group in groups:
            label = group_code(report, dimension, group)
            for measure in (RETURNED, ASSISTED, EVENTS):
                rows.append([dimension, label, "", measure, "", shown.cell(dimension, group, measure)])
            for assistance_type in report.types:
                for measure in (PERSONS, EVENTS):
                    rows.append([dimension, label, assistance_type.code, measure, "",
                                 shown.cell(dimension, group, measure, assistance_type.code)])
    for assistance_type in report.types:
        for currency, amount in sorted((shown.amounts(assistance_type.code) or {}).items()):
            rows.append([TOTAL, "", assistance_type.code, "amount", currency, _amount_text(amount)])
    for figures in shown.funnels():
        key = figures.funnel.key
        rows.append(["funnel", key, figures.funnel.counselling.code, "counselled", "", figures.counselled])
        rows.append(["funnel", key, figures.funnel.grant.code, "converted", "", figures.converted])
        rows.append(["funnel", key, "", "share_percent", "", "" if figures.share is None else str(figures.share)])
    for assistance_type in report.types:
        for status in shown.pipeline_statuses():
            for measure in (PERSONS, EVENTS):
                value = shown.pipeline(assistance_type.code, status.value, measure)
                if value:
                    rows.append(["pipeline", status.value, assistance_type.code, measure, "", value])
            for currency, amount in sorted((shown.pipeline_amounts(assistance_type.code, status.value) or {}).items()):
                rows.append(["pipeline", status.value, assistance_type.code, "amount", currency, _amount_text(amount)])
    return rows


def report_csv(shown: PresentedReport) -> str:
    return csv_text(CSV_HEADER, figure_rows(shown))


def _about_rows(shown: PresentedReport) -> list[list[object]]:
    filters = shown.report.filters
    rows = [
        [_("From"), filters.date_from],
        [_("To"), filters.date_to],
        [_("Filters"), scope_phrase(shown.report) or _("none")],
        [_("Produced on"), date.today()],
        [_("Version"), _("for sharing outside the organisation") if shown.shared else _("internal")],
        [_("Persons"), _("distinct returnees; a person who received several types counts once in each type "
                         "and once in the assisted total")],
        [_("Events"), _("delivered assistance records dated in the period")],
    ]
    if shown.shared:
        rows += [["<5", _("between 1 and 4")], ["x", _("withheld so that a small count cannot be worked out")]]
    rows.append([_("Summary"), shown.paragraph()])
    return rows


def report_sheets(shown: PresentedReport) -> list[tuple[str, list[str], list[list[object]]]]:
    report = shown.report
    currencies = [c.value for c in Currency]
    summary_header = [_("Figure"), _("Type code"), _("Persons"), _("Events")] + [
        _("Amount %(currency)s", currency=c) for c in currencies]
    summary = [[_("Returned persons"), "", shown.total(RETURNED), "", *[""] * len(currencies)],
               [_("Assisted persons (any type)"), "", shown.total(ASSISTED), shown.total(EVENTS),
                *[""] * len(currencies)]]
    for assistance_type in report.types:
        amounts = shown.amounts(assistance_type.code)
        if not assistance_type.carries_amount:
            money = [""] * len(currencies)
        elif amounts is None:  # withheld: they would concern fewer than 5 persons
            money = [WITHHELD] * len(currencies)
        else:
            money = [amounts.get(c, 0) for c in currencies]
        code = assistance_type.code
        summary.append([assistance_type.label, code, shown.total(PERSONS, code), shown.total(EVENTS, code), *money])
    sheets = [(_("Summary"), summary_header, summary)]

    header = [_("Group"), _("Returned persons"), _("Assisted persons"), _("All events")]
    for assistance_type in report.types:
        header += [_("%(type)s: persons", type=assistance_type.label), _("%(type)s: events", type=assistance_type.label)]
    for dimension in DIMENSIONS:
        rows = []
        for dimension_key, group, label in [*[(dimension, g, group_code(report, dimension, g))
                                              for g in report.groups[dimension]], (TOTAL, None, _("Total"))]:
            row = [label] + [shown.cell(dimension_key, group, m) for m in (RETURNED, ASSISTED, EVENTS)]
            for assistance_type in report.types:
                row += [shown.cell(dimension_key, group, PERSONS, assistance_type.code),
                        shown.cell(dimension_key, group, EVENTS, assistance_type.code)]
            rows.append(row)
        sheets.append((dimension_title(dimension), header, rows))

    sheets.append((_("Funnels"), [_("Counselling"), _("Persons counselled"), _("Grant"),
                                  _("Persons who then received the grant"), _("Share (%)")],
                   [[f.funnel.counselling.label, f.counselled, f.funnel.grant.label, f.converted,
                     "" if f.share is None else f.share] for f in shown.funnels()]))
    pipeline = []
    for assistance_type in report.types:
        for status in shown.pipeline_statuses():
            persons = shown.pipeline(assistance_type.code, status.value, PERSONS)
            if persons:
                amounts = shown.pipeline_amounts(assistance_type.code, status.value) or {}
                pipeline.append([assistance_type.label, str(status.label), persons,
                                 shown.pipeline(assistance_type.code, status.value, EVENTS),
                                 *[amounts.get(c, "") for c in currencies]])
    sheets.append((_("Pipeline"), [_("Type"), _("Status"), _("Persons"), _("Records")]
                   + [_("Amount %(currency)s", currency=c) for c in currencies], pipeline))
    sheets.append((_("About"), [_("Item"), _("Value")], _about_rows(shown)))
    return sheets


def report_xlsx(shown: PresentedReport) -> bytes:
    return xlsx_bytes(report_sheets(shown))


def report_json(shown: PresentedReport) -> dict:
    """The report as the `report --format json` command prints it. Amounts are decimal strings."""
    report = shown.report
    filters = report.filters

    def figures(dimension, group):
        return {
            "returned_persons": shown.cell(dimension, group, RETURNED),
            "assisted_persons": shown.cell(dimension, group, ASSISTED),
            "events": shown.cell(dimension, group, EVENTS),
        }

    by_type = {}
    for assistance_type in report.types:
        amounts = shown.amounts(assistance_type.code)
        by_type[assistance_type.code] = {
            "name": assistance_type.name,
            "persons": shown.total(PERSONS, assistance_type.code),
            "events": shown.total(EVENTS, assistance_type.code),
            "amounts": None if amounts is None else {c: _amount_text(a) for c, a in sorted(amounts.items())},
        }
    return {
        "from": filters.date_from.isoformat(),
        "to": filters.date_to.isoformat(),
        "office": report.office_names.get(filters.office_id) if filters.office_id is not None else None,
        "sex": filters.sex or None,
        "age_band": filters.age_band or None,
        "vulnerability": filters.vulnerability or None,
        "project": _project_json(report, filters.project_id),
        "shared": shown.shared,
        **figures(TOTAL, None),
        "by_type": by_type,
        "funnels": {
            f.funnel.key: {"counselling": f.funnel.counselling.code, "grant": f.funnel.grant.code,
                           "counselled": f.counselled, "converted": f.converted,
                           "share_percent": None if f.share is None else str(f.share)}
            for f in shown.funnels()
        },
        "by": {
            dimension: {group_code(report, dimension, g): {
                **figures(dimension, g),
                "persons_by_type": {k.code: shown.cell(dimension, g, PERSONS, k.code) for k in report.types},
            } for g in report.groups[dimension]}
            for dimension in DIMENSIONS
        },
        "pipeline": {
            code: {status.value: {"persons": shown.pipeline(code, status.value, PERSONS),
                                  "events": shown.pipeline(code, status.value, EVENTS)}
                   for status in shown.pipeline_statuses()}
            for code in (assistance_type.code for assistance_type in report.types)
        },
        "paragraph": shown.paragraph(),
        # referrals per partner and monitoring visits (reports/cycle.py), suppressed alike when shared
        "cycle": cycle_json(PresentedCycle(build_cycle(filters), shared=shown.shared)),
    }


def _project_json(report, project_id) -> dict | None:
    if project_id is None:
        return None
    code, name, donor = report.projects.get(project_id, ("", "", ""))
    return {"code": code, "name": name, "donor": donor}


def report_text(shown: PresentedReport) -> str:
    report = shown.report
    # (no _() inside f-strings: Babel's extractor does not see them)
    period, filters_word = _("Period"), _("Filters")
    lines = [f"{period}: {report.filters.date_from.isoformat()} – {report.filters.date_to.isoformat()}"]
    scope = scope_phrase(report)
    if scope:
        lines.append(f"{filters_word}: {scope}")
    lines += [
        _("Returned persons: %(num)s", num=shown.total(RETURNED)),
        _("Assisted persons: %(num)s (events: %(events)s)", num=shown.total(ASSISTED), events=shown.total(EVENTS)),
        "",
    ]
    width = max(len(assistance_type.label) for assistance_type in report.types)
    type_word, persons, events, amounts_word = _("Assistance type"), _("Persons"), _("Events"), _("Amounts")
    lines.append(f"{type_word:<{width}}  {persons:>8}  {events:>8}  {amounts_word}")
    for assistance_type in report.types:
        amounts = shown.amounts(assistance_type.code)
        money = ", ".join(f"{_amount_text(a)} {c}" for c, a in sorted((amounts or {}).items()))
        lines.append(f"{assistance_type.label:<{width}}  {shown.total(PERSONS, assistance_type.code)!s:>8}  "
                     f"{shown.total(EVENTS, assistance_type.code)!s:>8}  {money}")
    lines += ["", shown.paragraph()]
    return "\n".join(lines) + "\n"
