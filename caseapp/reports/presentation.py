"""What a report shows: its counts as they may be published (suppressed when shared outside the
organisation), group labels, and the generated donor-report paragraph. The page, the exports and the
command line all present a report through `PresentedReport`, so they always agree."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import ngettext

from caseapp.assistance.models import AssistanceStatus
from caseapp.charts import ColumnChart, Series, column_chart
from caseapp.formats import format_date, format_decimal
from caseapp.reports.counting import (
    ASSISTED,
    DIMENSIONS,
    EVENTS,
    OVERLAPPING,
    PERSONS,
    PIPELINE,
    RETURNED,
    TOTAL,
    AgeBand,
    Funnel,
    Report,
    month_bounds,
)
from caseapp.reports.suppression import SMALL, WITHHELD, Line, protect
from caseapp.returnees.models import Sex, Vulnerability


def dimension_title(dimension: str) -> str:
    return {
        "office": _("By field office"),
        "project": _("By project"),
        "sex": _("By sex"),
        "age_band": _("By age band at return"),
        "month": _("By month"),
    }[dimension]


def report_lines(report: Report) -> list[Line]:
    """How the report's counts tie together (see suppression.py)."""
    lines = []
    columns = [(RETURNED, None), (ASSISTED, None), (EVENTS, None)]
    columns += [(measure, assistance_type.code) for assistance_type in report.types for measure in (PERSONS, EVENTS)]
    for dimension in DIMENSIONS:
        for measure, code in columns:
            # a person is in one office, sex, age band, return month and return project, but may be assisted in
            # several months and by several projects
            additive = not (dimension in OVERLAPPING and measure in (ASSISTED, PERSONS))
            cells = tuple((dimension, group, measure, code) for group in report.groups[dimension])
            lines.append(Line((TOTAL, None, measure, code), cells, additive))
    for dimension, groups in [(TOTAL, [None]), *report.groups.items()]:
        for group in groups:
            lines.append(Line((dimension, group, EVENTS, None),
                              tuple((dimension, group, EVENTS, assistance_type.code) for assistance_type in report.types)))
            lines.append(Line((dimension, group, ASSISTED, None),
                              tuple((dimension, group, PERSONS, assistance_type.code) for assistance_type in report.types),
                              additive=False))
    return lines


@dataclass
class FunnelFigures:
    funnel: Funnel
    counselled: int | str
    converted: int | str
    #: a percentage with one decimal, or None when not shown
    share: Decimal | None


class PresentedReport:
    """A report as it may be shown. `shared=True` is the version for outside the organisation: counts of
    1-4 become "<5", the figures that would give them away "x", and no amount concerns fewer than 5 persons."""

    def __init__(self, report: Report, *, shared: bool = False):
        self.report = report
        self.shared = shared
        self.hidden: dict = {}
        if shared:
            values = {key: report.counts.get(key, 0) for key in report.cell_keys()}
            for funnel in report.funnels:
                values[("funnel", funnel.key, "converted", None)] = funnel.converted
            for (code, status, measure), value in report.pipeline_counts.items():
                values[("pipeline", code, status, measure)] = value
            self.hidden = protect(values, report_lines(report))

    # --- counts ---------------------------------------------------------------------------------------------
    def value(self, key) -> int | str:
        return self.hidden.get(key, self._raw(key))

    def _raw(self, key) -> int:
        if key[0] == "funnel":
            return next(f.converted for f in self.report.funnels if f.key == key[1])
        if key[0] == "pipeline":
            return self.report.pipeline_counts.get(key[1:], 0)
        return self.report.counts.get(key, 0)

    def cell(self, dimension: str, group, measure: str, type_code: str | None = None) -> int | str:
        return self.value((dimension, group, measure, type_code))

    def total(self, measure: str, type_code: str | None = None) -> int | str:
        return self.cell(TOTAL, None, measure, type_code)

    def is_hidden(self, dimension, group, measure, type_code=None) -> bool:
        return (dimension, group, measure, type_code) in self.hidden

    def amounts(self, type_code: str) -> dict[str, Decimal] | None:
        """Delivered amounts of a type per currency; None when withheld (they would concern < 5 persons)."""
        if self.shared and self.total(PERSONS, type_code) in (SMALL, WITHHELD):
            return None
        return self.report.amounts.get(type_code, {})

    def funnels(self) -> list[FunnelFigures]:
        shown = []
        for funnel in self.report.funnels:
            counselled = self.total(PERSONS, funnel.counselling.code)
            converted = self.value(("funnel", funnel.key, "converted", None))
            share = None
            if isinstance(counselled, int) and isinstance(converted, int) and funnel.share is not None:
                share = (funnel.share * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            shown.append(FunnelFigures(funnel, counselled, converted, share))
        return shown

    def pipeline(self, type_code: str, status: str, measure: str) -> int | str:
        return self.value(("pipeline", type_code, status, measure))

    def pipeline_amounts(self, type_code: str, status: str) -> dict[str, Decimal] | None:
        if self.shared and self.pipeline(type_code, status, PERSONS) in (SMALL, WITHHELD):
            return None
        return self.report.pipeline_amounts.get((type_code, status), {})

    def pipeline_statuses(self) -> list[AssistanceStatus]:
        return list(PIPELINE)

    def has_pipeline(self) -> bool:
        return any(self.report.pipeline_counts.values())

    # --- labels ---------------------------------------------------------------------------------------------
    def group_label(self, dimension: str, group) -> str:
        return group_label(self.report, dimension, group)

    def paragraph(self) -> str:
        return donor_paragraph(self)


def group_label(report: Report, dimension: str, group) -> str:
    if dimension == "office":
        return report.office_names.get(group, str(group))
    if dimension == "project":
        code, name, _donor = report.projects.get(group, (str(group), "", ""))
        return f"{code} {name}".strip()
    if dimension == "sex":
        return str(Sex(group).label)
    if dimension == "age_band":
        return str(group)
    if dimension == "month":
        return format_date(month_bounds(group)[0], "MMM yyyy")
    return _("All")


def group_code(report: Report, dimension: str, group) -> str:
    """A group as written in exports: office name, project code, F/M, age band, yyyy-mm."""
    if dimension == "office":
        return report.office_names.get(group, str(group))
    if dimension == "project":
        return report.projects.get(group, (str(group),))[0]
    if dimension == "month":
        return f"{group // 100:04d}-{group % 100:02d}"
    return "" if group is None else str(group)


def period_phrase(start: date, end: date) -> str:
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31):
        years = str(start.year) if start.year == end.year else f"{start.year}–{end.year}"
        return _("In %(years)s", years=years)
    return _("From %(start)s to %(end)s", start=format_date(start, "long"), end=format_date(end, "long"))


def scope_phrase(report: Report, *, project: bool = True) -> str:
    filters = report.filters
    parts = []
    if project and filters.project_id is not None:
        parts.append(_("project %(project)s", project=group_label(report, "project", filters.project_id)))
    if filters.office_id is not None:
        parts.append(_("%(office)s field office", office=report.office_names.get(filters.office_id, "?")))
    if filters.sex:
        parts.append(_("women") if filters.sex == Sex.FEMALE else _("men"))
    if filters.age_band:
        parts.append(_("aged %(band)s at return", band=AgeBand(filters.age_band).value))
    if filters.vulnerability:
        parts.append(_("vulnerability: %(name)s", name=Vulnerability(filters.vulnerability).label))
    return "; ".join(parts)


def _persons(value: int | str) -> str:
    if value == SMALL:
        return _("fewer than 5 persons")
    if value == WITHHELD:
        return _("a withheld number of persons")
    return ngettext("%(count)s person", "%(count)s persons", value, count=format_decimal(value))


def _number(value: int | str) -> str:
    if value == SMALL:
        return _("fewer than 5")
    if value == WITHHELD:
        return _("a withheld number")
    return format_decimal(value)


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _money_list(amounts: dict[str, Decimal] | None) -> str:
    if not amounts:
        return ""
    return ", ".join(f"{format_decimal(amount, format='#,##0.00')} {currency}"
                     for currency, amount in sorted(amounts.items()))


def donor_paragraph(shown: PresentedReport) -> str:
    """The figures as a paragraph in the style of a donor report, ready to paste."""
    report = shown.report
    sentences = []
    scope = scope_phrase(report, project=False)  # the project has a sentence of its own
    if report.filters.project_id is not None and report.filters.project_id in report.projects:
        code, name, donor = report.projects[report.filters.project_id]
        if donor:
            sentences.append(_("Project %(code)s, %(name)s, funded by %(donor)s.", code=code, name=name, donor=donor))
        else:
            sentences.append(_("Project %(code)s, %(name)s.", code=code, name=name))
    if scope:
        sentences.append(_("Figures for: %(scope)s.", scope=scope))
    sentences.append(_("%(period)s the programme assisted %(persons)s to return.",
                       period=period_phrase(report.filters.date_from, report.filters.date_to),
                       persons=_persons(shown.total(RETURNED))))
    sentences.append(_("%(persons)s received assistance in the period (%(events)s assistance events).",
                       persons=_persons(shown.total(ASSISTED)), events=_number(shown.total(EVENTS))))
    for assistance_type in report.types:
        if report.total(EVENTS, assistance_type.code) == 0:
            continue
        money = _money_list(shown.amounts(assistance_type.code))
        details = _("%(events)s in all", events=_number(shown.total(EVENTS, assistance_type.code)))
        if money:
            details = _("%(details)s; %(money)s", details=details, money=money)
        sentences.append(_("%(persons)s received %(type)s (%(details)s).",
                           persons=_persons(shown.total(PERSONS, assistance_type.code)),
                           type=_lower_first(assistance_type.label), details=details))
    for figures in shown.funnels():
        if figures.funnel.counselled == 0:
            continue
        share = _(" (%(share)s%%)", share=format_decimal(figures.share)) if figures.share is not None else ""
        sentences.append(_("Of the %(counselled)s who received %(counselling)s, %(converted)s%(share)s then "
                           "received %(grant)s.",
                           counselled=_persons(figures.counselled),
                           counselling=_lower_first(figures.funnel.counselling.label),
                           converted=_number(figures.converted), share=share,
                           grant=_lower_first(figures.funnel.grant.label)))
    return " ".join(_capitalise(sentence) for sentence in sentences)


def _capitalise(sentence: str) -> str:
    """The first letter in upper case, where the script has cases: Georgian has none in running text
    (Python would turn მ into the display capital Მ, which no one writes at the start of a sentence)."""
    first = sentence[:1]
    if "\u10a0" <= first <= "\u10ff" or "\u1c90" <= first <= "\u1cbf":
        return sentence
    return first.upper() + sentence[1:]


def month_chart(shown: PresentedReport) -> ColumnChart:
    """Persons returned and assisted per month, as shown (a withheld figure gets no bar)."""
    months = shown.report.groups["month"]
    return column_chart(
        [group_label(shown.report, "month", month) for month in months],
        [Series(_("returned (by return date)"), "bar-returned", [shown.cell("month", m, RETURNED) for m in months]),
         Series(_("assisted (by date of assistance)"), "bar-assisted",
                [shown.cell("month", m, ASSISTED) for m in months])],
        bar_width=22, gap=22)
