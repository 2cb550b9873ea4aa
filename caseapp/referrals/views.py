"""Partner directory (/partners/, kept by administrators, seen by staff) and referrals (/referrals/...)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from caseapp.assistance.models import AssistanceType
from caseapp.audit.models import AuditAction
from caseapp.audit.reads import record_read, record_search
from caseapp.auth.policies import can_administer, can_edit_case_data, office_scope, require
from caseapp.extensions import db
from caseapp.inputs import db_int
from caseapp.offices.models import FieldOffice
from caseapp.pagination import paginate, requested_page
from caseapp.referrals import queries, services
from caseapp.referrals.consent_gate import consent_missing
from caseapp.referrals.forms import PartnerForm, ReferralForm, ReferralStepForm
from caseapp.referrals.models import Partner, Referral, ReferralStatus
from caseapp.referrals.workflow import allowed_next
from caseapp.returnees.queries import get_returnee_or_404
from caseapp.submissions import submitted_once
from caseapp.timeutil import today
from caseapp.unit_of_work import attempt

bp = Blueprint("referrals", __name__)

STALE_REFERRAL = _l("Someone changed this referral meanwhile; nothing was saved. Check it and try again.")


def _service_choices() -> list[AssistanceType]:
    return list(
        db.session.scalars(
            select(AssistanceType)
            .where(AssistanceType.active.is_(True))
            .order_by(AssistanceType.sort_order, AssistanceType.name)
        )
    )


def _office_choices() -> list[FieldOffice]:
    return list(db.session.scalars(select(FieldOffice).order_by(FieldOffice.label)))


# --- the partner directory -----------------------------------------------------------------------------------


@bp.get("/partners/")
@require(can_edit_case_data)
def partners():
    """The directory: every partner, those covering the user's office first."""
    office_id = office_scope(current_user)
    listed = queries.partners()
    if office_id is not None:
        listed.sort(key=lambda partner: not partner.covers(office_id))
    return render_template("referrals/partners.html", partners=listed, office_id=office_id)


def _partner_form_choices(form: PartnerForm) -> None:
    form.service_ids.choices = [(t.id, t.label) for t in _service_choices()]
    form.office_ids.choices = [(o.id, o.label) for o in _office_choices()]


def _partner_input(form: PartnerForm) -> services.PartnerInput:
    chosen_services = set(form.service_ids.data or [])
    chosen_offices = set(form.office_ids.data or [])
    return services.PartnerInput(
        name=form.name.data or "",
        name_ka=form.name_ka.data or "",
        contact_person=form.contact_person.data or "",
        phone=form.phone.data or "",
        email=form.email.data or "",
        address=form.address.data or "",
        notes=form.notes.data or "",
        active=bool(form.active.data),
        services=[t for t in _service_choices() if t.id in chosen_services],
        offices=[o for o in _office_choices() if o.id in chosen_offices],
    )


@bp.route("/partners/new", methods=["GET", "POST"])
@require(can_administer)
@submitted_once
def create_partner():
    form = PartnerForm()
    _partner_form_choices(form)
    if form.validate_on_submit():
        values = _partner_input(form)
        done = attempt(
            lambda: services.create_partner(current_user, values),
            form=form,
            success=_("%(name)s is in the partner directory.", name=values.name.strip()),
        )
        if done.saved:
            return redirect(url_for("referrals.partners"))
    return render_template("referrals/partner_form.html", form=form, partner=None)


@bp.route("/partners/<int:partner_id>/edit", methods=["GET", "POST"])
@require(can_administer)
@submitted_once
def edit_partner(partner_id):
    partner = queries.get_partner_or_404(partner_id)
    form = PartnerForm(obj=partner if request.method == "GET" else None)
    _partner_form_choices(form)
    if request.method == "GET":
        form.service_ids.data = [t.id for t in partner.services]
        form.office_ids.data = partner.office_ids
    stale = None
    if form.validate_on_submit():
        values = _partner_input(form)
        done = attempt(
            lambda: services.update_partner(current_user, partner, values, expected_version=form.version.data),
            form=form,
            success=_("The changes are saved."),
        )
        if done.saved:
            return redirect(url_for("referrals.partners"))
        stale = done.stale
    return render_template("referrals/partner_form.html", form=form, partner=partner, stale=stale)


# --- referrals ---------------------------------------------------------------------------------------------


@bp.route("/returnees/<int:returnee_id>/referrals/new", methods=["GET", "POST"])
@require(can_edit_case_data)
@submitted_once
def create(returnee_id):
    """Refer the returnee to a partner. Without consent to referral the page says so and refuses."""
    returnee = get_returnee_or_404(returnee_id, current_user)
    offered = queries.partners(active_only=True, office_id=returnee.field_office_id)
    form = ReferralForm()
    form.partner_id.choices = [(0, "—")] + [(p.id, p.label) for p in offered]
    offered_types = {t.id: t for p in offered for t in p.services}
    form.service_id.choices = [(0, "—")] + [(t.id, t.label) for t in _service_choices() if t.id in offered_types]
    if request.method == "GET":
        record_read(
            current_user,
            AuditAction.RECORD_VIEW,
            returnee,
            entity_type="referral_form",
            office_id=returnee.field_office_id,
        )
        form.sent_on.data = today()
        form.partner_id.data = request.args.get("partner", type=db_int) or 0
    if form.validate_on_submit():
        partner = db.session.get(Partner, form.partner_id.data) if form.partner_id.data else None
        service = db.session.get(AssistanceType, form.service_id.data) if form.service_id.data else None
        done = attempt(
            lambda: services.refer(
                current_user, returnee, partner, service, sent_on=form.sent_on.data, reason=form.reason.data
            ),
            form=form,
            success=lambda referral: _(
                "%(name)s is referred to %(partner)s.", name=returnee.full_name, partner=referral.partner.label
            ),
        )
        if done.saved:
            return redirect(url_for("returnees.show", returnee_id=returnee.id) + "#referrals")
    return render_template(
        "referrals/form.html",
        form=form,
        returnee=returnee,
        partners=offered,
        consent_refusal=consent_missing(returnee, "referral"),
    )


@bp.route("/referrals/<int:referral_id>", methods=["GET", "POST"])
@require(can_edit_case_data)
@submitted_once
def show(referral_id):
    """A referral, its history, and the form for its next step (the partner's answer, then the outcome)."""
    referral = queries.get_referral_or_404(referral_id, current_user)
    form = ReferralStepForm()
    following = allowed_next(referral.status)
    form.status.choices = [(s.value, s.label) for s in following]
    if request.method == "GET":
        form.on.data = today()
        form.version.data = referral.version
    stale = None
    if request.method == "POST" and form.validate_on_submit():
        new_status = ReferralStatus(form.status.data)
        done = attempt(
            lambda: services.change_referral_status(
                current_user,
                referral,
                new_status,
                on=form.on.data,
                note=form.note.data,
                expected_version=form.version.data,
            ),
            form=form,
            success=_("The referral is now %(status)s.", status=new_status.label),
        )
        if done.saved:
            return redirect(url_for("referrals.show", referral_id=referral.id))
        stale = done.stale
    # the page is a read whenever it is shown (also again with the form's errors)
    record_read(current_user, AuditAction.RECORD_VIEW, referral, office_id=referral.returnee.field_office_id)
    return render_template(
        "referrals/show.html",
        referral=referral,
        form=form,
        following=following,
        overdue=services.is_overdue(referral),
        stale=stale,
        history=referral_history(referral),
    )


def referral_history(referral: Referral):
    from caseapp.audit.models import AuditEntry

    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == "referral", AuditEntry.entity_id == referral.id)
            .order_by(AuditEntry.id)
        )
    )


@bp.get("/referrals/")
@require(can_edit_case_data)
def index():
    """The referrals of the office (all for an administrator): by status, partner, or the overdue ones."""
    status = request.args.get("status", "")
    status = status if status in set(ReferralStatus) else ""
    partner_id = request.args.get("partner", type=db_int)
    overdue = request.args.get("overdue") == "1"
    page_number, per_page = requested_page(request.args, per_page=50)
    rows, page = paginate(
        queries.referral_list(current_user, status=status, partner_id=partner_id, overdue=overdue),
        page_number,
        per_page,
        rows=True,
    )
    record_search(
        current_user,
        "referrals",
        found=page.total,
        office_id=office_scope(current_user),
        asked={
            "status": status,
            "partner": partner_id,
            "overdue": overdue or None,
            "page": page.number if page.number > 1 else None,
        },
    )
    return render_template(
        "referrals/index.html",
        rows=rows,
        page=page,
        status=status,
        partner_id=partner_id,
        overdue=overdue,
        partners=queries.partners(),
        statuses=list(ReferralStatus),
        is_overdue=services.is_overdue,
        args=request.args.to_dict(),
        answer_days=services.answer_days(),
    )


@bp.app_template_global()
def returnee_referrals(returnee) -> list[Referral]:
    """The returnee's referrals for the returnee page (the page has loaded the returnee with its scope)."""
    return queries.referrals_of(returnee)


@bp.app_template_global()
def referral_overdue(referral) -> bool:
    return services.is_overdue(referral)
