from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from caseapp.admin import services
from caseapp.admin.forms import AssistanceTypeForm, ChoiceNameForm, OfficeForm, ThresholdForm
from caseapp.admin.queries import get_or_404
from caseapp.assistance.models import (
    ApprovalThreshold,
    AssistanceRecord,
    AssistanceType,
    Currency,
)
from caseapp.auth import services as auth_services
from caseapp.auth import sessions
from caseapp.auth.forms import UserForm
from caseapp.auth.models import LoginThrottle, Role, User
from caseapp.auth.policies import can_administer, require
from caseapp.cases.models import ClosureReason
from caseapp.errors import apply_errors
from caseapp.extensions import db
from caseapp.forms import amount_for_input, parse_typed_amount
from caseapp.language.vocabulary import custom_names
from caseapp.offices.models import FieldOffice
from caseapp.returnees.models import Vulnerability
from caseapp.submissions import submitted_once
from caseapp.timeutil import utcnow
from caseapp.unit_of_work import attempt

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@require(can_administer)
def only_admins():
    """Every page of this blueprint is for administrators."""


def _office_choices():
    offices = db.session.scalars(select(FieldOffice).order_by(FieldOffice.label))
    return [(0, "—")] + [(o.id, o.label) for o in offices]


@bp.get("/users")
def users():
    rows = db.session.scalars(select(User).order_by(User.role, User.username))
    throttles = {t.username_key: t for t in db.session.scalars(select(LoginThrottle))}
    return render_template("admin/users.html", users=list(rows), throttles=throttles,
                           username_key=auth_services.username_key, now=utcnow())


@bp.post("/users/<int:user_id>/unlock")
def unlock_user(user_id):
    user = get_or_404(User, user_id)
    auth_services.unlock_user(current_user, user)
    flash(_("%(name)s can log in again; the failed logins are forgotten.", name=user.display_name), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/new", methods=["GET", "POST"])
@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@submitted_once
def user_form(user_id=None):
    user = get_or_404(User, user_id) if user_id else None
    form = UserForm(obj=user if request.method == "GET" else None)
    form.field_office_id.choices = _office_choices()
    if request.method == "GET" and user is not None:
        form.role.data = user.role.value
        form.field_office_id.data = user.field_office_id or 0
        form.locale.data = user.locale or ""
    if user is not None:
        form.username.render_kw = {"readonly": True}
    if form.validate_on_submit():
        office_id = form.field_office_id.data or None
        if user is None:
            done = attempt(lambda: services.create_user(
                current_user, username=form.username.data, display_name=form.display_name.data,
                role=Role(form.role.data), password=form.password.data or "",
                field_office_id=office_id, active=form.active.data, locale=form.locale.data), form=form)
        else:
            done = attempt(lambda: services.update_user(
                current_user, user, display_name=form.display_name.data, role=Role(form.role.data),
                field_office_id=office_id, active=form.active.data, password=form.password.data or None,
                locale=form.locale.data),
                form=form)
        if done.saved and user is not None and user.id == current_user.id and form.password.data:
            sessions.sign_in(user)  # their other sessions end; this browser goes on in a new one
        if done.saved:
            flash(_("The account of %(name)s is saved.", name=(user or done.result).display_name), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)


@bp.get("/offices")
def offices():
    rows = db.session.execute(
        select(FieldOffice, func.count(User.id)).outerjoin(User, User.field_office_id == FieldOffice.id)
        .group_by(FieldOffice.id).order_by(FieldOffice.name)
    ).all()
    return render_template("admin/offices.html", rows=rows)


@bp.route("/offices/new", methods=["GET", "POST"])
@bp.route("/offices/<int:office_id>", methods=["GET", "POST"])
@submitted_once
def office_form(office_id=None):
    office = get_or_404(FieldOffice, office_id) if office_id else None
    form = OfficeForm(obj=office)
    if form.validate_on_submit():
        if attempt(lambda: services.save_office(current_user, office, name=form.name.data, name_ka=form.name_ka.data,
                                                active=form.active.data),
                   form=form, success=_("The office is saved.")).saved:
            return redirect(url_for("admin.offices"))
    return render_template("admin/office_form.html", form=form, office=office)


#: the fixed choices an administrator may rename: kind -> (heading, enum)
RENAMEABLE = {
    "closure_reason": (_l("Closure reasons"), ClosureReason),
    "vulnerability": (_l("Vulnerabilities"), Vulnerability),
}


@bp.get("/choices")
def choices():
    """Closure reasons and vulnerabilities: their default names in both languages and the admin's names."""
    custom = custom_names()
    lists = []
    for kind, (heading, choice_enum) in RENAMEABLE.items():
        rows = []
        for member in choice_enum:
            with force_locale("en"):
                default_en = str(member.default_label)
            with force_locale("ka"):
                default_ka = str(member.default_label)
            name, name_ka = custom.get((kind, member.value), ("", ""))
            rows.append({"code": member.value, "default_en": default_en, "default_ka": default_ka,
                         "name": name, "name_ka": name_ka})
        lists.append({"kind": kind, "heading": heading, "rows": rows})
    return render_template("admin/choices.html", lists=lists)


@bp.route("/choices/<kind>/<code>", methods=["GET", "POST"])
@submitted_once
def choice_form(kind, code):
    if kind not in RENAMEABLE or code not in {m.value for m in RENAMEABLE[kind][1]}:
        abort(404)
    member = RENAMEABLE[kind][1](code)
    name, name_ka = custom_names().get((kind, code), ("", ""))
    form = ChoiceNameForm(data={"name": name, "name_ka": name_ka} if request.method == "GET" else None)
    if form.validate_on_submit():
        if attempt(lambda: services.rename_choice(current_user, kind, code, name=form.name.data,
                                                  name_ka=form.name_ka.data),
                   form=form, success=_("The name is saved.")).saved:
            return redirect(url_for("admin.choices"))
    with force_locale("en"):
        default_en = str(member.default_label)
    with force_locale("ka"):
        default_ka = str(member.default_label)
    return render_template("admin/choice_form.html", form=form, heading=RENAMEABLE[kind][0], code=code,
                           default_en=default_en, default_ka=default_ka)


@bp.route("/offices/<int:office_id>/thresholds", methods=["GET", "POST"])
@submitted_once
def office_thresholds(office_id):
    office = get_or_404(FieldOffice, office_id)
    current = {threshold.currency: threshold.amount for threshold in db.session.scalars(
        select(ApprovalThreshold).where(ApprovalThreshold.field_office_id == office.id))}
    form = ThresholdForm(data={c.value: amount_for_input(current.get(c)) for c in Currency}
                         if request.method == "GET" else None)
    if form.validate_on_submit():
        limits, errors = {}, {}
        for currency in Currency:
            try:
                limits[currency] = parse_typed_amount(form[currency.value].data)
            except ValueError as error:
                errors[currency.value] = str(error)
        if errors:
            apply_errors(form, errors)
        elif attempt(lambda: services.set_approval_thresholds(current_user, office, limits), form=form,
                     success=_("The approval thresholds of %(office)s are saved.", office=office.label)).saved:
            return redirect(url_for("admin.offices"))
    return render_template("admin/thresholds.html", form=form, office=office)


@bp.app_template_global()
def approval_thresholds(office_id: int) -> list[ApprovalThreshold]:
    return list(db.session.scalars(
        select(ApprovalThreshold).where(ApprovalThreshold.field_office_id == office_id)
        .order_by(ApprovalThreshold.currency)))


@bp.get("/catalog")
def catalog():
    rows = db.session.execute(
        select(AssistanceType, func.count(AssistanceRecord.id))
        .outerjoin(AssistanceRecord, AssistanceRecord.type_id == AssistanceType.id)
        .group_by(AssistanceType.id).order_by(AssistanceType.sort_order, AssistanceType.name)
    ).all()
    return render_template("admin/catalog.html", rows=rows)


@bp.route("/catalog/new", methods=["GET", "POST"])
@bp.route("/catalog/<int:type_id>", methods=["GET", "POST"])
@submitted_once
def type_form(type_id=None):
    assistance_type = get_or_404(AssistanceType, type_id) if type_id else None
    form = AssistanceTypeForm(obj=assistance_type)
    if request.method == "GET" and assistance_type is not None:
        form.category.data = assistance_type.category.value
    if form.validate_on_submit():
        if attempt(lambda: services.save_assistance_type(
                current_user, assistance_type, code=form.code.data, name=form.name.data, name_ka=form.name_ka.data,
                category=form.category.data,
                carries_amount=form.carries_amount.data, needs_approval=form.needs_approval.data,
                active=form.active.data, sort_order=form.sort_order.data),
                form=form, success=_("The catalog is saved.")).saved:
            return redirect(url_for("admin.catalog"))
    return render_template("admin/type_form.html", form=form, assistance_type=assistance_type)


@bp.get("/audit")
def audit():
    """The change log moved to the audit page (/audit/); old links still arrive there."""
    return redirect(url_for("auditlog.index"))
