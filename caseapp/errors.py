"""Domain errors that views turn into messages next to the fields concerned."""
from __future__ import annotations


class ValidationFailed(Exception):
    """Input broke a rule; `errors` maps a field name (or "" for the whole form) to a message."""

    def __init__(self, errors: dict[str, object]):
        super().__init__(errors)
        self.errors = errors


class StaleEdit(Exception):
    """Someone else saved the record since the form was loaded; `changes` says what they changed."""

    def __init__(self, changes: list[dict]):
        super().__init__(changes)
        self.changes = changes


def apply_errors(form, errors: dict[str, object]) -> None:
    """Attach service errors to a WTForms form, so they show next to their fields."""
    for field_name, message in errors.items():
        field = getattr(form, field_name, None) if field_name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [str(message)]
        else:
            form.form_errors.append(str(message))


def run_and_flash(use_case, success, *, stale_message=None) -> bool:
    """Run a use case for a one-button form: commit and flash `success` (a text, or a function of the use
    case's result), or roll everything back and flash why not. Returns whether it was saved."""
    return run_on_form(None, use_case, success, stale_message=stale_message)


def run_on_form(form, use_case, success, *, stale_message=None) -> bool:
    """Run a use case for a form that stays on its page when something is wrong: commit and flash `success`
    (a text, or a function of the result), or roll everything back and put the messages next to the
    form's fields (no form: flash them; a stale edit: a warning). Returns whether it was saved."""
    from flask import flash
    from flask_babel import gettext as _

    from caseapp.extensions import db

    try:
        result = use_case()
        db.session.commit()
        flash(str(success(result) if callable(success) else success), "success")
        return True
    except ValidationFailed as failure:
        db.session.rollback()
        if form is not None:
            apply_errors(form, failure.errors)
        else:
            for message in failure.errors.values():
                flash(str(message), "danger")
    except StaleEdit:
        db.session.rollback()
        flash(str(stale_message or _("Someone changed this record meanwhile; nothing was saved. "
                                     "Check the page and try again.")), "warning")
    return False
