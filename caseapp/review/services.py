"""Use cases of the supervisor review: a supervisor reviews a case, the caseworker answers."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from caseapp.audit.models import AuditAction
from caseapp.audit.services import record_change
from caseapp.auth.models import User
from caseapp.auth.policies import (
    can_access_office,
    can_edit_case_data,
    can_manage_cases,
)
from caseapp.cases.models import Case
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.review.models import CaseReview, ReviewOutcome
from caseapp.timeutil import utcnow


def review_case(actor: User, case: Case, outcome: ReviewOutcome, comment: str | None) -> CaseReview:
    """Record a supervisor's review; "needs action" says what to do and waits for the caseworker's answer."""
    if not (can_manage_cases(actor) and can_access_office(actor, case.returnee.field_office_id)):
        raise ValidationFailed({"": _l("Only a supervisor of the returnee's office reviews this case.")})
    case.ensure_open()
    comment = (comment or "").strip()
    if outcome == ReviewOutcome.NEEDS_ACTION and not comment:
        raise ValidationFailed({"comment": _l("Say what needs to be done.")})
    review = CaseReview(case=case, reviewer_id=actor.id, outcome=outcome, comment=comment)
    db.session.add(review)
    db.session.flush()
    record_change(actor, case, AuditAction.CASE_REVIEW, fields=(), details={"outcome": outcome, "review_id": review.id},
                  comment=comment or None)
    return review


def answer_review(actor: User, review: CaseReview, answer: str | None) -> CaseReview:
    """The caseworker answers a "needs action" review: it then leaves their home page."""
    if not (can_edit_case_data(actor) and can_access_office(actor, review.case.returnee.field_office_id)):
        raise ValidationFailed({"": _l("Only staff of the returnee's office answer this review.")})
    if not review.awaits_answer:
        raise ValidationFailed({"": _l("This review does not wait for an answer.")})
    answer = (answer or "").strip()
    if not answer:
        raise ValidationFailed({"answer": _l("Write what was done.")})
    review.answer = answer
    review.answered_at = utcnow()
    review.answered_by_id = actor.id
    record_change(actor, review.case, AuditAction.CASE_REVIEW_ANSWER, fields=(), details={"review_id": review.id},
                  comment=answer)
    return review
