"""The intake assessment: screening on the returnee's own vulnerabilities, versioned questionnaire, signed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from caseapp.assessments.models import Assessment
from caseapp.assessments.services import record_assessment
from caseapp.auth.models import Role
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.questionnaires.definitions import questions
from caseapp.questionnaires.models import QuestionnaireKind, QuestionnaireVersion
from caseapp.questionnaires.queries import current_version
from caseapp.returnees.models import Vulnerability


def complete_answers(definition) -> dict[str, str]:
    return {q["code"]: q["options"][0]["value"] for _s, q in questions(definition) if q.get("type") == "choice"}


def test_shipped_assessment_has_screening_first_then_the_three_dimensions(app_ctx):
    definition = current_version(QuestionnaireKind.ASSESSMENT).definition
    assert [s["dimension"] for s in definition["sections"]] == [None, "economic", "social", "psychosocial"]
    kinds = {q.get("kind") for s in definition["sections"][1:] for q in s["questions"]}
    assert {"need", "skill"} <= kinds


def test_screening_changes_the_returnees_own_vulnerabilities_the_reports_count(make):
    worker = make.user(Role.CASEWORKER, "Gori")
    person = make.returnee("Gori", vulnerabilities=[Vulnerability.ELDERLY])
    form = current_version(QuestionnaireKind.ASSESSMENT)
    assessment = record_assessment(
        worker,
        person.current_case,
        form,
        assessed_on=date(2024, 3, 5),
        answers=complete_answers(form.definition),
        vulnerabilities={Vulnerability.DISABILITY},
    )
    db.session.commit()
    db.session.refresh(person)
    assert person.vulnerabilities == {Vulnerability.DISABILITY}
    assert assessment.assessed_by_name == worker.display_name and assessment.questionnaire_version_id == form.id


def test_a_filled_assessment_keeps_the_version_it_used(make):
    worker = make.user(Role.CASEWORKER, "Gori")
    person = make.returnee("Gori")
    first = current_version(QuestionnaireKind.ASSESSMENT)
    assessment = record_assessment(
        worker,
        person.current_case,
        first,
        assessed_on=date(2024, 3, 5),
        answers=complete_answers(first.definition),
        vulnerabilities=set(),
    )
    newer = QuestionnaireVersion(
        kind=QuestionnaireKind.ASSESSMENT, version=first.version + 1, title="v2", definition={"sections": []}
    )
    db.session.add(newer)
    db.session.commit()
    assert current_version(QuestionnaireKind.ASSESSMENT).id == newer.id
    db.session.refresh(assessment)
    assert assessment.questionnaire.version == first.version


def test_missing_or_unknown_answers_and_future_dates_are_refused(make):
    worker = make.user(Role.CASEWORKER, "Gori")
    case = make.returnee("Gori").current_case
    form = current_version(QuestionnaireKind.ASSESSMENT)
    with pytest.raises(ValidationFailed):
        record_assessment(worker, case, form, assessed_on=date(2024, 3, 5), answers={}, vulnerabilities=set())
    with pytest.raises(ValidationFailed):
        record_assessment(
            worker,
            case,
            form,
            assessed_on=date(2024, 3, 5),
            answers={**complete_answers(form.definition), "urgent_need": "spaceship"},
            vulnerabilities=set(),
        )
    with pytest.raises(ValidationFailed):
        record_assessment(
            worker,
            case,
            form,
            assessed_on=date(2999, 1, 1),
            answers=complete_answers(form.definition),
            vulnerabilities=set(),
        )


def test_caseworker_records_an_assessment_on_the_web(client, make, login):
    worker = make.user(Role.CASEWORKER, "Gori")
    person = make.returnee("Gori")
    form = current_version(QuestionnaireKind.ASSESSMENT)
    login(worker)
    empty = client.post(f"/returnees/cases/{person.current_case.id}/assessments/new", data={"taken_on": "2024-03-05"})
    assert empty.status_code == 200 and "Answer this question." in empty.text
    data = {f"q_{code}": value for code, value in complete_answers(form.definition).items()}
    response = client.post(
        f"/returnees/cases/{person.current_case.id}/assessments/new",
        data={**data, "taken_on": "2024-03-05", "vulnerabilities": ["single_parent"]},
    )
    assert response.status_code == 302
    saved = db.session.scalar(select(Assessment))
    page = client.get(response.headers["Location"]).text
    assert worker.display_name in page and "Single parent" in page
    assert saved.answers["urgent_need"] == "none"
