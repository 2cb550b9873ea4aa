"""A form built from a questionnaire definition: one field per question (a choice list or a text)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Optional

from caseapp.forms import IsoDateField, not_in_future
from caseapp.language import current_language
from caseapp.questionnaires.definitions import clean_answers, localized, questions

PROBLEM_MESSAGES = {
    "required": _l("Answer this question."),
    "unknown_option": _l("Choose one of the answers offered."),
    "too_long": _l("At most 2,000 characters."),
}


def field_name(code: str) -> str:
    return f"q_{code}"


def questionnaire_form(definition: dict[str, Any], *, date_label, extra: dict | None = None, **kwargs) -> FlaskForm:
    """A form with the date of the interview and one field per question of the definition."""
    language = current_language()

    class QuestionnaireForm(FlaskForm):
        taken_on = IsoDateField(date_label, validators=[InputRequired(), not_in_future])

    for name, field in (extra or {}).items():
        setattr(QuestionnaireForm, name, field)
    for _section, question in questions(definition):
        label = localized(question.get("text"), language)
        if question.get("type", "choice") == "choice":
            choices = [("", "—")] + [
                (str(option["value"]), localized(option.get("text"), language)) for option in question["options"]
            ]
            field = SelectField(label, choices=choices, validators=[Optional()])
        else:
            field = TextAreaField(label, validators=[Optional()])
        setattr(QuestionnaireForm, field_name(question["code"]), field)
    return QuestionnaireForm(**kwargs)


def answers_of(form: FlaskForm, definition: dict[str, Any]) -> dict[str, str]:
    return {
        question["code"]: getattr(form, field_name(question["code"])).data or ""
        for _section, question in questions(definition)
    }


def check_answers(form: FlaskForm, definition: dict[str, Any]) -> dict[str, str] | None:
    """The cleaned answers, or None after putting each problem next to its question."""
    cleaned, problems = clean_answers(definition, answers_of(form, definition))
    for code, problem in problems.items():
        field = getattr(form, field_name(code))
        field.errors = list(field.errors) + [str(PROBLEM_MESSAGES[problem])]
    return None if problems else cleaned


def fill_form(form: FlaskForm, answers: dict[str, str]) -> None:
    for code, value in answers.items():
        field = getattr(form, field_name(code), None)
        if field is not None:
            field.data = value
