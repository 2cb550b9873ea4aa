"""One submit, one record: a form sent twice (a double click, a retry after a dropped connection or a
503) is saved once, and the repeat is answered with what the first one made.

Every form that writes carries a one-time key (`submit_key_field()`, a hidden input made when the form
is rendered). Before the view runs, `submitted_once` inserts a `form_submission` row for the key, in the
request's transaction; the unique constraint is what refuses the second one, whatever the timing:
- sent again after the first was saved: `submitted_once` finds the row and redirects to where the
  first one went, with a calm message;
- sent twice at the same moment: on PostgreSQL the second insert waits for the first transaction and
  fails when it commits (then the same answer); on SQLite the second request cannot even begin writing
  before the first has committed (BEGIN IMMEDIATE, caseapp/database.py), so it finds the row.
A submit that was refused (a broken rule, a stale form, an error page) leaves no row: the corrected form
may be sent with the same key. A form without a key (scripts, old pages) works as before, without this guarantee.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from caseapp.extensions import db
from caseapp.timeutil import utcnow

FIELD_NAME = "submit_key"
#: how long a saved submit is remembered; a repeat later than this is a new submit
KEEP_DAYS = 30
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


class FormSubmission(db.Model):
    """A form that was saved, by its one-time key: the repeated submit is answered from here."""

    __tablename__ = "form_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: sha256 of the user, the address posted to and the form's one-time token
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    #: where the first submit sent the user (the record it made, or the page it was made on)
    result_url: Mapped[str] = mapped_column(sa.String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<FormSubmission {self.id} user={self.user_id} -> {self.result_url}>"


def submit_key_field() -> Markup:
    """The hidden input carrying a new one-time key (a template global)."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD_NAME, secrets.token_urlsafe(18))


def _request_key() -> str | None:
    token = request.form.get(FIELD_NAME, "")
    if request.method != "POST" or not _TOKEN.fullmatch(token) or not current_user.is_authenticated:
        return None
    # The same token posted by another user or to another address is another submit.
    return hashlib.sha256(f"{current_user.id}\n{request.path}\n{token}".encode()).hexdigest()


def _earlier(key: str) -> FormSubmission | None:
    return db.session.scalar(sa.select(FormSubmission).where(FormSubmission.key == key))


def _answer_repeat(earlier: FormSubmission | None):
    flash(_("This form was already sent and saved; here is the result. Nothing was recorded twice."), "info")
    return redirect(earlier.result_url if earlier is not None and earlier.result_url else url_for("home.index"))


def submitted_once(view):
    """Decorate a view whose POST writes: a repeat of a saved submit is answered with the first one's
    result. The key is claimed before the view runs, so a parallel repeat waits there (PostgreSQL) and
    never reads or writes anything; a submit that saved nothing gives its key up again."""

    @wraps(view)
    def guarded(*args, **kwargs):
        key = _request_key()
        if key is None:
            return view(*args, **kwargs)
        submission = _claim(key)
        if submission is None:
            return _answer_repeat(_earlier(key))
        g.submission_saved = False
        response = current_app.make_response(view(*args, **kwargs))
        if g.pop("submission_saved"):
            submission.result_url = response.location if response.status_code in (301, 302, 303) else request.path
        else:  # refused (a broken rule, a stale form): the corrected form may be sent with the same key
            db.session.delete(submission)
        db.session.flush()
        return response

    return guarded


def _claim(key: str) -> FormSubmission | None:
    """Insert the key; None when it is taken (the same form was saved, by now or just now)."""
    if _earlier(key) is not None:
        return None
    submission = FormSubmission(key=key, user_id=current_user.id)
    try:
        with db.session.begin_nested():
            db.session.add(submission)
            db.session.flush()
    except IntegrityError:  # PostgreSQL: the insert waited for the other request's commit
        return None
    # The user's old keys go as new ones come: the table stays small without a scheduled job.
    db.session.execute(
        sa.delete(FormSubmission).where(
            FormSubmission.user_id == current_user.id, FormSubmission.created_at < utcnow() - timedelta(days=KEEP_DAYS)
        )
    )
    return submission


def mark_saved() -> None:
    """Called by `attempt()` when the use case is saved: the key then stays, pointing at the result."""
    if "submission_saved" in g:
        g.submission_saved = True


@dataclass
class LateClaim:
    """The one-time key of a form whose use case runs its own transactions (a large import): the key is
    claimed by the use case itself, in the transaction that saves its result, not before the view runs
    (which on SQLite would hold the write lock for the whole request). Same answers as `submitted_once`:
    a repeat is sent where the first submit led; a refused submit leaves the key free."""

    key: str
    user_id: int
    #: where the saved result is shown, e.g. the import batch's page
    result_url: Callable[[Any], str]
    submission: FormSubmission | None = None

    def taken(self) -> bool:
        return _earlier(self.key) is not None

    def earlier_url(self) -> str:
        earlier = _earlier(self.key)
        return earlier.result_url if earlier is not None and earlier.result_url else url_for("home.index")

    def claim(self, result=None) -> bool:
        """Insert the key in the session's transaction; False when another submit has it."""
        submission = FormSubmission(key=self.key, user_id=self.user_id)
        try:
            with db.session.begin_nested():
                db.session.add(submission)
                db.session.flush()
        except IntegrityError:
            return False
        self.submission = submission
        if result is not None:
            self.set_result(result)
        return True

    def set_result(self, result) -> None:
        self.submission.result_url = self.result_url(result)
        db.session.flush()

    def release(self) -> None:
        if self.submission is not None:
            db.session.delete(self.submission)
            db.session.flush()
            self.submission = None


def late_claim(result_url: Callable[[Any], str]) -> LateClaim | None:
    """The LateClaim of this request's form; None when it carries no key."""
    key = _request_key()
    return None if key is None else LateClaim(key, current_user.id, result_url)


def answer_repeat(url: str):
    """Answer a repeated submit: back to where the first one led."""
    flash(_("This form was already sent and saved; here is the result. Nothing was recorded twice."), "info")
    return redirect(url)
