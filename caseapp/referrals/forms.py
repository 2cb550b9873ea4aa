from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from caseapp.forms import IsoDateField, MultiCheckboxField, VersionField
from caseapp.referrals.models import ReferralStatus


class PartnerForm(FlaskForm):
    name = StringField(_l("Name (English)"), validators=[InputRequired(), Length(max=200)])
    name_ka = StringField(_l("Name (Georgian)"), validators=[Optional(), Length(max=200)])
    service_ids = MultiCheckboxField(_l("Services offered"), coerce=int, validators=[Optional()])
    office_ids = MultiCheckboxField(_l("Field offices covered"), coerce=int, validators=[Optional()])
    contact_person = StringField(_l("Contact person"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=64)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=200)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    notes = TextAreaField(_l("How to refer, what to know"), validators=[Optional(), Length(max=5000)])
    active = BooleanField(_l("Takes referrals"), default=True)
    version = VersionField()


class ReferralForm(FlaskForm):
    partner_id = SelectField(_l("Partner"), coerce=int, validators=[InputRequired()])
    service_id = SelectField(_l("Service"), coerce=int, validators=[InputRequired()])
    sent_on = IsoDateField(_l("Sent on"), validators=[InputRequired()])
    reason = TextAreaField(_l("Why, and what the partner should know"), validators=[Optional(), Length(max=5000)])


class ReferralStepForm(FlaskForm):
    """A step of the loop: the partner's answer, or the outcome; with its date and a note."""

    status = SelectField(_l("What happened"), choices=ReferralStatus.choices(), validators=[InputRequired()])
    on = IsoDateField(_l("On"), validators=[InputRequired()])
    note = TextAreaField(_l("Outcome note"), validators=[Optional(), Length(max=5000)])
    version = VersionField()
