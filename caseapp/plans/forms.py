from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from caseapp.assistance.models import Currency
from caseapp.forms import IsoDateField, VersionField
from caseapp.plans.models import GoalStatus
from caseapp.questionnaires.models import Dimension

#: rows of planned assistance a goal form offers
PLANNED_ROWS = 3


class SummaryForm(FlaskForm):
    summary = TextAreaField(_l("Summary of the plan"), validators=[Length(max=20000)])
    version = VersionField()


class PlannedRowForm(Form):
    """One planned type of assistance and its estimated cost (a sub-form: the CSRF token is the goal form's)."""

    type_id = SelectField(
        _l("Planned assistance"), coerce=lambda v: int(v) if v not in (None, "") else None, validators=[Optional()]
    )
    #: typed as text and parsed to Decimal (never a float)
    amount = StringField(_l("Estimated cost"), validators=[Optional(), Length(max=20)])
    currency = SelectField(_l("Currency"), choices=[("", "—")] + Currency.choices(), validators=[Optional()])


class GoalForm(FlaskForm):
    dimension = SelectField(_l("Dimension"), choices=[("", "—")] + Dimension.choices(), validators=[Optional()])
    description = TextAreaField(_l("Goal"), validators=[Optional(), Length(max=2000)])
    referral_needed = BooleanField(_l("A referral to a partner is needed"))
    target_date = IsoDateField(_l("Target date"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=GoalStatus.choices(), default=GoalStatus.PLANNED.value)
    drop_reason = TextAreaField(_l("Reason for dropping it"), validators=[Optional(), Length(max=2000)])
    planned = FieldList(FormField(PlannedRowForm), min_entries=PLANNED_ROWS, max_entries=PLANNED_ROWS)
    version = VersionField()


class ApprovePlanForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])
    version = VersionField()
