from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from caseapp.assistance.models import AssistanceRecord
from caseapp.audit.reads import record_search
from caseapp.auth.models import User
from caseapp.auth.policies import (
    can_edit_case_data,
    can_reassign_cases,
    has_own_requests,
    has_review_queue,
    office_scope,
    require,
)
from caseapp.cases.models import Case, CaseStatus
from caseapp.cases.queries import assignable_caseworkers, get_case_or_404
from caseapp.cases.services import reassign_cases
from caseapp.extensions import db
from caseapp.inputs import db_int
from caseapp.keyset import keyset_page, requested_cursor
from caseapp.offices.models import FieldOffice
from caseapp.pagination import count_rows
from caseapp.returnees.models import Returnee
from caseapp.review import queries, services
from caseapp.review.forms import CaseReviewForm, ReassignForm, ReviewAnswerForm
from caseapp.review.models import ReviewOutcome
from caseapp.submissions import submitted_once
from caseapp.ui import redirect_to_local
from caseapp.unit_of_work import attempt

bp = Blueprint("review", __name__, url_prefix="/review")

CASES_PER_PAGE = 50
#: requests per page of "My requests"
REQUESTS_PER_PAGE = 50


def _back(default: str):
    return redirect_to_local(request.form.get("next"), default)


@bp.get("/")
@require(has_review_queue)
def queue():
    return render_template("review/queue.html",
                           queue=queries.queue_context(current_user, requested_cursor(request.args)))


@bp.get("/my-requests")
@require(has_own_requests)
def my_requests():
    query = queries.my_requests_query(current_user)
    rows, page = keyset_page(query, (AssistanceRecord.updated_at, AssistanceRecord.id), list_name="my_requests",
                             order_name="updated:desc", cursor=requested_cursor(request.args),
                             per_page=REQUESTS_PER_PAGE, total=count_rows(query), descending=True)
    records = [record for record, in rows]
    return render_template("review/my_requests.html", records=records, page=page)


def _cases_office_id() -> int:
    """The office whose cases are listed: the user's own; an administrator picks one."""
    scope = office_scope(current_user)
    if scope is not None:
        return scope
    office_id = request.values.get("office", type=db_int)
    if office_id is None:
        office_id = db.session.scalar(select(FieldOffice.id).order_by(FieldOffice.name).limit(1))
    return office_id


@bp.get("/cases")
@require(can_reassign_cases)
def cases():
    office_id = _cases_office_id()
    caseworker = request.args.get("caseworker", "")
    caseworker_id = request.args.get("caseworker", type=db_int)
    attention = request.args.get("attention", "")
    query = (
        select(Case).join(Returnee, Returnee.id == Case.returnee_id)
        .where(Returnee.field_office_id == office_id, Case.status != CaseStatus.CLOSED)
    )
    if attention in queries.ATTENTION_KINDS:  # the whole list behind a review-queue heading
        query = query.where(queries.attention_condition(attention))
    else:
        attention = ""
    if caseworker == "none":
        query = query.where(Case.caseworker_id.is_(None))
    elif caseworker_id is not None:
        query = query.where(Case.caseworker_id == caseworker_id)
    rows, page = keyset_page(query, (Returnee.last_name, Returnee.first_name, Case.id), list_name="cases",
                             order_name="name", cursor=requested_cursor(request.args), per_page=CASES_PER_PAGE,
                             total=count_rows(query))
    rows = [case for case, in rows]
    record_search(current_user, "cases", found=page.total, office_id=office_id, asked={
        "office": office_id, "caseworker": caseworker_id if caseworker != "none" else "none",
        "attention": attention, "page": page.number if page.number > 1 else None})
    staff = assignable_caseworkers(office_id)
    form = ReassignForm()
    form.caseworker_id.choices = [(u.id, u.display_name) for u in staff]
    offices = [] if office_scope(current_user) is not None else db.session.execute(
        select(FieldOffice.id, FieldOffice.label).order_by(FieldOffice.label)).all()
    return render_template("review/cases.html", cases=rows, page=page, form=form,
                           staff=staff, caseworker=caseworker, office_id=office_id, offices=offices,
                           attention=attention, attention_titles=queries.attention_titles())


@bp.post("/cases/reassign")
@require(can_reassign_cases)
@submitted_once
def reassign():
    """Bulk reassignment: exactly the selected cases move, or none (a case the user may not see is a 404).
    The first post lists the cases and who gets them; the confirmation page's form sends `confirmed`."""
    office_id = _cases_office_id()
    form = ReassignForm()
    form.caseworker_id.choices = [(u.id, u.display_name) for u in assignable_caseworkers(office_id)]
    case_ids = set(request.form.getlist("case_id", type=db_int))
    back = url_for("review.cases", office=office_id if office_scope(current_user) is None else None)
    if not form.validate_on_submit():
        flash(_("Choose a caseworker of this office."), "danger")
        return redirect(back)
    if not case_ids:
        flash(_("Select the cases to reassign."), "warning")
        return redirect(back)
    selected = db.session.scalars(
        select(Case).join(Returnee, Returnee.id == Case.returnee_id)
        .where(Case.id.in_(case_ids), Returnee.field_office_id == office_id)
    ).all()
    if len(selected) != len(case_ids):
        abort(404)
    caseworker = db.session.get(User, form.caseworker_id.data)
    if form.confirmed.data != "yes":
        return render_template("review/confirm_reassign.html", cases=sorted(
            selected, key=lambda c: (c.returnee.last_name, c.returnee.first_name, c.id)), caseworker=caseworker,
            office_id=office_id if office_scope(current_user) is None else None, back=back)
    attempt(lambda: reassign_cases(current_user, list(selected), caseworker),
            success=lambda moved: _("%(moved)s of %(selected)s selected cases moved to %(name)s.", moved=moved,
                                    selected=len(selected), name=caseworker.display_name))
    return redirect(back)


@bp.post("/cases/<int:case_id>/review")
@require(has_review_queue)
@submitted_once
def review_case(case_id):
    case = get_case_or_404(case_id, current_user)
    form = CaseReviewForm()
    if form.validate_on_submit():
        attempt(lambda: services.review_case(current_user, case, ReviewOutcome(form.outcome.data),
                                             form.comment.data),
                success=_("Your review of the case is recorded."))
    else:
        flash(_("Choose the outcome of the review."), "danger")
    return _back(url_for("returnees.show", returnee_id=case.returnee_id))


@bp.post("/reviews/<int:review_id>/answer")
@require(can_edit_case_data)
@submitted_once
def answer(review_id):
    review = queries.get_review_or_404(review_id, current_user)
    form = ReviewAnswerForm()
    if form.validate_on_submit():
        attempt(lambda: services.answer_review(current_user, review, form.answer.data),
                success=_("Your answer is recorded."))
    return _back(url_for("home.index"))


@bp.app_template_global()
def review_counts():
    return queries.queue_counts_for_request(current_user)
