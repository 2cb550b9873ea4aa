"""Figures stay exact through merges: random people and assistance, random duplicates merged, and the report
compared with an independent count in which each merged person counts once; unmerging brings every figure back."""

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseapp.analytics.services import analytics_differences
from caseapp.duplicates.models import DuplicateDecision, ReturneeMerge
from caseapp.duplicates.services import merge_returnees, unmerge
from caseapp.extensions import db
from caseapp.reports.counting import ReportFilters, build_report
from caseapp.returnees.models import Returnee
from tests.test_report_property import _figures, _store, brute_force, periods, records, returnees

merges = st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=4)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=returnees, entries=records, period=periods, pairs=merges, by_office=st.booleans())
def test_merged_people_count_once_and_unmerge_restores_the_figures(make, people, entries, period, pairs, by_office):
    for table in (ReturneeMerge.__table__, DuplicateDecision.__table__):  # of the previous example
        db.session.execute(table.delete())
    _store(people, entries)
    start, end = period
    gori = make.office("Gori").id
    filters = ReportFilters(start, end, office_id=gori if by_office else None)
    base_keep = (lambda p: p["office"] == "Gori") if by_office else (lambda p: True)
    before = build_report(filters).counts

    ids = list(db.session.scalars(sa.select(Returnee.id).order_by(Returnee.id)))
    survivor_of = list(range(len(people)))  # index -> the index of the record it now belongs to
    for a, b in pairs:
        a, b = a % len(people), b % len(people)
        if a == b or survivor_of[a] != a or survivor_of[b] != b:
            continue  # merges only records that are not merged away
        merge_returnees(None, db.session.get(Returnee, ids[a]), db.session.get(Returnee, ids[b]))
        survivor_of = [a if s == b else s for s in survivor_of]
    db.session.commit()
    assert not analytics_differences()  # the report's tables followed every merge (caseapp/analytics)

    merged_people = [{**p, "merged": survivor_of[i] != i} for i, p in enumerate(people)]
    merged_entries = [{**e, "person": survivor_of[e["person"]]} for e in entries]
    expected = brute_force(merged_people, merged_entries, start, end, lambda p: not p["merged"] and base_keep(p))[0]
    assert _figures(build_report(filters)) == expected

    for merge in db.session.scalars(sa.select(ReturneeMerge).order_by(ReturneeMerge.id.desc())).all():
        unmerge(None, merge)
    db.session.commit()
    assert not analytics_differences()
    assert build_report(filters).counts == before
