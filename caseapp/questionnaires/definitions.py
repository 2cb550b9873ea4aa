"""Reading a questionnaire definition (plain data) and checking answers against it. No Flask, no ORM.

A definition is a dict:

    {"sections": [{"code": "economic", "dimension": "economic" | None,
                   "title": {"en": ..., "ka": ...},
                   "questions": [{"code": "eco_income", "type": "choice" | "text",
                                  "text": {"en": ..., "ka": ...}, "required": true,
                                  "options": [{"value": "regular", "text": {...}, "score": "1"}],
                                  "weight": "1", "kind": "need" | "skill"}]}],
     "dimension_weights": {"economic": "1", ...}}   # the survey only

Answers are {question code: option value or text}. Texts of the definition carry English and Georgian."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

#: the longest free-text answer kept
TEXT_MAX = 2000


def localized(text: dict[str, str] | str | None, language: str = "en") -> str:
    """A definition's text in the page's language (English when there is no Georgian)."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    return text.get(language) or text.get("en") or ""


def sections(definition: dict[str, Any]) -> list[dict[str, Any]]:
    return list(definition.get("sections", []))


def questions(definition: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Every (section, question) of the definition, in order."""
    for section in sections(definition):
        for question in section.get("questions", []):
            yield section, question


def option_values(question: dict[str, Any]) -> list[str]:
    return [str(option["value"]) for option in question.get("options", [])]


def clean_answers(definition: dict[str, Any], answers: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The answers the definition knows, trimmed, and the problems by question code: a required question
    left empty, an option the question does not offer, a text too long. Unknown codes are dropped."""
    cleaned: dict[str, str] = {}
    problems: dict[str, str] = {}
    for _section, question in questions(definition):
        code = question["code"]
        value = str(answers.get(code) or "").strip()
        if not value:
            if question.get("required"):
                problems[code] = "required"
            continue
        if question.get("type", "choice") == "choice":
            if value not in option_values(question):
                problems[code] = "unknown_option"
                continue
        elif len(value) > TEXT_MAX:
            problems[code] = "too_long"
            continue
        cleaned[code] = value
    return cleaned, problems


def answer_label(question: dict[str, Any], value: str | None, language: str = "en") -> str:
    """What an answer says, in words: the option's text for a choice, the text itself otherwise."""
    if value is None:
        return ""
    for option in question.get("options", []):
        if str(option["value"]) == value:
            return localized(option.get("text"), language)
    return value
