"""Spreadsheet import of legacy returnee and assistance files, its undo, and the export in the same format."""
from __future__ import annotations

from flask import Flask


def register_imports(app: Flask) -> None:
    """Blueprint, CLI commands and template policies of the import feature (called by create_app)."""
    from caseapp.auth.policies import TEMPLATE_POLICIES
    from caseapp.imports.cli import register_import_commands
    from caseapp.imports.policies import IMPORT_TEMPLATE_POLICIES
    from caseapp.imports.views import bp

    app.register_blueprint(bp)
    register_import_commands(app)
    TEMPLATE_POLICIES.update(IMPORT_TEMPLATE_POLICIES)
