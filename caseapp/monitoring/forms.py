from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from caseapp.forms import IsoDateField, VersionField
from caseapp.monitoring.models import VisitMethod


class VisitRecordForm(FlaskForm):
    done_on = IsoDateField(_l("Date of the visit"), validators=[InputRequired()])
    method = SelectField(_l("How"), choices=[("", "—")] + VisitMethod.choices(), validators=[Optional()])
    visited_by_id = SelectField(_l("Who made it"), coerce=int, validators=[Optional()])
    findings = TextAreaField(_l("Findings"), validators=[Optional(), Length(max=5000)])
    business_operating = SelectField(
        _l("Is the business still operating?"),
        choices=[("", "—"), ("yes", _l("Yes")), ("no", _l("No"))],
        validators=[Optional()],
    )
    next_steps = TextAreaField(_l("Next steps"), validators=[Optional(), Length(max=5000)])
    version = VersionField()


class VisitMoveForm(FlaskForm):
    due_on = IsoDateField(_l("New date"), validators=[InputRequired()])
    reason = TextAreaField(_l("Why it moves"), validators=[Optional(), Length(max=2000)])
    version = VersionField()


class VisitCancelForm(FlaskForm):
    reason = TextAreaField(_l("Why it is cancelled"), validators=[Optional(), Length(max=2000)])
    version = VersionField()


class VisitAddForm(FlaskForm):
    due_on = IsoDateField(_l("Due on"), validators=[InputRequired()])
