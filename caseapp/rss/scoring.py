"""The one place where RSS scores are computed. Plain functions over plain data (no Flask, no ORM).

The survey definition (a QuestionnaireVersion of kind "rss") gives each answer option a score between 0
and 1 (or none: "not applicable"), each question (an indicator) a weight within its dimension, and each
dimension a weight in the composite:

- an indicator's score is the score of the option chosen; an unanswered or not-applicable indicator is
  left out (its weight does not count);
- a dimension's score is the weighted mean of its indicators' scores (none when no indicator scored);
- the composite is the weighted mean of the dimensions' scores (none when no dimension scored).

All in Decimal, rounded half up to 4 decimals at the end of each step, so that SQLite, PostgreSQL and a
hand count agree to the last digit. Every score lies between 0 and 1 because every option score does."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

PLACES = Decimal("0.0001")
DIMENSIONS = ("economic", "social", "psychosocial")


class DefinitionError(ValueError):
    """The definition cannot score: a score outside 0..1, a weight not positive, an unknown dimension."""


@dataclass(frozen=True)
class Scores:
    economic: Decimal | None
    social: Decimal | None
    psychosocial: Decimal | None
    composite: Decimal | None

    def by_dimension(self) -> dict[str, Decimal | None]:
        return {"economic": self.economic, "social": self.social, "psychosocial": self.psychosocial}


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _round(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


def weighted_mean(pairs: list[tuple[Decimal, Decimal]]) -> Decimal | None:
    """Σ weight·score / Σ weight over (score, weight) pairs; None for no pairs."""
    total_weight = sum((weight for _score, weight in pairs), Decimal(0))
    if not pairs or total_weight == 0:
        return None
    return _round(sum((score * weight for score, weight in pairs), Decimal(0)) / total_weight)


def indicator_score(question: dict[str, Any], value: str | None) -> Decimal | None:
    """The score of the option chosen; None when unanswered or the option scores nothing (not applicable)."""
    if value is None:
        return None
    for option in question.get("options", []):
        if str(option["value"]) == str(value):
            score = option.get("score")
            return None if score is None else _decimal(score)
    return None


def check_definition(definition: dict[str, Any]) -> None:
    """Refuse a definition whose scores or weights are out of range (before anyone answers it)."""
    for section in definition.get("sections", []):
        if section.get("dimension") not in DIMENSIONS:
            raise DefinitionError(f"section {section.get('code')!r}: unknown dimension {section.get('dimension')!r}")
        for question in section.get("questions", []):
            if _decimal(question.get("weight", 1)) <= 0:
                raise DefinitionError(f"question {question['code']!r}: the weight must be positive")
            for option in question.get("options", []):
                score = option.get("score")
                if score is not None and not (0 <= _decimal(score) <= 1):
                    raise DefinitionError(f"question {question['code']!r}: an option's score is outside 0..1")
    for dimension, weight in definition.get("dimension_weights", {}).items():
        if dimension not in DIMENSIONS or _decimal(weight) <= 0:
            raise DefinitionError(f"dimension weight {dimension!r}: unknown dimension or not positive")


def dimension_scores(definition: dict[str, Any], answers: dict[str, str]) -> dict[str, Decimal | None]:
    pairs: dict[str, list[tuple[Decimal, Decimal]]] = {dimension: [] for dimension in DIMENSIONS}
    for section in definition.get("sections", []):
        dimension = section.get("dimension")
        if dimension not in pairs:
            continue
        for question in section.get("questions", []):
            score = indicator_score(question, answers.get(question["code"]))
            if score is not None:
                pairs[dimension].append((score, _decimal(question.get("weight", 1))))
    return {dimension: weighted_mean(found) for dimension, found in pairs.items()}


def composite_score(definition: dict[str, Any], by_dimension: dict[str, Decimal | None]) -> Decimal | None:
    weights = definition.get("dimension_weights", {})
    pairs = [
        (score, _decimal(weights.get(dimension, 1))) for dimension, score in by_dimension.items() if score is not None
    ]
    return weighted_mean(pairs)


def score_survey(definition: dict[str, Any], answers: dict[str, str]) -> Scores:
    """The survey's scores per dimension and its composite, as the definition's version computes them."""
    by_dimension = dimension_scores(definition, answers)
    return Scores(**by_dimension, composite=composite_score(definition, by_dimension))
