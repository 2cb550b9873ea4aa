"""The returnee's pages (/returnees/...): the list, registration, editing, and the returnee's page with
their case, assistance, reviews and history. The blueprint keeps the name "returnees" (its URLs and
endpoints did not change when the pages moved here)."""
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from caseapp.assessments.queries import case_assessments
from caseapp.assistance.models import AssistanceType
from caseapp.assistance.queries import timeline
from caseapp.audit.models import AuditAction, AuditEntry, is_work_entry
from caseapp.audit.reads import record_read, record_search
from caseapp.auditlog.policies import can_see_file_access
from caseapp.auditlog.queries import file_access
from caseapp.auth.models import User
from caseapp.auth.policies import (
    can_edit_case_data,
    can_reassign_cases,
    office_scope,
    require,
    sees_personal_data,
)
from caseapp.casefile.queries import ReturneeFilters, search_returnees
from caseapp.cases.forms import (
    AssignForm,
    CaseStatusForm,
    FollowUpForm,
    OpenCaseForm,
    ReopenForm,
)
from caseapp.cases.models import CaseStatus
from caseapp.cases.queries import assignable_caseworkers
from caseapp.cases.services import open_new_case
from caseapp.cases.workflow import CASE_TRANSITIONS
from caseapp.consent.forms import RegistrationConsentFields
from caseapp.consent.rules import consent_history, current_consents
from caseapp.consent.services import record_initial_consents
from caseapp.duplicates.queries import merged_ids_of, merges_of, registration_matches
from caseapp.extensions import db
from caseapp.history import describe
from caseapp.inputs import db_int
from caseapp.keyset import requested_cursor
from caseapp.offices.models import FieldOffice
from caseapp.pagination import count_rows, requested_page
from caseapp.plans.queries import plan_of_case
from caseapp.projects.queries import all_projects, unassigned_project
from caseapp.returnees.disclosure import record_duplicate_lookup
from caseapp.returnees.forms import ReturneeForm
from caseapp.returnees.models import Vulnerability
from caseapp.returnees.queries import get_returnee_or_404
from caseapp.returnees.services import (
    DuplicatePersonalNumber,
    PossibleDuplicate,
    ReturneeInput,
    register_returnee,
    update_returnee,
)
from caseapp.review.forms import CaseReviewForm
from caseapp.review.queries import case_reviews
from caseapp.rss.queries import returnee_surveys
from caseapp.submissions import submitted_once
from caseapp.unit_of_work import attempt

bp = Blueprint("returnees", __name__, url_prefix="/returnees")


class RegistrationForm(RegistrationConsentFields, ReturneeForm):
    """Registration asks for the purposes the person consents to; later decisions go through the consent
    page (a withdrawal is a new record, never an edit)."""

#: history entries shown on the returnee page; the heading counts all and a link shows them all
HISTORY_SHOWN = 50


def office_choices(user):
    query = select(FieldOffice).where(FieldOffice.active.is_(True)).order_by(FieldOffice.label)
    scope = office_scope(user)
    if scope is not None:
        query = query.where(FieldOffice.id == scope)
    return [(office.id, office.label) for office in db.session.scalars(query)]


def filters_from_request() -> ReturneeFilters:
    args = request.args
    return ReturneeFilters(
        text=args.get("q", "")[:100],
        office_id=args.get("office", type=db_int),
        case_status=args.get("status", "") if args.get("status") in {*CaseStatus, "none"} else "",
        type_code=args.get("type", "")[:40],
        vulnerability=args.get("vulnerability", "") if args.get("vulnerability") in set(Vulnerability) else "",
        sort=args.get("sort", "name"),
        descending=args.get("dir") == "desc",
        caseworker_id=args.get("caseworker", type=db_int),
    )


@bp.get("/")
@require(sees_personal_data)
def index():
    filters = filters_from_request()
    _page_number, per_page = requested_page(request.args, per_page=current_app.config["PAGE_SIZE"], adjustable=True)
    rows, page = search_returnees(current_user, filters, requested_cursor(request.args), per_page)
    record_search(current_user, "returnees", found=page.total, asked={
        "q": filters.text, "office": filters.office_id, "status": filters.case_status, "type": filters.type_code,
        "vulnerability": filters.vulnerability, "caseworker": filters.caseworker_id,
        "page": page.number if page.number > 1 else None,
    })
    types = db.session.scalars(select(AssistanceType).order_by(AssistanceType.sort_order, AssistanceType.name))
    caseworker = db.session.get(User, filters.caseworker_id) if filters.caseworker_id else None
    if caseworker is not None and office_scope(current_user) not in (None, caseworker.field_office_id):
        caseworker = None  # another office's staff are not named (the list is empty anyway)
    return render_template(
        "returnees/index.html",
        caseworker=caseworker,
        rows=rows,
        page=page,
        filters=filters,
        offices=office_choices(current_user),
        types=list(types),
        statuses=CaseStatus,
        vulnerabilities=Vulnerability,
    )


def _form_input(form: ReturneeForm) -> ReturneeInput:
    return ReturneeInput(
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        sex=form.sex.data,
        date_of_birth=form.date_of_birth.data,
        return_date=form.return_date.data,
        returned_from=form.returned_from.data,
        field_office_id=form.field_office_id.data,
        personal_number=form.personal_number.data,
        phone=form.phone.data,
        vulnerabilities=frozenset(form.vulnerabilities.data or []),
        external_id=form.external_id.data,
        return_project_id=form.return_project_id.data or None,
    )


def _return_project_choices(form: ReturneeForm, returnee=None) -> None:
    """The projects a return may be credited to: the active ones (the rule checks office and period), the
    returnee's own, and Unassigned."""
    projects = [p for p in all_projects() if (p.active and not p.is_unassigned)
                or (returnee is not None and p.id == returnee.return_project_id and not p.is_unassigned)]
    unassigned = unassigned_project()
    form.return_project_id.choices = [(unassigned.id, unassigned.label)] + [(p.id, str(p)) for p in projects]
    if request.method == "GET":
        form.return_project_id.data = returnee.return_project_id if returnee is not None else unassigned.id


def _register(form: ReturneeForm, confirm: bool):
    """Register the person and, when asked, open their first case: one use case of two features."""
    returnee = register_returnee(
        current_user, _form_input(form), confirm_duplicate=confirm, find_matches=registration_matches
    )
    if form.consent_purposes.data:
        record_initial_consents(
            current_user, returnee, form.consent_purposes.data, form.consent_date.data, form.consent_method.data
        )
    if form.open_case.data:
        open_new_case(current_user, returnee)
    return returnee


def _save_returnee(form: ReturneeForm, returnee=None):
    """Run the register/update use case; on a rule broken, put the messages on the form."""
    confirm = form.confirm_duplicate.data == "yes"
    if returnee is None:
        done = attempt(lambda: _register(form, confirm), form=form)
    else:
        done = attempt(lambda: update_returnee(current_user, returnee, _form_input(form),
                                               expected_version=form.version.data, confirm_duplicate=confirm,
                                               find_matches=registration_matches),
                       form=form)
    context = {}
    if isinstance(done.failure, DuplicatePersonalNumber):
        context["existing"] = done.failure.existing  # None when the user may not see that returnee
        context["personal_number_taken"] = True
    elif isinstance(done.failure, PossibleDuplicate):
        # The registration is undone; that other offices' returnees were shown stays on record.
        record_duplicate_lookup(current_user, done.failure.matches)
        context["possible_duplicates"] = done.failure.matches
        context["duplicate_reasons"] = done.failure.reasons
        context["exact_duplicate"] = done.failure.exact
        form.confirm_duplicate.data = "yes"
    elif done.stale is not None:
        context["stale"] = done.stale
    return done.result, context


@bp.route("/new", methods=["GET", "POST"])
@require(can_edit_case_data)
@submitted_once
def create():
    form = RegistrationForm()
    form.field_office_id.choices = office_choices(current_user)
    _return_project_choices(form)
    if request.method == "GET" and current_user.field_office_id:
        form.field_office_id.data = current_user.field_office_id
    context = {}
    if form.validate_on_submit():
        returnee, context = _save_returnee(form)
        if returnee is not None:
            flash(_("%(name)s is registered.", name=returnee.full_name), "success")
            return redirect(url_for("returnees.show", returnee_id=returnee.id))
    return render_template("returnees/form.html", form=form, returnee=None, **context)


@bp.get("/<int:returnee_id>")
@require(sees_personal_data)
def show(returnee_id):
    returnee = get_returnee_or_404(returnee_id, current_user)
    record_read(current_user, AuditAction.RETURNEE_VIEW, returnee)
    case = returnee.current_case
    # the history of the records merged into this one is this person's history too (the change log is never
    # rewritten by a merge)
    history_query = select(AuditEntry).where(
        AuditEntry.returnee_id.in_([returnee.id, *merged_ids_of(returnee.id)]), is_work_entry()
    )
    history_total = count_rows(history_query)
    history = db.session.scalars(history_query.order_by(AuditEntry.id.desc()).limit(
        None if request.args.get("history") == "all" else HISTORY_SHOWN)).all()
    status_form = CaseStatusForm(prefix="case", version=case.version if case else None)
    if case is not None:
        status_form.status.choices = [
            (s.value, s.label) for s in CaseStatus if s in CASE_TRANSITIONS[case.status]
        ]
    assign_form = None
    if case is not None and can_reassign_cases(current_user) and case.change_refusal() is None:
        assign_form = AssignForm(prefix="assign", caseworker_id=case.caseworker_id)
        assign_form.caseworker_id.choices = [
            (u.id, u.display_name) for u in assignable_caseworkers(returnee.field_office_id)
        ]
    return render_template(
        "returnees/show.html",
        returnee=returnee,
        case=case,
        records=timeline(returnee),
        history=describe(history),
        history_total=history_total,
        file_access=file_access(returnee.id) if can_see_file_access(current_user) else None,
        merges=merges_of(returnee),
        status_form=status_form,
        assign_form=assign_form,
        open_case_form=OpenCaseForm(prefix="open"),
        consents=current_consents(returnee),
        consent_history=consent_history(returnee),
        **case_review_context(case),
        plan=plan_of_case(case),
        assessments=case_assessments(case) if case else [],
        surveys=returnee_surveys(returnee),
        types=db.session.scalars(
            select(AssistanceType).where(AssistanceType.active.is_(True)).order_by(AssistanceType.sort_order)
        ).all(),
    )


def case_review_context(case) -> dict:
    """The supervisor-review parts of the case card: reviews, and the forms this user may use."""
    if case is None:
        return {}
    return {
        "reviews": case_reviews(case),
        "review_form": CaseReviewForm(),
        "follow_up_form": FollowUpForm(prefix="follow", follow_up_on=case.follow_up_on, version=case.version),
        "reopen_form": ReopenForm(prefix="reopen", version=case.version),
    }


@bp.route("/<int:returnee_id>/edit", methods=["GET", "POST"])
@require(can_edit_case_data)
@submitted_once
def edit(returnee_id):
    returnee = get_returnee_or_404(returnee_id, current_user)
    if returnee.anonymised_at is not None:  # personal data are not written back under the retention policy
        flash(_("This record is anonymised: its personal data cannot be edited."), "warning")
        return redirect(url_for("returnees.show", returnee_id=returnee.id))
    form = ReturneeForm(obj=returnee if request.method == "GET" else None)
    if request.method == "GET":
        record_read(current_user, AuditAction.RETURNEE_EDIT_FORM, returnee)
        form.vulnerabilities.data = [v.value for v in returnee.vulnerabilities]
        form.sex.data = returnee.sex.value
    form.field_office_id.choices = office_choices(current_user)
    _return_project_choices(form, returnee)
    del form.open_case
    context = {}
    if form.validate_on_submit():
        saved, context = _save_returnee(form, returnee)
        if saved is not None:
            flash(_("The changes are saved."), "success")
            return redirect(url_for("returnees.show", returnee_id=returnee.id))
    return render_template("returnees/form.html", form=form, returnee=returnee, **context)
