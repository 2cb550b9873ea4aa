"""Concurrent writers on one database: every acknowledged write is stored exactly once.

Runs on the suite's database: a SQLite file (WAL, BEGIN IMMEDIATE) or PostgreSQL."""
from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import select

from caseapp.assistance.models import AssistanceRecord
from caseapp.auth.models import Role
from caseapp.extensions import db

THREADS = 4
WRITES_PER_THREAD = 8


def test_concurrent_writers_lose_and_duplicate_nothing(app, make):
    worker = make.user(Role.CASEWORKER, "Gori")
    person = make.returnee("Gori", caseworker=worker)
    counselling = make.assistance_type("business_counselling").id
    person_id, username = person.id, worker.username
    acknowledged: list[str] = []
    failures: list[object] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def write(thread_number: int):
        client = app.test_client()
        client.post("/login", data={"username": username, "password": "correct horse battery"})
        start.wait()
        for n in range(WRITES_PER_THREAD):
            note = f"t{thread_number}-w{n}"
            response = client.post(f"/returnees/{person_id}/assistance/new", data={
                "type_id": counselling, "provided_on": "2024-05-02", "status": "delivered", "notes": note,
            })
            with lock:
                if response.status_code == 302:
                    acknowledged.append(note)
                else:
                    failures.append((note, response.status_code))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(THREADS)]
    db.session.commit()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    stored = Counter(db.session.scalars(select(AssistanceRecord.notes).where(AssistanceRecord.returnee_id == person_id)))
    assert len(acknowledged) == THREADS * WRITES_PER_THREAD
    assert stored == Counter(acknowledged)  # each acknowledged write exactly once, nothing else


def test_concurrent_edits_of_one_record_never_overwrite_silently(app, make):
    """Two people save the same plan from the same version: one wins, the other is told; no 500."""
    worker = make.user(Role.CASEWORKER, "Gori")
    case = make.returnee("Gori", caseworker=worker).current_case
    from caseapp.plans.models import ReintegrationPlan

    plan = ReintegrationPlan(case=case, summary="", drafted_by_id=worker.id)
    db.session.add(plan)
    db.session.commit()
    case_id, plan_id, version, username = case.id, plan.id, plan.version, worker.username
    results: list[int] = []
    start = threading.Barrier(THREADS)

    def save(n: int):
        client = app.test_client()
        client.post("/login", data={"username": username, "password": "correct horse battery"})
        start.wait()
        response = client.post(f"/returnees/cases/{case_id}/plan", data={"summary": f"plan {n}", "version": version})
        results.append(response.status_code)

    db.session.commit()
    threads = [threading.Thread(target=save, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # one saved; the others are shown the conflict (the form again, or 409 when both wrote at once)
    assert results.count(302) == 1, results
    assert all(code in (200, 409) for code in results if code != 302)
    db.session.expire_all()
    saved = db.session.get(ReintegrationPlan, plan_id)
    assert saved.version == version + 1 and saved.summary.startswith("plan ")
