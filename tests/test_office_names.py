"""An office is found by its English or its Georgian name, wherever a person types one: the import's
field_office column, the command line's --office."""

from __future__ import annotations

import json

from sqlalchemy import select

from caseapp.extensions import db
from caseapp.offices.queries import find_office
from caseapp.returnees.models import Returnee
from tests.test_imports import cli, files, record_row, returnee_row  # noqa: F401 (files: fixture)


def test_an_office_is_found_by_either_name_in_any_case_and_spacing(app_ctx):
    gori = find_office("Gori")
    assert gori is not None and gori.name_ka == "გორი"
    assert find_office("გორი") == gori
    assert find_office("  gori ") == gori
    assert find_office("GORI") == gori
    assert find_office("Gorii") is None
    assert find_office("") is None


def test_the_import_accepts_georgian_office_names(app_ctx, runner, files):  # noqa: F811
    people = [returnee_row("GE-1", field_office="გორი"), returnee_row("GE-2", first_name="Eka", field_office="ფოთი")]
    result = cli(runner, files(people, [record_row("GE-1")]))
    assert result.exit_code == 0, result.output
    offices = {r.external_id: r.field_office.name for r in db.session.scalars(select(Returnee))}
    assert offices == {"GE-1": "Gori", "GE-2": "Poti"}


def test_an_unknown_office_is_still_an_error_naming_the_row(app_ctx, runner, files):  # noqa: F811
    result = cli(runner, files([returnee_row("GE-1", field_office="გორიი")], []))
    assert result.exit_code != 0
    assert "field_office" in result.output and "გორიი" in result.output


def test_the_report_command_takes_a_georgian_office_name(app_ctx, runner, make):
    make.record(make.returnee("Gori"), "business_counselling")
    make.record(make.returnee("Poti"), "business_counselling")
    db.session.commit()
    args = ["report", "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json"]
    by_georgian = json.loads(runner.invoke(args=[*args, "--office", "გორი"]).output)
    by_english = json.loads(runner.invoke(args=[*args, "--office", "Gori"]).output)
    assert by_georgian == by_english
    everywhere = json.loads(runner.invoke(args=args).output)
    assert by_georgian != everywhere
