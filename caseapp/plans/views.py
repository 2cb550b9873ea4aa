"""The plan pages: the plan of a case with its goals, a goal's form, the approval, and the plans awaiting
approval. Thin: forms in, services (rules) out."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from caseapp.assistance.models import AssistanceType, Currency
from caseapp.audit.models import AuditAction
from caseapp.audit.reads import record_read, record_search
from caseapp.auth.policies import can_edit_case_data, can_manage_cases, office_scope, require, sees_personal_data
from caseapp.cases.queries import get_case_or_404
from caseapp.errors import apply_errors
from caseapp.extensions import db
from caseapp.forms import amount_for_input, parse_typed_amount
from caseapp.plans import services
from caseapp.plans.forms import PLANNED_ROWS, ApprovePlanForm, GoalForm, SummaryForm
from caseapp.plans.models import GoalStatus
from caseapp.plans.queries import get_goal_or_404, goal_choices, plan_of_case, plans_awaiting_approval
from caseapp.questionnaires.models import Dimension
from caseapp.submissions import submitted_once
from caseapp.unit_of_work import attempt

bp = Blueprint("plans", __name__)


def register_plans(app) -> None:
    """The blueprint, and the assistance form's goal choices (assistance sits below plans)."""
    app.register_blueprint(bp)
    app.extensions["caseapp.goal_choices"] = goal_choices


@bp.route("/returnees/cases/<int:case_id>/plan", methods=["GET", "POST"])
@require(sees_personal_data)
@submitted_once
def show(case_id):
    case = get_case_or_404(case_id, current_user)
    plan = plan_of_case(case)
    form = SummaryForm(obj=plan if request.method == "GET" else None)
    stale = None
    if request.method == "POST":
        if not can_edit_case_data(current_user):
            abort(403)
        if form.validate_on_submit():
            done = attempt(
                lambda: services.update_summary(
                    current_user, case, form.summary.data, expected_version=form.version.data
                ),
                form=form,
                success=_("The plan is saved."),
            )
            if done.saved:
                return redirect(url_for("plans.show", case_id=case.id))
            stale = done.stale
    # the page is a read whenever it is shown (a case without a plan yet: the case, with its returnee)
    record_read(
        current_user,
        AuditAction.RECORD_VIEW,
        plan or case,
        entity_type="plan",
        office_id=case.returnee.field_office_id,
        details={"case_id": case.id},
    )
    return render_template(
        "plans/show.html",
        case=case,
        plan=plan,
        form=form,
        stale=stale,
        approve_form=ApprovePlanForm(version=plan.version if plan else None),
        approval_refusal=services.approval_refusal(current_user, plan),
    )


def _type_choices() -> list[tuple[str, str]]:
    types = db.session.scalars(
        select(AssistanceType).where(AssistanceType.active.is_(True)).order_by(AssistanceType.sort_order)
    )
    return [("", "—")] + [(str(t.id), t.label) for t in types]


def _goal_input(form: GoalForm) -> services.GoalInput | None:
    """The form as the service's input; a malformed amount or an unknown type is a message on the form."""
    planned = []
    for row in form.planned:
        if row.type_id.data is None:
            continue
        assistance_type = db.session.get(AssistanceType, row.type_id.data)
        try:
            amount = parse_typed_amount(row.amount.data)
        except ValueError as error:
            row.amount.errors = list(row.amount.errors) + [str(error)]
            return None
        planned.append(
            services.PlannedInput(
                assistance_type=assistance_type,
                estimated_amount=amount,
                currency=Currency(row.currency.data) if row.currency.data else None,
            )
        )
    return services.GoalInput(
        dimension=Dimension(form.dimension.data) if form.dimension.data else None,
        description=form.description.data or "",
        referral_needed=form.referral_needed.data,
        target_date=form.target_date.data,
        status=GoalStatus(form.status.data),
        drop_reason=form.drop_reason.data or "",
        planned=planned,
    )


def _goal_form(goal=None) -> GoalForm:
    form = GoalForm(obj=goal if goal is not None and request.method == "GET" else None)
    choices = _type_choices()
    for row in form.planned:
        row.type_id.choices = choices
    if goal is not None and request.method == "GET":
        form.dimension.data = goal.dimension.value
        form.status.data = goal.status.value
        for row, planned in zip(form.planned, goal.planned_assistance[:PLANNED_ROWS], strict=False):
            row.type_id.data = planned.type_id
            row.amount.data = amount_for_input(planned.estimated_amount)
            row.currency.data = planned.currency.value if planned.currency else ""
    return form


def _record_goal_form(case) -> None:
    """Opening a goal's form (GET) is a read of the case's plan, like the returnee's edit form."""
    if request.method == "GET":
        record_read(
            current_user,
            AuditAction.RECORD_VIEW,
            case,
            entity_type="plan_goal_form",
            office_id=case.returnee.field_office_id,
        )


def _save_goal(form: GoalForm, use_case, back: str):
    values = _goal_input(form)
    if values is None:
        return None, None
    done = attempt(lambda: use_case(values), form=form, success=_("The goal is saved."))
    if done.failure is not None and "planned" in done.failure.errors:
        apply_errors(form, {"": done.failure.errors["planned"]})
    if done.saved:
        return redirect(back), None
    return None, done.stale


@bp.route("/returnees/cases/<int:case_id>/plan/goals/new", methods=["GET", "POST"])
@require(can_edit_case_data)
@submitted_once
def new_goal(case_id):
    case = get_case_or_404(case_id, current_user)
    _record_goal_form(case)
    form = _goal_form()
    back = url_for("plans.show", case_id=case.id)
    stale = None
    if form.validate_on_submit():
        answer, stale = _save_goal(form, lambda values: services.add_goal(current_user, case, values), back)
        if answer is not None:
            return answer
    return render_template("plans/goal_form.html", case=case, goal=None, form=form, stale=stale, back=back)


@bp.route("/plans/goals/<int:goal_id>/edit", methods=["GET", "POST"])
@require(can_edit_case_data)
@submitted_once
def edit_goal(goal_id):
    goal = get_goal_or_404(goal_id, current_user)
    case = goal.plan.case
    _record_goal_form(case)
    form = _goal_form(goal)
    if form.version.data is None:
        form.version.data = goal.version
    back = url_for("plans.show", case_id=case.id)
    stale = None
    if form.validate_on_submit():
        answer, stale = _save_goal(
            form,
            lambda values: services.update_goal(current_user, goal, values, expected_version=form.version.data),
            back,
        )
        if answer is not None:
            return answer
    return render_template("plans/goal_form.html", case=case, goal=goal, form=form, stale=stale, back=back)


@bp.post("/returnees/cases/<int:case_id>/plan/approve")
@require(can_manage_cases)
@submitted_once
def approve(case_id):
    case = get_case_or_404(case_id, current_user)
    plan = plan_of_case(case)
    form = ApprovePlanForm()
    if form.validate_on_submit() and plan is not None:
        attempt(
            lambda: services.approve_plan(
                current_user, plan, expected_version=form.version.data, comment=form.comment.data
            ),
            success=_("The plan of %(name)s is approved.", name=case.returnee.full_name),
        )
    else:
        refusal = services.approval_refusal(current_user, plan)
        flash(str(refusal or _("The plan could not be approved.")), "danger")
    return redirect(url_for("plans.show", case_id=case.id))


@bp.get("/plans/awaiting-approval")
@require(can_manage_cases)
def awaiting():
    plans = plans_awaiting_approval(current_user)
    record_search(
        current_user, "plans_awaiting_approval", asked={}, found=len(plans), office_id=office_scope(current_user)
    )
    return render_template("plans/awaiting.html", plans=plans, refusal=services.approval_refusal)
