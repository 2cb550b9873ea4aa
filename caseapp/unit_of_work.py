"""One unit of work per request (and per command): services flush, this module commits once.

A request's writes are saved together or not at all. Views and services never commit or roll back:
- the request commits in `commit_request`, an after-request hook, so the commit happens before the
  response leaves; if the commit fails, the user gets an error page instead of the redirect that would
  have claimed success;
- a request that ends in an error page (status 400 or more) is rolled back, whatever the view did;
- `attempt()` runs one use case inside a savepoint: a broken rule (`ValidationFailed`) or a stale form
  (`StaleEdit`) undoes exactly that use case and becomes messages next to the fields, a flash, or the
  stale banner;
- `transaction()` is the same for command-line commands.

Nothing that could fail runs after the commit: the page was rendered before it, and a failure in what
little remains (other after-request hooks) is reported as "saved, but the page failed" (see `committed`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, flash, g, has_request_context, session
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from caseapp import database
from caseapp.errors import StaleEdit, ValidationFailed, apply_errors
from caseapp.extensions import db

logger = logging.getLogger(__name__)


@dataclass
class Attempt:
    """What became of one use case run by `attempt()`."""

    saved: bool
    result: Any = None
    #: the broken rule, when not saved for that reason
    failure: ValidationFailed | None = None
    #: what others changed since the form was loaded (the stale banner), when not saved for that reason
    stale: list[dict] | None = None


def attempt(use_case: Callable[[], Any], *, form=None, success=None, refusal=None, stale_message=None) -> Attempt:
    """Run a use case within the request's transaction, in a savepoint of its own.

    Saved: `success` (a text, or a function of the use case's result) is flashed. A broken rule: the
    use case's writes are undone and its messages go next to the fields of `form`, or are flashed when
    there is no form (as one message made by `refusal(failure)` when given). A stale edit: undone too;
    the changes are returned for the stale banner of a form page, or `stale_message` is flashed for a
    one-button form. The request itself commits later (or, as a command, `transaction()` does)."""
    from caseapp.submissions import mark_saved

    try:
        with db.session.begin_nested():
            result = use_case()
            db.session.flush()
    except ValidationFailed as failure:
        if form is not None:
            apply_errors(form, failure.errors)
        elif refusal is not None:
            flash(str(refusal(failure)), "danger")
        else:
            for message in failure.errors.values():
                flash(str(message), "danger")
        return Attempt(saved=False, failure=failure)
    except StaleEdit as stale:
        if form is None:
            flash(str(stale_message or _stale_message()), "warning")
        return Attempt(saved=False, stale=stale.changes)
    mark_saved()
    if success is not None:
        flash(str(success(result) if callable(success) else success), "success")
    return Attempt(saved=True, result=result)


def writes_on_read(view):
    """Mark a GET view that writes (an audit entry for a download, say).

    On SQLite a GET begins a deferred (read) transaction, which cannot become a write once another
    worker has committed: the write would fail with "database is locked" whatever the busy timeout.
    The request hook asks this mark and begins such a request's transaction with the write lock."""
    view.writes_on_read = True
    return view


def writes_in_own_transactions(view):
    """Mark a POST view whose use case runs and commits its own short transactions (a large import): the
    request's own SQLite transaction then begins without the write lock, which would otherwise be held
    for the whole request and make every other user's save wait."""
    view.writes_in_own_transactions = True
    return view


@contextmanager
def write_now():
    """In a view marked `writes_in_own_transactions`: the writes of this block go into the request's
    transaction, begun here with the write lock (SQLite; what the request read so far is read again), and
    committed with the request as usual."""
    database.end_read_transaction(db.session())
    with database.writing():
        db.session.connection()  # BEGIN IMMEDIATE now, not at a later statement outside this block
        yield


def may_write(view, method: str) -> bool:
    """Whether the request's SQLite transaction begins with the write lock (BEGIN IMMEDIATE)."""
    if getattr(view, "writes_in_own_transactions", False):
        return False
    return method not in ("GET", "HEAD", "OPTIONS") or getattr(view, "writes_on_read", False)


def _stale_message():
    from flask_babel import gettext as _

    return _("Someone changed this record meanwhile; nothing was saved. Check the page and try again.")


@contextmanager
def transaction():
    """The unit of work of a command-line command: commit at the end, roll back on any exception
    (`SystemExit` from a refused command included)."""
    try:
        yield db.session
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the request's writes are committed (e.g. delete a file the write consumed).
    It must not touch the database; a failure there is logged and does not change the answer."""
    g.setdefault("after_commit", []).append(callback)


def committed() -> bool:
    """Whether this request's writes were committed (an error after that must not say "not saved")."""
    return has_request_context() and g.get("unit_of_work_committed", False)


#: PostgreSQL: "cannot execute ... in a read-only transaction" (a standby, or a database set read-only)
READ_ONLY_SQLSTATE = "25006"


def is_unavailable(error: BaseException) -> bool:
    """A database error the user can do nothing about but retry: locked, gone, too slow, read-only, full."""
    if isinstance(error, OperationalError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    return error.connection_invalidated or getattr(error.orig, "sqlstate", None) == READ_ONLY_SQLSTATE


def rollback_quietly() -> None:
    """Roll back; a connection that is already gone cannot be rolled back and is dropped by the pool."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        logger.warning("Rollback failed (the connection is gone)", exc_info=True)


def init_app(app: Flask) -> None:
    """Install the request's commit. Call it last in create_app: the hook registered last runs first
    among the application's after-request hooks, so the others see the final answer."""

    @app.before_request
    def keep_values_after_commit():
        # The request's objects keep their loaded values after its commit: nothing read after the commit
        # goes back to the database, where it could fail and turn a saved write into an error page.
        db.session().expire_on_commit = False

    @app.after_request
    def commit_request(response):
        if response.status_code >= 400:
            rollback_quietly()
            return response
        try:
            db.session.commit()
        except SQLAlchemyError as error:
            logger.exception("The request's commit failed")
            rollback_quietly()
            # The messages the view flashed ("... is saved") would now be lies.
            session.pop("_flashes", None)
            # error_pages (which imports this module) hands its renderer over in register_errorhandlers.
            render_error = current_app.extensions["caseapp.render_error"]
            # Locked, gone or too slow: a retry may succeed (the one-time submit key makes it safe even
            # when the connection died during the commit and nobody can know whether it was saved).
            return current_app.make_response(render_error(503 if is_unavailable(error) else 500, plain=True))
        g.unit_of_work_committed = True
        for callback in g.pop("after_commit", []):
            try:
                callback()
            except Exception:  # the write is saved; the user must hear that, not an error
                logger.exception("An after-commit step failed")
        return response
