"""Consent pages: a person's consent per purpose (record a decision, see the history) and the gaps list."""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from caseapp.audit.models import AuditAction
from caseapp.audit.reads import record_read, record_search
from caseapp.auth.models import Role
from caseapp.auth.policies import can_edit_case_data, office_scope, require
from caseapp.consent.forms import ConsentDecisionForm
from caseapp.consent.models import ConsentPurpose
from caseapp.consent.queries import consent_gaps, sees_consent_gaps
from caseapp.consent.rules import consent_history, current_consents
from caseapp.consent.services import record_consent
from caseapp.returnees.queries import get_returnee_or_404
from caseapp.submissions import submitted_once
from caseapp.timeutil import today
from caseapp.unit_of_work import attempt

bp = Blueprint("consent", __name__)


@bp.route("/returnees/<int:returnee_id>/consent", methods=["GET", "POST"])
@require(can_edit_case_data)
@submitted_once
def record(returnee_id):
    returnee = get_returnee_or_404(returnee_id, current_user)
    form = ConsentDecisionForm()
    if request.method == "GET":
        form.decided_on.data = today()
        if request.args.get("purpose") in set(ConsentPurpose):
            form.purpose.data = request.args["purpose"]
    if form.validate_on_submit():
        given = form.decision.data == "given"
        done = attempt(
            lambda: record_consent(
                current_user,
                returnee,
                form.purpose.data,
                given=given,
                decided_on=form.decided_on.data,
                method=form.method.data,
                note=form.note.data,
            ),
            form=form,
            success=lambda saved: (
                _("Consent to %(purpose)s is recorded.", purpose=saved.purpose.label)
                if saved.given
                else _("The withdrawal of consent to %(purpose)s is recorded.", purpose=saved.purpose.label)
            ),
        )
        if done.saved:
            return redirect(url_for("returnees.show", returnee_id=returnee.id) + "#consent")
    # the page shows the person's consents and their history: a read whenever it is shown
    record_read(current_user, AuditAction.RECORD_VIEW, returnee, entity_type="consent")
    return render_template(
        "consent/record.html",
        returnee=returnee,
        form=form,
        consents=current_consents(returnee),
        history=consent_history(returnee),
    )


@bp.get("/consent/gaps")
@require(sees_consent_gaps)
def gaps():
    # caseworkers start with their own cases; supervisors and administrators with everyone they may see
    only_mine = request.args.get("whose", "mine" if current_user.role == Role.CASEWORKER else "all") == "mine"
    rows, total = consent_gaps(current_user, only_mine=only_mine)
    record_search(
        current_user,
        "consent_gaps",
        asked={"whose": "mine" if only_mine else "all"},
        found=total,
        office_id=office_scope(current_user),
    )
    return render_template("consent/gaps.html", rows=rows, total=total, only_mine=only_mine)
