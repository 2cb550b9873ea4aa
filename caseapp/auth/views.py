from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from caseapp.audit.models import AuditAction
from caseapp.audit.reads import record_read
from caseapp.auth import sessions
from caseapp.auth.forms import ChangePasswordForm, LoginForm
from caseapp.auth.models import LoginSession
from caseapp.auth.services import authenticate, change_own_password, record_login, username_key
from caseapp.extensions import db, limiter, login_manager
from caseapp.ui import redirect_to_local
from caseapp.unit_of_work import attempt

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str):
    """The account of the live login session this request's cookie names (see auth/sessions.py)."""
    record = g.get("login_session")
    if record is None or str(record.user_id) != user_id:
        return None
    return record.user


def _typed_username() -> str:
    return "account:" + username_key(request.form.get("username"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_ADDRESS"], methods=["POST"], scope="login-address")
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT_PER_ACCOUNT"],
    methods=["POST"],
    key_func=_typed_username,
    scope="login-account",
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        outcome = authenticate(form.username.data, form.password.data, address=request.remote_addr or "")
        record_login(form.username.data, outcome)
        if outcome.user is None:
            # (the failure is counted: this answer is not an error, so the request's writes are committed)
            # Two answers only, the same for known and unknown usernames: never which part was wrong.
            if outcome.locked:
                flash(
                    _(
                        "Too many failed logins with this username: it is locked for %(minutes)d minutes. "
                        "An administrator can unlock it sooner.",
                        minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"],
                    ),
                    "danger",
                )
            else:
                flash(_("Invalid username or password."), "danger")
        else:
            sessions.sign_in(outcome.user)
            return redirect_to_local(request.args.get("next"), url_for("home.index"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    record_read(current_user, AuditAction.LOGOUT, current_user._get_current_object())
    sessions.sign_out()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        done = attempt(
            lambda: change_own_password(
                user, current_password=form.current_password.data, new_password=form.new_password.data
            ),
            form=form,
        )
        if done.saved:
            sessions.sign_in(user)  # the other sessions have ended; this browser goes on in a new one
            flash(_("Your password is changed. Your other sessions have ended."), "success")
            return redirect(url_for("home.index"))
    return render_template("auth/change_password.html", form=form)


@bp.get("/account/sessions")
def my_sessions():
    return render_template(
        "auth/sessions.html", sessions=sessions.open_sessions(current_user), this_session=g.login_session
    )


def _own_session_or_404(session_id: int) -> LoginSession:
    record = db.session.scalar(
        select(LoginSession).where(LoginSession.id == session_id, LoginSession.user_id == current_user.id)
    )
    if record is None:
        abort(404)
    return record


@bp.post("/account/sessions/<int:session_id>/end")
def end_session(session_id):
    record = _own_session_or_404(session_id)
    if record.id == g.login_session.id:
        return logout()
    sessions.end_session(record)
    flash(_("The session is ended."), "success")
    return redirect(url_for("auth.my_sessions"))


@bp.post("/account/sessions/end-others")
def end_other_sessions():
    count = sessions.end_sessions_of(current_user, keep=g.login_session)
    flash(_("%(count)d other sessions ended.", count=count), "success")
    return redirect(url_for("auth.my_sessions"))
