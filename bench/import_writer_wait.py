"""How long other writers wait while a large import runs: the longest wait, and whether any writer failed.

    python -m bench.import_writer_wait                           # 20,000 returnees + 80,000 records, SQLite
    python -m bench.import_writer_wait --returnees 100000 --records 1000000   # the README's figures
    python -m bench.import_writer_wait --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_import

On SQLite the same files are imported twice, each time into a fresh database, side by side: applied in one
transaction (the way before chunks, IMPORT_APPLY_IN_CHUNKS = False) and chunk by chunk (the default).

A freshly migrated database (a temporary SQLite file, or the PostgreSQL database named, whose public schema
is DROPPED) gets the demo users and a few demo returnees. Writer processes then log in as the Gori caseworker
and log assistance through the app itself (the real form, the real request path) one after the other, each
timing every request, while the main process imports the generated files through import-data's code path
and commits. A writer's wait is the time of one "log assistance" request; the target is that none waits
more than 2 s and none gets an error (a 5xx, or no redirect).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

#: the target of issue 8: no writer waits longer than this during an import
TARGET_WAIT_S = 2.0
#: writes logged before and after the import, to see the writers' usual time
QUIET_S = 1.0
#: writes timed with no import running, just before it: what a save costs on this machine at this moment
BASELINE_S = 20.0


def _writer(url: str, instance: str, returnee_ids: list[int], type_id: int, ready, stop, results) -> None:
    """Log assistance again and again until told to stop; report (longest wait, writes, waits > target,
    errors)."""
    os.environ["CASEAPP_INSTANCE_PATH"] = instance
    from caseapp import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    client.post("/login", data={"username": "caseworker.gori", "password": "demo-caseworker-pass"})
    # a first write warms the process up (templates, imports): not counted
    client.post(
        f"/returnees/{returnee_ids[0]}/assistance/new",
        data={"type_id": type_id, "provided_on": time.strftime("%Y-%m-%d"), "status": "delivered", "notes": "warm-up"},
    )
    ready.release()
    longest, writes, slow, errors, n, waits = 0.0, 0, [], [], 0, []
    while not stop.is_set():
        returnee_id = returnee_ids[n % len(returnee_ids)]
        n += 1
        started = time.perf_counter()
        try:
            response = client.post(
                f"/returnees/{returnee_id}/assistance/new",
                data={
                    "type_id": type_id,
                    "provided_on": time.strftime("%Y-%m-%d"),
                    "status": "delivered",
                    "notes": f"bench write {os.getpid()}-{n}",
                },
            )
            status = response.status_code
        except Exception as error:  # the writer's error is the finding, not a crash of the bench
            status = repr(error)
        waited = time.perf_counter() - started
        waits.append((time.time() - waited, waited))
        longest = max(longest, waited)
        if waited > TARGET_WAIT_S:
            slow.append((time.time() - waited, waited))
        if status == 302:
            writes += 1
        else:
            errors.append(status)
    results.put((longest, writes, slow, errors, waits))


def prepare(url: str) -> tuple[list[int], int]:
    """A migrated database with the demo users and returnees; the Gori returnees with an open case."""
    from sqlalchemy import select

    from bench.import_bench import fresh_app
    from caseapp.assistance.models import AssistanceType
    from caseapp.cases.models import Case, CaseStatus
    from caseapp.demo.data import seed_demo
    from caseapp.extensions import db
    from caseapp.offices.models import FieldOffice
    from caseapp.returnees.models import Returnee

    app = fresh_app(url)
    with app.app_context():
        seed_demo(60)
        db.session.commit()
        gori = db.session.scalar(select(FieldOffice.id).where(FieldOffice.name == "Gori"))
        open_cases = select(Case.returnee_id).where(Case.status != CaseStatus.CLOSED)
        returnee_ids = list(
            db.session.scalars(select(Returnee.id).where(Returnee.field_office_id == gori, Returnee.id.in_(open_cases)))
        )
        type_id = db.session.scalar(select(AssistanceType.id).where(AssistanceType.code == "business_counselling"))
        db.engine.dispose()
    return returnee_ids, type_id


def run(url: str, files: tuple[Path, Path], writers: int, instance: str, chunked: bool = True) -> dict:
    from caseapp import create_app
    from caseapp.extensions import db
    from caseapp.imports.readers import sources_for
    from caseapp.imports.services import import_files

    returnee_ids, type_id = prepare(url)
    context = multiprocessing.get_context("spawn")
    ready, stop, results = context.Semaphore(0), context.Event(), context.Queue()
    processes = [
        context.Process(target=_writer, args=(url, instance, returnee_ids, type_id, ready, stop, results))
        for _ in range(writers)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.acquire()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        baseline_from = time.time()
        time.sleep(BASELINE_S)
        baseline_to = time.time()
        started, started_at = time.perf_counter(), time.time()
        outcome = import_files(None, sources_for(returnees=files[0], assistance=files[1]), chunked=chunked)
        assert outcome.ok, outcome.problems[:5]
        db.session.commit()
        imported = time.perf_counter() - started
        ended_at = time.time()
        time.sleep(QUIET_S)
    stop.set()
    reports = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(30)
    during = sorted(waited for report in reports for at, waited in report[4] if started_at <= at <= ended_at)
    baseline = sorted(waited for report in reports for at, waited in report[4] if baseline_from <= at <= baseline_to)
    return {
        "p95_wait_s": during[int(0.95 * (len(during) - 1))] if during else 0.0,
        "baseline_max_s": baseline[-1] if baseline else 0.0,
        "baseline_p95_s": baseline[int(0.95 * (len(baseline) - 1))] if baseline else 0.0,
        "baseline_writes": len(baseline),
        "writes_during_import": len(during),
        "import_s": imported,
        "longest_wait_s": max(report[0] for report in reports),
        "writes": sum(report[1] for report in reports),
        "slow_writes": sorted(
            (round(at - started_at, 1), round(waited, 1)) for report in reports for at, waited in report[2]
        ),
        "check_s": outcome.check_seconds,
        "apply_s": outcome.apply_seconds,
        "errors": [error for report in reports for error in report[3]],
        "counts": outcome.counts,
    }


def main(argv=None) -> int:
    from bench.import_bench import write_files

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returnees", type=int, default=20_000)
    parser.add_argument("--records", type=int, default=80_000)
    parser.add_argument("--writers", type=int, default=3)
    parser.add_argument("--database-url", help="PostgreSQL database to use (its public schema is dropped)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        instance = str(folder / "instance")
        os.environ["CASEAPP_INSTANCE_PATH"] = instance
        rows = args.returnees + args.records
        print(f"Writing {args.returnees:,} returnees and {args.records:,} assistance records ...", flush=True)
        files = write_files(folder, args.returnees, args.records)
        if args.database_url:
            runs = {"one transaction": run(args.database_url, files, args.writers, instance, chunked=False)}
        else:
            runs = {}
            for name, chunked in (("one transaction (before)", False), ("in chunks (now)", True)):
                print(f"SQLite, apply {name} ...", flush=True)
                runs[name] = run(
                    f"sqlite:///{folder / (str(chunked) + '.sqlite')}", files, args.writers, instance, chunked=chunked
                )
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"\n{backend}: import of {rows:,} rows with {args.writers} writers logging assistance meanwhile\n")
    print(
        f"| apply | import | check (no lock) | apply | writes during the import | writer wait max | p95 "
        f"| slower than {TARGET_WAIT_S:.0f} s | writer errors | target |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, figures in runs.items():
        verdict = "met" if figures["longest_wait_s"] <= TARGET_WAIT_S and not figures["errors"] else "NOT met"
        print(
            f"| {name} | {figures['import_s']:.1f} s | {figures['check_s']:.1f} s | {figures['apply_s']:.1f} s "
            f"| {figures['writes_during_import']} | {figures['longest_wait_s']:.2f} s "
            f"| {figures['p95_wait_s']:.2f} s | {len(figures['slow_writes'])} "
            f"| {len(figures['errors'])} {sorted(set(map(str, figures['errors'])))[:3]} | {verdict} |"
        )
    print(f"\nThe same saves in the {BASELINE_S:.0f} s before each import (no import running):")
    for name, figures in runs.items():
        print(
            f"- {name}: {figures['baseline_writes']} saves, max {figures['baseline_max_s']:.2f} s, "
            f"p95 {figures['baseline_p95_s']:.2f} s"
        )
    for name, figures in runs.items():
        if figures["slow_writes"]:
            print(f"{name}: slow writes (started s after the import began, waited s): {figures['slow_writes'][:8]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
