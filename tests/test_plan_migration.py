"""Migration h13a_01: the free-text plan of each case becomes its plan's summary, and comes back down."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from caseapp.extensions import db
from tests.test_migration_data import other_app, scratch_url  # noqa: F401  (fixtures)


def test_free_text_plans_travel_to_the_plan_summary_and_back(other_app):  # noqa: F811
    with other_app.app_context():
        upgrade(revision="0009")
        office = db.session.scalar(sa.text("SELECT id FROM field_office ORDER BY id LIMIT 1"))
        for n, plan in enumerate(["Open a bakery", "", "Housing first"]):
            db.session.execute(
                sa.text(
                    "INSERT INTO returnee (first_name, last_name, search_name, search_name_reversed, sex, date_of_birth,"
                    " field_office_id, return_date, returned_from, consent_given, created_at, updated_at, version)"
                    " VALUES (:f, 'B', :f, :f, 'F', '1980-01-01', :o, '2024-01-01', 'DE', false, '2024-01-01',"
                    " '2024-01-01', 1)"
                ),
                {"f": f"p{n}", "o": office},
            )
            person = db.session.scalar(sa.text("SELECT max(id) FROM returnee"))
            db.session.execute(
                sa.text(
                    "INSERT INTO reintegration_case (returnee_id, status, plan, opened_on, created_at, updated_at,"
                    " version) VALUES (:r, 'open', :p, '2024-01-01', '2024-01-01', '2024-01-01', 1)"
                ),
                {"r": person, "p": plan},
            )
        db.session.commit()
        upgrade()
        summaries = db.session.execute(
            sa.text(
                "SELECT c.id, p.summary, p.status FROM reintegration_plan p JOIN reintegration_case c ON c.id = p.case_id"
                " ORDER BY c.id"
            )
        ).all()
        assert [(s, st) for _c, s, st in summaries] == [("Open a bakery", "draft"), ("Housing first", "draft")]
        db.session.commit()
        downgrade(revision="0009")
        plans = db.session.execute(sa.text("SELECT plan FROM reintegration_case ORDER BY id")).scalars().all()
        assert plans == ["Open a bakery", "", "Housing first"]
        db.session.commit()
        upgrade()
