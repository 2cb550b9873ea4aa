from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from caseapp.assistance.models import AssistanceType
from caseapp.auth.models import Role, User
from caseapp.charts import Series, column_chart
from caseapp.consent.queries import consent_gaps
from caseapp.extensions import db
from caseapp.history import describe
from caseapp.home import queries
from caseapp.home.cycle import cycle_context
from caseapp.offices.models import FieldOffice
from caseapp.review.queries import home_context

bp = Blueprint("home", __name__)

#: open cases listed on a caseworker's home page; the badge counts all of them and links to the full list
MY_CASES_SHOWN = 50


@bp.get("/")
def index():
    role = current_user.role
    context = {}
    if role in (Role.CASEWORKER, Role.SUPERVISOR):
        context["my_cases"], context["my_cases_total"] = queries.my_open_cases(current_user, MY_CASES_SHOWN)
        context["activity"] = describe(queries.recent_activity(current_user))
        mine = role == Role.CASEWORKER
        context["consent_gaps"], context["consent_gaps_total"] = consent_gaps(current_user, only_mine=mine, limit=5)
        context["consent_gaps_mine"] = mine
    if role == Role.SUPERVISOR:
        context["case_counts"] = queries.office_case_counts(current_user.field_office_id)
        context["caseload"] = queries.office_caseload(current_user.field_office_id)
    if role in (Role.MANAGER, Role.ADMIN):
        context["totals"] = queries.headline_totals()
        context["case_counts"] = queries.office_case_counts(None)
    if role in (Role.SUPERVISOR, Role.MANAGER):
        counts = context["case_counts"]
        context["case_chart"] = column_chart(
            [status.label for status in counts],
            [Series(_("Cases"), "bar-cases", list(counts.values()))],
            plot_height=110,
            bar_width=30,
            gap=36,
        )
    context.update(home_context(current_user))
    context.update(cycle_context(current_user))
    if role == Role.ADMIN:
        context["user_count"] = db.session.scalar(select(func.count(User.id)))
        context["office_count"] = db.session.scalar(select(func.count(FieldOffice.id)))
        context["type_count"] = db.session.scalar(select(func.count(AssistanceType.id)))
    return render_template("home/index.html", **context)
