from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from caseapp.auth.forms import LoginForm
from caseapp.auth.models import User
from caseapp.auth.services import authenticate
from caseapp.extensions import db, login_manager
from caseapp.ui import is_safe_redirect

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(session_id: str):
    """The user of a login session, unless the account was deactivated or its password changed since."""
    user_id, _sep, fingerprint = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or fingerprint != user.session_fingerprint:
        return None
    return user


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            # One message for every failure: it must not tell which part was wrong.
            flash(_("Invalid username or password."), "danger")
        else:
            login_user(user)
            target = request.args.get("next")
            return redirect(target if is_safe_redirect(target) else url_for("home.index"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))
