"""The duplicate pages (/duplicates/...): the likely pairs, two records side by side with the decision and the
merge, stepping to the next pair, and a merge's page with its unmerge."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from caseapp.assistance.queries import timeline
from caseapp.audit.models import AuditAction
from caseapp.audit.reads import record_read, record_search
from caseapp.auth.policies import office_scope, require
from caseapp.duplicates.matching import MIN_SCORE, compare
from caseapp.duplicates.models import PairDecision, ReturneeMerge
from caseapp.duplicates.policies import can_find_duplicates, can_merge_pair
from caseapp.duplicates.queries import (
    candidates_for,
    decision_of,
    next_candidate,
    pair_or_404,
    person_of,
)
from caseapp.duplicates.services import (
    MERGE_FIELDS,
    OTHER,
    SURVIVOR,
    decide_pair,
    merge_returnees,
    unmerge,
    unmerge_refusal,
)
from caseapp.extensions import db
from caseapp.inputs import db_int
from caseapp.offices.models import FieldOffice
from caseapp.pagination import Page, requested_page
from caseapp.projects.models import Project
from caseapp.returnees.models import Sex, Vulnerability
from caseapp.submissions import submitted_once
from caseapp.ui import label, localdate
from caseapp.unit_of_work import attempt

bp = Blueprint("duplicates", __name__, url_prefix="/duplicates")

PAGE_SIZE = 50


def _field_labels() -> dict[str, str]:
    return {
        "first_name": _("First name"),
        "last_name": _("Last name"),
        "sex": _("Sex"),
        "date_of_birth": _("Date of birth"),
        "personal_number": _("Personal number"),
        "phone": _("Phone"),
        "external_id": _("External id"),
        "field_office_id": _("Field office"),
        "return_date": _("Return date"),
        "returned_from": _("Returned from"),
        "return_project_id": _("Return assisted by project"),
        "vulnerabilities": _("Vulnerabilities"),
    }


def _min_score() -> int:
    value = request.args.get("min_score", type=db_int)
    return MIN_SCORE if value is None else max(0, min(100, value))


@bp.get("/")
@require(can_find_duplicates)
def index():
    min_score = _min_score()
    office_id = request.args.get("office", type=db_int) if office_scope(current_user) is None else None
    candidates = candidates_for(current_user, min_score=min_score, office_id=office_id)
    page_number, _per_page = requested_page(request.args, per_page=PAGE_SIZE)
    page = Page(min(page_number, Page(1, PAGE_SIZE, len(candidates)).pages), PAGE_SIZE, len(candidates))
    shown = candidates[page.offset : page.offset + PAGE_SIZE]
    record_search(
        current_user,
        "duplicates",
        asked={
            "min_score": min_score if min_score != MIN_SCORE else None,
            "office": office_id,
            "page": page.number if page.number > 1 else None,
        },
        found=len(candidates),
        office_id=office_scope(current_user),
    )
    offices = db.session.scalars(select(FieldOffice).order_by(FieldOffice.label)).all()
    return render_template(
        "duplicates/index.html",
        candidates=shown,
        page=page,
        min_score=min_score,
        office_id=office_id,
        offices=offices if office_scope(current_user) is None else [],
    )


def _field_value(returnee, field: str):
    if field == "vulnerabilities":
        return tuple(sorted(returnee.vulnerabilities))
    return getattr(returnee, field)


def _shown(returnee, field: str) -> str:
    """A field's value as the side-by-side page shows it (localised dates and labels)."""
    value = _field_value(returnee, field)
    if field == "return_project_id":
        return returnee.return_project.code
    if field == "vulnerabilities":
        return ", ".join(label(v) for v in value) or "—"
    if field == "field_office_id":
        return returnee.field_office.label
    if field == "sex":
        return label(value)
    if isinstance(value, date):
        return localdate(value)
    return value or "—"


def _record_pair_read(entity_type: str, people, entity_id: int, pair: list[int]) -> None:
    """A page showing two records side by side is a read of both: ONE ENTRY PER RETURNEE SHOWN (each with its
    own returnee and office, so that each person's "who opened this file" lists it), naming the pair."""
    for person in people:
        record_read(
            current_user,
            AuditAction.RECORD_VIEW,
            person,
            entity_type=entity_type,
            entity_id=entity_id,
            office_id=person.field_office_id,
            details={"pair": pair},
        )


def _compare_context(first, second, hidden, errors=None, chosen=None):
    score, reasons = compare(person_of(first), person_of(second))
    rows = []
    for field in MERGE_FIELDS:
        a, b = _field_value(first, field), _field_value(second, field)
        rows.append(
            {
                "field": field,
                "first": _shown(first, field),
                "second": _shown(second, field),
                "differs": a != b,
                # the value a merge takes unless changed: the first record's, or the second's where the first has none
                "default": second.id if a in (None, "", ()) and b not in (None, "", ()) else first.id,
            }
        )
    open_cases = [c for c in (first.current_case, second.current_case) if c is not None and not c.is_closed]
    return {
        "first": first,
        "second": second,
        "hidden": hidden,
        "score": score,
        "reasons": reasons,
        "rows": rows,
        "labels": _field_labels(),
        "timelines": {r.id: timeline(r) for r in (first, second) if r.id not in hidden},
        "decision": decision_of(first.id, second.id),
        "may_merge": can_merge_pair(current_user, first, second),
        "both_open": open_cases if len(open_cases) == 2 else [],
        "errors": errors or {},
        "chosen": chosen or {},
    }


@bp.get("/<int:first_id>/<int:second_id>")
@require(can_find_duplicates)
def compare_pair(first_id, second_id):
    first, second, hidden = pair_or_404(current_user, first_id, second_id)
    if (first.id, second.id) != (first_id, second_id):
        return redirect(url_for("duplicates.compare_pair", first_id=first.id, second_id=second.id))
    _record_pair_read("duplicate_pair", (first, second), first.id, [first.id, second.id])
    return render_template("duplicates/compare.html", **_compare_context(first, second, hidden))


@bp.get("/next")
@require(can_find_duplicates)
def next_pair():
    after = tuple(request.args.get(name, type=db_int) for name in ("first", "second"))
    found = next_candidate(current_user, after if None not in after else None)
    if found is None:
        flash(_("No more pairs to look at."), "info")
        return redirect(url_for("duplicates.index"))
    first_id, second_id = found.match.ids
    return redirect(url_for("duplicates.compare_pair", first_id=first_id, second_id=second_id))


@bp.post("/<int:first_id>/<int:second_id>/decision")
@require(can_find_duplicates)
@submitted_once
def decide(first_id, second_id):
    first, second, _hidden = pair_or_404(current_user, first_id, second_id)
    value = request.form.get("decision", "")
    if value not in set(PairDecision):
        abort(400)
    done = attempt(lambda: decide_pair(current_user, first, second, PairDecision(value)))
    if done.saved:
        flash(
            _("Remembered: not the same person. The pair is not proposed again.")
            if value == PairDecision.NOT_SAME
            else _("Remembered: the same person."),
            "success",
        )
        if value == PairDecision.SAME and can_merge_pair(current_user, first, second):
            return redirect(url_for("duplicates.compare_pair", first_id=first.id, second_id=second.id) + "#merge")
    return redirect(url_for("duplicates.next_pair", first=first.id, second=second.id))


@bp.post("/<int:first_id>/<int:second_id>/merge")
@require(can_find_duplicates)
@submitted_once
def merge(first_id, second_id):
    first, second, hidden = pair_or_404(current_user, first_id, second_id)
    if not can_merge_pair(current_user, first, second):
        abort(403)
    form = request.form
    survivor_id = form.get("survivor", type=db_int)
    errors: dict = {}
    if survivor_id not in (first.id, second.id):
        errors["survivor"] = _("Choose the record that stays.")
    chosen = {field: form.get(f"field-{field}", "") for field in MERGE_FIELDS}
    if any(value not in ("", str(first.id), str(second.id)) for value in chosen.values()):
        abort(400)
    if errors:
        return render_template(
            "duplicates/compare.html", **_compare_context(first, second, hidden, errors, chosen)
        ), 400
    survivor, other = (first, second) if survivor_id == first.id else (second, first)
    choices = {field: (OTHER if value == str(other.id) else SURVIVOR) for field, value in chosen.items()}
    versions = {first.id: form.get("version_first", type=db_int), second.id: form.get("version_second", type=db_int)}
    done = attempt(
        lambda: merge_returnees(
            current_user,
            survivor,
            other,
            choices,
            keep_open_case_id=form.get("keep_open_case_id", type=db_int),
            expected_versions=(versions[survivor.id], versions[other.id]),
        )
    )
    if done.saved:
        flash(_("The records are merged: %(name)s.", name=f"{survivor.first_name} {survivor.last_name}"), "success")
        return redirect(url_for("returnees.show", returnee_id=survivor.id))
    if done.stale is not None:
        flash(_("One of the records was changed meanwhile: look again before merging."), "warning")
        return redirect(url_for("duplicates.compare_pair", first_id=first.id, second_id=second.id))
    db.session.expire_all()
    context = _compare_context(first, second, hidden, dict(done.failure.errors), chosen)
    return render_template("duplicates/compare.html", **context), 400


def _merge_or_404(merge_id: int) -> ReturneeMerge:
    merge = db.session.get(ReturneeMerge, merge_id)
    if merge is None or not can_find_duplicates(current_user):
        abort(404)
    scope = office_scope(current_user)
    if scope is not None and scope not in (merge.survivor.field_office_id, merge.merged_before["field_office_id"]):
        abort(404)
    return merge


@bp.get("/merges/<int:merge_id>")
@require(can_find_duplicates)
def show_merge(merge_id):
    merge = _merge_or_404(merge_id)
    may_undo = can_merge_pair(current_user, merge.survivor, merge.merged) and (
        office_scope(current_user) is None or merge.merged_before["field_office_id"] == office_scope(current_user)
    )
    fields = list(MERGE_FIELDS)
    offices = {office.id: office.label for office in db.session.scalars(select(FieldOffice))}
    _record_pair_read("merge", (merge.survivor, merge.merged), merge.id, [merge.survivor.id, merge.merged.id])
    states = [
        {field: _state_shown(merge.survivor_before, field, offices) for field in fields},
        {field: _state_shown(merge.merged_before, field, offices) for field in fields},
    ]
    return render_template(
        "duplicates/merge.html",
        states=states,
        merge=merge,
        refusal=unmerge_refusal(merge),
        may_undo=may_undo,
        labels=_field_labels(),
        fields=fields,
    )


def _state_shown(state: dict, field: str, offices: dict[int, str]) -> str:
    """A value of a merge's before-state as people read it."""
    value = state.get(field)
    if value in (None, "", []):
        return "—"
    if field == "return_project_id":
        found = db.session.get(Project, value)
        return found.code if found else str(value)
    if field in ("date_of_birth", "return_date"):
        return localdate(date.fromisoformat(value))
    if field == "sex":
        return label(Sex(value))
    if field == "field_office_id":
        return offices.get(value, str(value))
    if field == "vulnerabilities":
        return ", ".join(label(Vulnerability(v)) for v in value)
    return str(value)


@bp.post("/merges/<int:merge_id>/unmerge")
@require(can_find_duplicates)
@submitted_once
def undo_merge(merge_id):
    merge = _merge_or_404(merge_id)
    if not can_merge_pair(current_user, merge.survivor, merge.merged):
        abort(403)
    done = attempt(lambda: unmerge(current_user, merge), success=_("The merge is undone: both records are back."))
    if done.saved:
        return redirect(url_for("returnees.show", returnee_id=merge.merged_id))
    return redirect(url_for("duplicates.show_merge", merge_id=merge.id))
