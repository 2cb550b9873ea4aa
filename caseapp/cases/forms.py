from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from caseapp.cases.models import CaseStatus, ClosureReason
from caseapp.forms import IsoDateField, VersionField


class CaseStatusForm(FlaskForm):
    status = SelectField(_l("New status"), choices=CaseStatus.choices(), validators=[DataRequired()])
    reason = SelectField(
        _l("Reason for closing"),
        choices=[("", "—")] + [c for c in ClosureReason.choices() if c[0] != ClosureReason.IMPORTED_HISTORY],
        validators=[Optional()],
    )
    note = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])
    version = VersionField()
    #: closing is done only when the confirmation page sends this back
    confirmed = HiddenField()


class AssignForm(FlaskForm):
    caseworker_id = SelectField(_l("Caseworker"), coerce=int, validators=[InputRequired()])
    #: the case moves only when the confirmation page sends this back
    confirmed = HiddenField()


class OpenCaseForm(FlaskForm):
    """Only the CSRF token: opening a case takes no input."""


class FollowUpForm(FlaskForm):
    follow_up_on = IsoDateField(
        _l("Follow up on"), validators=[Optional()], description=_l("Leave empty when no follow-up is planned.")
    )
    version = VersionField()


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("Reason for reopening"), validators=[DataRequired(), Length(max=2000)])
    version = VersionField()
