"""The language of a page: Georgian (`ka`) or English (`en`), chosen per user.

Order of choice: the language stored on the signed-in user's account; otherwise the one chosen in this
browser (the menu switch or `?lang=` on the login page, kept in the session); otherwise the browser's
Accept-Language (`ka-GE` gives `ka`); otherwise the default (BABEL_DEFAULT_LOCALE)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, has_request_context, request, session
from flask_login import current_user
from sqlalchemy.ext.hybrid import hybrid_property

from caseapp.formats import page_locale

#: the languages the app is translated into, with their own names (the switch shows these)
LANGUAGE_NAMES = {"ka": "ქართული", "en": "English"}


def supported(code: str | None) -> str | None:
    """The language code if the app speaks it (`ka`, `en`; case and region ignored), else None."""
    code = (code or "").strip().replace("_", "-").split("-")[0].lower()
    return code if code in current_app.config["LANGUAGES"] else None


def select_locale() -> str:
    """Flask-Babel's locale selector (see the module docstring for the order)."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return default  # command line and services called by tests: the default
    user = current_user._get_current_object() if current_user else None
    chosen = getattr(user, "locale", None) if getattr(user, "is_authenticated", False) else None
    chosen = supported(chosen) or supported(session.get("locale"))
    if chosen:
        return chosen
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or default


def remember_lang_argument() -> None:
    """before_request: `?lang=ka` on any page (the login page's links) is kept for this browser."""
    chosen = supported(request.args.get("lang"))
    if chosen:
        session["locale"] = chosen


def current_language() -> str:
    """`ka` or `en`: the language of the page being made (the default outside a request)."""
    locale = page_locale()
    return locale.language if locale is not None else "en"


def local_name(name: str | None, name_ka: str | None) -> str:
    """A catalog entry's name in the page's language: the Georgian name when the page is Georgian and
    the entry has one, the English name otherwise."""
    if name_ka and current_language() == "ka":
        return name_ka
    return name or ""


def local_name_column(name, name_ka):
    """`local_name` in SQL, for queries that select names rather than objects."""
    if current_language() == "ka":
        return sa.case((name_ka != "", name_ka), else_=name)
    return name


class BilingualName:
    """A catalog entry with an English `name` and a Georgian `name_ka`: `label` is the name in the
    page's language, on an object and in a query (`select(FieldOffice.label)`)."""

    @hybrid_property
    def label(self) -> str:
        return local_name(self.name, self.name_ka)

    @label.inplace.expression
    @classmethod
    def _label_expression(cls):
        return local_name_column(cls.name, cls.name_ka)
