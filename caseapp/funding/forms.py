from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional

from caseapp.forms import IsoDateField
from caseapp.inputs import DB_INT_MAX


class ReassignForm(FlaskForm):
    """Which records (0: any), to which project; `expected` is the number the preview showed."""

    office_id = SelectField(_l("Office"), coerce=int, default=0)
    type_id = SelectField(_l("Type of assistance"), coerce=int, default=0)
    date_from = IsoDateField(_l("Dated from"), validators=[Optional()])
    date_to = IsoDateField(_l("Dated to"), validators=[Optional()])
    project_id = SelectField(_l("Now paid by"), coerce=int, default=0)
    target_id = SelectField(_l("Move to project"), coerce=int, validators=[InputRequired()])
    expected = IntegerField(widget=HiddenField.widget, validators=[Optional(), NumberRange(0, DB_INT_MAX)])
    confirmed = HiddenField()
