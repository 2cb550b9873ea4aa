"""Form pieces shared by several features."""
import re
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectMultipleField, widgets
from wtforms.validators import ValidationError


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


#: characters no text takes: PostgreSQL refuses NUL, and a workbook cannot hold any of them
#: (tab, line feed and carriage return are text)
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def has_control_characters(values) -> bool:
    """Whether any of these submitted values (query string or form) holds a control character."""
    return any(CONTROL_RE.search(value) for value in values if isinstance(value, str))
