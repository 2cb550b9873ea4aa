"""Forms that record consent: the purposes ticked at registration, and one decision on the returnee page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from caseapp.consent.models import ConsentMethod, ConsentPurpose
from caseapp.forms import IsoDateField, MultiCheckboxField, not_in_future

#: methods a person can use today (the earlier yes/no record exists only through the migration)
METHOD_CHOICES = [(m.value, m.label) for m in (ConsentMethod.SIGNED_FORM, ConsentMethod.VERBAL)]


class RegistrationConsentFields:
    """The consent part of the registration form (a form class mixes it in): the purposes agreed to."""

    consent_purposes = MultiCheckboxField(_l("Consent given to"), choices=ConsentPurpose.choices())
    consent_date = IsoDateField(_l("Consent date"), validators=[Optional(), not_in_future])
    consent_method = SelectField(_l("How the consent was given"), choices=METHOD_CHOICES, default="signed_form")

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.consent_purposes.data and self.consent_date.data is None and not self.consent_date.errors:
            self.consent_date.errors = [*self.consent_date.errors, _l("Give the date the consent was given.")]
            valid = False
        return valid


class ConsentDecisionForm(FlaskForm):
    """One decision about one purpose: given or withdrawn, when and how."""

    purpose = SelectField(_l("Purpose"), choices=ConsentPurpose.choices(), validators=[InputRequired()])
    decision = RadioField(
        _l("Decision"),
        choices=[("given", _l("Consent given")), ("withdrawn", _l("Consent withdrawn"))],
        validators=[InputRequired()],
    )
    decided_on = IsoDateField(_l("Date"), validators=[InputRequired(), not_in_future])
    method = SelectField(_l("How"), choices=METHOD_CHOICES, validators=[InputRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
