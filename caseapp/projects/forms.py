from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Optional

from caseapp.forms import IsoDateField, MultiCheckboxField, VersionField


class ProjectForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("Short and unique, e.g. AVR-2014: reports, imports and the command line use it."),
    )
    name = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=200)])
    name_ka = StringField(
        _l("Name in Georgian"),
        validators=[Optional(), Length(max=200)],
        description=_l("Shown on Georgian pages; when empty, the English name is shown."),
    )
    donor = StringField(_l("Donor"), validators=[DataRequired(), Length(max=200)])
    start_date = IsoDateField(_l("Start"), validators=[DataRequired()])
    end_date = IsoDateField(_l("End"), validators=[DataRequired()])
    office_ids = MultiCheckboxField(
        _l("Offices where it operates"), coerce=int, description=_l("None ticked: every office.")
    )
    type_ids = MultiCheckboxField(
        _l("Types of assistance it may fund"), coerce=int, description=_l("None ticked: every type.")
    )
    #: one budget per currency, typed as text and parsed to Decimal; empty: no budget in that currency
    budget_gel = StringField(_l("Budget in GEL"), validators=[Optional(), Length(max=20)])
    budget_eur = StringField(_l("Budget in EUR"), validators=[Optional(), Length(max=20)])
    budget_usd = StringField(_l("Budget in USD"), validators=[Optional(), Length(max=20)])
    active = BooleanField(_l("Active (offered for new records)"), default=True)
    version = VersionField()
