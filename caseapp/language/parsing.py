"""Dates and amounts as people type them: the ISO form always, and the usual form of the page's language.

A date is `YYYY-MM-DD` (what the browser's date picker sends, and what the data holds) or the locale's
short date with a four-digit year (`25.11.2026` in Georgian, `11/25/2026` in English). An amount is
plain digits with a decimal point (`3500.00`) or the locale's form with grouping (`3,500.00` in English,
`3 500,00` in Georgian). Both are parsed by Babel's locale data, never guessed."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from babel import Locale
from babel.dates import format_date, get_date_format
from babel.numbers import NumberFormatError, get_decimal_symbol, get_group_symbol, parse_decimal

ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
PLAIN_AMOUNT_RE = re.compile(r"\d+(\.\d+)?")
#: the spaces people type (or paste) where a locale groups digits with a space
SPACES = " \u00a0\u202f"


def _short_date_parts(locale: str | Locale) -> tuple[list[str], str]:
    """The order of day, month and year in the locale's short date, and its separator."""
    pattern = get_date_format("short", locale=locale).pattern
    order = [letter for letter in re.findall(r"([dMy])\1*", pattern)]
    separator = re.sub(r"[dMy\s']", "", pattern)[:1] or "."
    return order, separator


def local_date_example(locale: str | Locale, on: date | None = None) -> str:
    """A date written the locale's usual way with four-digit year (shown in error messages)."""
    order, separator = _short_date_parts(locale)
    pattern = separator.join({"d": "dd", "M": "MM", "y": "yyyy"}[part] for part in order)
    return format_date(on or date(2026, 11, 25), pattern, locale=locale)


def parse_local_date(text: str | None, locale: str | Locale) -> date | None:
    """The date typed as YYYY-MM-DD or in the locale's short form; None when empty; ValueError when
    it is not a real date in either form."""
    text = (text or "").strip()
    if not text:
        return None
    if ISO_DATE_RE.fullmatch(text):
        return date.fromisoformat(text)
    order, separator = _short_date_parts(locale)
    parts = text.split(separator)
    if len(parts) != 3 or not all(part.isascii() and part.isdigit() for part in parts):
        raise ValueError(text)
    values = dict(zip(order, parts))
    if len(values["y"]) != 4 or len(values["M"]) > 2 or len(values["d"]) > 2:
        raise ValueError(text)
    return date(int(values["y"]), int(values["M"]), int(values["d"]))


def parse_local_amount(text: str | None, locale: str | Locale) -> Decimal | None:
    """The amount typed plainly (`3500.00`) or with the locale's grouping and decimal signs; None when
    empty; ValueError for anything else (letters, exponents, misplaced grouping)."""
    text = (text or "").strip()
    if not text:
        return None
    if PLAIN_AMOUNT_RE.fullmatch(text):
        return Decimal(text)
    group, decimal_sign = get_group_symbol(locale), get_decimal_symbol(locale)
    if group in SPACES:
        text = re.sub(f"[{SPACES}]", group, text)
    allowed = set("0123456789-") | {group, decimal_sign}
    if not set(text) <= allowed:
        raise ValueError(text)
    try:
        value = parse_decimal(text, locale=locale, strict=True)
    except NumberFormatError:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value
