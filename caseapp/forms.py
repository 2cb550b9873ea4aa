"""Form pieces shared by several features."""
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, IntegerField, SelectMultipleField, widgets
from wtforms.validators import NumberRange, Optional, ValidationError

from caseapp.inputs import DB_INT_MAX


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class IsoDateField(DateField):
    """A date typed as YYYY-MM-DD (the browser's date picker sends this) with a readable error."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%Y-%m-%d", **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(_l("Not a valid date: use YYYY-MM-DD.")) from None


def not_in_future(form, field):
    if field.data and field.data > date.today():
        raise ValidationError(_l("This date cannot be in the future."))


class VersionField(IntegerField):
    """The hidden version of the record the form was loaded with (optimistic locking); a value no
    record can have makes the form invalid rather than reach the database."""

    widget = HiddenField.widget

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, [Optional(), NumberRange(0, DB_INT_MAX)] + list(validators or []), **kwargs)
