from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from caseapp.forms import IsoDateField, MultiCheckboxField, VersionField

#: target rows offered on the form beyond those saved (an empty row is left out)
SPARE_TARGET_ROWS = 3


class TargetForm(Form):
    """One reporting period and its target (a row of the indicator form; CSRF is the outer form's)."""

    period_start = IsoDateField(_l("From"), validators=[Optional()])
    period_end = IsoDateField(_l("To"), validators=[Optional()])
    target = StringField(_l("Target"), validators=[Optional(), Length(max=20)])


class IndicatorForm(FlaskForm):
    name = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=300)])
    name_ka = StringField(
        _l("Name in Georgian"),
        validators=[Optional(), Length(max=300)],
        description=_l("Shown on Georgian pages; when empty, the English name is shown."),
    )
    measure = SelectField(_l("What it counts"))
    currency = SelectField(_l("Currency (amounts)"), validators=[Optional()])
    type_ids = MultiCheckboxField(
        _l("Types of assistance it counts"), coerce=int, description=_l("None ticked: every type.")
    )
    sex = SelectField(_l("Sex"), validators=[Optional()])
    age_band = SelectField(_l("Age at return"), validators=[Optional()])
    vulnerability = SelectField(_l("Vulnerability"), validators=[Optional()])
    office_id = SelectField(_l("Field office"), validators=[Optional()])
    targets = FieldList(FormField(TargetForm), min_entries=SPARE_TARGET_ROWS)
    version = VersionField()
