"""Form pieces shared by several features."""
from datetime import date
from decimal import Decimal

from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, IntegerField, SelectMultipleField, widgets
from wtforms.validators import NumberRange, Optional, ValidationError

from caseapp.inputs import DB_INT_MAX
from caseapp.language.parsing import local_date_example, parse_local_amount, parse_local_date


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class IsoDateField(DateField):
    """A date input (the browser's date picker sends YYYY-MM-DD); typed by hand, YYYY-MM-DD or the
    usual form of the page's language (25.11.2026 in Georgian) is accepted, with a readable error."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%Y-%m-%d", **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        locale = get_locale()
        try:
            self.data = parse_local_date(valuelist[0], locale)
        except ValueError:
            self.data = None
            raise ValueError(_l("Not a valid date: use YYYY-MM-DD or %(example)s.",
                                example=local_date_example(locale))) from None


def parse_typed_amount(text: str | None) -> Decimal | None:
    """An amount typed in a form: plain (1500.00) or with the page language's grouping and decimal
    signs (1,500.00 in English, 1 500,00 in Georgian). ValueError carries the message for the field."""
    try:
        return parse_local_amount(text, get_locale())
    except ValueError:
        raise ValueError(_("Type the amount as a number, e.g. %(example)s or 1500.00",
                           example=format_decimal(Decimal("1500"), format="#,##0.00"))) from None


def amount_for_input(amount: Decimal | None) -> str:
    """An amount put back into a form the way the page's language writes it (1 500,00 or 1,500.00);
    parse_typed_amount reads it back unchanged."""
    return "" if amount is None else format_decimal(amount, format="#,##0.00")


def not_in_future(form, field):
    if field.data and field.data > date.today():
        raise ValidationError(_l("This date cannot be in the future."))


class VersionField(IntegerField):
    """The hidden version of the record the form was loaded with (optimistic locking); a value no
    record can have makes the form invalid rather than reach the database."""

    widget = HiddenField.widget

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, [Optional(), NumberRange(0, DB_INT_MAX)] + list(validators or []), **kwargs)
