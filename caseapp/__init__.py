"""caseapp: case tracking for return and reintegration assistance."""

from __future__ import annotations

import os
from functools import wraps
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from caseapp import database, ratelimit, security, unit_of_work
from caseapp.auth.sessions import PUBLIC_ENDPOINTS, check_login_session
from caseapp.config import DefaultConfig, database_url, load_secret_key
from caseapp.deployment import refuse_lone_server_settings
from caseapp.error_pages import register_errorhandlers
from caseapp.extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate
from caseapp.health import register_healthz
from caseapp.inputs import DatabaseIdConverter, refuse_control_characters
from caseapp.language import LANGUAGE_NAMES, current_language, remember_lang_argument, select_locale
from caseapp.language.wtforms_messages import translate_wtforms_messages

REPO_ROOT = Path(__file__).resolve().parent.parent

#: what a user whose password was set by an administrator may open before choosing their own
PASSWORD_CHANGE_ENDPOINTS = {"auth.change_password", "auth.logout", "language.switch", "static", "bootstrap.static"}


def create_app(test_config: dict | None = None) -> Flask:
    instance_path = os.environ.get("CASEAPP_INSTANCE_PATH", str(REPO_ROOT / "instance"))
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(REPO_ROOT / "templates"),
    )
    app.url_map.converters["int"] = DatabaseIdConverter
    # Personal data lives here (the SQLite file, pending uploads, the secret key): owner only.
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    # Every setting can also come from the environment as CASEAPP_<NAME> (values read as JSON when they
    # parse: CASEAPP_BACKUP_KEEP=30, CASEAPP_SQLITE_SYNCHRONOUS=NORMAL); the environment wins.
    app.config.from_prefixed_env("CASEAPP")
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.instance_path)
    # Before the one-server defaults below (a generated key, instance/backups): see caseapp/deployment.py.
    refuse_lone_server_settings(app)
    app.config.setdefault("SECRET_KEY", None)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = load_secret_key(app.instance_path)
    if not app.config.get("BACKUP_DIR"):
        app.config["BACKUP_DIR"] = str(Path(app.instance_path) / "backups")
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database.engine_options(app.config)
    # A CSRF token never outlives the login session it was issued in (see auth/sessions.py).
    app.config["WTF_CSRF_TIME_LIMIT"] = int(app.config["SESSION_LIFETIME_HOURS"] * 3600)
    refuse_missing_database(app)

    security.init_app(app)
    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_request_ids(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    unit_of_work.init_app(app)  # last: its commit runs before the other after-request hooks
    guard_commands(app)
    return app


#: commands that may run without the SQLite file: `db upgrade` and `restore` create it; the others here
#: read only the migration scripts
WITHOUT_DATABASE = {
    ("db", "upgrade"),
    ("restore",),
    *(
        ("db", name)
        for name in ("history", "heads", "branches", "show", "merge", "edit", "init", "list-templates", "revision")
    ),
}


def guard_commands(app: Flask) -> None:
    """Every command of the app (`flask --app caseapp ...`) answers a missing SQLite file or a database that
    does not answer with one `Error: ...` line and exit status 1, never a traceback, and never creates the
    file (only `db upgrade` and `restore` do)."""

    def guard(command: click.Command, path: tuple[str, ...]) -> None:
        if isinstance(command, click.Group):
            for name, subcommand in command.commands.items():
                guard(subcommand, (*path, name))
            return
        if command.callback is None or getattr(command.callback, "caseapp_guarded", False):
            return
        command.callback = _guarded(command.callback, needs_file=path not in WITHOUT_DATABASE)

    for name, command in app.cli.commands.items():
        guard(command, (name,))


def _guarded(callback, *, needs_file: bool):
    @wraps(callback)
    def run(*args, **kwargs):
        if needs_file:
            _refuse_missing_file()
        try:
            return callback(*args, **kwargs)
        except sa.exc.OperationalError as error:
            raise click.ClickException(database.error_text(error)) from None

    run.caseapp_guarded = True
    return run


def _refuse_missing_file() -> None:
    from flask.cli import ScriptInfo

    # outside with_appcontext (the command's own decorator) there may be no app context yet
    app = (
        current_app._get_current_object()
        if current_app
        else click.get_current_context().ensure_object(ScriptInfo).load_app()
    )
    path = database.sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
    if path is not None and not path.exists() and not app.config["SQLITE_CREATE"]:
        raise click.ClickException(str(database.DatabaseMissing(path)))


def refuse_missing_database(app: Flask) -> None:
    """A server does not start on a SQLite file that is not there: it would only answer errors (or, as
    SQLite does by default, create an empty database that looks "up"). Commands may run: `flask db
    upgrade` creates the file; the others report the missing database when they connect. Tests (TESTING)
    make their databases after the app."""
    path = database.sqlite_path(app.config["SQLALCHEMY_DATABASE_URI"])
    if path is None or path.exists() or app.config["SQLITE_CREATE"] or app.testing:
        return
    command = click.get_current_context(silent=True)
    if command is None or command.info_name == "run":  # a WSGI server (gunicorn), or `flask run`
        raise database.DatabaseMissing(path)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(REPO_ROOT / "migrations"), render_as_batch=True, compare_type=True)
    # First, before any query: whether this request's SQLite transactions take the write lock.
    app.before_request(set_transaction_mode)
    # Before the CSRF check: an ended session takes its CSRF token with it.
    app.before_request(check_login_session)
    csrf.init_app(app)
    ratelimit.configure_storage(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    translate_wtforms_messages()
    bootstrap.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    with app.app_context():
        database.configure_engine(db.engine, app.config)
    # Import every model so that metadata is complete for migrations and create_all.
    from caseapp import models  # noqa: F401


def set_transaction_mode() -> None:
    """Whether this request's SQLite transactions begin with the write lock: a writing method, or a GET
    view marked `writes_on_read` (see unit_of_work). The login-session check reads it too."""
    view = current_app.view_functions.get(request.endpoint)
    g.may_write_token = database.set_request_may_write(unit_of_work.may_write(view, request.method))


def register_blueprints(app: Flask) -> None:
    from caseapp.admin.cli import register_admin_commands
    from caseapp.admin.views import bp as admin_bp
    from caseapp.analytics import register_analytics
    from caseapp.assessments.views import bp as assessments_bp
    from caseapp.assistance.views import bp as assistance_bp
    from caseapp.auditlog.views import bp as auditlog_bp
    from caseapp.auth.views import bp as auth_bp
    from caseapp.backup.cli import register_backup_commands
    from caseapp.backup.views import bp as backup_bp
    from caseapp.casefile.views import bp as returnees_bp
    from caseapp.cases.views import bp as cases_bp
    from caseapp.consent.views import bp as consent_bp
    from caseapp.demo.cli import register_demo_commands
    from caseapp.duplicates.cli import register_duplicate_commands
    from caseapp.duplicates.views import bp as duplicates_bp
    from caseapp.funding.views import bp as funding_bp
    from caseapp.home.views import bp as home_bp
    from caseapp.imports import register_imports
    from caseapp.jobs import register_jobs
    from caseapp.language.views import bp as language_bp
    from caseapp.monitoring.views import bp as monitoring_bp
    from caseapp.plans.views import register_plans
    from caseapp.privacy.cli import register_privacy_commands
    from caseapp.privacy.views import bp as privacy_bp
    from caseapp.projects.cli import register_project_commands
    from caseapp.projects.views import bp as projects_bp
    from caseapp.referrals.views import bp as referrals_bp
    from caseapp.reports.cli import register_indicator_commands, register_report_commands
    from caseapp.reports.cycle_views import bp as cycle_reports_bp
    from caseapp.reports.indicator_views import bp as indicators_bp
    from caseapp.reports.views import bp as reports_bp
    from caseapp.review.views import bp as review_bp
    from caseapp.rss.cli import register_rss_commands
    from caseapp.rss.views import bp as rss_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(returnees_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(assistance_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(cycle_reports_bp)
    app.register_blueprint(backup_bp)
    app.register_blueprint(auditlog_bp)
    app.register_blueprint(language_bp)
    app.register_blueprint(consent_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(projects_bp)
    app.register_blueprint(funding_bp)
    app.register_blueprint(duplicates_bp)
    app.register_blueprint(indicators_bp)
    app.register_blueprint(referrals_bp)
    app.register_blueprint(monitoring_bp)
    app.register_blueprint(assessments_bp)
    register_plans(app)
    app.register_blueprint(rss_bp)
    register_rss_commands(app)
    register_admin_commands(app)
    register_demo_commands(app)
    register_jobs(app)  # before the features that register job kinds
    register_imports(app)
    register_analytics(app)
    register_report_commands(app)
    register_indicator_commands(app)
    register_backup_commands(app)
    register_privacy_commands(app)
    register_project_commands(app)
    register_duplicate_commands(app)

    register_healthz(app)


def register_request_hooks(app: Flask) -> None:
    @app.before_request
    def require_login_by_default():
        refuse_control_characters()
        remember_lang_argument()
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
            return redirect(url_for("auth.change_password"))
        return None

    @app.teardown_request
    def end_transaction(exc):
        token = g.pop("may_write_token", None)
        if token is not None:
            database.reset_request_may_write(token)


def register_request_ids(app: Flask) -> None:
    """One id per request, written into every change-log entry of the request and sent back in X-Request-ID."""
    from caseapp.audit.reads import write_pending_reads
    from caseapp.audit.services import assign_request_id, echo_request_id

    app.before_request(assign_request_id)
    app.after_request(echo_request_id)
    app.after_request(write_pending_reads)


def register_template_helpers(app: Flask) -> None:
    from caseapp.auditlog import policies as auditlog_policies
    from caseapp.auth import policies as auth_policies
    from caseapp.cases import policies as case_policies
    from caseapp.duplicates import policies as duplicate_policies
    from caseapp.imports import policies as import_policies
    from caseapp.projects import policies as project_policies
    from caseapp.ui import register_filters

    register_filters(app)
    # Each feature names its own policies; only the top of the stack puts them together.
    policies = {
        **auth_policies.TEMPLATE_POLICIES,
        **case_policies.TEMPLATE_POLICIES,
        **import_policies.TEMPLATE_POLICIES,
        **auditlog_policies.TEMPLATE_POLICIES,
        **project_policies.TEMPLATE_POLICIES,
        **duplicate_policies.TEMPLATE_POLICIES,
    }

    from caseapp.history import describe
    from caseapp.submissions import submit_key_field

    app.add_template_global(submit_key_field)
    # the change log in words, for pages of features below history (a referral's, a visit's history)
    app.add_template_global(describe, "describe_history")

    @app.context_processor
    def inject_policies():
        return {"can": policies}

    @app.context_processor
    def inject_language():
        return {"current_language": current_language, "language_names": LANGUAGE_NAMES}
