from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from caseapp.assistance.models import AssistanceStatus, Currency, Decision
from caseapp.forms import IsoDateField, VersionField


class AssistanceForm(FlaskForm):
    type_id = SelectField(_l("Type of assistance"), coerce=int, validators=[InputRequired()])
    provided_on = IsoDateField(_l("Date"), validators=[InputRequired()])
    status = SelectField(_l("Status"), choices=AssistanceStatus.choices(), validators=[Optional()])
    #: typed as text and parsed to Decimal by the service (never a float)
    amount = StringField(_l("Amount"), validators=[Optional(), Length(max=20)])
    currency = SelectField(_l("Currency"), choices=[("", "—")] + Currency.choices(), validators=[Optional()])
    provider = StringField(_l("Provider"), validators=[Optional(), Length(max=200)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    #: the project that pays (0: the one that fits, or Unassigned when none does)
    project_id = SelectField(_l("Paid by project"), coerce=int, validate_choice=False, validators=[Optional()])
    #: the plan goal it serves; choices: the goals of the case's plan (set by the view)
    goal_id = SelectField(
        _l("Serves the plan goal"),
        coerce=lambda v: int(v) if v not in (None, "", "None") else None,
        validators=[Optional()],
        choices=[("", "—")],
    )
    version = VersionField()


class AssistanceStatusForm(FlaskForm):
    """A step of the workflow. Cancelling and delivering are shown on a confirmation page first and done
    only when it is sent back with `confirmed`; delivering asks the date and the amount paid."""

    status = SelectField(_l("New status"), choices=AssistanceStatus.choices(), validators=[InputRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])
    delivered_on = IsoDateField(_l("Delivered on"), validators=[Optional()])
    #: typed as text and parsed to Decimal (grouping separators allowed); empty: the amount recorded
    amount = StringField(_l("Amount paid"), validators=[Optional(), Length(max=20)])
    version = VersionField()
    confirmed = HiddenField()


class DecisionForm(FlaskForm):
    """A supervisor's decision on a request; the reason is required to reject (checked by the service)."""

    decision = SelectField(_l("Decision"), choices=Decision.choices(), validators=[InputRequired()])
    comment = TextAreaField(_l("Comment (the reason, to reject)"), validators=[Optional(), Length(max=2000)])
    version = VersionField()
    next = HiddenField()
    confirmed = HiddenField()
