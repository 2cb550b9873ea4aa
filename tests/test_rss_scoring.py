"""RSS scoring: plain functions over plain data."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseapp.rss.scoring import DefinitionError, check_definition, score_survey, weighted_mean


def definition(weights=None):
    def q(code, weight="1"):
        return {
            "code": code,
            "weight": weight,
            "options": [
                {"value": "a", "score": "0"},
                {"value": "b", "score": "0.5"},
                {"value": "c", "score": "1"},
                {"value": "na"},
            ],
        }

    return {
        "dimension_weights": weights or {"economic": "1", "social": "1", "psychosocial": "1"},
        "sections": [
            {"code": "e", "dimension": "economic", "questions": [q("e1"), q("e2", "3")]},
            {"code": "s", "dimension": "social", "questions": [q("s1")]},
            {"code": "p", "dimension": "psychosocial", "questions": [q("p1"), q("p2")]},
        ],
    }


def test_dimension_is_the_weighted_mean_and_composite_the_mean_of_dimensions():
    scores = score_survey(definition(), {"e1": "c", "e2": "a", "s1": "b", "p1": "c", "p2": "c"})
    assert scores.economic == Decimal("0.2500")  # (1*1 + 0*3) / 4
    assert scores.social == Decimal("0.5000")
    assert scores.psychosocial == Decimal("1.0000")
    assert scores.composite == Decimal("0.5833")  # (0.25 + 0.5 + 1) / 3, rounded half up


def test_not_applicable_and_unanswered_indicators_are_left_out():
    scores = score_survey(definition(), {"e1": "na", "e2": "c", "p1": "a"})
    assert scores.economic == Decimal("1.0000") and scores.social is None and scores.psychosocial == Decimal("0")
    assert scores.composite == Decimal("0.5000")


def test_dimension_weights_weigh_the_composite():
    scores = score_survey(
        definition({"economic": "2", "social": "1", "psychosocial": "1"}),
        {"e1": "c", "e2": "c", "s1": "a", "p1": "a", "p2": "a"},
    )
    assert scores.composite == Decimal("0.5000")


def test_nothing_answered_scores_nothing():
    assert score_survey(definition(), {}).composite is None
    assert weighted_mean([]) is None


def test_definitions_out_of_range_are_refused():
    bad = definition()
    bad["sections"][0]["questions"][0]["options"][0]["score"] = "1.5"
    with pytest.raises(DefinitionError):
        check_definition(bad)
    check_definition(definition())


@given(st.dictionaries(st.sampled_from(["e1", "e2", "s1", "p1", "p2"]), st.sampled_from(["a", "b", "c", "na"])))
def test_every_score_lies_between_0_and_1(answers):
    scores = score_survey(definition(), answers)
    for value in (scores.economic, scores.social, scores.psychosocial, scores.composite):
        assert value is None or Decimal(0) <= value <= Decimal(1)


def test_the_shipped_survey_is_a_valid_definition(app_ctx):
    from caseapp.questionnaires.models import QuestionnaireKind
    from caseapp.questionnaires.queries import current_version

    shipped = current_version(QuestionnaireKind.RSS).definition
    check_definition(shipped)
    assert {s["dimension"] for s in shipped["sections"]} == {"economic", "social", "psychosocial"}
