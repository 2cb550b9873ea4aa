from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from caseapp.review.models import ReviewOutcome


class CaseReviewForm(FlaskForm):
    outcome = SelectField(_l("Outcome"), choices=ReviewOutcome.choices(), validators=[InputRequired()])
    comment = TextAreaField(_l("Comment (what needs to be done, if anything)"),
                            validators=[Optional(), Length(max=5000)])
    next = HiddenField()


class ReviewAnswerForm(FlaskForm):
    answer = TextAreaField(_l("Your answer"), validators=[Optional(), Length(max=5000)])
    next = HiddenField()


class ReassignForm(FlaskForm):
    """The selected cases come as repeated `case_id` fields (checkboxes of the list)."""

    caseworker_id = SelectField(_l("Reassign the selected cases to"), coerce=int, validators=[InputRequired()])
    #: the cases move only when the confirmation page sends this back
    confirmed = HiddenField()
