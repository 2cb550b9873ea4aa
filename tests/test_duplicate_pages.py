"""The duplicate pages as users meet them: the registration warning, the list of pairs per role and office,
side by side, decisions, merge and unmerge, the command; merged records are never listed, found or counted."""

import csv
import io
import json
from datetime import date

import sqlalchemy as sa

from caseapp.assistance.models import AssistanceRecord
from caseapp.auth.models import Role
from caseapp.duplicates.models import ReturneeMerge
from caseapp.extensions import db
from caseapp.imports.exports import returnee_rows
from caseapp.reports.counting import ReportFilters, build_report
from caseapp.returnees.models import Returnee
from tests.test_imports import files  # noqa: F401  (fixture)


def register_form(make, **overrides):
    values = {
        "first_name": "ნოდარ",
        "last_name": "წერეთელი",
        "sex": "M",
        "date_of_birth": "1985-07-03",
        "field_office_id": make.office("Gori").id,
        "return_date": "2024-06-01",
        "returned_from": "Germany",
        "consent_purposes": ["assistance"],
        "consent_date": "2024-06-01",
        "open_case": "y",
    }
    values.update(overrides)
    return values


def nodar(make, office="Gori", **extra):
    return make.returnee(
        office, first_name="Nodar", last_name="Tsereteli", sex="M", date_of_birth=date(1985, 3, 7), **extra
    )


def georgian_nodar(make, office="Gori", **extra):
    return make.returnee(
        office, first_name="ნოდარ", last_name="წერეთელი", sex="M", date_of_birth=date(1985, 7, 3), **extra
    )


def test_registering_the_georgian_spelling_warns_with_the_match_and_why(client, make, login):
    existing = nodar(make)
    login(make.user(Role.CASEWORKER, "Gori"))
    response = client.post("/returnees/new", data=register_form(make))
    assert response.status_code == 200
    assert "may be the same person" in response.text and "Nodar Tsereteli" in response.text
    assert "names match across scripts" in response.text and "birth date day/month swapped" in response.text
    assert f'/returnees/{existing.id}"' in response.text
    assert db.session.scalar(sa.select(sa.func.count(Returnee.id))) == 1
    confirmed = client.post("/returnees/new", data=register_form(make, confirm_duplicate="yes"))
    assert confirmed.status_code == 302


def test_caseworker_is_not_warned_about_another_offices_fuzzy_match(client, make, login):
    nodar(make, "Tbilisi")
    login(make.user(Role.CASEWORKER, "Gori"))
    assert client.post("/returnees/new", data=register_form(make)).status_code == 302


def test_supervisor_sees_own_office_pairs_and_another_offices_record_without_its_data(client, make, login):
    gori_a, gori_b = nodar(make), georgian_nodar(make, with_case=False)
    tbilisi = make.returnee("Tbilisi", first_name="Eka", last_name="Lomidze", date_of_birth=date(1990, 4, 4))
    make.returnee("Gori", first_name="Eka", last_name="Lomidze", date_of_birth=date(1990, 4, 4), with_case=False)
    only_tbilisi = [
        make.returnee(
            "Tbilisi", first_name="Levan", last_name="Abashidze", date_of_birth=date(1970, 1, 2), with_case=False
        )
        for _ in range(2)
    ]
    login(make.user(Role.SUPERVISOR, "Gori"))
    page = client.get("/duplicates/")
    assert page.status_code == 200
    assert "Nodar Tsereteli" in page.text and "ნოდარ წერეთელი" in page.text
    assert "A record of another office (Tbilisi)" in page.text
    assert f'/returnees/{tbilisi.id}"' not in page.text and "Abashidze" not in page.text
    assert f"/duplicates/{gori_a.id}/{gori_b.id}" in page.text
    side = client.get(f"/duplicates/{min(r.id for r in only_tbilisi)}/{max(r.id for r in only_tbilisi)}")
    assert side.status_code == 404


def test_side_by_side_highlights_differences_and_shows_both_timelines(client, make, login):
    latin, georgian = nodar(make), georgian_nodar(make, with_case=False)
    make.record(latin, "business_counselling", on=date(2024, 4, 1))
    login(make.user(Role.SUPERVISOR, "Gori"))
    page = client.get(f"/duplicates/{latin.id}/{georgian.id}")
    assert page.status_code == 200
    assert 'id="row-first_name"' in page.text and "differs" in page.text
    assert "Business counselling" in page.text or "business" in page.text.lower()
    assert client.get(f"/duplicates/{georgian.id}/{latin.id}").status_code == 302


def test_not_the_same_is_not_proposed_again(client, make, login):
    latin, georgian = nodar(make), georgian_nodar(make, with_case=False)
    login(make.user(Role.SUPERVISOR, "Gori"))
    response = client.post(f"/duplicates/{latin.id}/{georgian.id}/decision", data={"decision": "not_same"})
    assert response.status_code == 302
    assert f"/duplicates/{latin.id}/{georgian.id}" not in client.get("/duplicates/").text


def test_merge_keeps_chosen_values_moves_timeline_redirects_and_unmerge_restores(client, make, login):
    latin = nodar(make, personal_number="01001012345")
    georgian = georgian_nodar(make, with_case=False, phone="599 44 55 66")
    record = make.record(georgian, "reception", on=date(2024, 3, 2), amount="100")
    login(make.user(Role.SUPERVISOR, "Gori"))
    response = client.post(
        f"/duplicates/{latin.id}/{georgian.id}/merge",
        data={
            "survivor": latin.id,
            "field-first_name": georgian.id,
            "field-last_name": georgian.id,
            "field-phone": georgian.id,
            "field-date_of_birth": latin.id,
            "version_first": latin.version,
            "version_second": georgian.version,
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/returnees/{latin.id}")
    survivor = db.session.get(Returnee, latin.id)
    assert (survivor.full_name, survivor.phone, survivor.date_of_birth) == (
        "ნოდარ წერეთელი",
        "599 44 55 66",
        date(1985, 3, 7),
    )
    assert db.session.get(AssistanceRecord, record.id).returnee_id == latin.id
    moved_away = client.get(f"/returnees/{georgian.id}")
    assert moved_away.status_code == 302 and moved_away.headers["Location"].endswith(f"/returnees/{latin.id}")
    page = client.get(f"/returnees/{latin.id}")
    assert "Merged records" in page.text and "merged a duplicate record" in page.text
    assert client.get("/returnees/?q=Nodar").text.count("/returnees/") >= 1
    assert f'/returnees/{georgian.id}"' not in client.get("/returnees/?q=Tsereteli").text

    merge = db.session.scalar(sa.select(ReturneeMerge))
    assert client.get(f"/duplicates/merges/{merge.id}").status_code == 200
    undone = client.post(f"/duplicates/merges/{merge.id}/unmerge")
    assert undone.status_code == 302
    db.session.expire_all()
    assert db.session.get(Returnee, georgian.id).merged_into_id is None
    assert db.session.get(Returnee, latin.id).full_name == "Nodar Tsereteli"
    assert db.session.get(AssistanceRecord, record.id).returnee_id == georgian.id


def test_a_merge_with_two_open_cases_asks_which_stays_open(client, make, login):
    latin, georgian = nodar(make), georgian_nodar(make)
    login(make.user(Role.SUPERVISOR, "Gori"))
    response = client.post(f"/duplicates/{latin.id}/{georgian.id}/merge", data={"survivor": latin.id})
    assert response.status_code == 400 and "choose the one that stays open" in response.text
    assert db.session.get(Returnee, georgian.id).merged_into_id is None


def test_supervisor_cannot_merge_records_of_two_offices(client, make, login):
    gori, tbilisi = nodar(make), georgian_nodar(make, "Tbilisi", with_case=False)
    login(make.user(Role.SUPERVISOR, "Gori"))
    page = client.get(f"/duplicates/{gori.id}/{tbilisi.id}")
    assert page.status_code == 200 and "ნოდარ" not in page.text and "Merge into" not in page.text
    assert client.post(f"/duplicates/{gori.id}/{tbilisi.id}/merge", data={"survivor": gori.id}).status_code == 403


def test_merged_record_is_not_counted_exported_or_listed(make):
    from caseapp.duplicates.services import merge_returnees

    latin, georgian = nodar(make), georgian_nodar(make, with_case=False)
    filters = ReportFilters(date(2024, 1, 1), date(2024, 12, 31))
    assert build_report(filters).returned_persons == 2
    merge_returnees(None, latin, georgian)
    db.session.commit()
    assert build_report(filters).returned_persons == 1
    assert [row[0] for row in returnee_rows()] != [] and len(list(returnee_rows())) == 1


def test_find_duplicates_command_prints_pairs_as_json_and_csv(runner, make):
    latin, georgian = nodar(make, external_id="HQ-7"), georgian_nodar(make, "Tbilisi", with_case=False)
    result = runner.invoke(args=["find-duplicates", "--format", "json"])
    assert result.exit_code == 0, result.output
    pairs = json.loads(result.stdout)
    assert pairs[0]["first_id"] == latin.id and pairs[0]["second_id"] == georgian.id
    assert pairs[0]["first_external_id"] == "HQ-7" and pairs[0]["second_name"] == "ნოდარ წერეთელი"
    assert "names match across scripts" in pairs[0]["reasons"] and pairs[0]["score"] == 60
    rows = list(
        csv.DictReader(
            io.StringIO(runner.invoke(args=["find-duplicates", "--format", "csv", "--office", "Tbilisi"]).stdout)
        )
    )
    assert rows[0]["second_office"] == "Tbilisi"
    assert json.loads(runner.invoke(args=["find-duplicates", "--min-score", "90"]).stdout) == []
    assert runner.invoke(args=["find-duplicates", "--office", "Nowhere"]).exit_code != 0


def test_import_preview_lists_likely_duplicates_without_blocking_the_import(make, files):
    from tests.test_imports import returnee_row, run_import

    existing = nodar(make)
    make.returnee("Tbilisi", first_name="Zurab", last_name="Maisuradze", date_of_birth=date(1968, 5, 21))
    caseworker = make.user(Role.CASEWORKER, "Gori")
    paths = files(
        returnees=[
            returnee_row("NEW-1", first_name="ნოდარ", last_name="წერეთელი", sex="M", date_of_birth="1985-07-03"),
            returnee_row("NEW-2", first_name="Zurab", last_name="Maisuradze", sex="M", date_of_birth="1969-05-21"),
            returnee_row("NEW-3", first_name="Someone", last_name="Else"),
        ]
    )
    preview = run_import(paths, actor=caseworker, dry_run=True)
    assert preview.ok and preview.possible_duplicate_count == 2
    nodar_match, zurab_match = preview.possible_duplicates
    assert nodar_match.external_id == "NEW-1"
    assert nodar_match.existing[0][:3] == (existing.id, "Nodar Tsereteli", "Gori")
    assert "names match across scripts" in nodar_match.existing[0][3]
    assert zurab_match.existing[0][:2] == (None, "")  # another office's record: named by its office only
    assert run_import(paths, actor=caseworker).ok


def test_an_import_whose_returnee_was_merged_cannot_be_undone(make, files):
    from caseapp.duplicates.services import merge_returnees
    from caseapp.imports.models import ImportBatch
    from caseapp.imports.services import undo_blockers
    from tests.test_imports import returnee_row, run_import

    existing = nodar(make)
    run_import(
        files(
            returnees=[
                returnee_row("NEW-1", first_name="ნოდარ", last_name="წერეთელი", sex="M", date_of_birth="1985-07-03")
            ]
        )
    )
    imported = db.session.scalar(sa.select(Returnee).where(Returnee.external_id == "NEW-1"))
    merge_returnees(None, existing, imported)
    db.session.commit()
    blockers = undo_blockers(db.session.scalar(sa.select(ImportBatch)))
    assert any("merges of duplicate records" in str(reason) for reason in blockers)


def test_stepping_through_pairs_goes_on_after_a_decision(client, make, login):
    first_pair = (nodar(make, phone="599 00 00 01"), georgian_nodar(make, with_case=False, phone="599 00 00 01"))
    second_pair = (
        make.returnee(first_name="Eka", last_name="Lomidze", date_of_birth=date(1990, 4, 4)),
        make.returnee(first_name="Eka", last_name="Lomidze", date_of_birth=date(1990, 4, 4), with_case=False),
    )
    login(make.user(Role.SUPERVISOR, "Gori"))
    start = client.get("/duplicates/next")
    assert start.headers["Location"].endswith(f"/duplicates/{first_pair[0].id}/{first_pair[1].id}")
    decided = client.post(f"/duplicates/{first_pair[0].id}/{first_pair[1].id}/decision", data={"decision": "not_same"})
    then = client.get(decided.headers["Location"])
    assert then.headers["Location"].endswith(f"/duplicates/{second_pair[0].id}/{second_pair[1].id}")
    done = client.get(f"/duplicates/next?first={second_pair[0].id}&second={second_pair[1].id}")
    assert done.headers["Location"].endswith("/duplicates/")
