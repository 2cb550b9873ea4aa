from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from caseapp.assistance.models import AssistanceCategory


class OfficeForm(FlaskForm):
    name = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=80)],
                       description=_l("Also the name the command line and spreadsheets use."))
    name_ka = StringField(_l("Name in Georgian"), validators=[Optional(), Length(max=80)],
                          description=_l("Shown on Georgian pages; when empty, the English name is shown."))
    active = BooleanField(_l("Active"), default=True)


class ChoiceNameForm(FlaskForm):
    """The administrator's names for one fixed choice (a closure reason, a vulnerability); empty = default."""

    name = StringField(_l("Name in English"), validators=[Optional(), Length(max=120)],
                       description=_l("When empty, the default English name is shown."))
    name_ka = StringField(_l("Name in Georgian"), validators=[Optional(), Length(max=120)],
                          description=_l("When empty, the default Georgian name is shown."))


class AssistanceTypeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=40),
                    Regexp(r"^[a-z][a-z0-9_]*$", message=_l("Lower-case letters, digits and _ only."))],
        description=_l("Used in reports, imports and exports; it cannot change once records use it."),
    )
    name = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=120)])
    name_ka = StringField(_l("Name in Georgian"), validators=[Optional(), Length(max=120)],
                          description=_l("Shown on Georgian pages; when empty, the English name is shown."))
    category = SelectField(_l("Category"), choices=AssistanceCategory.choices(), validators=[DataRequired()])
    carries_amount = BooleanField(_l("Carries an amount"))
    needs_approval = BooleanField(_l("Needs a supervisor's approval"))
    active = BooleanField(_l("Offered (new records may use it)"), default=True)
    sort_order = IntegerField(_l("Position in lists"), default=100, validators=[NumberRange(0, 10000)])


class ThresholdForm(FlaskForm):
    """One amount per currency, typed as text and parsed to Decimal; empty means no threshold."""

    GEL = StringField("GEL", validators=[Length(max=20)])
    EUR = StringField("EUR", validators=[Length(max=20)])
    USD = StringField("USD", validators=[Length(max=20)])
