"""The models and the migrations describe the same schema."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from caseapp.assistance.models import AssistanceType
from caseapp.extensions import db
from caseapp.offices.models import FieldOffice

STANDARD_CODES = {
    "reception", "business_counselling", "business_grant", "voc_ed_counselling", "voc_ed_grant", "tools",
    "temporary_housing", "accommodation", "medical_counselling", "medical_assistance", "living_conditions",
    "employment", "training", "livelihood_items",
}


def test_upgraded_database_matches_the_models(app_ctx):
    # The session's schema was built by `flask db upgrade` (conftest), never by create_all.
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_fresh_database_has_the_six_offices_and_the_standard_catalog(app_ctx):
    offices = set(db.session.scalars(select(FieldOffice.name)))
    assert offices == {"Tbilisi", "Gori", "Telavi", "Kutaisi", "Akhaltsikhe", "Poti"}
    catalog = {t.code: t for t in db.session.scalars(select(AssistanceType))}
    assert set(catalog) == STANDARD_CODES
    assert {c for c, t in catalog.items() if t.carries_amount} == {
        "reception", "business_grant", "voc_ed_grant", "tools", "temporary_housing", "accommodation",
        "medical_assistance", "living_conditions", "livelihood_items"}
    assert {c for c, t in catalog.items() if t.needs_approval} == {
        "business_grant", "voc_ed_grant", "medical_assistance", "living_conditions", "accommodation"}


def test_migrations_run_down_and_up_again(app, tmp_path):
    """Every migration can be undone (on a separate SQLite file, so the suite's database is untouched)."""
    from flask_migrate import downgrade, upgrade

    from caseapp import create_app

    other = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'updown.sqlite'}",
                        "SECRET_KEY": "x", "TESTING": True})
    with other.app_context():
        upgrade()
        downgrade(revision="base")
        upgrade()
        assert db.session.scalar(select(FieldOffice.name).where(FieldOffice.name == "Poti")) == "Poti"
