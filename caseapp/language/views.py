"""The language switch of the menu and the login page: one small POST form."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, abort, redirect, request, session, url_for
from flask_login import current_user

from caseapp.extensions import db
from caseapp.language import supported
from caseapp.ui import local_path

bp = Blueprint("language", __name__)


@bp.post("/language")
def switch():
    """Keep the chosen language on the account (every later login and browser) and in the session
    (the login page, before anyone signs in); then back to the page the switch was on."""
    chosen = supported(request.form.get("locale"))
    if chosen is None:
        abort(400)
    session["locale"] = chosen
    if current_user.is_authenticated:
        current_user.locale = chosen
        db.session.flush()  # the request commits (caseapp.unit_of_work)
    target = local_path(request.form.get("next"))
    return redirect(without_lang(target) if target else url_for("home.index"))


def without_lang(target: str) -> str:
    """The page to go back to, without a `?lang=` that would choose the other language again."""
    parts = urlsplit(target)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"])
    return urlunsplit(("", "", parts.path, query, parts.fragment))
