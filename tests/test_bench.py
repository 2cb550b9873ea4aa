"""The benchmarks themselves: the dataset loader and the report benchmark run on the test database (SQLite, or
PostgreSQL when TEST_DATABASE_URL names one) at a tiny size, the app and the naive queries agree there, every
ratio is printed on one line, and the README's Speed section is what the saved outputs give."""

from __future__ import annotations

import pytest

from bench import dataset, readme
from bench import report as report_bench
from bench._output import figure_line, parse_line, ratio_line
from caseapp.extensions import db

RETURNEES, RECORDS = 200, 2_000


@pytest.fixture
def statistics_removed_afterwards(app):
    """The loader ends with ANALYZE: on SQLite its statistics would stay in the suite's shared database and
    change the plans that later tests read (EXPLAIN QUERY PLAN of the menu's counts)."""
    yield
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            with db.engine.begin() as connection:
                for (name,) in connection.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE name LIKE 'sqlite_stat%'"
                ).all():
                    connection.exec_driver_sql(f"DROP TABLE {name}")
        db.engine.dispose()


def test_report_benchmark_runs_on_the_test_database_and_the_app_agrees_with_the_naive_queries(
    app, capsys, statistics_removed_afterwards
):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # the loader writes through a connection of its own
    loaded = dataset.Dataset(url, RETURNEES, RECORDS)
    dataset.load(loaded, log=lambda _text: None)
    assert dataset.existing_size(url) == (RETURNEES, RECORDS)

    ratios = report_bench.run(url, RETURNEES, RECORDS, rounds=1)  # reuses what was loaded; checks the figures

    assert set(ratios) == {"report.country_wide", "report.one_project"}
    output = capsys.readouterr().out
    assert "reusing the" in output
    lines = [parse_line(line) for line in output.splitlines() if line.startswith(("RATIO", "FIGURE"))]
    names = [(line["name"], line.get("quotient")) for line in lines]
    assert names == [
        ("dataset.load", None),
        ("dataset.analytics_rebuild", None),
        ("report.country_wide", "app/naive"),
        ("report.country_wide", "app/own_sql_bare"),
        ("report.one_project", "app/naive"),
        ("report.one_project", "app/own_sql_bare"),
    ]
    country_wide = lines[2]
    assert country_wide["quotient"] == "app/naive" and country_wide["target"] == 0.35
    assert country_wide["context"]["database"] == dataset.dialect_of(url)
    assert country_wide["context"]["records"] == "2,000"


def test_the_same_seed_gives_the_same_rows():
    catalog = dataset.Catalog(offices=[1, 2], projects=[2, 3], unassigned=1, types=[(1, False), (2, True)])

    def rows():
        generator = dataset.Generator(catalog, 50, 300)
        return list(generator.returnee_rows()), list(generator.vulnerability_rows()), list(generator.record_rows())

    first, second = rows(), rows()
    assert first == second
    returnees, _vulnerabilities, records = first
    assert len(returnees) == 50 and len(records) == 300
    assert all(record[5] is None for record in records if record[2] == 1)  # no amount on a type without one


def test_a_ratio_is_one_line_that_reads_back():
    line = ratio_line(
        "report.country_wide",
        "app/naive",
        0.314,
        target=0.35,
        database="postgresql",
        records=10_000_000,
        app_best="1.20s",
    )
    assert line == (
        "RATIO report.country_wide app/naive 0.31 (target <= 0.35: met) database=postgresql"
        " records=10,000,000 app_best=1.20s"
    )
    parsed = parse_line(line)
    assert parsed["value"] == 0.31 and parsed["verdict"] == "met"
    assert parsed["context"] == {"database": "postgresql", "records": "10,000,000", "app_best": "1.20s"}
    assert (
        parse_line(ratio_line("load.list_page", "list/healthz", 0.05, target=0.1, direction=">="))["verdict"]
        == "missed"
    )
    assert parse_line(figure_line("dataset.load", 212.44, "s", records=10))["value"] == 212.4
    with pytest.raises(ValueError):
        ratio_line("two words", "app/naive", 1.0)


def test_the_readme_speed_section_is_what_the_saved_outputs_give():
    assert readme.main(["--check"]) == 0, "run `python -m bench.readme` after saving a benchmark's output"
