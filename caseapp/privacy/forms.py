"""The two steps of a data-subject request: the file is produced, then handed over."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from caseapp.forms import IsoDateField, not_in_future

DELIVERY_CHOICES = [
    ("in_person", _l("Handed over in person")),
    ("email", _l("Sent by e-mail")),
    ("post", _l("Sent by post")),
]


class DataRequestForm(FlaskForm):
    received_on = IsoDateField(_l("Request received on"), validators=[InputRequired(), not_in_future])
    channel = StringField(
        _l("How the request came"),
        validators=[Optional(), Length(max=200)],
        description=_l("e.g. letter, at the office, by phone"),
    )


class DataDeliveryForm(FlaskForm):
    delivered_on = IsoDateField(_l("Delivered on"), validators=[InputRequired(), not_in_future])
    method = SelectField(_l("How"), choices=DELIVERY_CHOICES, validators=[InputRequired()])
