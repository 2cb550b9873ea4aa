"""The assessment pages: record one (screening first, then needs and skills per dimension), read one."""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from caseapp.assessments import services
from caseapp.assessments.queries import get_assessment_or_404
from caseapp.audit.models import AuditAction
from caseapp.audit.reads import record_read
from caseapp.auth.policies import can_edit_case_data, require, sees_personal_data
from caseapp.cases.queries import get_case_or_404
from caseapp.forms import MultiCheckboxField
from caseapp.language import current_language
from caseapp.questionnaires.definitions import answer_label, localized, sections
from caseapp.questionnaires.forms import check_answers, questionnaire_form
from caseapp.questionnaires.models import QuestionnaireKind
from caseapp.questionnaires.queries import current_version
from caseapp.returnees.models import Vulnerability
from caseapp.submissions import submitted_once
from caseapp.timeutil import today
from caseapp.unit_of_work import attempt

bp = Blueprint("assessments", __name__)


@bp.route("/returnees/cases/<int:case_id>/assessments/new", methods=["GET", "POST"])
@require(can_edit_case_data)
@submitted_once
def new(case_id):
    case = get_case_or_404(case_id, current_user)
    questionnaire = current_version(QuestionnaireKind.ASSESSMENT)
    if questionnaire is None:
        abort(404)
    form = questionnaire_form(
        questionnaire.definition,
        date_label=_("Date of the assessment"),
        extra={
            "vulnerabilities": MultiCheckboxField(
                _("Vulnerabilities"),
                choices=Vulnerability.choices(),
                description=_("The returnee's vulnerabilities: what is ticked here is what the reports count."),
            )
        },
    )
    if request.method == "GET":
        record_read(
            current_user,
            AuditAction.RECORD_VIEW,
            case,
            entity_type="assessment_form",
            office_id=case.returnee.field_office_id,
        )
        form.taken_on.data = today()
        form.vulnerabilities.data = [v.value for v in case.returnee.vulnerabilities]
    if form.validate_on_submit():
        answers = check_answers(form, questionnaire.definition)
        if answers is not None:
            done = attempt(
                lambda: services.record_assessment(
                    current_user,
                    case,
                    questionnaire,
                    assessed_on=form.taken_on.data,
                    answers=answers,
                    vulnerabilities={Vulnerability(v) for v in form.vulnerabilities.data or []},
                ),
                form=form,
                success=_("The assessment is saved."),
            )
            if done.saved:
                return redirect(url_for("assessments.show", assessment_id=done.result.id))
    return render_template(
        "assessments/form.html",
        case=case,
        form=form,
        questionnaire=questionnaire,
        sections=sections(questionnaire.definition),
        localized=localized,
        language=current_language(),
    )


@bp.get("/assessments/<int:assessment_id>")
@require(sees_personal_data)
def show(assessment_id):
    assessment = get_assessment_or_404(assessment_id, current_user)
    record_read(current_user, AuditAction.RECORD_VIEW, assessment, office_id=assessment.case.returnee.field_office_id)
    return render_template(
        "assessments/show.html",
        assessment=assessment,
        sections=sections(assessment.questionnaire.definition),
        localized=localized,
        answer_label=answer_label,
        language=current_language(),
    )
