"""The drill-down of the cycle figures of the report (/reports/cycle): the persons, referrals or visits
behind one figure, counted by reports/cycle.py with the same conditions."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from caseapp.audit.models import AuditAction
from caseapp.audit.reads import record_read
from caseapp.auth.policies import can_view_reports, require, sees_personal_data
from caseapp.extensions import db
from caseapp.inputs import db_int
from caseapp.offices.models import FieldOffice
from caseapp.pagination import paginate, requested_page
from caseapp.referrals.models import Partner
from caseapp.reports.counting import ReportFilters
from caseapp.reports.cycle import EVENTS, MEASURES, PERSONS, UnknownCycleFigure, events_behind, returnee_ids_behind
from caseapp.returnees.models import Returnee
from caseapp.returnees.queries import scoped_returnees

bp = Blueprint("cycle_reports", __name__, url_prefix="/reports/cycle")


@bp.get("/drilldown")
@require(can_view_reports)
@require(sees_personal_data)
def drilldown():
    filters, errors = ReportFilters.from_args(request.args)
    filters = filters.scoped_to(current_user)
    measure = request.args.get("measure", "")
    unit = request.args.get("unit", PERSONS)
    partner_id = request.args.get("partner", type=db_int)
    if errors or measure not in MEASURES or unit not in (PERSONS, EVENTS):
        abort(400)
    page_number, per_page = requested_page(request.args, per_page=50)
    try:
        if unit == EVENTS:
            rows, page = paginate(
                events_behind(filters, measure, partner_id=partner_id), page_number, per_page, rows=True
            )
        else:
            ids = returnee_ids_behind(filters, measure, partner_id=partner_id)
            listed = (
                scoped_returnees(current_user)
                .where(Returnee.id.in_(ids))
                .order_by(Returnee.last_name, Returnee.first_name, Returnee.id)
            )
            rows, page = paginate(listed, page_number, per_page)
    except UnknownCycleFigure:
        abort(400)
    report_args = filters.query_args()
    figure = {"measure": measure, "unit": unit, "partner": partner_id}
    record_read(
        current_user,
        AuditAction.DRILLDOWN,
        entity_type="report_figure",
        label=measure,
        office_id=filters.office_id,
        details={
            "figure": {key: value for key, value in figure.items() if value},
            "report_filters": report_args,
            ("found" if unit == EVENTS else "people"): page.total,
        },
    )
    return render_template(
        "reports/cycle_drilldown.html",
        filters=filters,
        measure=measure,
        unit=unit,
        rows=rows,
        page=page,
        partner=db.session.get(Partner, partner_id) if partner_id else None,
        args=request.args.to_dict(),
        report_args=report_args,
        office_name=db.session.get(FieldOffice, filters.office_id).label if filters.office_id else None,
    )
