"""caseapp: case tracking for return and reintegration assistance."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, g, has_request_context, jsonify, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from sqlalchemy.orm.exc import StaleDataError

from caseapp import database
from caseapp.config import DefaultConfig, database_url, load_secret_key
from caseapp.extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate
from caseapp.inputs import DatabaseIdConverter, refuse_control_characters

REPO_ROOT = Path(__file__).resolve().parent.parent

#: endpoints that answer without a login; everything else requires one
PUBLIC_ENDPOINTS = {"auth.login", "static", "bootstrap.static", "healthz"}
#: what a user whose password was set by an administrator may open before choosing their own
PASSWORD_CHANGE_ENDPOINTS = {"auth.change_password", "auth.logout", "static", "bootstrap.static"}


def create_app(test_config: dict | None = None) -> Flask:
    instance_path = os.environ.get("CASEAPP_INSTANCE_PATH", str(REPO_ROOT / "instance"))
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(REPO_ROOT / "templates"),
    )
    app.url_map.converters["int"] = DatabaseIdConverter
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    if test_config:
        app.config.update(test_config)
    app.config.setdefault("SECRET_KEY", None)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = load_secret_key(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.instance_path)
    # A CSRF token never outlives the login session it was issued in (see auth/sessions.py).
    app.config["WTF_CSRF_TIME_LIMIT"] = int(app.config["SESSION_LIFETIME_HOURS"] * 3600)

    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(REPO_ROOT / "migrations"), render_as_batch=True,
                     compare_type=True)
    from caseapp.auth.sessions import check_login_session

    # First, before any query: whether this request's SQLite transactions take the write lock.
    app.before_request(set_transaction_mode)
    # Before the CSRF check: an ended session takes its CSRF token with it.
    app.before_request(check_login_session)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    bootstrap.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    with app.app_context():
        database.configure_engine(db.engine)
    # Import every model so that metadata is complete for migrations and create_all.
    from caseapp import models  # noqa: F401


def set_transaction_mode() -> None:
    g.may_write_token = database.set_request_may_write(request.method not in ("GET", "HEAD", "OPTIONS"))


def register_blueprints(app: Flask) -> None:
    from caseapp.admin.views import bp as admin_bp
    from caseapp.assistance.views import bp as assistance_bp
    from caseapp.auth.cli import register_auth_commands
    from caseapp.auth.views import bp as auth_bp
    from caseapp.demo.cli import register_demo_commands
    from caseapp.home.views import bp as home_bp
    from caseapp.imports import register_imports
    from caseapp.reports.cli import register_report_commands
    from caseapp.reports.views import bp as reports_bp
    from caseapp.returnees.views import bp as returnees_bp
    from caseapp.review.views import bp as review_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(returnees_bp)
    app.register_blueprint(assistance_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(reports_bp)
    register_auth_commands(app)
    register_demo_commands(app)
    register_imports(app)
    register_report_commands(app)

    @app.get("/healthz")
    def healthz():
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:  # any failure of the database is the answer, not an error page
            db.session.rollback()
            return jsonify(status="unavailable", database="down"), 503
        return jsonify(status="ok", database="up")


def register_request_hooks(app: Flask) -> None:
    @app.before_request
    def require_login_by_default():
        refuse_control_characters()
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
            return redirect(url_for("auth.change_password"))
        return None

    @app.teardown_request
    def end_transaction(exc):
        # Whatever a view did not commit is rolled back: a request writes whole or not at all.
        if exc is not None:
            db.session.rollback()
        token = g.pop("may_write_token", None)
        if token is not None:
            database.reset_request_may_write(token)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if current_user and getattr(current_user, "is_authenticated", False):
            # Pages with personal data must not be kept by shared office browsers.
            response.headers.setdefault("Cache-Control", "no-store")
        return response


ERROR_TEXTS = {
    400: (_l("Bad request"),
          _l("The request could not be understood. If you submitted a form, reload the page and try again.")),
    403: (_l("Not allowed"), _l("Your role does not allow this page.")),
    404: (_l("Not found"), _l("There is nothing here, or nothing you may see.")),
    405: (_l("Not allowed"), _l("This address does not take that kind of request.")),
    413: (_l("The file is too large"),
          _l("Uploads stop at 64 MB. Split the file, or import it with the import-data command.")),
    429: (_l("Too many attempts"), _l("Wait a minute, then try again.")),
    409: (_l("Someone else saved this record at the same moment"),
          _l("Nothing of yours was saved and nothing was overwritten. Go back, reload the page to see the "
             "current version, and make your change again.")),
    500: (_l("Error"), _l("Something went wrong on our side. Nothing was saved; please try again.")),
}


def register_errorhandlers(app: Flask) -> None:
    def render_error(code: int, message=None):
        title, explanation = ERROR_TEXTS[code]
        return render_template("errors/error.html", title=title, explanation=explanation, message=message,
                               code=code), code

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, error.description)

    app.register_error_handler(400, lambda error: render_error(400, getattr(error, "description", None)))
    for code in (403, 404, 405, 413, 429):
        app.register_error_handler(code, lambda error, code=code: render_error(code))

    @app.errorhandler(StaleDataError)
    def concurrent_edit(error):
        # Two saves of the same record at the same moment: the later one changes nothing.
        db.session.rollback()
        return render_error(409)

    @app.errorhandler(500)
    def internal_error(error):
        db.session.rollback()
        return render_error(500)


def register_template_helpers(app: Flask) -> None:
    from caseapp.auth.policies import TEMPLATE_POLICIES
    from caseapp.ui import register_filters

    register_filters(app)

    @app.context_processor
    def inject_policies():
        return {"can": TEMPLATE_POLICIES}


def _select_locale():
    from flask import current_app

    # Outside a request (command line, tests calling services) there is no session: the default locale.
    chosen = session.get("locale") if has_request_context() else None
    return chosen or current_app.config["BABEL_DEFAULT_LOCALE"]
