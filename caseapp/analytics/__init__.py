"""The analytics tables the report counts from: one row per person, and delivered or pipeline records counted
per person x type x status x day x project, kept exact by database triggers in the same transaction as every
write (models.py; the triggers are in the migration h15a_01), rebuilt and checked by `flask --app caseapp
analytics rebuild|check` (services.py, cli.py); the rebuild also runs as a background job (jobs.py)."""

from __future__ import annotations

from flask import Flask


def register_analytics(app: Flask) -> None:
    """The commands, the rebuild's job kind (after the jobs package is registered) and its button."""
    from caseapp.analytics.cli import register_analytics_commands
    from caseapp.analytics.jobs import register_kinds
    from caseapp.analytics.views import bp

    register_analytics_commands(app)
    register_kinds()
    app.register_blueprint(bp)
