"""What waits for whom: the supervisor's review queue, the caseworker's requests and reviews to answer.

Every query is scoped to one office (the user's). "Needs attention" is defined once, in
attention_conditions(), and used both for the lists and for the counts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import abort, current_app, g
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, literal_column, or_, select
from sqlalchemy.orm import selectinload

from caseapp.assistance.budget import budget_overruns
from caseapp.assistance.models import AssistanceRecord, AssistanceStatus, AssistanceType
from caseapp.assistance.services import needs_approval_clause
from caseapp.assistance.workflow import OPEN
from caseapp.audit.models import AuditEntry, is_work_entry
from caseapp.auth.models import User
from caseapp.auth.policies import has_own_requests, has_review_queue, office_scope
from caseapp.cases.models import Case, CaseStatus
from caseapp.cases.queries import get_case_or_404
from caseapp.extensions import db
from caseapp.keyset import keyset_page
from caseapp.pagination import count_rows
from caseapp.plans.models import ReintegrationPlan
from caseapp.projects.models import Project
from caseapp.returnees.models import Returnee
from caseapp.review.models import CaseReview, ReviewOutcome
from caseapp.timeutil import today

#: the kinds of "case needs attention", in the order the queue shows them
ATTENTION_KINDS = ("inactive", "follow_up_due", "plan_missing", "ready_to_close")


def pending_approvals_query(office_id: int):
    """Requests of the office that wait for a supervisor's decision, oldest first."""
    return (
        select(AssistanceRecord)
        .join(Returnee, Returnee.id == AssistanceRecord.returnee_id)
        .join(AssistanceType, AssistanceType.id == AssistanceRecord.type_id)
        .where(Returnee.field_office_id == office_id, AssistanceRecord.status == AssistanceStatus.REQUESTED,
               needs_approval_clause(Returnee.field_office_id))
        .order_by(AssistanceRecord.created_at, AssistanceRecord.id)
    )


def pending_approvals(office_id: int, limit: int = 50, offset: int = 0) -> list[AssistanceRecord]:
    """One page of pending_approvals_query (the caller shows how many there are in all)."""
    query = pending_approvals_query(office_id).options(
        selectinload(AssistanceRecord.returnee), selectinload(AssistanceRecord.recorded_by),
        selectinload(AssistanceRecord.requested_by),
    )
    return list(db.session.scalars(query.limit(limit).offset(offset)))


def attention_conditions(on: date, inactivity_days: int, plan_grace_days: int) -> dict[str, object]:
    """SQL conditions on a not-closed Case, one per kind of "needs attention":

    - inactive: opened more than `inactivity_days` ago and, since then, no assistance dated and no change
      of any kind logged for the returnee (a review counts as activity);
    - follow_up_due: the follow-up date set by the caseworker is today or past;
    - plan_missing: no reintegration plan written, more than `plan_grace_days` after opening;
    - ready_to_close: in monitoring, with delivered assistance and none planned, requested or approved.
    """
    cutoff = on - timedelta(days=inactivity_days)
    cutoff_at = datetime.combine(cutoff, time.min)
    return {
        "inactive": and_(
            Case.opened_on < cutoff,
            ~exists().where(AssistanceRecord.returnee_id == Case.returnee_id,
                            AssistanceRecord.provided_on >= cutoff),
            ~exists().where(AuditEntry.returnee_id == Case.returnee_id, AuditEntry.created_at >= cutoff_at,
                            is_work_entry()),
        ),
        "follow_up_due": Case.follow_up_on <= on,
        "plan_missing": and_(~_has_plan(), Case.opened_on < on - timedelta(days=plan_grace_days)),
        "ready_to_close": and_(
            Case.status == CaseStatus.MONITORING,
            exists().where(AssistanceRecord.case_id == Case.id,
                           AssistanceRecord.status == AssistanceStatus.DELIVERED),
            ~exists().where(AssistanceRecord.case_id == Case.id, AssistanceRecord.status.in_(OPEN)),
        ),
    }


def _has_plan():
    """The case has a reintegration plan that says something: a summary or a goal."""
    return exists().where(
        ReintegrationPlan.case_id == Case.id,
        or_(ReintegrationPlan.summary != "", ReintegrationPlan.goals.any()),
    )


def _conditions():
    config = current_app.config
    return attention_conditions(today(), config["INACTIVITY_DAYS"], config["PLAN_GRACE_DAYS"])


def attention_condition(kind: str):
    """The condition of one kind of "needs attention" (for the full list behind a queue heading)."""
    return _conditions()[kind]


def attention_titles() -> dict[str, str]:
    """The heading of each kind of "needs attention", as the queue and the full lists show it."""
    config = current_app.config
    return {
        "inactive": _l("No activity for %(days)s days", days=config["INACTIVITY_DAYS"]),
        "follow_up_due": _l("Follow-up due"),
        "plan_missing": _l("No plan %(days)s days after opening", days=config["PLAN_GRACE_DAYS"]),
        "ready_to_close": _l("Ready to close (monitoring, all assistance delivered)"),
    }


def _office_cases(office_id: int):
    return (
        select(Case)
        .join(Returnee, Returnee.id == Case.returnee_id)
        .where(Returnee.field_office_id == office_id, Case.status != CaseStatus.CLOSED)
    )


@dataclass
class AttentionList:
    kind: str
    total: int
    cases: list[Case]


def cases_needing_attention(office_id: int, limit: int = 10) -> list[AttentionList]:
    lists = []
    for kind, condition in _conditions().items():
        query = _office_cases(office_id).where(condition)
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
        cases = db.session.scalars(
            query.options(selectinload(Case.returnee), selectinload(Case.caseworker))
            .order_by(Case.opened_on, Case.id).limit(limit)
        ).all()
        lists.append(AttentionList(kind, total, list(cases)))
    return lists


def attention_count(office_id: int) -> int:
    """Distinct cases of the office that need attention for any reason."""
    query = _office_cases(office_id).where(or_(*_conditions().values()))
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def reviews_awaiting_answer_query(user: User):
    """"Needs action" reviews not answered yet, of the cases assigned to this user."""
    return (
        select(CaseReview)
        .join(Case, Case.id == CaseReview.case_id)
        .join(Returnee, Returnee.id == Case.returnee_id)
        .where(Case.caseworker_id == user.id, Returnee.field_office_id == office_scope(user),
               CaseReview.outcome == ReviewOutcome.NEEDS_ACTION, CaseReview.answered_at.is_(None))
        .order_by(CaseReview.reviewed_at, CaseReview.id)
    )


def my_requests_query(user: User):
    """Requests this user recorded or made, still pending or decided (newest first). The office is checked on
    each record's returnee, never used to find the records: `+ 0` keeps SQLite's planner from reading every
    returnee of the office through its office index (the menu's badge counts these on every page)."""
    return (
        select(AssistanceRecord)
        .join(Returnee, Returnee.id == AssistanceRecord.returnee_id)
        .where(Returnee.field_office_id + literal_column("0") == office_scope(user),
               or_(AssistanceRecord.recorded_by_id == user.id, AssistanceRecord.requested_by_id == user.id),
               or_(AssistanceRecord.status.in_([AssistanceStatus.REQUESTED, AssistanceStatus.APPROVED,
                                                AssistanceStatus.REJECTED]),
                   AssistanceRecord.decisions.any()))
        .order_by(AssistanceRecord.updated_at.desc(), AssistanceRecord.id.desc())
    )


@dataclass
class QueueCounts:
    approvals: int = 0
    attention: int = 0
    my_pending: int = 0
    reviews_to_answer: int = 0


def queue_counts(user: User) -> QueueCounts:
    """The waiting items shown in the navigation bar."""
    counts = QueueCounts()
    if has_review_queue(user):
        counts.approvals = count_rows(pending_approvals_query(user.field_office_id))
        counts.attention = attention_count(user.field_office_id)
    if has_own_requests(user):
        counts.my_pending = count_rows(
            my_requests_query(user).where(AssistanceRecord.status == AssistanceStatus.REQUESTED))
        counts.reviews_to_answer = count_rows(reviews_awaiting_answer_query(user))
    return counts


def queue_counts_for_request(user: User) -> QueueCounts:
    """queue_counts(), computed once per request however often the templates ask."""
    if "queue_counts" not in g:
        g.queue_counts = queue_counts(user)
    return g.queue_counts


def case_reviews(case: Case) -> list[CaseReview]:
    return list(db.session.scalars(
        select(CaseReview).where(CaseReview.case_id == case.id).order_by(CaseReview.reviewed_at.desc(), CaseReview.id.desc())
    ))


#: requests shown per page of the review queue (the page says "50 of 61" and pages through the rest)
APPROVALS_PER_PAGE = 50


def queue_context(user, cursor: str | None = None) -> dict:
    """What the review queue shows; also rendered on the supervisor's home page (its first page). The
    requests are paged by keyset (oldest first), counted by the navigation's count."""
    query = pending_approvals_query(user.field_office_id).options(
        selectinload(AssistanceRecord.returnee), selectinload(AssistanceRecord.recorded_by),
        selectinload(AssistanceRecord.requested_by), selectinload(AssistanceRecord.project).selectinload(Project.budgets),
    )
    rows, page = keyset_page(query, (AssistanceRecord.created_at, AssistanceRecord.id), list_name="approvals",
                             order_name="requested", cursor=cursor, per_page=APPROVALS_PER_PAGE,
                             total=queue_counts_for_request(user).approvals)
    approvals = [record for record, in rows]
    return {
        "approvals": approvals,
        "overruns": budget_overruns(approvals),
        "approvals_page": page,
        "attention": cases_needing_attention(user.field_office_id),
        "attention_titles": attention_titles(),
    }


def home_context(user) -> dict:
    """The review parts of the home page: the queue for supervisors, reviews and requests for staff."""
    context = {}
    if has_review_queue(user):
        context["queue"] = queue_context(user)
    if has_own_requests(user):
        context["reviews_to_answer"] = list(db.session.scalars(reviews_awaiting_answer_query(user)))
        context["my_requests"] = list(db.session.scalars(my_requests_query(user).limit(10)))
        context["my_requests_total"] = count_rows(my_requests_query(user))
    return context


def get_review_or_404(review_id: int, user: User) -> CaseReview:
    """Load a review of a case the user may see; anything else is 'not found'."""
    review = db.session.get(CaseReview, review_id)
    if review is None:
        abort(404)
    get_case_or_404(review.case_id, user)  # office scoping
    return review
