"""Presentation helpers shared by all templates: localised dates and money, safe redirects."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urljoin, urlsplit

from babel.dates import get_datetime_format
from flask import Flask, request
from flask_babel import format_date, format_datetime, format_decimal, format_time, get_locale
from markupsafe import Markup


def money(amount: Decimal | None, currency) -> str:
    if amount is None:
        return ""
    return f"{format_decimal(amount, format='#,##0.00')} {getattr(currency, 'value', currency)}"


def localdate(value: date | None, fmt: str = "medium") -> str:
    return format_date(value, fmt) if value else ""


def localdatetime(value: datetime | None, fmt: str | None = None) -> str:
    """A moment in the office's time zone: by default the readable date and the hour and minute
    (`Nov 25, 2026, 3:27 PM`, `25 ნოე. 2026, 15:27`) rather than an ambiguous two-digit year."""
    if not value:
        return ""
    if fmt:
        return format_datetime(value, fmt)
    pattern = get_datetime_format("medium", locale=get_locale())
    return pattern.replace("{1}", format_date(value, "medium")).replace("{0}", format_time(value, "short"))


def label(value) -> str:
    return str(getattr(value, "label", value or ""))


def is_safe_redirect(target: str | None) -> bool:
    """Only redirect to a path on this host: never to another site (open redirect)."""
    if not target or target.startswith(("//", "\\")) or "\\" in target:
        return False
    parts = urlsplit(urljoin(request.host_url, target))
    return parts.scheme in ("http", "https") and parts.netloc == urlsplit(request.host_url).netloc


def current_page(*endpoints: str) -> Markup:
    """`aria-current="page"` on the menu link of the page being shown (screen readers announce it)."""
    if request.endpoint in endpoints:
        return Markup(' aria-current="page"')
    return Markup("")


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["localdate"] = localdate
    app.jinja_env.filters["localdatetime"] = localdatetime
    app.jinja_env.filters["label"] = label
    app.jinja_env.globals["format_decimal"] = format_decimal
    app.jinja_env.globals["current_page"] = current_page
