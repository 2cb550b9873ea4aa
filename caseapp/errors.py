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

