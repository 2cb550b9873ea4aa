"""`flask --app caseapp find-duplicates [--office NAME] [--min-score S] --format json|csv`."""

from __future__ import annotations

import json
import time

import click
from flask import Flask
from sqlalchemy import select

from caseapp.audit.reads import record_export
from caseapp.duplicates.matching import MIN_SCORE, Match
from caseapp.duplicates.queries import scan
from caseapp.extensions import db
from caseapp.offices.cli import office_id_option
from caseapp.offices.models import FieldOffice
from caseapp.spreadsheets import csv_text
from caseapp.unit_of_work import transaction

CSV_HEADER = (
    "first_id",
    "first_external_id",
    "first_name",
    "first_office",
    "second_id",
    "second_external_id",
    "second_name",
    "second_office",
    "score",
    "reasons",
    "decision",
)


def pair_rows(pairs, offices: dict[int, str]) -> list[dict]:
    rows = []
    for found, decision in pairs:
        rows.append(
            {
                **{f"first_{k}": v for k, v in _record(found, found.first, offices).items()},
                **{f"second_{k}": v for k, v in _record(found, found.second, offices).items()},
                "score": found.score,
                "reasons": [str(reason.label) for reason in found.reasons],
                "decision": decision.value if decision else "",
            }
        )
    return rows


def _record(found: Match, person, offices) -> dict:
    return {
        "id": person.id,
        "external_id": person.external_id or "",
        "name": f"{person.first_name} {person.last_name}",
        "office": offices.get(person.field_office_id, ""),
    }


def register_duplicate_commands(app: Flask) -> None:
    @app.cli.command("find-duplicates")
    @click.option("--office", default=None, help="Only pairs with a record of this field office.")
    @click.option("--min-score", default=MIN_SCORE, show_default=True, type=click.IntRange(0, 100))
    @click.option("--format", "output_format", type=click.Choice(["json", "csv"]), default="json", show_default=True)
    def find_duplicates_command(office, min_score, output_format):
        """Print the likely duplicate pairs (both records' ids, external ids and names, score, reasons), best
        first; pairs decided "not the same" are left out."""
        offices = dict(db.session.execute(select(FieldOffice.id, FieldOffice.name)).all())
        office_id = office_id_option(office)
        started = time.perf_counter()
        pairs = [
            (found, decision)
            for found, decision in scan(min_score)
            if office_id is None or office_id in (found.first.field_office_id, found.second.field_office_id)
        ]
        rows = pair_rows(pairs, offices)
        # the pairs carry names: the output is in the audit like export-data's (by "command line")
        with transaction():
            record_export(
                None,
                f"find-duplicates.{output_format}",
                rows=len(rows),
                offices=[offices[office_id]] if office_id is not None else None,
                details={"min_score": min_score},
            )
        if output_format == "json":
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            lines = [[row[name] if name != "reasons" else "; ".join(row[name]) for name in CSV_HEADER] for row in rows]
            click.echo(csv_text(CSV_HEADER, lines).lstrip("\ufeff"), nl=False)
        click.echo(f"{len(rows)} likely pairs in {time.perf_counter() - started:.1f} s", err=True)
