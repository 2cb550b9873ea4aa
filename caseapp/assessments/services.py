"""Record an intake assessment. The screening's vulnerabilities are the returnee's own (the one source
that the reports count): the assessment changes them on the returnee, in the same change log."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from caseapp.assessments.models import Assessment
from caseapp.audit.models import AuditAction
from caseapp.audit.services import record_change, snapshot
from caseapp.auth.models import User
from caseapp.auth.policies import can_access_office, can_edit_case_data
from caseapp.cases.models import Case
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.questionnaires.definitions import clean_answers
from caseapp.questionnaires.models import QuestionnaireKind, QuestionnaireVersion
from caseapp.returnees.models import ReturneeVulnerability, Vulnerability
from caseapp.timeutil import today


def set_vulnerabilities(actor: User, case: Case, vulnerabilities: set[Vulnerability]) -> None:
    """The screening's answer: the returnee's vulnerabilities become these (logged as a returnee update)."""
    returnee = case.returnee
    if returnee.vulnerabilities == set(vulnerabilities):
        return
    before = snapshot(returnee, ("vulnerabilities",))
    wanted = set(vulnerabilities)
    returnee.vulnerability_rows = [row for row in returnee.vulnerability_rows if row.code in wanted] + [
        ReturneeVulnerability(code=code) for code in sorted(wanted - returnee.vulnerabilities)
    ]
    returnee.updated_by_id = actor.id  # a row of the returnee changes too: its version moves on
    record_change(actor, returnee, AuditAction.RETURNEE_UPDATE, before)


def record_assessment(
    actor: User,
    case: Case,
    questionnaire: QuestionnaireVersion,
    *,
    assessed_on: date | None,
    answers: dict[str, Any],
    vulnerabilities: set[Vulnerability],
) -> Assessment:
    """Record the assessment, signed by `actor`, on this questionnaire version."""
    if not (can_edit_case_data(actor) and can_access_office(actor, case.returnee.field_office_id)):
        raise ValidationFailed({"": _l("Only staff of the returnee's office assess this case.")})
    case.ensure_open()
    if questionnaire.kind != QuestionnaireKind.ASSESSMENT:
        raise ValidationFailed({"": _l("This questionnaire is not an intake assessment.")})
    if assessed_on is None:
        raise ValidationFailed({"taken_on": _l("Required.")})
    if assessed_on > today():
        raise ValidationFailed({"taken_on": _l("This date cannot be in the future.")})
    cleaned, problems = clean_answers(questionnaire.definition, answers)
    if problems:
        raise ValidationFailed({"": _l("Some answers are missing or not among those offered.")})
    set_vulnerabilities(actor, case, vulnerabilities)
    assessment = Assessment(
        case=case,
        questionnaire=questionnaire,
        assessed_on=assessed_on,
        assessed_by_id=actor.id,
        assessed_by_name=actor.display_name,
        answers=cleaned,
    )
    db.session.add(assessment)
    record_change(actor, assessment, AuditAction.ASSESSMENT_CREATE)
    return assessment
