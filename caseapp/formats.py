"""Localised dates, numbers and choice labels for pages, with the work done once instead of per call.

A returnee list formats ~50 dates and ~75 labels, the report ~700 numbers. Through Flask-Babel each call
looks the locale (and time zone) up in the request context four times over, then Babel finds the pattern
(parsing it again when it is not one of the locale's named formats) and formats field by field: 20-30 us a
call, a third of a list page's rendering. Here:

- the locale and time zone are read where Flask-Babel keeps them for the request (one lookup; its
  `get_locale()`/`get_timezone()` fill that place on first use, and `force_locale()`/`refresh()` act on
  it, so both always agree);
- a formatted date or whole number is kept, keyed by everything its text depends on (locale, format,
  value; for a moment also the time zone it is shown in), in bounded caches shared by all requests: the
  key holds the locale, so a Georgian page and the next English one never share a text;
- a choice's label (an enum member) is kept for the rest of the request only, since an administrator
  may rename a choice (caseapp.language.vocabulary) between two requests;
- the templates' `_()` (~60 a page) find the catalogue of the page's locale in one step.

The texts are exactly Flask-Babel's (tests/test_formats.py compares them)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from functools import lru_cache

import babel.dates
import babel.numbers
import pytz
from babel import Locale
from flask import Flask, g, has_app_context
from flask_babel import get_locale, get_timezone, get_translations
from jinja2 import pass_eval_context
from markupsafe import Markup

#: how many texts each cache keeps (a few hundred distinct dates and counts make a busy page)
CACHE_SIZE = 8192


def page_locale() -> Locale | None:
    """`flask_babel.get_locale()`, read first from where Flask-Babel keeps it for the request."""
    try:
        locale = g._flask_babel.babel_locale
    except (AttributeError, RuntimeError):  # not chosen yet in this request; no request at all
        return get_locale()
    return locale if locale is not None else get_locale()


def page_timezone():
    """`flask_babel.get_timezone()` (a pytz zone; BABEL_DEFAULT_TIMEZONE), read likewise."""
    try:
        zone = g._flask_babel.babel_tzinfo
    except (AttributeError, RuntimeError):
        return get_timezone()
    return zone if zone is not None else get_timezone()


#: the last locale object seen and its identifier (`ka`): each request parses its own Locale, and comparing
#: two Locale objects runs Python code, so the caches below are keyed by the identifier string
_last_locale: tuple[Locale | None, str | None] = (None, None)


def page_locale_key() -> str | None:
    """The identifier of the page's locale (`ka`, `en`), None outside a request."""
    global _last_locale
    locale = page_locale()
    seen, identifier = _last_locale  # one tuple, read at once: safe with threads
    if seen is locale:
        return identifier
    identifier = str(locale) if locale is not None else None
    _last_locale = (locale, identifier)
    return identifier


def _locale(identifier: str | None) -> Locale | None:
    return Locale.parse(identifier) if identifier is not None else None


# --- the templates' _(), ngettext() --------------------------------------------------------------------------

#: the translations of each locale, as `flask_babel.get_translations()` gives them (Flask-Babel itself keeps
#: them per locale for the life of the process; this saves its four context lookups per string)
_catalogues: dict[str, object] = {}


def page_translations():
    """`flask_babel.get_translations()`: the catalogue of the page's locale."""
    locale = page_locale_key()
    catalogue = _catalogues.get(locale) if locale is not None else None
    if catalogue is None:
        catalogue = get_translations()
        if locale is not None and has_app_context():
            _catalogues[locale] = catalogue
    return catalogue


@pass_eval_context
def template_gettext(eval_context, string: str, /, **variables) -> str:
    """The templates' `_()` and `gettext()`: Jinja's newstyle gettext (autoescaped, always `%`-formatted).

    Jinja's own is a `pass_context` function, and such a call made where a block or loop has set a variable
    copies the whole template context first (Context.derived): ~25 copies on the returnee list. This one
    needs only the autoescape setting."""
    text = page_translations().ugettext(string)
    if eval_context.autoescape:
        text = Markup(text)  # nosec B704 - our own catalogue's text, as Jinja's gettext marks it; the variables are escaped by %
    return text % variables


@pass_eval_context
def template_ngettext(eval_context, singular: str, plural: str, num: int, /, **variables) -> str:
    """The templates' `ngettext()`, likewise (`num` is available to the text as `%(num)s`)."""
    variables.setdefault("num", num)
    text = page_translations().ungettext(singular, plural, num)
    if eval_context.autoescape:
        text = Markup(text)  # nosec B704 - as above
    return text % variables


def install_template_gettext(app: Flask) -> None:
    """Put template_gettext/template_ngettext where Flask-Babel put Jinja's (after babel.init_app)."""
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext)


# --- dates ---------------------------------------------------------------------------------------------------


@lru_cache(maxsize=CACHE_SIZE)
def _date_text(locale: str | None, fmt: str, day: date) -> str:
    return babel.dates.format_date(day, fmt, locale=_locale(locale))


def format_date(value: date | datetime, fmt: str = "medium") -> str:
    """`flask_babel.format_date(value, fmt)`: a moment (datetime) gives its date in the page's time zone."""
    if isinstance(value, datetime):
        value = _in_zone(value, page_timezone()).date()
    return _date_text(page_locale_key(), fmt, value)


def _in_zone(moment: datetime, zone) -> datetime:
    """`flask_babel.to_user_timezone`: a naive moment is UTC (as stored)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=pytz.UTC)
    return zone.normalize(moment.astimezone(zone)) if hasattr(zone, "normalize") else moment.astimezone(zone)


@lru_cache(maxsize=CACHE_SIZE)
def _datetime_text(identifier: str | None, zone, fmt: str | None, moment: datetime) -> str:
    locale = _locale(identifier)
    if fmt:
        return babel.dates.format_datetime(moment, fmt, tzinfo=zone, locale=locale)
    # the readable date and the hour and minute: `Nov 25, 2026, 3:27 PM`, `25 ნოე. 2026, 15:27`
    pattern = babel.dates.get_datetime_format("medium", locale=locale)
    day = babel.dates.format_date(_in_zone(moment, zone).date(), "medium", locale=locale)
    time = babel.dates.format_time(moment, "short", tzinfo=zone, locale=locale)
    return pattern.replace("{1}", day).replace("{0}", time)


def format_moment(value: datetime, fmt: str | None = None) -> str:
    """A moment in the page's time zone: `fmt` as `flask_babel.format_datetime` reads it, or by default
    the locale's medium date and short time joined by its own datetime pattern."""
    return _datetime_text(page_locale_key(), page_timezone(), fmt, value)


# --- numbers -------------------------------------------------------------------------------------------------


@lru_cache(maxsize=CACHE_SIZE)
def _whole_number_text(locale: str | None, fmt: str | None, number: int) -> str:
    return babel.numbers.format_decimal(number, format=fmt, locale=_locale(locale))


def format_decimal(number, format: str | None = None) -> str:  # noqa: A002 (Flask-Babel's signature)
    """`flask_babel.format_decimal(number, format)`; whole numbers (every count) come from the cache. Only
    `int` itself is cached: 1, 1.0 and True are equal keys but need not give the same text."""
    if type(number) is int:
        return _whole_number_text(page_locale_key(), format, number)
    return babel.numbers.format_decimal(number, format=format, locale=page_locale())


# --- choice labels -------------------------------------------------------------------------------------------


def choice_label(value) -> str:
    """`str(value.label)` (a choice's name in the page's language) for an enum member, kept for the rest
    of the request; anything else is converted as it comes (`""` for None)."""
    if not isinstance(value, enum.Enum):
        return str(getattr(value, "label", value or ""))
    try:
        request_globals = g._get_current_object()
    except RuntimeError:  # no app context: nothing to keep it in
        return str(value.label)
    labels = getattr(request_globals, "_choice_labels", None)
    if labels is None:
        labels = request_globals._choice_labels = {}
    # the type is part of the key: members of two StrEnums with the same value are equal
    key = (page_locale_key(), type(value), value)
    text = labels.get(key)
    if text is None:
        text = labels[key] = str(value.label)
    return text


def forget_choice_labels() -> None:
    """After a choice is renamed: the rest of the request shows the new name."""
    if has_app_context():
        g.pop("_choice_labels", None)
