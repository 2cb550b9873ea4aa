"""A project's indicators against their targets (who may see reports and projects), and the admin's
indicator form."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from caseapp.assistance.models import AssistanceType
from caseapp.auth.policies import can_view_reports, require, sees_personal_data
from caseapp.enums import Currency
from caseapp.errors import apply_errors
from caseapp.extensions import db
from caseapp.forms import amount_for_input, parse_typed_amount
from caseapp.indicators import services
from caseapp.indicators.forms import SPARE_TARGET_ROWS, IndicatorForm
from caseapp.indicators.models import Indicator, IndicatorMeasure
from caseapp.indicators.rules import AGE_BANDS, IndicatorInput, TargetInput, parse_target
from caseapp.offices.models import FieldOffice
from caseapp.projects.policies import can_manage_projects, can_view_projects
from caseapp.projects.queries import get_project_or_404
from caseapp.reports.counting import ReportFilters
from caseapp.reports.indicators import indicator_figures, period_label, project_indicators, target_chart
from caseapp.returnees.models import Sex, Vulnerability
from caseapp.submissions import submitted_once
from caseapp.unit_of_work import attempt

bp = Blueprint("indicators", __name__, url_prefix="/projects/<int:project_id>/indicators")


def _may_view(user) -> bool:
    return can_view_reports(user) and can_view_projects(user)


@bp.get("/")
@require(_may_view)
def index(project_id: int):
    project = get_project_or_404(project_id)
    filters, errors = ReportFilters.from_args(request.args)
    ranged = bool(request.args.get("from") or request.args.get("to")) and not errors
    figures = [indicator_figures(indicator, current_user, date_from=filters.date_from if ranged else None,
                                 date_to=filters.date_to if ranged else None)
               for indicator in project_indicators(project)]  # fmt: skip
    return render_template(
        "indicators/index.html", project=project, figures=figures, errors=errors, filters=filters, ranged=ranged,
        charts={f.indicator.id: target_chart(f) for f in figures if f.periods}, period_label=period_label,
        drill=sees_personal_data(current_user), manage=can_manage_projects(current_user),
    )  # fmt: skip


def _choices(form: IndicatorForm) -> None:
    form.measure.choices = IndicatorMeasure.choices()
    form.currency.choices = [("", "—"), *Currency.choices()]
    types = db.session.scalars(select(AssistanceType).order_by(AssistanceType.sort_order, AssistanceType.name))
    form.type_ids.choices = [(t.id, t.label) for t in types]
    form.sex.choices = [("", _("All")), *Sex.choices()]
    form.age_band.choices = [("", _("All")), *[(band, band) for band in AGE_BANDS]]
    form.vulnerability.choices = [("", _("Any")), *Vulnerability.choices()]
    offices = db.session.execute(select(FieldOffice.id, FieldOffice.label).order_by(FieldOffice.label))
    form.office_id.choices = [("", _("All offices")), *[(str(id_), label) for id_, label in offices]]


def _form_input(form: IndicatorForm) -> IndicatorInput | None:
    targets, problems = [], {}
    for row in form.targets:
        start, end, text = row.period_start.data, row.period_end.data, (row.target.data or "").strip()
        if start is None and end is None and not text:
            continue
        if start is None or end is None or not text:
            problems["targets"] = _("A target needs its period (from, to) and a number.")
            continue
        try:
            targets.append(TargetInput(start, end, parse_target(parse_typed_amount(text))))
        except ValueError as problem:
            problems["targets"] = str(problem)
    if problems:
        apply_errors(form, problems)
        return None
    return IndicatorInput(
        name=form.name.data or "", name_ka=form.name_ka.data or "", measure=IndicatorMeasure(form.measure.data),
        currency=Currency(form.currency.data) if form.currency.data else None,
        type_ids=list(form.type_ids.data or []), sex=form.sex.data or "", age_band=form.age_band.data or "",
        vulnerability=form.vulnerability.data or "",
        office_id=int(form.office_id.data) if form.office_id.data else None, targets=targets,
    )  # fmt: skip


def _get_indicator_or_404(project_id: int, indicator_id: int) -> Indicator:
    indicator = db.session.get(Indicator, indicator_id)
    if indicator is None or indicator.project_id != project_id:
        abort(404)
    return indicator


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:indicator_id>/edit", methods=["GET", "POST"])
@require(can_manage_projects)
@submitted_once
def edit(project_id: int, indicator_id: int | None = None):
    project = get_project_or_404(project_id)
    indicator = _get_indicator_or_404(project_id, indicator_id) if indicator_id else None
    form = IndicatorForm(obj=indicator if request.method == "GET" else None)
    _choices(form)
    if request.method == "GET" and indicator is not None:
        form.measure.data = indicator.measure.value
        form.currency.data = indicator.currency.value if indicator.currency else ""
        form.type_ids.data = [t.id for t in indicator.assistance_types]
        form.office_id.data = str(indicator.office_id) if indicator.office_id else ""
        while len(form.targets) < len(indicator.targets) + SPARE_TARGET_ROWS:
            form.targets.append_entry()
        for row, target in zip(form.targets, indicator.targets):
            row.period_start.data, row.period_end.data = target.period_start, target.period_end
            row.target.data = (
                amount_for_input(target.target)
                if indicator.measure == IndicatorMeasure.AMOUNT
                else str(int(target.target))
            )
    stale = None
    if form.validate_on_submit():
        values = _form_input(form)
        if values is not None:
            if indicator is None:
                done = attempt(lambda: services.create_indicator(current_user, project, values), form=form)
            else:
                done = attempt(lambda: services.update_indicator(current_user, indicator, values,
                                                                 expected_version=form.version.data), form=form)  # fmt: skip
            if done.saved:
                flash(_("The indicator is saved."), "success")
                return redirect(url_for("indicators.index", project_id=project.id))
            stale = done.stale
    return render_template("indicators/form.html", form=form, project=project, indicator=indicator, stale=stale)


@bp.post("/<int:indicator_id>/delete")
@require(can_manage_projects)
@submitted_once
def delete(project_id: int, indicator_id: int):
    indicator = _get_indicator_or_404(project_id, indicator_id)
    if attempt(lambda: services.delete_indicator(current_user, indicator)).saved:
        flash(_("The indicator is removed."), "success")
    return redirect(url_for("indicators.index", project_id=project_id))
