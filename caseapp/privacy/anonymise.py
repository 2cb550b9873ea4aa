"""Anonymisation, declared on the columns rather than listed here.

Every column that can hold personal data carries `info={"personal": True}` (and `{"personal": False}` when a
String/Text column cannot; tests/test_anonymise.py fails on a String/Text column of a returnee-linked table
that says neither). The tables linked to a returnee are found through the metadata's foreign keys, starting
from `returnee` and following every table that references a linked table (its cases, their assistance, the
approval decisions of that assistance, reviews, consent, and any table another feature adds). In each, the
personal columns of the person's rows are emptied: NULL where the column allows it, "" for other text, or
the rule named by `info["anonymise"]`:

- "age_at_return": a date of birth becomes the return date minus the age in whole years at the return, so
  the age (and the reports' age band at the return date) stays exactly as it was and the day is gone.

What the reports count (office, sex, age at return, vulnerabilities, return date, cases, assistance, amounts)
is not personal data in this sense and stays, so every figure is the same before and after.

Copies of personal values elsewhere are scrubbed too: the change log's entries about the person (their
label, the personal fields of their changes, their comments), and any other change-log entry or import
batch that quotes the person's full name, personal number, phone or external id. On PostgreSQL the change
log refuses UPDATE (caseapp/audit); this module passes through the one exception it allows,
`allow_audit_scrub()`. The anonymisation itself is logged (one entry per person, no personal data in it)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from caseapp.audit.models import AuditAction, AuditEntry
from caseapp.audit.reads import allow_audit_scrub
from caseapp.audit.services import record_event
from caseapp.extensions import db
from caseapp.privacy.retention import DueReturnee
from caseapp.timeutil import age_on, utcnow

ROOT = "returnee"
#: what replaces a personal value inside the change log and import batches
REMOVED = "[removed]"
#: people per statement (IN lists stay well under the databases' parameter limits)
CHUNK = 500


# --- which tables and columns ----------------------------------------------------------------------------


def linked_tables(metadata: sa.MetaData | None = None) -> dict[str, list[tuple[sa.Column, sa.Column]]]:
    """Each table whose rows belong to a returnee -> its foreign keys (column, referenced column) to other
    linked tables; `returnee` itself with none."""
    metadata = metadata if metadata is not None else db.metadata
    links: dict[str, list[tuple[sa.Column, sa.Column]]] = {ROOT: []}
    grown = True
    while grown:
        grown = False
        for table in metadata.sorted_tables:
            for key in table.foreign_keys:
                parent = key.column.table.name
                if parent in links and table.name != parent and table.name != ROOT:
                    pair = (key.parent, key.column)
                    if pair not in links.setdefault(table.name, []):
                        links[table.name].append(pair)
                        grown = True
    return links


def personal_columns(table: sa.Table) -> list[sa.Column]:
    return [column for column in table.columns if column.info.get("personal")]


def unclassified_columns(metadata: sa.MetaData | None = None) -> list[str]:
    """ "table.column" of every String/Text column of a returnee-linked table that does not say whether it
    holds personal data (fixed vocabularies, enums, are not free text and need no word)."""
    metadata = metadata if metadata is not None else db.metadata
    return [
        f"{name}.{column.name}"
        for name in linked_tables(metadata)
        for column in metadata.tables[name].columns
        if isinstance(column.type, sa.String) and not isinstance(column.type, sa.Enum) and "personal" not in column.info
    ]


def personal_field_names(metadata: sa.MetaData | None = None) -> set[str]:
    """The names of personal columns: in a change-log entry's changes, values under these keys are removed."""
    metadata = metadata if metadata is not None else db.metadata
    return {column.name for name in linked_tables(metadata) for column in personal_columns(metadata.tables[name])}


def rows_of(table_name: str, ids: list[int], links) -> sa.ColumnElement:
    """The WHERE clause selecting the rows of `table_name` that belong to these returnees."""
    table = db.metadata.tables[table_name]
    if table_name == ROOT:
        return table.c.id.in_(ids)
    return sa.or_(
        *(
            child.in_(sa.select(parent).where(rows_of(parent.table.name, ids, links)))
            for child, parent in links[table_name]
        )
    )


# --- the rules ---------------------------------------------------------------------------------------------


def age_kept_birth_date(born: date, returned: date) -> date:
    """The return date, `age` years earlier: the person's age at the return (and so the age band) is kept."""
    years = age_on(born, returned)
    try:
        return returned.replace(year=returned.year - years)
    except ValueError:  # returned on 29 February: the 28th keeps the age too
        return returned.replace(year=returned.year - years, day=28)


def _age_at_return(table: sa.Table, column: sa.Column, where) -> None:
    rows = db.session.execute(sa.select(table.c.id, column, table.c.return_date).where(where)).all()
    values = [{"_id": row[0], "_value": age_kept_birth_date(row[1], row[2])} for row in rows]
    if values:
        db.session.execute(
            table.update().where(table.c.id == sa.bindparam("_id")).values({column.name: sa.bindparam("_value")}),
            values,
        )


RULES: dict[str, Callable[[sa.Table, sa.Column, sa.ColumnElement], None]] = {"age_at_return": _age_at_return}


def blank_value(column: sa.Column):
    """What an emptied column holds (a column with a rule of its own is not asked)."""
    if column.nullable:
        return None
    if isinstance(column.type, sa.String):
        return ""
    if isinstance(column.type, sa.JSON):  # a record's values kept as JSON (a merge's before-states): none left
        return {}
    raise ValueError(f"{column.table.name}.{column.name} is personal, NOT NULL and not text: give it a rule")


# --- what a run finds and does -----------------------------------------------------------------------------


@dataclass
class Plan:
    """What an anonymisation run changes (the dry run prints it; the real run does it)."""

    people: list[DueReturnee]
    #: "table.column" -> how many values would be removed
    values: dict[str, int] = field(default_factory=dict)
    #: change-log entries about these people
    audit_entries: int = 0


def _has_value(column: sa.Column):
    if isinstance(column.type, sa.String):
        return sa.and_(column.is_not(None), column != "")
    return column.is_not(None)


def plan(people: list[DueReturnee]) -> Plan:
    result = Plan(people)
    links = linked_tables()
    for start in range(0, len(people), CHUNK):
        ids = [person.returnee_id for person in people[start : start + CHUNK]]
        for name in links:
            table = db.metadata.tables[name]
            where = rows_of(name, ids, links)
            for column in personal_columns(table):
                count = db.session.scalar(
                    sa.select(sa.func.count()).select_from(table).where(where, _has_value(column))
                )
                key = f"{name}.{column.name}"
                result.values[key] = result.values.get(key, 0) + count
        result.audit_entries += db.session.scalar(sa.select(sa.func.count()).where(_about(ids)))
    return result


def _about(ids: list[int]):
    return sa.or_(
        AuditEntry.returnee_id.in_(ids), sa.and_(AuditEntry.entity_type == ROOT, AuditEntry.entity_id.in_(ids))
    )


def anonymise(actor, people: list[DueReturnee], *, reason: str) -> Plan:
    """Anonymise these returnees in the current transaction (the caller commits). Returns what was done."""
    done = plan(people)
    allow_audit_scrub()
    links = linked_tables()
    keys = personal_field_names()
    returnee = db.metadata.tables[ROOT]
    for start in range(0, len(people), CHUNK):
        batch = people[start : start + CHUNK]
        ids = [person.returnee_id for person in batch]
        traces = _identifying_texts(returnee, ids)
        for name in links:
            table = db.metadata.tables[name]
            where = rows_of(name, ids, links)
            plain = {}
            for column in personal_columns(table):
                rule = column.info.get("anonymise")
                if rule:
                    RULES[rule](table, column, where)
                else:
                    plain[column.name] = blank_value(column)
            if plain:
                db.session.execute(table.update().where(where).values(plain))
        db.session.execute(returnee.update().where(returnee.c.id.in_(ids)).values(anonymised_at=utcnow()))
        _scrub_change_log(ids, keys, traces)
        _scrub_import_batches(ids, keys, traces)
        db.session.expire_all()
        for person in batch:
            record_event(
                actor,
                AuditAction.RETURNEE_ANONYMISE,
                entity_type=ROOT,
                entity_id=person.returnee_id,
                returnee_id=person.returnee_id,
                label=anonymous_label(person.returnee_id),
                details={"reason": reason, "last_closed_on": person.last_closed_on},
            )
    db.session.flush()
    return done


def anonymous_label(returnee_id: int) -> str:
    """How the change log names an anonymised person (stored, so in English like the other labels)."""
    return f"Anonymised person #{returnee_id}"


def _identifying_texts(returnee: sa.Table, ids: list[int]) -> re.Pattern | None:
    """A pattern of the texts that identify these people where they are quoted: full names (both orders),
    personal numbers, phones and external ids."""
    texts: set[str] = set()
    for first, last, number, phone, external in db.session.execute(
        sa.select(
            returnee.c.first_name,
            returnee.c.last_name,
            returnee.c.personal_number,
            returnee.c.phone,
            returnee.c.external_id,
        ).where(returnee.c.id.in_(ids))
    ):
        texts.update({f"{first} {last}", f"{last} {first}", number or "", phone or "", external or ""})
    texts = {text.strip() for text in texts if len(text.strip()) >= 4}
    if not texts:
        return None
    return re.compile("|".join(re.escape(text) for text in sorted(texts, key=len, reverse=True)), re.IGNORECASE)


def _scrub(value, keys: set[str], traces: re.Pattern | None, *, by_key: bool):
    """A JSON value with personal values removed: under personal keys (when `by_key`), and any quoted trace."""
    if isinstance(value, dict):
        return {
            key: (_removed(item) if by_key and key in keys else _scrub(item, keys, traces, by_key=by_key))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub(item, keys, traces, by_key=by_key) for item in value]
    if isinstance(value, str) and traces is not None:
        return traces.sub(REMOVED, value)
    return value


def _removed(value):
    if isinstance(value, list):  # an [old, new] pair
        return [None if item is None else REMOVED for item in value]
    return None if value is None else REMOVED


def _scrub_change_log(ids: list[int], keys: set[str], traces: re.Pattern | None) -> None:
    about = set(ids)
    query = sa.select(AuditEntry).where(_about(ids))
    if traces is not None:
        # entries elsewhere that quote them: looked for in every entry (a rare command; one pass)
        query = sa.select(AuditEntry)
    for entry in db.session.scalars(query.execution_options(yield_per=1000)):
        own = entry.returnee_id in about or (entry.entity_type == ROOT and entry.entity_id in about)
        changes = _scrub(entry.changes or {}, keys, traces, by_key=own)
        label = anonymous_label(entry.returnee_id or entry.entity_id) if own else _sub(entry.label, traces)
        comment = None if own else _sub(entry.comment, traces)
        if (changes, label, comment) != (entry.changes, entry.label, entry.comment):
            entry.changes, entry.label, entry.comment = changes, label, comment
        for name in _other_text_columns():  # what later versions of the log add (a search's words, ...)
            value = getattr(entry, name)
            scrubbed = _scrub(value, keys, traces, by_key=False)
            if scrubbed != value:
                setattr(entry, name, scrubbed)
    db.session.flush()


def _other_text_columns() -> list[str]:
    return [
        column.key
        for column in AuditEntry.__table__.columns
        if isinstance(column.type, sa.String | sa.JSON)
        and not isinstance(column.type, sa.Enum)
        and column.key not in ("label", "changes", "comment", "entity_type", "user_name", "request_id")
    ]


def _sub(text: str | None, traces: re.Pattern | None) -> str | None:
    return text if text is None or traces is None else traces.sub(REMOVED, text)


def _scrub_import_batches(ids: list[int], keys: set[str], traces: re.Pattern | None) -> None:
    """An import batch keeps the values it replaced (for its undo): theirs are removed."""
    batches = db.metadata.tables.get("import_batch")
    if batches is None:
        return
    about = set(ids)
    for batch_id, replaced in db.session.execute(sa.select(batches.c.id, batches.c.replaced)).all():
        if not replaced:
            continue
        scrubbed = [
            _scrub(item, keys, traces, by_key=isinstance(item, dict) and item.get("id") in about) for item in replaced
        ]
        if scrubbed != replaced:
            db.session.execute(batches.update().where(batches.c.id == batch_id).values(replaced=scrubbed))


def summary_lines(done: Plan) -> Iterable[str]:
    for key, count in sorted(done.values.items()):
        if count:
            yield f"  {key}: {count}"
    yield f"  change-log entries about them: {done.audit_entries}"
