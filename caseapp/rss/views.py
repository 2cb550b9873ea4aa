"""The survey pages (record one, read one) and the RSS report (page and files)."""

from datetime import date

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectField

from caseapp.audit.models import AuditAction
from caseapp.audit.reads import record_export, record_read
from caseapp.auth.policies import can_edit_case_data, can_view_reports, office_scope, require, sees_personal_data
from caseapp.cases.queries import get_case_or_404
from caseapp.extensions import db
from caseapp.inputs import db_int
from caseapp.language import current_language
from caseapp.offices.models import FieldOffice
from caseapp.projects.models import Project
from caseapp.projects.queries import all_projects
from caseapp.questionnaires.definitions import answer_label, localized, sections
from caseapp.questionnaires.forms import check_answers, questionnaire_form
from caseapp.questionnaires.models import QuestionnaireKind
from caseapp.questionnaires.queries import current_version
from caseapp.rss import services
from caseapp.rss.models import SurveyRound
from caseapp.rss.output import report_csv, report_xlsx
from caseapp.rss.queries import get_survey_or_404
from caseapp.rss.report import MEASURES, RssFilters, build_rss_report, report_rows, shown_count
from caseapp.spreadsheets import download
from caseapp.submissions import submitted_once
from caseapp.timeutil import today
from caseapp.unit_of_work import attempt

bp = Blueprint("rss", __name__)


@bp.route("/returnees/cases/<int:case_id>/surveys/new", methods=["GET", "POST"])
@require(can_edit_case_data)
@submitted_once
def new_survey(case_id):
    case = get_case_or_404(case_id, current_user)
    questionnaire = current_version(QuestionnaireKind.RSS)
    if questionnaire is None:
        abort(404)
    wanted = request.args.get("round")
    form = questionnaire_form(
        questionnaire.definition,
        date_label=_("Date of the survey"),
        extra={"survey_round": SelectField(_("Round"), choices=SurveyRound.choices())},
    )
    if request.method == "GET":
        record_read(
            current_user,
            AuditAction.RECORD_VIEW,
            case,
            entity_type="rss_survey_form",
            office_id=case.returnee.field_office_id,
        )
        form.taken_on.data = today()
        form.survey_round.data = wanted if wanted in set(SurveyRound) else SurveyRound.BASELINE.value
    if form.validate_on_submit():
        answers = check_answers(form, questionnaire.definition)
        if answers is not None:
            done = attempt(
                lambda: services.record_survey(
                    current_user,
                    case,
                    questionnaire,
                    survey_round=SurveyRound(form.survey_round.data),
                    surveyed_on=form.taken_on.data,
                    answers=answers,
                ),
                form=form,
                success=lambda survey: _(
                    "The survey is saved: composite score %(score)s.",
                    score=survey.composite_score if survey.composite_score is not None else "—",
                ),
            )
            if done.saved:
                return redirect(url_for("returnees.show", returnee_id=case.returnee_id) + "#rss")
    return render_template(
        "rss/form.html",
        case=case,
        form=form,
        questionnaire=questionnaire,
        sections=sections(questionnaire.definition),
        localized=localized,
        language=current_language(),
    )


@bp.get("/rss/surveys/<int:survey_id>")
@require(sees_personal_data)
def show_survey(survey_id):
    survey = get_survey_or_404(survey_id, current_user)
    record_read(current_user, AuditAction.RECORD_VIEW, survey, office_id=survey.returnee.field_office_id)
    return render_template(
        "rss/show.html",
        survey=survey,
        sections=sections(survey.questionnaire.definition),
        localized=localized,
        answer_label=answer_label,
        language=current_language(),
    )


def _filters() -> tuple[RssFilters, list[str]]:
    errors = []

    def day(name: str, default: date) -> date:
        text = request.args.get(name, "")
        if not text:
            return default
        try:
            return date.fromisoformat(text)
        except ValueError:
            errors.append(_("Dates are written YYYY-MM-DD."))
            return default

    now = today()
    date_from, date_to = day("from", date(now.year - 2, 1, 1)), day("to", now)
    if date_from > date_to:
        errors.append(_("The period ends before it starts."))
        date_from, date_to = date_to, date_from
    office_id = request.args.get("office", type=db_int)
    scope = office_scope(current_user)
    if scope is not None:
        office_id = scope
    elif office_id is not None and db.session.get(FieldOffice, office_id) is None:
        office_id = None
    project_id = request.args.get("project", type=db_int)
    if project_id is not None and db.session.get(Project, project_id) is None:
        project_id = None
    return RssFilters(date_from, date_to, office_id=office_id, project_id=project_id), errors


def _shared() -> bool:
    # Managers see figures to pass on: their report is the shared one
    return request.args.get("shared") == "1" or not sees_personal_data(current_user)


def _labels() -> dict:
    return {"referred_label": _("Referred"), "not_referred_label": _("Not referred")}


@bp.get("/reports/rss/")
@require(can_view_reports)
def report():
    filters, errors = _filters()
    shared = _shared()
    built = build_rss_report(filters, **_labels())
    offices = db.session.execute(select(FieldOffice.id, FieldOffice.label).order_by(FieldOffice.label)).all()
    scope = office_scope(current_user)
    args = {"from": filters.date_from.isoformat(), "to": filters.date_to.isoformat()}
    if filters.office_id is not None:
        args["office"] = filters.office_id
    if filters.project_id is not None:
        args["project"] = filters.project_id
    if shared:
        args["shared"] = "1"
    return render_template(
        "rss/report.html",
        report=built,
        rows=report_rows(built, shared),
        shared=shared,
        filters=filters,
        errors=errors,
        measures=MEASURES,
        surveyed=shown_count(built.surveyed, shared),
        args=args,
        offices=[o for o in offices if scope is None or o.id == scope],
        projects=all_projects(),
    )


@bp.get("/reports/rss/export.<any(csv, xlsx):file_format>")
@require(can_view_reports)
def export(file_format: str):
    filters, errors = _filters()
    if errors:
        abort(400)
    shared = _shared()
    built = build_rss_report(filters, **_labels())
    name = f"rss_{filters.date_from.isoformat()}_{filters.date_to.isoformat()}{'_shared' if shared else ''}"
    content = report_csv(built, shared=shared) if file_format == "csv" else report_xlsx(built, shared=shared)
    office = db.session.get(FieldOffice, filters.office_id) if filters.office_id else None
    asked = {"from": filters.date_from.isoformat(), "to": filters.date_to.isoformat(), "shared": shared}
    if office is not None:
        asked["office"] = office.id
    if filters.project_id is not None:
        asked["project"] = filters.project_id
    record_export(
        current_user,
        f"{name}.{file_format}",
        rows=len(report_rows(built, shared)),
        offices=[office.label] if office else None,
        details={"report_filters": asked},
    )
    return download(content, f"{name}.{file_format}")
