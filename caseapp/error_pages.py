"""Error pages: every failure a user can meet is a page in their language, never a stack trace.

Database trouble a retry can cure (locked, connection lost, too slow, read-only) is 503 "try again";
forms can be sent again safely because a submit is recorded once (caseapp/submissions.py). A failure
after the request's commit says that the change was saved (caseapp/unit_of_work.py)."""

from __future__ import annotations

from flask import Flask, g, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError

from caseapp import unit_of_work
from caseapp.extensions import login_manager

ERROR_TEXTS = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. If you submitted a form, reload the page and try again."),
    ),
    403: (_l("Not allowed"), _l("Your role does not allow this page.")),
    404: (_l("Not found"), _l("There is nothing here, or nothing you may see.")),
    405: (_l("Not allowed"), _l("This address does not take that kind of request.")),
    413: (
        _l("The file is too large"),
        _l("Uploads stop at 64 MB. Split the file, or import it with the import-data command."),
    ),
    429: (_l("Too many attempts"), _l("Wait a minute, then try again.")),
    409: (
        _l("Someone else saved this record at the same moment"),
        _l(
            "Nothing of yours was saved and nothing was overwritten. Go back, reload the page to see the "
            "current version, and make your change again."
        ),
    ),
    500: (_l("Error"), _l("Something went wrong on our side. Nothing was saved; please try again.")),
    503: (
        _l("Please try again in a moment"),
        _l(
            "The database did not answer in time, so this page could not be completed. Go back and send "
            "the form again in a moment: a form sent twice is recorded once."
        ),
    ),
}

#: a failure after the commit: the truth is that the change is saved
SAVED_BUT_FAILED = (
    _l("Saved, but the next page could not be shown"),
    _l("Your change is saved. Reload the page or go back to the record to see it; do not enter it again."),
)


def render_error(code: int, message=None, texts=None, plain=False):
    """The error page; `plain` leaves out everything that reads the database (the navigation), for when
    the database is the problem."""
    title, explanation = texts or ERROR_TEXTS[code]
    plain = plain or code == 503
    if plain and "_login_user" not in g:
        # The user could not be loaded (the database is the problem): render as nobody, rather than let
        # the template ask the database again for `current_user`.
        g._login_user = login_manager.anonymous_user()
    template = "errors/plain.html" if plain else "errors/error.html"
    return render_template(template, title=title, explanation=explanation, message=message, code=code), code


def register_errorhandlers(app: Flask) -> None:
    app.extensions["caseapp.render_error"] = render_error  # for unit_of_work, below this module

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        # Flask-WTF's own descriptions are English and technical; say what happened and what to do.
        if "expired" in (error.description or ""):
            return render_error(
                400, _("The form was open too long. Reload the page and send it again; nothing was saved.")
            )
        return render_error(
            400,
            _(
                "The form could not be checked: it was sent from an old page or from another site. "
                "Reload the page and send it again; nothing was saved."
            ),
        )

    app.register_error_handler(400, lambda error: render_error(400, getattr(error, "description", None)))
    for code in (403, 404, 405, 413, 429):
        app.register_error_handler(code, lambda error, code=code: render_error(code))

    @app.errorhandler(StaleDataError)
    def concurrent_edit(error):
        # Two saves of the same record at the same moment: the later one changes nothing.
        return render_error(409)

    @app.errorhandler(DBAPIError)
    def database_error(error):
        if unit_of_work.is_unavailable(error):
            app.logger.warning("Database unavailable: %s", error.orig)
            return render_error(503)
        raise error

    @app.errorhandler(500)
    def internal_error(error):
        unit_of_work.rollback_quietly()
        if unit_of_work.committed():
            return render_error(500, texts=SAVED_BUT_FAILED, plain=True)
        return render_error(500, plain=isinstance(getattr(error, "original_exception", None), DBAPIError))
