"""Deciding on a pair, merging two records of one person, and undoing a merge. Each use case changes the
records, flushes and writes the change log; the view (or command) commits, so a merge is one transaction.

What moves: every row of every table with a foreign key to returnee.id, found in the SQLAlchemy metadata
(`referencing_columns`), so a table added by another feature (consents, referrals, plans, visits, projects)
moves without a change here. Rows that point at a case need nothing: the case itself moves. Left alone: the
references marked `info={"merge": "keep"}` on their column (this package's own bookkeeping) and the ones in
KEPT below, each with its reason. The change log (audit_entry, no foreign keys) is never rewritten: the
survivor's history shows the entries of the records merged into it (casefile).

A row that cannot move because the survivor already has its twin under a unique constraint (one consent per
purpose, say) stays with the merged record and is named in the merge's `moved` list as "stayed"; the unmerge
leaves it where it is."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseapp.audit.models import AuditAction
from caseapp.audit.services import actor_id, ensure_current, record_change, record_event, snapshot
from caseapp.auth.models import User
from caseapp.cases.models import Case, CaseStatus, ClosureReason
from caseapp.duplicates.models import DuplicateDecision, PairDecision, ReturneeMerge
from caseapp.duplicates.policies import can_merge_pair
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.returnees.models import Returnee, ReturneeVulnerability, Sex, Vulnerability
from caseapp.returnees.rules import name_columns
from caseapp.timeutil import today, utcnow

#: references to a returnee a merge leaves where they are, and why
KEPT = {
    ("returnee", "merged_into_id"): "the merge itself",
    ("returnee_vulnerability", "returnee_id"): "a field of the record: the survivor's is chosen like the others",
}
#: the fields a merge lets the user choose, in the order shown (consent decisions are rows of their own:
#: they move to the survivor with the person's other rows)
MERGE_FIELDS = (
    "first_name",
    "last_name",
    "sex",
    "date_of_birth",
    "personal_number",
    "phone",
    "external_id",
    "field_office_id",
    "return_date",
    "returned_from",
    "return_project_id",
    "vulnerabilities",
)
#: what the record's before-state holds (restored exactly by the unmerge)
STATE_FIELDS = (
    "first_name",
    "last_name",
    "search_name",
    "search_name_reversed",
    "sex",
    "date_of_birth",
    "personal_number",
    "phone",
    "external_id",
    "field_office_id",
    "return_date",
    "returned_from",
    "return_project_id",
    "vulnerabilities",
    "merged_into_id",
)
SURVIVOR, OTHER = "survivor", "other"


def referencing_columns() -> list[tuple[sa.Table, sa.Column]]:
    """Every (table, column) of the metadata that refers to returnee.id and moves with a merge."""
    found = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name != "returnee" or fk.column.name != "id":
                continue
            column = fk.parent
            if column.info.get("merge") == "keep" or (table.name, column.name) in KEPT:
                continue
            found.append((table, column))
    return found


def _unique_column_sets(table: sa.Table, column: sa.Column) -> list[list[sa.Column]]:
    """The unique keys of the table that include the column (partial unique indexes are not known here)."""
    sets = []
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint | sa.PrimaryKeyConstraint) and column.name in constraint.columns:
            sets.append(list(constraint.columns))
    for index in table.indexes:
        partial = any(options.get("where") is not None for options in index.dialect_options.values())
        if index.unique and not partial and column.name in index.columns:
            sets.append(list(index.columns))
    return sets


def _move_rows(from_id: int, to_id: int) -> list[dict[str, Any]]:
    moved = []
    for table, column in referencing_columns():
        key_columns = list(table.primary_key.columns)
        unique_sets = [s for s in _unique_column_sets(table, column) if len(s) > 1]
        rows = db.session.execute(select(table).where(column == from_id)).mappings().all()
        for row in rows:
            key = {c.name: row[c.name] for c in key_columns}
            twin = any(
                db.session.scalar(
                    select(sa.literal(1))
                    .select_from(table)
                    .where(column == to_id, *[c == row[c.name] for c in columns if c is not column])
                    .limit(1)
                )
                for columns in unique_sets
            )
            entry = {"table": table.name, "column": column.name, "key": _json_key(key)}
            if twin:
                moved.append({**entry, "stayed": True})
                continue
            db.session.execute(sa.update(table).where(*[c == row[c.name] for c in key_columns]).values({column: to_id}))
            moved.append(entry)
    return moved


def _json_key(key: dict[str, Any]) -> dict[str, Any]:
    return {name: value.isoformat() if isinstance(value, date) else value for name, value in key.items()}


def _key_conditions(table: sa.Table, key: dict[str, Any]) -> list:
    conditions = []
    for name, value in key.items():
        column = table.c[name]
        if isinstance(value, str) and isinstance(column.type, sa.Date):
            value = date.fromisoformat(value)
        conditions.append(column == value)
    return conditions


def _state(returnee: Returnee) -> dict[str, Any]:
    return snapshot(returnee, STATE_FIELDS)


def _value(state: dict[str, Any], field: str):
    value = state[field]
    if field in ("date_of_birth", "return_date") and value is not None:
        return date.fromisoformat(value)
    return value


def _restore(returnee: Returnee, state: dict[str, Any], fields=STATE_FIELDS) -> None:
    for field in fields:
        if field == "vulnerabilities":
            _set_vulnerabilities(returnee, {Vulnerability(v) for v in state[field]})
        elif field == "sex":
            returnee.sex = Sex(state[field])
        else:
            setattr(returnee, field, _value(state, field))


def _set_vulnerabilities(returnee: Returnee, wanted: set[Vulnerability]) -> None:
    returnee.vulnerability_rows = [row for row in returnee.vulnerability_rows if row.code in wanted] + [
        ReturneeVulnerability(code=code) for code in sorted(wanted - returnee.vulnerabilities)
    ]


def _open_case(returnee: Returnee) -> Case | None:
    return next((case for case in returnee.cases if not case.is_closed), None)


def _pair(first: Returnee, second: Returnee) -> tuple[int, int]:
    return tuple(sorted((first.id, second.id)))


def decide_pair(actor: User, first: Returnee, second: Returnee, decision: PairDecision) -> DuplicateDecision:
    """Remember that two records are (or are not) the same person; "not the same" keeps them off the list."""
    low, high = _pair(first, second)
    found = db.session.scalar(
        select(DuplicateDecision).where(DuplicateDecision.first_id == low, DuplicateDecision.second_id == high)
    )
    if found is None:
        found = DuplicateDecision(first_id=low, second_id=high)
        db.session.add(found)
    found.decision = PairDecision(decision)
    found.decided_by_id = actor_id(actor)
    found.decided_at = utcnow()
    db.session.flush()
    for record in (first, second):
        record_event(
            actor,
            AuditAction.DUPLICATE_DECISION,
            entity_type="returnee",
            entity_id=record.id,
            returnee_id=record.id,
            label=record.audit_label,
            details={"pair": [low, high], "decision": found.decision.value},
        )
    return found


def merge_returnees(
    actor: User | None,
    survivor: Returnee,
    other: Returnee,
    choices: dict[str, str] | None = None,
    *,
    keep_open_case_id: int | None = None,
    expected_versions: tuple[int | None, int | None] = (None, None),
) -> ReturneeMerge:
    """Merge `other` into `survivor`: the survivor takes, for each field of MERGE_FIELDS, its own value or the
    other's (`choices[field]` = "survivor" or "other"; the survivor's by default); every row that refers to
    the other record moves to the survivor; the other record is kept, marked merged. When both have an open
    case, `keep_open_case_id` names the one that stays open; the other is closed (reason "other")."""
    choices = choices or {}
    if survivor.id == other.id:
        raise ValidationFailed({"": _l("A record cannot be merged with itself.")})
    if survivor.merged_into_id is not None or other.merged_into_id is not None:
        raise ValidationFailed({"": _l("One of the records is already merged into another one.")})
    if actor is not None and not can_merge_pair(actor, survivor, other):
        raise ValidationFailed({"": _l("Records of two offices are merged by an administrator.")})
    ensure_current(survivor, expected_versions[0])
    ensure_current(other, expected_versions[1])
    unknown = {
        field for field, choice in choices.items() if field not in MERGE_FIELDS or choice not in (SURVIVOR, OTHER)
    }
    if unknown:
        raise ValidationFailed({"": _l("Unknown choice: %(fields)s", fields=", ".join(sorted(unknown)))})

    closed_case = None
    open_cases = [case for case in (_open_case(survivor), _open_case(other)) if case is not None]
    if len(open_cases) == 2:
        if keep_open_case_id not in {case.id for case in open_cases}:
            raise ValidationFailed(
                {"keep_open_case_id": _l("Both records have an open case: choose the one that stays open.")}
            )
        closing = next(case for case in open_cases if case.id != keep_open_case_id)
        closed_case = {"id": closing.id, **snapshot(closing, ("status", "closed_on", "closure_reason", "closure_note"))}
        before_case = snapshot(closing, ("status", "closed_on", "closure_reason", "closure_note"))
        closing.status = CaseStatus.CLOSED
        closing.closed_on = today()
        closing.closure_reason = ClosureReason.OTHER
        closing.closure_note = str(
            _l("Closed when two records of the person were merged (case %(id)d stays open).", id=keep_open_case_id)
        )
        record_change(actor, closing, AuditAction.CASE_STATUS, before_case)

    survivor_before, other_before = _state(survivor), _state(other)
    chosen = {}
    for field in MERGE_FIELDS:
        source = other_before if choices.get(field) == OTHER else survivor_before
        chosen[field] = source[field]
    # The unique personal number and external id leave the other record first, so the survivor may take them.
    other.personal_number = None
    other.external_id = None
    db.session.flush()
    _restore(survivor, chosen, chosen.keys())
    for column, key in name_columns(survivor.first_name, survivor.last_name).items():
        setattr(survivor, column, key)
    db.session.flush()

    moved = _move_rows(other.id, survivor.id)
    other.merged_into_id = survivor.id
    merge = ReturneeMerge(
        survivor_id=survivor.id,
        merged_id=other.id,
        merged_by_id=actor_id(actor),
        survivor_before=survivor_before,
        merged_before=other_before,
        moved=moved,
        closed_case=closed_case,
    )
    db.session.add(merge)
    decision = db.session.scalar(
        select(DuplicateDecision).where(
            DuplicateDecision.first_id == min(survivor.id, other.id),
            DuplicateDecision.second_id == max(survivor.id, other.id),
        )
    )
    if decision is None:
        db.session.add(
            DuplicateDecision(
                first_id=min(survivor.id, other.id),
                second_id=max(survivor.id, other.id),
                decision=PairDecision.SAME,
                decided_by_id=actor_id(actor),
            )
        )
    else:
        decision.decision = PairDecision.SAME
    db.session.flush()
    details = {
        "merge_id": merge.id,
        "survivor_id": survivor.id,
        "merged_id": other.id,
        "survivor_before": survivor_before,
        "merged_before": other_before,
        "moved_rows": len([m for m in moved if not m.get("stayed")]),
    }
    for record in (survivor, other):  # the before-states once, in the survivor's entry
        record_event(
            actor,
            AuditAction.RETURNEE_MERGE,
            entity_type="returnee",
            entity_id=record.id,
            returnee_id=record.id,
            label=record.audit_label,
            details=details if record is survivor else {"merge_id": merge.id, "survivor_id": survivor.id},
        )
    db.session.expire_all()  # the rows moved by UPDATE statements: relationships are read again
    return merge


def unmerge_refusal(merge: ReturneeMerge):
    """Why this merge cannot be undone now, or None."""
    if not merge.active:
        return _l("This merge was already undone.")
    if merge.survivor.merged_into_id is not None:
        return _l("The record was merged again since: undo that merge first.")
    later = db.session.scalar(
        select(ReturneeMerge.id).where(
            ReturneeMerge.survivor_id == merge.survivor_id,
            ReturneeMerge.id > merge.id,
            ReturneeMerge.unmerged_at.is_(None),
        )
    )
    if later is not None:
        return _l("A later merge into this record must be undone first.")
    return None


def unmerge(actor: User | None, merge: ReturneeMerge) -> ReturneeMerge:
    """Undo a merge: both records get back their values, and every row that moved goes back, exactly."""
    refusal = unmerge_refusal(merge)
    if refusal is not None:
        raise ValidationFailed({"": refusal})
    survivor, other = merge.survivor, merge.merged
    if actor is not None and not can_merge_pair(actor, survivor, other):
        raise ValidationFailed({"": _l("Records of two offices are merged by an administrator.")})
    tables = db.metadata.tables
    for entry in merge.moved:
        if entry.get("stayed"):
            continue
        table = tables.get(entry["table"])
        if table is None:  # a table dropped since: nothing of it to restore
            continue
        column = table.c[entry["column"]]
        db.session.execute(
            sa.update(table)
            .where(*_key_conditions(table, entry["key"]), column == survivor.id)
            .values({column: other.id})
        )
    db.session.expire_all()
    survivor_now = _state(survivor)
    # the survivor gives back the unique values first, so the other record can take its own again
    survivor.personal_number = None
    survivor.external_id = None
    db.session.flush()
    _restore(other, {**merge.merged_before, "merged_into_id": None})
    db.session.flush()
    _restore(survivor, merge.survivor_before)
    db.session.flush()
    if merge.closed_case:
        case = db.session.get(Case, merge.closed_case["id"])
        if case is not None and case.is_closed:
            before = snapshot(case, ("status", "closed_on", "closure_reason", "closure_note"))
            case.status = CaseStatus(merge.closed_case["status"])
            closed_on = merge.closed_case["closed_on"]
            case.closed_on = date.fromisoformat(closed_on) if closed_on else None
            reason = merge.closed_case["closure_reason"]
            case.closure_reason = ClosureReason(reason) if reason else None
            case.closure_note = merge.closed_case["closure_note"]
            record_change(actor, case, AuditAction.CASE_STATUS, before)
    merge.unmerged_at = utcnow()
    merge.unmerged_by_id = actor_id(actor)
    db.session.flush()
    details = {"merge_id": merge.id, "survivor_id": survivor.id, "merged_id": other.id, "survivor_was": survivor_now}
    for record in (survivor, other):
        record_event(
            actor,
            AuditAction.RETURNEE_UNMERGE,
            entity_type="returnee",
            entity_id=record.id,
            returnee_id=record.id,
            label=record.audit_label,
            details=details,
        )
    return merge
