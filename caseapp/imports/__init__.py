"""Spreadsheet import of legacy returnee and assistance files, its undo, and the export in the same format."""
from __future__ import annotations

from flask import Flask


def register_imports(app: Flask) -> None:
    """Blueprint and CLI commands of the import feature (called by create_app, which also adds the
    feature's template policies, imports.policies.TEMPLATE_POLICIES, to the others)."""
    from caseapp.imports import visibility
    from caseapp.imports.cli import register_import_commands
    from caseapp.imports.jobs import register_kinds
    from caseapp.imports.views import bp

    visibility.install()
    register_kinds()
    app.register_blueprint(bp)
    register_import_commands(app)
