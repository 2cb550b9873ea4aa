"""Loaders of the administration screens (administrators see every office: no scoping)."""

from __future__ import annotations

from flask import abort

from caseapp.extensions import db


def get_or_404(model, object_id: int):
    """The user, office or assistance type with this id, or 'not found'."""
    found = db.session.get(model, object_id)
    if found is None:
        abort(404)
    return found
