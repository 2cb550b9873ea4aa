"""Presentation helpers shared by all templates: localised dates and money, safe redirects."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from urllib.parse import unquote, urlsplit

from flask import Flask, redirect, request
from markupsafe import Markup

from caseapp.formats import choice_label, format_date, format_decimal, format_moment, install_template_gettext
from caseapp.links import id_link


def money(amount: Decimal | None, currency) -> str:
    if amount is None:
        return ""
    return f"{format_decimal(amount, format='#,##0.00')} {getattr(currency, 'value', currency)}"


def localdate(value: date | None, fmt: str = "medium") -> str:
    return format_date(value, fmt) if value else ""


def localdatetime(value: datetime | None, fmt: str | None = None) -> str:
    """A moment in the office's time zone: by default the readable date and the hour and minute
    (`Nov 25, 2026, 3:27 PM`, `25 ნოე. 2026, 15:27`) rather than an ambiguous two-digit year."""
    return format_moment(value, fmt) if value else ""


def label(value) -> str:
    """A choice's name in the page's language (an enum member's `label`), or the value as text."""
    return choice_label(value)


def local_path(target: str | None) -> str | None:
    """`target` when it is a path on this site that no browser can read as another host, else None.

    Browsers are lenient where an attacker needs them to be: they drop tabs and line breaks inside a URL,
    read a backslash as a slash, take `//host`, `/\\host` and `http:host` as other hosts and run
    `javascript:`. So the only thing accepted is a plain absolute path: one leading slash followed by
    anything but a slash or backslash, without control characters, whitespace or backslashes anywhere,
    with no scheme or host, and still such a path once percent-decoded (servers and proxies decode) and
    once tabs and line breaks are dropped."""
    if not isinstance(target, str) or len(target) > 2000:
        return None
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    for candidate in (target, unquote(target)):
        candidate = candidate.replace("\t", "").replace("\r", "").replace("\n", "")  # what browsers drop
        if (not candidate.startswith("/") or candidate.startswith(("//", "/\\")) or "\\" in candidate
                or urlsplit(candidate).scheme or urlsplit(candidate).netloc):
            return None
    return target


def redirect_to_local(target: str | None, default: str):
    """Redirect to `target` if it is a local path (see local_path), otherwise to `default`."""
    return redirect(local_path(target) or default)


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
    app.jinja_env.globals["id_link"] = id_link
    install_template_gettext(app)
    app.jinja_env.globals["current_page"] = current_page
