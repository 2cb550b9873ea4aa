from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from caseapp.assistance.models import AssistanceStatus, Currency
from caseapp.audit.models import AuditAction
from caseapp.audit.reads import record_export, record_read
from caseapp.auth.policies import (
    can_view_reports,
    office_scope,
    require,
    sees_personal_data,
)
from caseapp.extensions import db
from caseapp.language import local_name
from caseapp.links import QueryLinks, query_string
from caseapp.offices.models import FieldOffice
from caseapp.pagination import paginate, requested_page
from caseapp.projects.models import Project
from caseapp.reports.counting import (
    DELIVERED,
    DIMENSIONS,
    EVENTS,
    FUNNELS,
    PERSONS,
    PIPELINE,
    AgeBand,
    ReportFilters,
    UnknownFigure,
    amounts_of,
    build_report,
    records_behind,
    records_listed,
    returnees_listed,
    type_by_code,
)
from caseapp.reports.cycle import PresentedCycle, build_cycle
from caseapp.reports.output import figure_rows, report_csv, report_xlsx
from caseapp.reports.presentation import (
    PresentedReport,
    dimension_title,
    month_chart,
    scope_phrase,
)
from caseapp.returnees.models import Sex, Vulnerability
from caseapp.spreadsheets import download

bp = Blueprint("reports", __name__, url_prefix="/reports")

DRILL_PAGE_SIZE = 50


def filters_from_request(user) -> tuple[ReportFilters, list]:
    """The report filters of the query string (ReportFilters.from_args), scoped to what the user may count."""
    filters, errors = ReportFilters.from_args(request.args)
    return filters.scoped_to(user), errors


def _office_choices(user) -> list[tuple[int, str]]:
    query = select(FieldOffice.id, FieldOffice.label).order_by(FieldOffice.label)
    scope = office_scope(user)
    if scope is not None:
        query = query.where(FieldOffice.id == scope)
    return [tuple(row) for row in db.session.execute(query)]


def _project_choices() -> list[tuple[int, str]]:
    """Every project (projects are not an office's records), by code."""
    rows = db.session.execute(select(Project.id, Project.code, Project.name, Project.name_ka).order_by(Project.code))
    return [(id_, f"{code} {local_name(name, name_ka)}") for id_, code, name, name_ka in rows]


def _shared() -> bool:
    return request.args.get("shared") == "1"


def drill_links(filters: ReportFilters) -> Callable[..., str]:
    """`drill_url(dimension, group, measure, type_code=None, **extra)`: the link behind one figure of the
    report, the drill-down of its cell (`filters` narrowed to the cell's group), exactly as
    `url_for("reports.drilldown", **narrowed.query_args(), measure=measure, **extra, type=type_code)`
    gives it. The report has ~450 of them: the path comes from one url_for, each group's filters are
    encoded once and each measure's part once (caseapp/links.py)."""
    links = QueryLinks("reports.drilldown")
    groups: dict = {}  # (dimension, group) -> (encoded filters, their names)
    tails: dict = {}  # (measure, type, extras) -> encoded

    def drill_url(dimension, group, measure, type_code=None, **extra) -> str:
        narrowed = groups.get((dimension, group))
        if narrowed is None:
            args = filters.narrowed(dimension, group).query_args()
            narrowed = groups[dimension, group] = (query_string(args), args.keys())
        tail_key = (measure, type_code, *extra.items())
        tail = tails.get(tail_key)
        if tail is None:
            tail_args = {"measure": measure, **extra, **({"type": type_code} if type_code else {})}
            if not narrowed[1].isdisjoint(tail_args):  # a name twice: let url_for merge them as it does
                return url_for("reports.drilldown", **{**filters.narrowed(dimension, group).query_args(),
                                                       "measure": measure, **extra,
                                                       **({"type": type_code} if type_code else {})})
            tail = tails[tail_key] = query_string(tail_args)
        return links(narrowed[0], tail)

    return drill_url


def cycle_links(filters: ReportFilters) -> Callable[..., str]:
    """`cycle_url(measure, unit, partner_id=None)`: `url_for("cycle_reports.drilldown", measure=measure,
    unit=unit, partner=partner_id, **filters.query_args())` for the figures of the reintegration cycle."""
    links = QueryLinks("cycle_reports.drilldown")
    encoded_filters = query_string(filters.query_args())

    def cycle_url(measure, unit, partner_id=None) -> str:
        return links({"measure": measure, "unit": unit, "partner": partner_id}, encoded_filters)

    return cycle_url


@bp.get("/")
@require(can_view_reports)
def index():
    filters, errors = filters_from_request(current_user)
    shown = PresentedReport(build_report(filters), shared=_shared())
    report = shown.report

    def export_url(file_format):
        return url_for("reports.export", file_format=file_format, **filters.query_args(),
                       **({"shared": "1"} if shown.shared else {}))

    type_persons = [shown.total(PERSONS, assistance_type.code) for assistance_type in report.types]
    return render_template(
        "reports/index.html", shown=shown, report=report, filters=filters, errors=errors,
        offices=_office_choices(current_user), projects=_project_choices(), sex_choices=Sex.choices(),
        age_choices=[(band.value, band.value) for band in AgeBand], vulnerability_choices=Vulnerability.choices(),
        dimensions=DIMENSIONS, dimension_title=dimension_title, scope=scope_phrase(report),
        drill=sees_personal_data(current_user) and not shown.shared, pipeline_statuses=PIPELINE,
        drill_url=drill_links(filters), cycle_url=cycle_links(filters), export_url=export_url,
        month_chart=month_chart(shown),
        max_type_persons=max([v for v in type_persons if isinstance(v, int)] + [0]),
        breakdown_types=[assistance_type for assistance_type in report.types if report.total(EVENTS, assistance_type.code)],
        cycle=PresentedCycle(build_cycle(filters), shared=shown.shared),
    )


@bp.get("/export.<any(csv, xlsx):file_format>")
@require(can_view_reports)
def export(file_format: str):
    filters, errors = filters_from_request(current_user)
    if errors:
        abort(400)
    shown = PresentedReport(build_report(filters), shared=_shared())
    name = f"report_{filters.date_from.isoformat()}_{filters.date_to.isoformat()}{'_shared' if shown.shared else ''}"
    content = report_csv(shown) if file_format == "csv" else report_xlsx(shown)
    office = db.session.get(FieldOffice, filters.office_id) if filters.office_id else None
    record_export(current_user, f"{name}.{file_format}", rows=len(figure_rows(shown)),
                  offices=[office.label] if office else None, details={"report_filters": filters.query_args()})
    return download(content, f"{name}.{file_format}")


@bp.get("/drilldown")
@require(can_view_reports)
@require(sees_personal_data)
def drilldown():
    """The returnees (or records) behind one figure of the report: as many as the figure says."""
    filters, errors = filters_from_request(current_user)
    args = request.args
    measure = args.get("measure", "")
    # one type (a report figure), or several (an indicator that counts several types)
    type_codes = tuple(dict.fromkeys(code for code in args.getlist("type") if code))
    type_code = type_codes[0] if len(type_codes) == 1 else None
    several = type_codes if len(type_codes) > 1 else ()
    status = args.get("status", AssistanceStatus.DELIVERED.value)
    statuses = {s.value: (s,) for s in (*DELIVERED, *PIPELINE)}.get(status)
    funnel = args.get("funnel") or None
    if errors or statuses is None or (funnel and funnel not in {f[0] for f in FUNNELS}):
        abort(400)
    page_number, per_page = requested_page(args, per_page=DRILL_PAGE_SIZE)
    try:
        assistance_types = [type_by_code(code) for code in type_codes]
        if measure == EVENTS:
            currency = args.get("currency") or None
            if currency is not None and currency not in set(Currency):
                abort(400)
            figure = {"type_code": type_code, "type_codes": several, "statuses": statuses, "currency": currency}
            rows, page = paginate(records_listed(filters, **figure), page_number, per_page, rows=True)
            sums = amounts_of(records_behind(filters, **figure))
            returnees = None
        else:
            listed = returnees_listed(current_user, filters, measure, type_code=type_code, type_codes=several,
                                      statuses=statuses, funnel=funnel)
            returnees, page = paginate(listed, page_number, per_page, rows=True)
            rows, sums, currency = None, None, None
    except UnknownFigure:
        abort(400)
    report_args = filters.query_args()
    figure = {"measure": measure, "type": type_code, "status": status, "funnel": funnel,
              "currency": currency if measure == EVENTS else None}
    record_read(current_user, AuditAction.DRILLDOWN, entity_type="report_figure", label=measure,
                office_id=filters.office_id, details={
                    "figure": {key: value for key, value in figure.items() if value},
                    "report_filters": report_args,
                    ("found" if measure == EVENTS else "people"): page.total})
    return render_template(
        "reports/drilldown.html", filters=filters, measure=measure, assistance_types=assistance_types, status=status, funnel=funnel,
        currency=currency, total=page.total, returnees=returnees, records=rows, sums=sums,
        page=page, args=args.to_dict(), report_args=report_args,
        office_name=db.session.get(FieldOffice, filters.office_id).label if filters.office_id else None,
        project=db.session.get(Project, filters.project_id) if filters.project_id else None,
        status_label=AssistanceStatus(status).label,
        vulnerability_label=Vulnerability(filters.vulnerability).label if filters.vulnerability else "",
    )
