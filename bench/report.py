"""Report benchmark: the country-wide three-year report (with its by-project table) and the report of one
project, through the app (caseapp.reports.counting.build_report) against the naive baseline (the report's
queries before issue 15, written bare: bench/naive_sql.py), alternately, several rounds, in one run.

    python -m bench report [--database-url URL] [--returnees 100000] [--records 1000000] [--rounds 5]
                           [--rebuild]
    python -m bench report --database-url postgresql+psycopg://postgres@127.0.0.1:5432/caseapp_bench10m \\
                           --returnees 1000000 --records 10000000 --rounds 2

The data come from bench/dataset.py (built once per database and size, reused afterwards; without
--database-url the SQLite file bench/report.sqlite). Both sides must give the same figures (checked every run).
The output starts with the machine (MACHINE lines) and gives each ratio on one RATIO line (bench/_output.py);
save it under bench/results/ and `python -m bench.readme` puts it into the README.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from bench import dataset, naive_sql
from bench._output import load_line, print_machine, print_ratio
from bench.report_app_sql import app_bare_report

PERIOD = (date(2023, 1, 1), date(2025, 12, 31))
#: issue 15: the country-wide report at most 0.35x the time of the naive queries ...
TARGET = 0.35
#: ... and the app within 1.2x of its own queries run bare (bench/report_app_sql.py)
OWN_SQL_TARGET = 1.2


def timed(function) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def measure(connection, filters, values: dict, rounds: int):
    """The app and the naive queries alternately, so that both see the same cache and the same load."""
    from caseapp.extensions import db
    from caseapp.reports.counting import build_report

    app_times, naive_times, own_times = [], [], []
    report = naive = None
    project = filters.project_id is not None
    for _round in range(rounds):
        seconds, report = timed(lambda: build_report(filters))
        app_times.append(seconds)
        db.session.rollback()
        seconds, naive = timed(lambda: naive_sql.naive_report(connection, values, project))
        naive_times.append(seconds)
        seconds, own = timed(lambda: app_bare_report(connection, values, project))
        own_times.append(seconds)
    # the app's own queries, bare, give the same persons as the naive ones (returned, assisted)
    assert [sum(row[3] for row in own[index]) for index in (2, 3)] == [
        sum(row[3] for row in naive[index]) for index in (2, 3)
    ], "the app's own SQL run bare disagrees with the naive queries"
    return report, naive, app_times, naive_times, own_times


def check_same_figures(report, naive: list[list[tuple]], type_ids: dict[str, int]) -> None:
    """The app and the naive queries agree: persons (adding up over office x sex x age band), persons per type,
    assisted persons per project, amounts per type and currency, the funnels."""
    from caseapp.reports.counting import ASSISTED, PERSONS, RETURNED, from_cents

    code_of = {type_id: code for code, type_id in type_ids.items()}
    assert report.total(RETURNED) == sum(row[3] for row in naive[2]), "app and naive SQL disagree: returned"
    assert report.total(ASSISTED) == sum(row[3] for row in naive[3]), "app and naive SQL disagree: assisted"
    for code in type_ids:
        assert report.total(PERSONS, code) == sum(row[4] for row in naive[4] if code_of[row[3]] == code), code
    assert {group: report.count("project", group, ASSISTED) for group in report.groups["project"]} == {
        row[0]: row[1] for row in naive[9]
    }, "app and naive SQL disagree by project"
    assert report.amounts == {
        code_of[t]: {c: from_cents(total) for t2, c, total in naive[12] if t2 == t}
        for t in {row[0] for row in naive[12]}
    }, "app and naive SQL disagree: amounts"
    funnels = {funnel.key: (funnel.counselled, funnel.converted) for funnel in report.funnels}
    assert funnels == {"business": tuple(naive[13][0]), "voc_ed": tuple(naive[14][0])}, "funnels disagree"


def run(url: str, returnees: int, records: int, rounds: int, *, rebuild: bool = False) -> dict[str, float]:
    """Build or reuse the data, time both reports; the app/naive ratio (best of rounds) of each."""
    from caseapp.reports.counting import ReportFilters
    from caseapp.reports.presentation import PresentedReport

    data = dataset.ensure(url, returnees, records, rebuild=rebuild)
    app = dataset.make_app(url)
    connection = naive_sql.connect(url)
    counts = connection.execute("SELECT (SELECT count(*) FROM returnee), (SELECT count(*) FROM assistance_record)")
    print("database: {:,} returnees, {:,} assistance records; period {} to {}".format(*counts.fetchone(), *PERIOD))
    project_id = connection.execute("SELECT id FROM project WHERE code = 'PRJ-001'").fetchone()[0]
    connection.rollback()
    ratios = {}
    with app.app_context():
        for name, title, project in (
            ("report.country_wide", "country-wide, with the by-project table", None),
            ("report.one_project", "one project (PRJ-001)", project_id),
        ):
            filters = ReportFilters(*PERIOD, project_id=project)
            values = naive_sql.parameters(connection, PERIOD, project)
            report, naive, app_times, naive_times, own_times = measure(connection, filters, values, rounds)
            check_same_figures(
                report, naive, dict(connection.execute("SELECT code, id FROM assistance_type").fetchall())
            )
            connection.rollback()
            with app.test_request_context("/"):
                shared_seconds, _shown = timed(lambda: PresentedReport(report, shared=True).paragraph())
            app_best, naive_best = min(app_times), min(naive_times)
            app_median, naive_median = statistics.median(app_times), statistics.median(naive_times)
            print(f"\n{title}")
            print(f"app (build_report):       best {app_best:.2f} s, median {app_median:.2f} s")
            print(
                f"naive SQL ({'sqlite3' if data.dialect == 'sqlite' else 'psycopg'}):     "
                f" best {naive_best:.2f} s, median {naive_median:.2f} s"
            )
            print(
                f"the app's own SQL bare:    best {min(own_times):.2f} s, median {statistics.median(own_times):.2f} s"
            )
            print(f"small-count suppression and paragraph for the shared version: {shared_seconds:.2f} s")
            print(
                f"returned persons {report.returned_persons:,}; assisted persons {report.assisted_persons:,};"
                " the same figures both ways"
            )
            paired = [app_time / naive_time for app_time, naive_time in zip(app_times, naive_times)]
            print("app/naive round by round (each pair back to back): " + ", ".join(f"{r:.2f}" for r in paired))
            ratios[name] = app_best / naive_best
            print_ratio(
                name,
                "app/naive",
                ratios[name],
                target=TARGET if project is None else None,
                database=data.dialect,
                returnees=data.returnees,
                records=data.records,
                rounds=rounds,
                app_best=f"{app_best:.2f}s",
                naive_best=f"{naive_best:.2f}s",
                median_ratio=f"{app_median / naive_median:.2f}",
                paired_median=f"{statistics.median(paired):.2f}",
            )
            print_ratio(
                name,
                "app/own_sql_bare",
                app_best / min(own_times),
                target=OWN_SQL_TARGET,
                database=data.dialect,
                returnees=data.returnees,
                records=data.records,
                rounds=rounds,
                own_best=f"{min(own_times):.2f}s",
                median_ratio=f"{app_median / statistics.median(own_times):.2f}",
            )
    connection.close()
    return ratios


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=None,
        help="SQLAlchemy URL of the benchmark's database (default: bench/report.sqlite); "
        "a PostgreSQL one is created if missing, and its public schema dropped to build it",
    )
    parser.add_argument("--returnees", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true", help="build the data again even if the size matches")
    options = parser.parse_args(argv)
    url = options.database_url or dataset.default_url()
    print_machine(url)
    ratios = run(url, options.returnees, options.records, options.rounds, rebuild=options.rebuild)
    print(load_line())
    return ratios


if __name__ == "__main__":
    main()
