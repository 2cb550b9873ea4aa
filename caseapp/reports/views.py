from __future__ import annotations

from collections import defaultdict
from datetime import date

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from caseapp.assistance.models import AssistanceRecord, AssistanceStatus, Currency
from caseapp.auth.policies import can_view_reports, office_scope, require, sees_personal_data
from caseapp.exports import download
from caseapp.extensions import db
from caseapp.inputs import db_int
from caseapp.offices.models import FieldOffice
from caseapp.pagination import Page
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
    build_report,
    cents_sum,
    count_of,
    from_cents,
    records_behind,
    returnee_ids_behind,
    type_by_code,
)
from caseapp.reports.output import report_csv, report_xlsx
from caseapp.reports.presentation import PresentedReport, dimension_title, month_chart, scope_phrase
from caseapp.returnees.models import Returnee, Sex, Vulnerability
from caseapp.returnees.queries import scoped_returnees

bp = Blueprint("reports", __name__, url_prefix="/reports")

DRILL_PAGE_SIZE = 50


def _date_arg(name: str, default: date, errors: list[str]) -> date:
    text = request.args.get(name, "").strip()
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(_("%(text)s is not a date (YYYY-MM-DD).", text=text))
        return default


def filters_from_request(user) -> tuple[ReportFilters, list[str]]:
    """The report filters of the query string, scoped to what the user may count. Unknown values are
    dropped; unreadable dates fall back to the current year and are reported."""
    args, errors, today = request.args, [], date.today()
    date_from = _date_arg("from", date(today.year, 1, 1), errors)
    date_to = _date_arg("to", date(today.year, 12, 31), errors)
    if date_from > date_to:
        errors.append(_("The period ends before it starts."))
        date_from, date_to = date(today.year, 1, 1), date(today.year, 12, 31)
    office_id = args.get("office", type=db_int)
    if office_id is not None and db.session.get(FieldOffice, office_id) is None:
        office_id = None
    filters = ReportFilters(
        date_from, date_to,
        office_id=office_id,
        sex=args.get("sex", "") if args.get("sex") in set(Sex) else "",
        age_band=args.get("age", "") if args.get("age") in set(AgeBand) else "",
        vulnerability=args.get("vulnerability", "") if args.get("vulnerability") in set(Vulnerability) else "",
    )
    return filters.scoped_to(user), errors


def _office_choices(user) -> list[tuple[int, str]]:
    query = select(FieldOffice.id, FieldOffice.label).order_by(FieldOffice.label)
    scope = office_scope(user)
    if scope is not None:
        query = query.where(FieldOffice.id == scope)
    return [tuple(row) for row in db.session.execute(query)]


def _shared() -> bool:
    return request.args.get("shared") == "1"


@bp.get("/")
@require(can_view_reports)
def index():
    filters, errors = filters_from_request(current_user)
    shown = PresentedReport(build_report(filters), shared=_shared())
    report = shown.report

    def drill_url(dimension, group, measure, type_code=None, **extra):
        args = {**filters.narrowed(dimension, group).query_args(), "measure": measure, **extra}
        if type_code:
            args["type"] = type_code
        return url_for("reports.drilldown", **args)

    def export_url(file_format):
        return url_for("reports.export", file_format=file_format, **filters.query_args(),
                       **({"shared": "1"} if shown.shared else {}))

    type_persons = [shown.total(PERSONS, kind.code) for kind in report.types]
    return render_template(
        "reports/index.html", shown=shown, report=report, filters=filters, errors=errors,
        offices=_office_choices(current_user), sex_choices=Sex.choices(),
        age_choices=[(band.value, band.value) for band in AgeBand], vulnerability_choices=Vulnerability.choices(),
        dimensions=DIMENSIONS, dimension_title=dimension_title, scope=scope_phrase(report),
        drill=sees_personal_data(current_user) and not shown.shared, pipeline_statuses=PIPELINE,
        drill_url=drill_url, export_url=export_url, month_chart=month_chart(shown),
        max_type_persons=max([v for v in type_persons if isinstance(v, int)] + [0]),
        breakdown_types=[kind for kind in report.types if report.total(EVENTS, kind.code)],
    )


@bp.get("/export.<any(csv, xlsx):file_format>")
@require(can_view_reports)
def export(file_format: str):
    filters, errors = filters_from_request(current_user)
    if errors:
        abort(400)
    shown = PresentedReport(build_report(filters), shared=_shared())
    name = f"report_{filters.date_from.isoformat()}_{filters.date_to.isoformat()}{'_shared' if shown.shared else ''}"
    if file_format == "csv":
        return download(report_csv(shown), f"{name}.csv")
    return download(report_xlsx(shown), f"{name}.xlsx")


@bp.get("/drilldown")
@require(can_view_reports)
@require(sees_personal_data)
def drilldown():
    """The returnees (or records) behind one figure of the report: as many as the figure says."""
    filters, errors = filters_from_request(current_user)
    args = request.args
    measure = args.get("measure", "")
    type_code = args.get("type") or None
    status = args.get("status", AssistanceStatus.DELIVERED.value)
    statuses = {s.value: (s,) for s in (*DELIVERED, *PIPELINE)}.get(status)
    funnel = args.get("funnel") or None
    if errors or statuses is None or (funnel and funnel not in {f[0] for f in FUNNELS}):
        abort(400)
    page_number = max(args.get("page", 1, type=db_int), 1)
    try:
        kind = type_by_code(type_code) if type_code else None
        if measure == EVENTS:
            currency = args.get("currency") or None
            if currency is not None and currency not in set(Currency):
                abort(400)
            records = records_behind(filters, type_code=type_code, statuses=statuses, currency=currency)
            total = count_of(records)
            rows = db.session.execute(
                records.add_columns(Returnee, FieldOffice.label)
                .join(FieldOffice, FieldOffice.id == Returnee.field_office_id)
                .order_by(AssistanceRecord.provided_on, AssistanceRecord.id)
                .limit(DRILL_PAGE_SIZE).offset((page_number - 1) * DRILL_PAGE_SIZE)
            ).all()
            sums = _sums(records)
            returnees = None
        else:
            ids = returnee_ids_behind(filters, measure, type_code=type_code, statuses=statuses, funnel=funnel)
            people = scoped_returnees(current_user).where(Returnee.id.in_(ids))
            total = count_of(people)
            returnees = db.session.execute(
                people.join(FieldOffice, FieldOffice.id == Returnee.field_office_id).add_columns(FieldOffice.label)
                .order_by(Returnee.last_name, Returnee.first_name, Returnee.id)
                .limit(DRILL_PAGE_SIZE).offset((page_number - 1) * DRILL_PAGE_SIZE)
            ).all()
            rows, sums, currency = None, None, None
    except UnknownFigure:
        abort(400)
    report_args = filters.query_args()
    return render_template(
        "reports/drilldown.html", filters=filters, measure=measure, kind=kind, status=status, funnel=funnel,
        currency=currency, total=total, returnees=returnees, records=rows, sums=sums,
        page=Page(page_number, DRILL_PAGE_SIZE, total), args=args.to_dict(), report_args=report_args,
        office_name=db.session.get(FieldOffice, filters.office_id).label if filters.office_id else None,
        status_label=AssistanceStatus(status).label,
        vulnerability_label=Vulnerability(filters.vulnerability).label if filters.vulnerability else "",
    )


def _sums(records) -> dict[str, object]:
    subquery = records.order_by(None).subquery()
    query = (select(subquery.c.currency, cents_sum(subquery.c.amount))
             .where(subquery.c.amount.is_not(None)).group_by(subquery.c.currency))
    sums = defaultdict(int)
    for currency, amount in db.session.execute(query):
        sums[getattr(currency, "value", currency)] = from_cents(amount)
    return dict(sorted(sums.items()))
