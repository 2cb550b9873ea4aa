from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from caseapp.forms import IsoDateField, MultiCheckboxField, VersionField
from caseapp.returnees.models import Sex, Vulnerability


class ReturneeForm(FlaskForm):
    first_name = StringField(_l("First name"), validators=[DataRequired(), Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)])
    sex = SelectField(_l("Sex"), choices=[("", "—")] + Sex.choices(), validators=[DataRequired()])
    date_of_birth = IsoDateField(_l("Date of birth"), validators=[InputRequired()])
    personal_number = StringField(
        _l("Personal number"), validators=[Optional(), Length(max=11)],
        description=_l("11 digits; leave empty if unknown."),
    )
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    field_office_id = SelectField(_l("Field office"), coerce=int, validators=[InputRequired()])
    return_date = IsoDateField(_l("Return date"), validators=[InputRequired()])
    returned_from = StringField(_l("Returned from (country)"), validators=[DataRequired(), Length(max=100)])
    vulnerabilities = MultiCheckboxField(_l("Vulnerabilities"), choices=Vulnerability.choices())
    consent_given = BooleanField(_l("Consent to data processing given"))
    consent_date = IsoDateField(_l("Consent date"), validators=[Optional()])
    external_id = StringField(_l("External id"), validators=[Optional(), Length(max=64)],
                              description=_l("Identifier in an older spreadsheet, if any."))
    return_project_id = SelectField(
        _l("Return assisted by project"), coerce=int, validate_choice=False, validators=[Optional()],
        description=_l("The project that organised and paid for the return; Unassigned when none did."),
    )  # fmt: skip
    open_case = BooleanField(_l("Open a case now"), default=True)
    confirm_duplicate = HiddenField(default="")
    version = VersionField()
