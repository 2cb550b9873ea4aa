from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from caseapp.assistance.models import AssistanceType
from caseapp.audit.models import AuditEntry
from caseapp.auth.models import User
from caseapp.auth.policies import (
    can_edit_case_data,
    can_manage_cases,
    can_reassign_cases,
    office_scope,
    require,
    sees_personal_data,
)
from caseapp.extensions import db
from caseapp.inputs import db_int
from caseapp.offices.models import FieldOffice
from caseapp.pagination import Page
from caseapp.returnees import services
from caseapp.returnees.disclosure import record_duplicate_lookup
from caseapp.submissions import submitted_once
from caseapp.unit_of_work import attempt
from caseapp.returnees.forms import (
    AssignForm,
    CaseStatusForm,
    FollowUpForm,
    OpenCaseForm,
    PlanForm,
    ReopenForm,
    ReturneeForm,
)
from caseapp.returnees.models import Case, CaseStatus, ClosureReason, Vulnerability
from caseapp.returnees.queries import (
    ReturneeFilters,
    assignable_caseworkers,
    get_returnee_or_404,
    search_returnees,
    timeline,
)

bp = Blueprint("returnees", __name__, url_prefix="/returnees")

STALE_CASE = _l("Someone changed this case meanwhile; nothing was saved. Check the page and try again.")


def office_choices(user):
    query = select(FieldOffice).where(FieldOffice.active.is_(True)).order_by(FieldOffice.name)
    scope = office_scope(user)
    if scope is not None:
        query = query.where(FieldOffice.id == scope)
    return [(office.id, office.name) for office in db.session.scalars(query)]


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
    )


@bp.get("/")
@require(sees_personal_data)
def index():
    filters = filters_from_request()
    per_page = min(max(request.args.get("per_page", current_app.config["PAGE_SIZE"], type=db_int), 1), 200)
    page_number = max(request.args.get("page", 1, type=db_int), 1)
    rows, total = search_returnees(current_user, filters, page_number, per_page)
    types = db.session.scalars(select(AssistanceType).order_by(AssistanceType.sort_order, AssistanceType.name))
    return render_template(
        "returnees/index.html",
        rows=rows,
        page=Page(page_number, per_page, total),
        filters=filters,
        offices=office_choices(current_user),
        types=list(types),
        statuses=CaseStatus,
        vulnerabilities=Vulnerability,
    )


def _form_input(form: ReturneeForm) -> services.ReturneeInput:
    return services.ReturneeInput(
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
        consent_given=form.consent_given.data,
        consent_date=form.consent_date.data,
        external_id=form.external_id.data,
    )


def _save_returnee(form: ReturneeForm, returnee=None):
    """Run the register/update use case; on a rule broken, put the messages on the form."""
    confirm = form.confirm_duplicate.data == "yes"
    if returnee is None:
        done = attempt(lambda: services.register_returnee(current_user, _form_input(form), confirm_duplicate=confirm,
                                                          open_case=form.open_case.data), form=form)
    else:
        done = attempt(lambda: services.update_returnee(current_user, returnee, _form_input(form),
                                                        expected_version=form.version.data,
                                                        confirm_duplicate=confirm), form=form)
    context = {}
    if isinstance(done.failure, services.DuplicatePersonalNumber):
        context["existing"] = done.failure.existing  # None when the user may not see that returnee
        context["personal_number_taken"] = True
    elif isinstance(done.failure, services.PossibleDuplicate):
        # The registration is undone; that other offices' returnees were shown stays on record.
        record_duplicate_lookup(current_user, done.failure.matches)
        context["possible_duplicates"] = done.failure.matches
        form.confirm_duplicate.data = "yes"
    elif done.stale is not None:
        context["stale"] = done.stale
    return done.result, context


@bp.route("/new", methods=["GET", "POST"])
@require(can_edit_case_data)
@submitted_once
def create():
    form = ReturneeForm()
    form.field_office_id.choices = office_choices(current_user)
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
    case = returnee.current_case
    history = db.session.scalars(
        select(AuditEntry).where(AuditEntry.returnee_id == returnee.id).order_by(AuditEntry.id.desc()).limit(50)
    ).all()
    status_form = CaseStatusForm(prefix="case", version=case.version if case else None)
    if case is not None:
        status_form.status.choices = [
            (s.value, s.label) for s in CaseStatus if s in services.CASE_TRANSITIONS[case.status]
        ]
    assign_form = None
    if case is not None and can_reassign_cases(current_user) and not case.is_closed:
        assign_form = AssignForm(prefix="assign", caseworker_id=case.caseworker_id)
        assign_form.caseworker_id.choices = [
            (u.id, u.display_name) for u in assignable_caseworkers(returnee.field_office_id)
        ]
    return render_template(
        "returnees/show.html",
        returnee=returnee,
        case=case,
        records=timeline(returnee),
        history=history,
        status_form=status_form,
        assign_form=assign_form,
        open_case_form=OpenCaseForm(prefix="open"),
        **case_review_context(case),
        types=db.session.scalars(
            select(AssistanceType).where(AssistanceType.active.is_(True)).order_by(AssistanceType.sort_order)
        ).all(),
        user_names=_user_names(history_user_ids(returnee, case, history)),
    )


def case_review_context(case) -> dict:
    """The supervisor-review parts of the case card: reviews, and the forms this user may use."""
    from caseapp.review.forms import CaseReviewForm
    from caseapp.review.queries import case_reviews

    if case is None:
        return {}
    return {
        "reviews": case_reviews(case),
        "review_form": CaseReviewForm(),
        "follow_up_form": FollowUpForm(prefix="follow", follow_up_on=case.follow_up_on, version=case.version),
        "reopen_form": ReopenForm(prefix="reopen", version=case.version),
    }


def history_user_ids(returnee, case, history=()):
    ids = {returnee.created_by_id, returnee.updated_by_id}
    if case is not None:
        ids.add(case.caseworker_id)
    for entry in history:  # openings and reassignments name the caseworkers by id: 7 or [old, new]
        named = (entry.changes or {}).get("caseworker_id")
        ids.update(v for v in (named if isinstance(named, list) else [named]) if isinstance(v, int))
    return {i for i in ids if i}


def _user_names(ids):
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


@bp.route("/<int:returnee_id>/edit", methods=["GET", "POST"])
@require(can_edit_case_data)
@submitted_once
def edit(returnee_id):
    returnee = get_returnee_or_404(returnee_id, current_user)
    form = ReturneeForm(obj=returnee if request.method == "GET" else None)
    if request.method == "GET":
        form.vulnerabilities.data = [v.value for v in returnee.vulnerabilities]
        form.sex.data = returnee.sex.value
    form.field_office_id.choices = office_choices(current_user)
    del form.open_case
    context = {}
    if form.validate_on_submit():
        saved, context = _save_returnee(form, returnee)
        if saved is not None:
            flash(_("The changes are saved."), "success")
            return redirect(url_for("returnees.show", returnee_id=returnee.id))
    return render_template("returnees/form.html", form=form, returnee=returnee, **context)


@bp.post("/<int:returnee_id>/cases")
@require(can_edit_case_data)
@submitted_once
def open_case(returnee_id):
    returnee = get_returnee_or_404(returnee_id, current_user)
    form = OpenCaseForm(prefix="open")
    if form.validate_on_submit():
        attempt(lambda: services.open_new_case(current_user, returnee), success=_("A new case is open."))
    return redirect(url_for("returnees.show", returnee_id=returnee.id))


def get_case_or_404(case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None:
        abort(404)
    get_returnee_or_404(case.returnee_id, current_user)  # scopes by office
    return case


@bp.post("/cases/<int:case_id>/status")
@require(can_edit_case_data)
@submitted_once
def case_status(case_id):
    case = get_case_or_404(case_id)
    form = CaseStatusForm(prefix="case")
    if form.validate_on_submit():
        attempt(lambda: services.change_case_status(
            current_user, case, CaseStatus(form.status.data), expected_version=form.version.data,
            reason=ClosureReason(form.reason.data) if form.reason.data else None, note=form.note.data),
            success=lambda changed: _("The case is now %(status)s.", status=case.status.label),
            stale_message=STALE_CASE)
    else:
        flash(_("Choose a valid status."), "danger")
    return redirect(url_for("returnees.show", returnee_id=case.returnee_id))


@bp.route("/cases/<int:case_id>/plan", methods=["GET", "POST"])
@require(can_edit_case_data)
@submitted_once
def case_plan(case_id):
    case = get_case_or_404(case_id)
    form = PlanForm(obj=case if request.method == "GET" else None)
    stale = None
    if form.validate_on_submit():
        done = attempt(lambda: services.update_plan(current_user, case, form.plan.data,
                                                    expected_version=form.version.data),
                       form=form, success=_("The plan is saved."))
        if done.saved:
            return redirect(url_for("returnees.show", returnee_id=case.returnee_id))
        stale = done.stale
    return render_template("returnees/plan.html", form=form, case=case, stale=stale)


@bp.post("/cases/<int:case_id>/assign")
@require(can_reassign_cases)
@submitted_once
def case_assign(case_id):
    case = get_case_or_404(case_id)
    form = AssignForm(prefix="assign")
    form.caseworker_id.choices = [(u.id, u.display_name) for u in assignable_caseworkers(case.returnee.field_office_id)]
    if form.validate_on_submit():
        attempt(lambda: services.assign_case(current_user, case, db.session.get(User, form.caseworker_id.data)),
                success=_("The case is assigned."))
    else:
        flash(_("Choose a caseworker of this office."), "danger")
    return redirect(url_for("returnees.show", returnee_id=case.returnee_id))


@bp.post("/cases/<int:case_id>/reopen")
@require(can_manage_cases)
@submitted_once
def case_reopen(case_id):
    case = get_case_or_404(case_id)
    form = ReopenForm(prefix="reopen")
    if form.validate_on_submit():
        attempt(lambda: services.reopen_case(current_user, case, form.reason.data,
                                             expected_version=form.version.data),
                success=_("The case is reopened."), stale_message=STALE_CASE)
    else:
        flash(_("Give the reason for reopening the case."), "danger")
    return redirect(url_for("returnees.show", returnee_id=case.returnee_id))


@bp.post("/cases/<int:case_id>/follow-up")
@require(can_edit_case_data)
@submitted_once
def case_follow_up(case_id):
    case = get_case_or_404(case_id)
    form = FollowUpForm(prefix="follow")
    if form.validate_on_submit():
        attempt(lambda: services.set_follow_up(current_user, case, form.follow_up_on.data,
                                               expected_version=form.version.data),
                success=_("The follow-up date is saved."), stale_message=STALE_CASE)
    else:
        for message in form.follow_up_on.errors:
            flash(str(message), "danger")
    return redirect(url_for("returnees.show", returnee_id=case.returnee_id))
