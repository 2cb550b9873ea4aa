"""Import a returnees table and an assistance table as one batch, all or nothing; undo a batch.

An import runs in two steps, so that a large file does not stop the office:

1. Check, without the write lock: the rows are streamed and checked chunk by chunk (the forms' rules, see
   validation.py, plus what needs the database: duplicates, unknown returnees, other offices, personal numbers
   taken) in a read-only transaction. On SQLite it begins deferred (database.read_only), so other writers go
   on while the file is read. The rows that pass are staged in a temporary file, as plain values. A dry run
   (the web preview) stops here: its counts are those the apply writes, unless the database changes meanwhile.
2. Apply, one short write transaction: the staged rows are checked again against the database, because
   anything may have changed since step 1 (a returnee registered with the same external id or personal
   number, a returnee edited, a case opened or gone, the same file imported by someone else), and written
   with bulk inserts inside a SAVEPOINT. Any problem, or a row the database refuses, rolls the savepoint
   back: nothing at all is written. On success the caller commits (one transaction per request or command).

SQLite's write lock is therefore held for the apply alone, which also serialises applies. On PostgreSQL the
two steps share one transaction holding an advisory lock (one import or undo at a time); MVCC lets other
writers go on during the check anyway."""
from __future__ import annotations

import contextlib
import fcntl
import logging
import pickle
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, func, insert, or_, select, update

from caseapp import database
from caseapp.assistance.models import AssistanceRecord, AssistanceType
from caseapp.audit.models import AuditAction
from caseapp.audit.services import record_change
from caseapp.auth.models import User
from caseapp.auth.policies import office_scope
from caseapp.cases.models import Case, CaseStatus, ClosureReason
from caseapp.consent.models import ConsentRecord
from caseapp.duplicates.models import ReturneeMerge
from caseapp.duplicates.queries import matches_for_rows
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.imports.models import BatchStatus, ImportBatch
from caseapp.imports.readers import Source, UnreadableFile, open_rows
from caseapp.imports.validation import (
    AssistanceRow,
    Columns,
    Problem,
    ReturneeRow,
    RowRules,
    read_assistance,
    read_returnee,
)
from caseapp.offices.models import FieldOffice
from caseapp.offices.queries import office_ids_by_name
from caseapp.private_files import create_private_file
from caseapp.projects.models import UNASSIGNED_CODE, Project
from caseapp.returnees.models import Returnee, ReturneeVulnerability
from caseapp.returnees.rules import name_columns
from caseapp.review.models import CaseReview
from caseapp.submissions import LateClaim
from caseapp.timeutil import today, utcnow

logger = logging.getLogger(__name__)

#: rows checked (and staged, and written) together
CHUNK_SIZE = 2000
#: problems kept for the report; beyond this they are only counted
PROBLEMS_KEPT = 1_000
#: updated returnees listed in the preview
UPDATES_SHOWN = 200
#: new returnees with a likely duplicate in the database listed in the preview
MATCHES_SHOWN = 200
#: the PostgreSQL advisory lock that lets one import (or undo) run at a time. Two runs of the same file
#: at once (a double-clicked confirmation) would both find no earlier batch and both apply. SQLite needs
#: no lock: the apply begins with BEGIN IMMEDIATE (database.py) and checks for an earlier batch again.
IMPORT_LOCK_KEY = 0x0CA5E1  # any constant; the same for every process of the app
#: stands for the external id of a returnee the importer may not see
OTHER_OFFICE = object()
#: a returnee whose latest assistance (or return, without any) is older than this gets a closed case
HISTORY_AGE = timedelta(days=365)

#: the returnee columns an import sets (and an undo of an update restores)
RETURNEE_FIELDS = ("first_name", "last_name", "sex", "date_of_birth", "personal_number", "phone",
                   "field_office_id", "return_date", "returned_from")
DATE_FIELDS = {"date_of_birth", "return_date", "updated_at"}

returnee_table = Returnee.__table__
case_table = Case.__table__
record_table = AssistanceRecord.__table__
vulnerability_table = ReturneeVulnerability.__table__
consent_table = ConsentRecord.__table__

#: progress(description, total) -> an object with update(n) and close(), e.g. a tqdm bar
ProgressFactory = Callable[[str, int | None], object]


@dataclass
class ReturneeUpdate:
    """An existing returnee the file changes, shown in the preview."""

    row: int
    external_id: str
    name: str
    changes: dict[str, tuple[str, str]]


@dataclass
class ImportMatch:
    """A new returnee of the file who may be a person already registered (the preview lists them; the import
    is not blocked). `existing`: [(returnee id or None when of an office the importer may not open, name or
    "", office name, reasons in words)]."""

    row: int
    external_id: str
    name: str
    existing: list[tuple[int | None, str, str, list[str]]]


@dataclass
class ImportOutcome:
    counts: dict[str, int] = field(default_factory=lambda: {
        "returnees_created": 0, "returnees_updated": 0, "returnees_unchanged": 0, "cases_created": 0,
        "cases_closed": 0, "records_created": 0})
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    updates: list[ReturneeUpdate] = field(default_factory=list)
    #: new returnees that may already be registered (duplicate finder), the first MATCHES_SHOWN
    possible_duplicates: list[ImportMatch] = field(default_factory=list)
    possible_duplicate_count: int = 0
    #: the batch written (None on a dry run or when refused)
    batch: ImportBatch | None = None
    #: an applied batch that imported the same file before
    earlier_batch: ImportBatch | None = None
    dry_run: bool = False
    #: how long the check (no write lock) and the apply (holding it, until the caller's commit) took
    check_seconds: float = 0.0
    apply_seconds: float = 0.0
    #: the form asking for the import was sent and saved before: where its first submit led (nothing imported)
    repeat_url: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem_count == 0


class _NoProgress:
    def update(self, n=1):
        pass

    def close(self):
        pass


def chunked(rows: Iterable, size: int) -> Iterator[list]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


class _Staging:
    """The rows that passed the check, kept for the apply in a temporary file (gone when closed), as
    tuples of plain values: reading them back happens under the write lock, and plain values load fast."""

    def __init__(self, folder: Path):
        self.file = tempfile.TemporaryFile(dir=folder, prefix="import-")

    def __enter__(self) -> _Staging:
        return self

    def __exit__(self, *exc_info) -> None:
        self.file.close()

    def add(self, table: str, rows: list[tuple]) -> None:
        pickle.dump((table, rows), self.file, pickle.HIGHEST_PROTOCOL)

    def __iter__(self) -> Iterator[tuple[str, list[tuple]]]:
        self.file.seek(0)
        while True:
            try:
                # the staging file is this run's own, created owner-only by tempfile and never read by another
                yield pickle.load(self.file)  # nosec B301
            except EOFError:
                return


class _BulkInsert:
    """One table's INSERT of many rows: on SQLite a single DB-API executemany.

    On SQLite the columns' own types convert each row's values (dates, amounts, enums) when the row is
    staged, outside the write lock; the apply only adds the ids it has just made and the values common to
    every row, and hands the tuples to the driver (through SQLAlchemy's per-row parameter handling the
    apply held the lock twice as long). On PostgreSQL, where the apply blocks no one, SQLAlchemy's Core
    insert sends the rows as multi-row INSERTs: a DB-API executemany there costs a round trip per row."""

    def __init__(self, dialect, table: sa.Table, converted: tuple[str, ...], plain: tuple[str, ...] = (),
                 common: tuple[str, ...] = ()):
        self.table = table
        self.raw = dialect.name == "sqlite"
        self.converters = [_converter(table.c[name].type, dialect) if self.raw else None for name in converted]
        self.common = [(name, _converter(table.c[name].type, dialect) if self.raw else None) for name in common]
        self.names = (*converted, *plain, *common)
        quote = dialect.identifier_preparer.quote
        # table and column names come from the models' metadata, quoted by the dialect; values are bound
        self.sql = (f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "  # nosec B608
                    f"({', '.join(quote(name) for name in self.names)}) VALUES ({', '.join(['?'] * len(self.names))})")

    def convert(self, values: tuple) -> tuple:
        return tuple(value if convert is None else convert(value)
                     for convert, value in zip(self.converters, values))

    def execute(self, session, rows: list[tuple], common: dict) -> None:
        """rows: converted values followed by the plain ones; common: a value for each common column."""
        if not rows:
            return
        tail = tuple(common[name] if convert is None else convert(common[name]) for name, convert in self.common)
        if self.raw:
            session.connection().exec_driver_sql(self.sql, [row + tail for row in rows])
        else:
            session.execute(insert(self.table), [dict(zip(self.names, row + tail)) for row in rows])


def _converter(column_type, dialect):
    return column_type.dialect_impl(dialect).bind_processor(dialect)


class _StagedRecord(NamedTuple):
    row: int
    returnee_external_id: str
    #: the record's own columns (RECORD_COLUMNS), converted for the database
    values: tuple


#: the columns of a returnee and of an assistance record that come from the file, in the staged order
RETURNEE_COLUMNS_INSERTED = (*RETURNEE_FIELDS, "external_id", "search_name", "search_name_reversed",
                             "return_project_id")
RECORD_COLUMNS = ("type_id", "provided_on", "status", "amount", "currency", "provider", "notes", "project_id")


def _returnee_values(r: ReturneeRow) -> tuple:
    return (r.row, r.external_id, r.first_name, r.last_name, r.sex, r.date_of_birth.toordinal(),
            r.personal_number, r.phone, r.field_office_id, r.return_date.toordinal(), r.returned_from,
            r.vulnerabilities, r.consent, r.consent_withdrawn,
            r.consent_date.toordinal() if r.consent_date else None, r.consent_method, r.return_project_id)


def _returnee_row(values: tuple) -> ReturneeRow:
    (row, external_id, first, last, sex, born, number, phone, office_id, returned, country, codes, consent,
     withdrawn, consent_on, method, project) = values
    return ReturneeRow(row, external_id, first, last, sex, date.fromordinal(born), number, phone, office_id,
                       date.fromordinal(returned), country, tuple(codes), tuple(consent), tuple(withdrawn),
                       date.fromordinal(consent_on) if consent_on else None, method, project)


def import_files(actor: User | None, sources: list[Source], *, dry_run: bool = False,
                 progress: ProgressFactory | None = None, today_: date | None = None,
                 submission: LateClaim | None = None, chunked: bool | None = None) -> ImportOutcome:
    """Check and (unless dry_run or a problem is found) write the tables of `sources` as one batch.

    `actor` None means the command line without --user: no office restriction. The import runs its own
    transactions (module docstring). On SQLite (`chunked`, by default the IMPORT_APPLY_IN_CHUNKS setting)
    it commits them itself, the last one included, and leaves the session with nothing to commit; on
    PostgreSQL (or unchunked) the apply's transaction is left for the caller to commit on success,
    otherwise for it to roll back. `submission`: the one-time key of the form that asked for the import,
    claimed with the batch (a repeat is answered with outcome.repeat_url, and nothing is imported)."""
    if chunked is None:
        chunked = bool(current_app.config.get("IMPORT_APPLY_IN_CHUNKS", True))
    chunked = chunked and database.is_sqlite(db.engine)
    return _ImportRun(actor, sources, progress or (lambda desc, total: _NoProgress()),
                      today_ or today(), submission, chunked).execute(dry_run)


class _ImportRun:
    def __init__(self, actor, sources, progress, on: date, submission: LateClaim | None = None,
                 chunked: bool = False):
        self.actor = actor
        self.sources = sources
        self.progress = progress
        self.on = on
        self.now = utcnow()
        self.actor_id = getattr(actor, "id", None)
        self.actor_name = getattr(actor, "username", None) or "command line"
        self.scope = office_scope(actor) if actor is not None else None
        #: the apply's progress label, translated now: the locale is looked up through the caller's session,
        #: which must not begin a transaction while the chunks hold SQLite's write lock
        self.writing_label = _("Writing")
        #: the session the checks read through: the check's own, then the caller's (the apply)
        self.session = db.session
        #: the session the apply writes through: its own, chunk by chunk (SQLite), then the caller's
        self.writer = db.session
        self.submission = submission
        self.chunked = chunked
        #: chunked apply: existing returnees the file changes, written by the last transaction
        self.deferred_updates: list[ReturneeRow] = []
        #: rows checked, staged and (chunked apply: in one transaction) written together
        self.chunk_rows = int(current_app.config.get("IMPORT_CHUNK_ROWS", CHUNK_SIZE))
        self.outcome = ImportOutcome()
        self.rules: RowRules | None = None
        #: project id -> code, for the preview of a changed return project
        self.project_codes: dict[int, str] = {}
        #: external ids of the returnees table -> first row; -> returnee id once known (None if new)
        self.file_rows: dict[str, int] = {}
        self.returnee_ids: dict[str, int | None] = {}
        self.personal_numbers: dict[str, int] = {}
        #: returnees of the database met in the assistance table: external id -> (id, case id) or None
        self.database_returnees: dict[str, tuple[int, int | None] | None] = {}
        #: returnee id -> the case imported assistance is filed under
        self.case_of: dict[int, int | None] = {}
        #: external id -> the latest date of the file's assistance for that returnee
        self.file_latest: dict[str, date] = {}
        #: the cases the import opens: external id -> (opened on, latest assistance already in the database)
        self.new_cases: dict[str, tuple[date, date | None]] = {}
        self.rows_seen: dict[str, int] = {}
        #: set when the returnees table cannot be read: its ids are then not reported as unknown one by one
        self.returnees_unreadable = False
        #: files that cannot be opened at all
        self.unopenable: set = set()
        #: False while checking (nothing is written), True during the apply
        self.applying = False
        self.batch: ImportBatch | None = None
        dialect = db.session.get_bind().dialect
        self.returnee_insert = _BulkInsert(dialect, returnee_table, RETURNEE_COLUMNS_INSERTED, (), (
            "created_at", "updated_at", "created_by_id", "updated_by_id", "version",
            "import_batch_id"))
        self.case_insert = _BulkInsert(dialect, case_table, ("opened_on", "status", "closure_reason", "closed_on"),
                                       ("returnee_id",), ("created_at", "updated_at", "version",
                                                          "import_batch_id"))
        self.record_insert = _BulkInsert(dialect, record_table, RECORD_COLUMNS, ("returnee_id", "case_id"), (
            "recorded_by_id", "updated_by_id", "created_at", "updated_at", "version", "import_batch_id"))

    # --- the run ------------------------------------------------------------------------------------

    def execute(self, dry_run: bool) -> ImportOutcome:
        self.outcome.dry_run = dry_run
        if self.chunked and not dry_run:
            return self._execute_in_chunks()
        if self.chunked:  # a preview: rows of a batch that died would count as already there
            with _one_import_at_a_time(0) as held:
                if held:
                    remove_failed_batches()
        if self.submission is not None:
            self._claim_before_the_lock()
            if self.outcome.repeat_url is not None:
                return self.outcome
        try:
            return self._execute_in_one_transaction(dry_run)
        finally:
            self._release_refused_claim()

    def _execute_in_one_transaction(self, dry_run: bool) -> ImportOutcome:
        if not _take_import_lock():
            self.problem(Problem("", 0, "", "", _(
                "Another import or undo is running right now. Nothing was written: try again when it has "
                "finished.")))
            return self.outcome
        # a dry run stages nothing
        with contextlib.nullcontext() if dry_run else _Staging(Path(current_app.instance_path)) as staging:
            started = time.perf_counter()
            with _reading_session() as reader:
                self.session = reader
                try:
                    self._check(staging)
                finally:
                    self.session = db.session
            self.outcome.check_seconds = time.perf_counter() - started
            if not self.outcome.ok or dry_run:
                return self.outcome
            # a read transaction of the caller (SQLite) would fail to become a write one: the apply begins anew
            database.end_read_transaction(db.session())
            started = time.perf_counter()
            self._apply(staging)
            self.outcome.apply_seconds = time.perf_counter() - started
            return self.outcome

    def _release_refused_claim(self) -> None:
        if self.submission is not None and not self.outcome.ok:
            self.submission.release()

    def _claim_before_the_lock(self) -> None:
        """Unchunked (PostgreSQL): the key is claimed first, in the caller's transaction, as submitted_once does:
        a parallel repeat waits on the key's unique index until this import commits, then is answered."""
        if self.submission.taken():
            self.outcome.repeat_url = self.submission.earlier_url()
            return
        if not self.submission.claim():
            self.outcome.repeat_url = self.submission.earlier_url()

    def _execute_in_chunks(self) -> ImportOutcome:
        """SQLite: check without the write lock, then write chunk by chunk, each chunk its own short
        transaction, so that other users' saves wait at most one chunk. The rows are hidden until the last
        transaction marks the batch applied (visibility.py); a failure removes them again. One import at a
        time: a file lock held for the whole run, released by the system if the process dies."""
        with _one_import_at_a_time(_lock_wait_seconds()) as held:
            if not held:
                self.problem(Problem("", 0, "", "", _(
                    "Another import or undo is running right now. Nothing was written: try again when it has "
                    "finished.")))
                return self.outcome
            _end_callers_transaction()
            if self.submission is not None and self.submission.taken():
                self.outcome.repeat_url = self.submission.earlier_url()
                return self.outcome
            remove_failed_batches()
            with _Staging(Path(current_app.instance_path)) as staging:
                started = time.perf_counter()
                with _reading_session() as reader:
                    self.session = reader
                    try:
                        self._check(staging)
                    finally:
                        self.session = db.session
                self.outcome.check_seconds = time.perf_counter() - started
                if not self.outcome.ok:
                    return self.outcome
                started = time.perf_counter()
                try:
                    self._apply_in_chunks(staging)
                finally:
                    self.outcome.apply_seconds = time.perf_counter() - started
                return self.outcome

    def _apply_in_chunks(self, staging: _Staging) -> None:
        self._start_apply()
        batch_id = None
        # one connection for every chunk: its large page cache (use_bulk_cache) lasts the whole apply
        connection = db.engine.connect()
        writer = sa.orm.Session(bind=connection, expire_on_commit=False)
        try:
            with database.writing():
                self.writer = self.session = writer
                try:
                    self.batch = self._new_batch(BatchStatus.APPLYING)
                    batch_id = self.batch.id
                    writer.commit()
                    database.use_bulk_cache(connection)
                    bar = self.progress(self.writing_label, None)
                    for table, staged in staging:
                        self._apply_staged(table, staged)
                        if not self.outcome.ok:
                            break
                        bar.update(len(staged))
                        writer.commit()
                        _let_others_write(connection)
                    bar.close()
                except sa.exc.IntegrityError as error:
                    writer.rollback()
                    self._refused_by_database(error)
                if self.outcome.ok:
                    self._apply_last_step(batch_id)
        except BaseException:
            writer.rollback()
            db.session.rollback()
            if batch_id is not None:
                _discard_batch_quietly(batch_id)
            raise
        finally:
            writer.close()
            connection.close()
            self.writer = self.session = db.session
        if not self.outcome.ok:
            if batch_id is not None:
                discard_batch(batch_id, keep_record=False)
            self.outcome.batch = None
            return
        self.outcome.batch = self.batch

    def _apply_last_step(self, batch_id: int) -> None:
        """The last transaction, in the caller's session: the updates of existing returnees (so that they
        never show half-way), the key of the form, the batch marked applied and its change-log entry;
        committed here, so that nothing of the import is left for the caller."""
        self.writer = self.session = db.session
        _end_callers_transaction()  # what it read began before the chunks were written: begin anew, writing
        try:
            self.batch = db.session.get(ImportBatch, batch_id)
            self._refuse_repeated_files(self._earlier_batches())  # imported by someone else meanwhile?
            if self.outcome.ok and self.submission is not None and not self.submission.claim(self.batch):
                self.outcome.repeat_url = self.submission.earlier_url()
                self.problem(Problem("", 0, "", "", _("This form was already sent and saved.")))
            if self.outcome.ok:
                self._update_deferred_returnees()
            if self.outcome.ok:
                self.batch.status = BatchStatus.APPLIED
                self._finish_batch()
                db.session.flush()
        except sa.exc.IntegrityError as error:
            db.session.rollback()
            self._refused_by_database(error)
            return
        if self.outcome.ok:
            db.session.commit()
        else:
            db.session.rollback()

    def _update_deferred_returnees(self) -> None:
        """Existing returnees the file changes, read again now (anyone may have edited them meanwhile)."""
        counts = self.outcome.counts
        counts["returnees_updated"] = 0
        self.outcome.updates.clear()
        for chunk in chunked(self.deferred_updates, CHUNK_SIZE):
            existing = self._existing_returnees([r.external_id for r in chunk])
            changed = []
            for returnee in chunk:
                current = existing.get(returnee.external_id)
                if current is None or (self.rules.scope_office_id is not None
                                       and current["field_office_id"] != self.rules.scope_office_id):
                    self.problem(Problem("returnees", returnee.row, "external_id", returnee.external_id, _(
                        "This returnee was removed or moved to another office during the import.")))
                    continue
                changes = _changes(current, returnee, self.project_codes)
                if changes:
                    changed.append((returnee, current, changes))
                    if len(self.outcome.updates) < UPDATES_SHOWN:
                        self.outcome.updates.append(ReturneeUpdate(
                            returnee.row, returnee.external_id, f"{returnee.first_name} {returnee.last_name}",
                            changes))
                else:
                    counts["returnees_unchanged"] += 1
            counts["returnees_updated"] += len(changed)
            if self.outcome.ok:
                self._update_returnees(changed)

    def _start_apply(self) -> None:
        self.applying = True
        self.outcome.counts = ImportOutcome().counts  # counted again, as written
        self.outcome.updates.clear()
        self.returnee_ids = dict.fromkeys(self.returnee_ids)
        self.database_returnees.clear()
        self.case_of.clear()
        self.new_cases.clear()

    def _apply_staged(self, table: str, staged: list) -> None:
        if table == "returnees":
            self._returnees([_returnee_row(values) for values, _inserted in staged],
                            [inserted for _values, inserted in staged])
        else:
            self._assistance([_StagedRecord(*values) for values in staged])
        self._sort_problems()

    def _refused_by_database(self, error: sa.exc.IntegrityError) -> None:
        # The checks passed but the database refused a row: another user wrote the same returnee or
        # personal number meanwhile. Nothing of the import stays.
        logger.warning("Import refused by the database: %s", error.orig)
        self.outcome.problems.clear()
        self.outcome.problem_count = 0
        self.problem(Problem("", 0, "", "", _(
            "Someone changed the same returnees at the same time. Nothing was written: upload the files "
            "again.")))

    def _check(self, staging: _Staging | None) -> None:
        """Step 1: read and check every row, without writing; stage the rows for the apply."""
        self.rules = RowRules(
            office_ids=office_ids_by_name(self.session),
            types={known.code: known for known in self.session.scalars(select(AssistanceType))},
            scope_office_id=self.scope,
            today=self.on,
            project_ids={code.upper(): project_id for project_id, code in self.session.execute(
                select(Project.id, Project.code))},
            unassigned_project_id=self.session.scalar(select(Project.id).where(Project.code == UNASSIGNED_CODE)),
        )
        self.project_codes = {project_id: code for code, project_id in self.rules.project_ids.items()}
        earlier = self._earlier_batches()
        for source in self.sources:
            self._check_table(source, staging)
        self._refuse_repeated_files(earlier)
        self._sort_problems()
        self.outcome.counts["cases_closed"] = sum(
            self._history_closed_on(external_id, opened_on, latest) is not None
            for external_id, (opened_on, latest) in self.new_cases.items())

    def _apply(self, staging: _Staging) -> ImportOutcome:
        """Step 2, one short write transaction: check the staged rows again against the database (anything
        may have changed since step 1) and write them with bulk inserts; at the first problem, nothing."""
        self._start_apply()
        savepoint = db.session.begin_nested()
        database.use_bulk_cache(db.session.connection())
        try:
            self._refuse_repeated_files(self._earlier_batches())  # imported by someone else meanwhile?
            if self.outcome.ok:
                self.batch = self._new_batch(BatchStatus.APPLIED)
                bar = self.progress(self.writing_label, None)
                for table, staged in staging:
                    self._apply_staged(table, staged)
                    bar.update(len(staged))
                bar.close()
            self._sort_problems()
            if self.outcome.ok and self.submission is not None:
                self.submission.set_result(self.batch)
            if self.outcome.ok:
                self._finish_batch()
        except sa.exc.IntegrityError as error:
            savepoint.rollback()
            self._refused_by_database(error)
            return self.outcome
        except BaseException:
            savepoint.rollback()
            raise
        if self.outcome.ok:
            savepoint.commit()
            self.outcome.batch = self.batch
        else:
            savepoint.rollback()
        return self.outcome

    @property
    def writing(self) -> bool:
        """Rows are written during the apply while nothing is wrong; after the first problem only checked."""
        return self.applying and self.outcome.problem_count == 0

    def problem(self, problem: Problem) -> None:
        self.outcome.problem_count += 1
        if len(self.outcome.problems) < PROBLEMS_KEPT:
            self.outcome.problems.append(problem)

    def _staged(self, table: str, row: ReturneeRow | AssistanceRow) -> tuple:
        """A checked row as plain values, with the values its insert needs already converted."""
        if table == "returnees":
            keys = name_columns(row.first_name, row.last_name)
            return _returnee_values(row), self.returnee_insert.convert((
                *(getattr(row, name) for name in RETURNEE_FIELDS), row.external_id,
                keys["search_name"], keys["search_name_reversed"],
                row.return_project_id or self.rules.unassigned_project_id))
        return row.row, row.returnee_external_id, self.record_insert.convert(
            tuple(getattr(row, name) for name in RECORD_COLUMNS))

    def _sort_problems(self) -> None:
        # In file order: the unknown returnees of a chunk are found after its other problems.
        self.outcome.problems.sort(key=lambda p: (p.table != "returnees", p.row))

    def _check_table(self, source: Source, staging: _Staging | None) -> None:
        if source.path in self.unopenable:
            return  # one workbook, two sheets: refused once, and not read again
        try:
            with open_rows(source) as (header, rows):
                columns = Columns(source.table, header)
                for problem in columns.problems:
                    self.problem(problem)
                if columns.problems:
                    self.returnees_unreadable |= source.table == "returnees"
                    return
                bar = self.progress(f"{source.table} ({source.file_name})", None)
                if source.table == "returnees":
                    read, check = self._read_returnees, self._returnees
                else:
                    read, check = self._read_assistance, self._assistance
                seen = 0
                for chunk in chunked(rows, self.chunk_rows):
                    checked = read(columns, chunk)
                    if checked:
                        check(checked)
                    if staging is not None and checked and self.outcome.ok:
                        staging.add(source.table, [self._staged(source.table, row) for row in checked])
                    seen += len(chunk)
                    bar.update(len(chunk))
                bar.close()
                self.rows_seen[source.table] = seen
        except UnreadableFile as error:
            self.returnees_unreadable |= source.table == "returnees"
            if error.whole_file and source.path in self.unopenable:
                return  # one workbook, two sheets: one problem
            if error.whole_file:
                self.unopenable.add(source.path)
            self.problem(Problem(source.table, 0, "", source.file_name, str(error)))

    # --- returnees ------------------------------------------------------------------------------------

    def _read_returnees(self, columns: Columns, chunk: list[tuple[int, list[str]]]) -> list[ReturneeRow]:
        """The rows of a chunk that pass the rules and are not repeated in the file."""
        checked: list[ReturneeRow] = []
        for row_number, raw in chunk:
            cells = columns.cells(raw)
            extra = columns.overflow(row_number, raw)
            if extra:
                self.problem(extra)
            returnee, problems = read_returnee(row_number, cells, self.rules)
            for problem in problems:
                self.problem(problem)
            external_id = cells["external_id"].strip()
            if external_id:
                first = self.file_rows.setdefault(external_id, row_number)
                self.returnee_ids.setdefault(external_id, None)
                if first != row_number:
                    self.problem(Problem("returnees", row_number, "external_id", external_id,
                                         _("Duplicate external id: row %(row)d has it already.", row=first)))
                    continue
            number = returnee.personal_number if returnee else None
            if number:
                first = self.personal_numbers.setdefault(number, row_number)
                if first != row_number:
                    self.problem(Problem("returnees", row_number, "personal_number", number,
                                         _("Duplicate personal number: row %(row)d has it already.", row=first)))
                    continue
            if returnee is not None and not extra:
                checked.append(returnee)
        return checked

    def _returnees(self, checked: list[ReturneeRow], inserts: list[tuple] | None = None) -> None:
        """Check rows against the database and count them; during the apply, write them (`inserts`: each
        row's converted values for a new returnee, see _staged)."""
        existing = self._existing_returnees([r.external_id for r in checked])
        clashes = self._personal_number_owners([r.personal_number for r in checked if r.personal_number])
        new_rows, changed, kept = [], [], []
        for returnee in checked:
            current = existing.get(returnee.external_id)
            owner = clashes.get(returnee.personal_number) if returnee.personal_number else None
            if owner is not None and (current is None or owner[0] != current["id"]):
                self.problem(Problem("returnees", returnee.row, "personal_number", returnee.personal_number,
                                     _("This personal number is already registered (returnee %(who)s).",
                                       who=owner[1] or f"#{owner[0]}") if owner[1] != OTHER_OFFICE else
                                     _("This personal number is already registered for a returnee of another "
                                       "office.")))
                continue
            if current is None:
                new_rows.append(returnee)
                continue
            if self.rules.scope_office_id is not None and current["field_office_id"] != self.rules.scope_office_id:
                self.problem(Problem("returnees", returnee.row, "external_id", returnee.external_id,
                                     _("This external id belongs to a returnee of another office.")))
                continue
            kept.append((returnee, current["id"]))
            self.returnee_ids[returnee.external_id] = current["id"]
            changes = _changes(current, returnee, self.project_codes)
            if changes:
                changed.append((returnee, current, changes))
            else:
                self.outcome.counts["returnees_unchanged"] += 1
        self.outcome.counts["returnees_created"] += len(new_rows)
        if not self.applying:
            self._possible_duplicates(new_rows)
        self.outcome.counts["returnees_updated"] += len(changed)
        for returnee, current, changes in changed:
            if len(self.outcome.updates) < UPDATES_SHOWN:
                self.outcome.updates.append(ReturneeUpdate(
                    returnee.row, returnee.external_id, f"{returnee.first_name} {returnee.last_name}", changes))
        caseless = self._caseless(kept)
        for returnee in new_rows:
            self.new_cases[returnee.external_id] = (returnee.return_date, None)
        for returnee, _returnee_id, latest in caseless:
            self.new_cases[returnee.external_id] = (returnee.return_date, latest)
        self.outcome.counts["cases_created"] += len(new_rows) + len(caseless)
        if not self.writing:
            return
        ready = dict(zip((r.external_id for r in checked), inserts))
        self._insert_returnees([(r, ready[r.external_id]) for r in new_rows])
        if self.chunked:  # written by the last transaction, so that they never show half-way
            self.deferred_updates.extend(returnee for returnee, _current, _changes in changed)
        else:
            self._update_returnees(changed)
        self._record_consents([(self.returnee_ids[r.external_id], r) for r in new_rows]
                              + [(returnee_id, r) for r, returnee_id in kept])
        self._open_cases([(returnee_id, returnee) for returnee, returnee_id, _latest in caseless])

    def _record_consents(self, people: list[tuple[int, ReturneeRow]]) -> None:
        """The file's consent columns as decisions: one per purpose whose latest decision differs from the
        file's (a consent already given is not recorded again). Undoing the batch deletes them."""
        people = [(returnee_id, r) for returnee_id, r in people if r.consent or r.consent_withdrawn]
        if not people:
            return
        latest: dict[tuple[int, str], bool] = {}
        for ids in chunked([returnee_id for returnee_id, _r in people], CHUNK_SIZE):
            for returnee_id, purpose, given in self.writer.execute(
                select(consent_table.c.returnee_id, consent_table.c.purpose, consent_table.c.given)
                .where(consent_table.c.returnee_id.in_(ids))
                .order_by(consent_table.c.decided_on, consent_table.c.id)
            ):
                latest[(returnee_id, getattr(purpose, "value", purpose))] = given
        rows = []
        for returnee_id, r in people:
            for purposes, given in ((r.consent, True), (r.consent_withdrawn, False)):
                for purpose in purposes:
                    if latest.get((returnee_id, purpose)) is not given:
                        rows.append({"returnee_id": returnee_id, "purpose": purpose, "given": given,
                                     "decided_on": r.consent_date, "method": r.consent_method,
                                     "recorded_at": self.now, "recorded_by_id": self.actor_id,
                                     "recorded_by_name": self.batch.created_by_name, "note": "",
                                     "import_batch_id": self.batch.id})
        for chunk in chunked(rows, CHUNK_SIZE):
            self.writer.execute(insert(consent_table), chunk)
    def _possible_duplicates(self, new_rows: list[ReturneeRow]) -> None:
        """List the new rows that likely duplicate a registered person (names across scripts, swapped dates):
        a warning in the preview, never a problem. Another office's record is named only by its office."""
        found = matches_for_rows(new_rows, session=self.session)
        offices = {office.id: office.name for office in self.session.scalars(select(FieldOffice))}
        for returnee in new_rows:
            matches = found.get(returnee.row)
            if not matches:
                continue
            shown = []
            for match in matches:
                existing = match.second
                if self.scope is not None and existing.field_office_id != self.scope:
                    shown.append((None, "", offices.get(existing.field_office_id, ""),
                                  [str(reason.label) for reason in match.reasons]))
                else:
                    shown.append((existing.id, f"{existing.first_name} {existing.last_name}",
                                  offices.get(existing.field_office_id, ""),
                                  [str(reason.label) for reason in match.reasons]))
            self.outcome.possible_duplicate_count += 1
            if len(self.outcome.possible_duplicates) < MATCHES_SHOWN:
                self.outcome.possible_duplicates.append(ImportMatch(
                    returnee.row, returnee.external_id, f"{returnee.first_name} {returnee.last_name}", shown))

    def _existing_returnees(self, external_ids: list[str]) -> dict[str, dict]:
        columns = [returnee_table.c[name] for name in ("id", "external_id", "version", "updated_at",
                                                        "updated_by_id", "return_project_id", *RETURNEE_FIELDS)]
        rows = self.session.execute(select(*columns).where(returnee_table.c.external_id.in_(external_ids)))
        found = {row.external_id: dict(row._mapping) for row in rows}
        if found:
            codes: dict[int, list[str]] = {}
            ids = [current["id"] for current in found.values()]
            for returnee_id, code in self.session.execute(
                select(vulnerability_table.c.returnee_id, vulnerability_table.c.code)
                .where(vulnerability_table.c.returnee_id.in_(ids))
            ):
                codes.setdefault(returnee_id, []).append(getattr(code, "value", code))
            for current in found.values():
                current["vulnerabilities"] = tuple(sorted(codes.get(current["id"], ())))
        return found

    def _personal_number_owners(self, numbers: list[str]) -> dict[str, tuple[int, str | None, bool]]:
        """Who holds these personal numbers: (id, external id, whether the importer may see them); a
        supervisor is told that a number is taken, not by whom in another office."""
        if not numbers:
            return {}
        rows = self.session.execute(
            select(returnee_table.c.personal_number, returnee_table.c.id, returnee_table.c.external_id,
                   returnee_table.c.field_office_id)
            .where(returnee_table.c.personal_number.in_(numbers)))
        scope = self.rules.scope_office_id
        # A supervisor is not told who another office's returnee is.
        return {number: (returnee_id, OTHER_OFFICE if scope is not None and office_id != scope else external_id)
                for number, returnee_id, external_id, office_id in rows}

    def _caseless(self, kept: list[tuple[ReturneeRow, int]]) -> list[tuple[ReturneeRow, int, date | None]]:
        """Existing returnees keep their cases; those without any get one, as every imported returnee:
        (row, returnee id, date of their latest assistance in the database)."""
        if not kept:
            return []
        current = _current_cases(self.session, [returnee_id for _returnee, returnee_id in kept])
        self.case_of.update(current)
        caseless = [(returnee, returnee_id) for returnee, returnee_id in kept if current.get(returnee_id) is None]
        if not caseless:
            return []
        latest = dict(self.session.execute(
            select(record_table.c.returnee_id, func.max(record_table.c.provided_on))
            .where(record_table.c.returnee_id.in_([returnee_id for _returnee, returnee_id in caseless]))
            .group_by(record_table.c.returnee_id)).all())
        return [(returnee, returnee_id, latest.get(returnee_id)) for returnee, returnee_id in caseless]

    def _insert_returnees(self, rows: list[tuple[ReturneeRow, tuple]]) -> None:
        if not rows:
            return
        self.returnee_insert.execute(self.writer, [inserted for _returnee, inserted in rows], {
            "created_at": self.now, "updated_at": self.now, "created_by_id": self.actor_id,
            "updated_by_id": self.actor_id, "version": 1, "import_batch_id": self.batch.id})
        ids = dict(self.writer.execute(
            select(returnee_table.c.external_id, returnee_table.c.id)
            .where(returnee_table.c.external_id.in_([returnee.external_id for returnee, _inserted in rows]))).all())
        self.returnee_ids.update(ids)
        self._insert_vulnerabilities([(ids[r.external_id], r.vulnerabilities) for r, _inserted in rows])
        self._open_cases([(ids[r.external_id], r) for r, _inserted in rows])

    def _open_cases(self, opening: list[tuple[int, ReturneeRow]]) -> None:
        """A case per returnee, opened on the return date; closed as imported history when the returnee's
        latest assistance (or return, without any) is over a year old."""
        if not opening:
            return
        rows = []
        for returnee_id, returnee in opening:
            opened_on, latest = self.new_cases[returnee.external_id]
            closed_on = self._history_closed_on(returnee.external_id, opened_on, latest)
            rows.append(self.case_insert.convert((
                opened_on, CaseStatus.OPEN if closed_on is None else CaseStatus.CLOSED,
                None if closed_on is None else ClosureReason.IMPORTED_HISTORY, closed_on)) + (returnee_id,))
            self.outcome.counts["cases_closed"] += closed_on is not None
        self.case_insert.execute(self.writer, rows, {"created_at": self.now, "updated_at": self.now, "version": 1,
                                        "import_batch_id": self.batch.id})
        returnee_ids = [returnee_id for returnee_id, _returnee in opening]
        self.case_of.update((returnee_id, case_id) for case_id, returnee_id in self.writer.execute(
            select(case_table.c.id, case_table.c.returnee_id)
            .where(case_table.c.import_batch_id == self.batch.id, case_table.c.returnee_id.in_(returnee_ids))))

    def _history_closed_on(self, external_id: str, opened_on: date, database_latest: date | None) -> date | None:
        """The day an imported case closes as history, or None when it stays open."""
        dates = [day for day in (self.file_latest.get(external_id), database_latest) if day is not None]
        latest = max(dates) if dates else opened_on
        if latest >= self.on - HISTORY_AGE:
            return None
        return max(latest, opened_on)

    def _insert_vulnerabilities(self, pairs: list[tuple[int, tuple[str, ...]]]) -> None:
        values = [{"returnee_id": returnee_id, "code": code} for returnee_id, codes in pairs for code in codes]
        if values:
            self.writer.execute(insert(vulnerability_table), values)

    def _update_returnees(self, changed: list[tuple[ReturneeRow, dict, dict]]) -> None:
        if not changed:
            return
        statement = (
            update(returnee_table).where(returnee_table.c.id == bindparam("_id"))
            .values({**{name: bindparam(name) for name in RETURNEE_FIELDS}, "search_name": bindparam("_search"),
                     "search_name_reversed": bindparam("_search_reversed"),
                     "return_project_id": bindparam("_return_project"),
                     "version": bindparam("_version"), "updated_at": self.now, "updated_by_id": self.actor_id})
        )
        self.writer.execute(statement, [{
            **{name: getattr(r, name) for name in RETURNEE_FIELDS}, "_id": current["id"],
            "_return_project": r.return_project_id or current["return_project_id"],
            **_name_params(r.first_name, r.last_name), "_version": current["version"] + 1,
        } for r, current, _changes in changed])
        rewritten = [(current["id"], r.vulnerabilities) for r, current, changes in changed
                     if "vulnerabilities" in changes]
        if rewritten:
            self.writer.execute(delete(vulnerability_table).where(
                vulnerability_table.c.returnee_id.in_([returnee_id for returnee_id, _codes in rewritten])))
            self._insert_vulnerabilities(rewritten)
        for r, current, _changes in changed:
            self.batch.replaced.append({
                "id": current["id"], "version_after": current["version"] + 1,
                "before": {name: _json_value(current[name]) for name in
                           (*RETURNEE_FIELDS, "vulnerabilities", "version", "updated_at", "updated_by_id",
                            "return_project_id")},
            })

    # --- assistance -----------------------------------------------------------------------------------

    def _read_assistance(self, columns: Columns, chunk: list[tuple[int, list[str]]]) -> list[AssistanceRow]:
        checked: list[AssistanceRow] = []
        for row_number, raw in chunk:
            extra = columns.overflow(row_number, raw)
            if extra:
                self.problem(extra)
            record, problems = read_assistance(row_number, columns.cells(raw), self.rules)
            for problem in problems:
                self.problem(problem)
            if record is not None and not extra:
                checked.append(record)
                latest = self.file_latest.get(record.returnee_external_id)
                if latest is None or record.provided_on > latest:
                    self.file_latest[record.returnee_external_id] = record.provided_on
        return checked

    def _assistance(self, checked: list[AssistanceRow] | list[_StagedRecord]) -> None:
        """Check records against the database and count them; during the apply, write them."""
        self._look_up_database_returnees(
            {r.returnee_external_id for r in checked if r.returnee_external_id not in self.file_rows})
        rows = []
        for record in checked:
            external_id = record.returnee_external_id
            if external_id in self.file_rows:
                returnee_id = self.returnee_ids.get(external_id)
                case_id = self.case_of.get(returnee_id) if returnee_id else None
            elif self.database_returnees.get(external_id) is not None:
                returnee_id, case_id = self.database_returnees[external_id]
            elif self.returnees_unreadable:
                continue
            else:
                self.problem(Problem("assistance", record.row, "returnee_external_id", external_id, _(
                    "Unknown returnee: neither the returnees table nor the database has this external id.")))
                continue
            if self.writing:
                rows.append(record.values + (returnee_id, case_id))
        self.outcome.counts["records_created"] += len(checked)
        if self.writing:
            self.record_insert.execute(self.writer, rows, {
                "recorded_by_id": self.actor_id, "updated_by_id": self.actor_id, "created_at": self.now,
                "updated_at": self.now, "version": 1, "import_batch_id": self.batch.id})

    def _look_up_database_returnees(self, external_ids: set[str]) -> None:
        wanted = [external_id for external_id in external_ids if external_id not in self.database_returnees]
        if not wanted:
            return
        query = select(returnee_table.c.id, returnee_table.c.external_id).where(
            returnee_table.c.external_id.in_(wanted))
        if self.rules.scope_office_id is not None:  # another office's returnee is unknown to a supervisor
            query = query.where(returnee_table.c.field_office_id == self.rules.scope_office_id)
        found = dict((external_id, returnee_id) for returnee_id, external_id in self.session.execute(query))
        cases = _current_cases(self.session, list(found.values()))
        for external_id in wanted:
            returnee_id = found.get(external_id)
            self.database_returnees[external_id] = (returnee_id, cases.get(returnee_id)) if returnee_id else None

    # --- the batch ------------------------------------------------------------------------------------

    def _earlier_batches(self) -> dict[str, ImportBatch]:
        """Applied batches that imported one of these files (same checksum), by checksum."""
        checksums = {source.sha256 for source in self.sources}
        batches = self.session.scalars(
            select(ImportBatch).where(ImportBatch.status == BatchStatus.APPLIED,
                                      or_(ImportBatch.returnees_sha256.in_(checksums),
                                          ImportBatch.assistance_sha256.in_(checksums)))
            .order_by(ImportBatch.id))
        earlier: dict[str, ImportBatch] = {}
        for batch in batches:
            for checksum in (batch.returnees_sha256, batch.assistance_sha256):
                if checksum in checksums:
                    earlier.setdefault(checksum, batch)
        return earlier

    def _refuse_repeated_files(self, earlier: dict[str, ImportBatch]) -> None:
        """The same file again would count its assistance twice. A file without rows repeats nothing."""
        named = set()
        for source in self.sources:
            batch = earlier.get(source.sha256)
            if batch is not None and self.rows_seen.get(source.table) and source.sha256 not in named:
                named.add(source.sha256)  # a workbook holds both tables: named once
                self.outcome.earlier_batch = batch
                self.problem(Problem(source.table, 0, "", source.file_name, _(
                    "This file was imported already: batch %(id)d of %(when)s by %(who)s.",
                    id=batch.id, when=batch.created_at.strftime("%Y-%m-%d %H:%M UTC"), who=batch.created_by_name)))

    def _new_batch(self, status: BatchStatus) -> ImportBatch:
        by_table = {source.table: source for source in self.sources}
        returnees, assistance = by_table.get("returnees"), by_table.get("assistance")
        batch = ImportBatch(
            created_at=self.now, created_by_id=self.actor_id,
            created_by_name=self.actor_name,
            field_office_id=self.rules.scope_office_id,
            returnees_file=returnees.file_name[-255:] if returnees else None,
            returnees_sha256=returnees.sha256 if returnees else None,
            assistance_file=assistance.file_name[-255:] if assistance else None,
            assistance_sha256=assistance.sha256 if assistance else None,
            status=status, replaced=[],
        )
        self.writer.add(batch)
        self.writer.flush()
        return batch

    def _finish_batch(self) -> None:
        batch, counts = self.batch, self.outcome.counts
        for name in ("returnees_created", "returnees_updated", "cases_created", "cases_closed", "records_created"):
            setattr(batch, name, counts[name])
        sa.orm.attributes.flag_modified(batch, "replaced")
        record_change(self.actor, batch, AuditAction.IMPORT_APPLY, fields=(), details={
            "files": batch.file_names, "returnees_sha256": batch.returnees_sha256,
            "assistance_sha256": batch.assistance_sha256,
            **{name: counts[name] for name in counts if name != "returnees_unchanged"},
        })


@contextmanager
def _one_import_at_a_time(wait_seconds: float) -> Iterator[bool]:
    """SQLite: hold the import lock file for the whole run (yields False if another import still holds it
    after `wait_seconds`). The system releases the lock when the process ends, however it ends (kill -9, a
    worker timeout), so a batch found `applying` by the next holder of the lock is one that died."""
    path = _lock_file()
    create_private_file(path)
    with open(path, "r+b") as lock:  # noqa: PTH123
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.05)
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _let_others_write(connection) -> None:
    """Between two chunks: copy what the import wrote from SQLite's write-ahead log into the database file
    here (a passive checkpoint, which blocks no one), rather than in the commit of whichever user's save comes
    next, and pause, so that the saves waiting for the write lock get it before the next chunk. (SQLite's
    lock is not a queue: a waiting writer retries every few to 100 ms, and the import, beginning again at
    once, would take the lock back first.)"""
    try:
        connection.connection.dbapi_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except sqlite3.OperationalError:  # a statement of this connection still open: the next commit does it
        pass
    time.sleep(float(current_app.config.get("IMPORT_CHUNK_PAUSE_SECONDS", 0.1)))


def _lock_file() -> Path:
    database_file = database.sqlite_path(db.engine.url)
    if database_file is None:  # an in-memory database (tests): one per process
        return Path(current_app.instance_path) / "import.lock"
    return database_file.with_name(database_file.name + "-import.lock")


def _lock_wait_seconds() -> float:
    """How long an import waits for another one to finish (a double-clicked confirmation waits for the
    first, then is answered with its batch): as long as a save waits for SQLite's write lock."""
    return float(current_app.config.get("SQLITE_BUSY_TIMEOUT", 10))


def _end_callers_transaction() -> None:
    """The chunks are written on a connection of their own: the caller's session must not hold SQLite's
    write lock meanwhile. A read transaction is ended; anything the caller wrote is committed first."""
    database.end_read_transaction(db.session())
    if db.session().in_transaction():
        db.session.commit()


def remove_failed_batches() -> int:
    """Remove the rows of batches that died while being applied (a crash, kill -9, a worker timeout): only
    called with the import lock held, so no batch is really being applied. The next import does it first.
    Returns how many batches were cleaned up."""
    with database.read_only(), sa.orm.Session(bind=db.engine) as reader:
        dead = list(reader.scalars(select(ImportBatch.id).where(ImportBatch.status == BatchStatus.APPLYING)))
    for batch_id in dead:
        logger.warning("Import batch %d died while being applied: removing its rows", batch_id)
        discard_batch(batch_id)
    return len(dead)


def remove_dead_batches() -> int:
    """SQLite: remove the rows of imports that died half-way now, unless an import is running (it takes the
    lock first; the next import does it then). The worker calls it for an import job whose worker died.
    PostgreSQL: nothing to do, a dead import's one transaction was rolled back."""
    if not database.is_sqlite(db.engine):
        return 0
    with _one_import_at_a_time(0) as held:
        return remove_failed_batches() if held else 0


#: rows deleted per transaction when a failed batch is removed
DISCARD_CHUNK = 5000


def discard_batch(batch_id: int, *, keep_record: bool = True) -> None:
    """Delete everything a batch being applied wrote, chunk by chunk (each its own short transaction: its
    rows are hidden meanwhile), then mark it failed (the import list says so), or, for an import refused with
    its problems listed (`keep_record` False), delete the batch too. Nothing of it was ever visible."""
    def by_batch(table):
        return select(table.c.id).where(table.c.import_batch_id == batch_id).limit(DISCARD_CHUNK)

    with database.writing(), sa.orm.Session(bind=db.engine) as writer:
        for table in (record_table, case_table, consent_table):
            while writer.execute(delete(table).where(table.c.id.in_(by_batch(table)))).rowcount:
                writer.commit()
            writer.commit()
        while True:
            ids = list(writer.scalars(by_batch(returnee_table)))
            if not ids:
                break
            writer.execute(delete(vulnerability_table).where(vulnerability_table.c.returnee_id.in_(ids)))
            writer.execute(delete(returnee_table).where(returnee_table.c.id.in_(ids)))
            writer.commit()
        batch_table = ImportBatch.__table__
        if keep_record:
            writer.execute(update(batch_table).where(batch_table.c.id == batch_id)
                           .values(status=BatchStatus.FAILED.value))
        else:
            writer.execute(delete(batch_table).where(batch_table.c.id == batch_id))
        writer.commit()


def _discard_batch_quietly(batch_id: int) -> None:
    try:
        discard_batch(batch_id)
    except Exception:  # the rows stay hidden; the next import removes them
        logger.exception("Could not remove the rows of failed import batch %d now", batch_id)


@contextmanager
def _reading_session() -> Iterator[sa.orm.Session]:
    """The check's own session, on a connection of its own, in a read-only transaction: on SQLite it takes
    no write lock (and the caller's transaction, which may hold one, is left alone)."""
    with database.read_only(), sa.orm.Session(bind=db.engine) as reader:
        try:
            yield reader
        finally:
            reader.rollback()


def _take_import_lock() -> bool:
    """Hold the import lock until the transaction ends; False if another import or undo holds it."""
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    return bool(db.session.scalar(select(func.pg_try_advisory_xact_lock(IMPORT_LOCK_KEY))))


def _changes(current: dict, returnee: ReturneeRow, project_codes: dict[int, str]) -> dict[str, tuple[str, str]]:
    changes = {}
    for name in (*RETURNEE_FIELDS, "vulnerabilities"):
        old, new = current[name], getattr(returnee, name)
        if getattr(old, "value", old) != new:
            changes[name] = (_shown(old), _shown(new))
    if returnee.return_project_id is not None and returnee.return_project_id != current["return_project_id"]:
        changes["return_project"] = (project_codes.get(current["return_project_id"], ""),
                                     project_codes.get(returnee.return_project_id, ""))
    return changes


def _shown(value) -> str:
    """A value as the file would hold it (for the preview of an update)."""
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ";".join(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(getattr(value, "value", value))


def _json_value(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return getattr(value, "value", value)


def _current_cases(session, returnee_ids: list[int]) -> dict[int, int]:
    """returnee id -> the case that is not closed, else the latest one (as Returnee.current_case)."""
    if not returnee_ids:
        return {}
    chosen: dict[int, tuple[bool, int]] = {}
    rows = session.execute(
        select(case_table.c.id, case_table.c.returnee_id, case_table.c.status)
        .where(case_table.c.returnee_id.in_(returnee_ids))
        .order_by(case_table.c.opened_on, case_table.c.id))
    for case_id, returnee_id, status in rows:
        is_open = getattr(status, "value", status) != CaseStatus.CLOSED.value
        if returnee_id not in chosen or not chosen[returnee_id][0]:
            chosen[returnee_id] = (is_open, case_id)
    return {returnee_id: case_id for returnee_id, (_open, case_id) in chosen.items()}


# --- undo ---------------------------------------------------------------------------------------------

def undo_blockers(batch: ImportBatch) -> list[str]:
    """Why undoing the batch would remove or overwrite something it did not write (empty: it may go)."""
    if batch.status == BatchStatus.UNDONE:
        return [_("This batch is undone already.")]
    if batch.status != BatchStatus.APPLIED:
        return [_("This batch was not imported: there is nothing to undo.")]
    own_returnees = select(returnee_table.c.id).where(returnee_table.c.import_batch_id == batch.id)
    own_cases = select(case_table.c.id).where(case_table.c.import_batch_id == batch.id)
    review_table = CaseReview.__table__
    merge_table = ReturneeMerge.__table__

    def not_this_batch(table):
        return or_(table.c.import_batch_id.is_(None), table.c.import_batch_id != batch.id)

    checks = [
        (select(func.count()).where(returnee_table.c.import_batch_id == batch.id, returnee_table.c.version > 1),
         lambda n: _("%(n)d returnees it created were edited since.", n=n)),
        (select(func.count()).where(case_table.c.import_batch_id == batch.id, case_table.c.version > 1),
         lambda n: _("%(n)d cases it created were changed since (status, plan or caseworker).", n=n)),
        (select(func.count()).where(record_table.c.import_batch_id == batch.id, record_table.c.version > 1),
         lambda n: _("%(n)d assistance records it created were changed since.", n=n)),
        (select(func.count()).where(case_table.c.returnee_id.in_(own_returnees), not_this_batch(case_table)),
         lambda n: _("%(n)d cases were opened since for returnees it created.", n=n)),
        (select(func.count()).where(record_table.c.returnee_id.in_(own_returnees), not_this_batch(record_table)),
         lambda n: _("%(n)d assistance records were added since for returnees it created.", n=n)),
        # deleting its cases would take these along (reviews) or leave them without a case (records)
        (select(func.count()).where(record_table.c.case_id.in_(own_cases),
                                    record_table.c.returnee_id.not_in(own_returnees), not_this_batch(record_table)),
         lambda n: _("%(n)d assistance records were added since under cases it opened.", n=n)),
        (select(func.count()).where(review_table.c.case_id.in_(own_cases)),
         lambda n: _("%(n)d case reviews were made since on cases it opened.", n=n)),
        (select(func.count()).where(consent_table.c.returnee_id.in_(own_returnees), not_this_batch(consent_table)),
         lambda n: _("%(n)d consent decisions were recorded since for returnees it created.", n=n)),
        # a merge keeps both records (and can be undone): the batch's returnees stay while it is recorded
        (select(func.count()).where(or_(merge_table.c.survivor_id.in_(own_returnees),
                                        merge_table.c.merged_id.in_(own_returnees))),
         lambda n: _("%(n)d merges of duplicate records involve returnees it created.", n=n)),
    ]
    reasons = []
    for query, message in checks:
        n = db.session.scalar(query)
        if n:
            reasons.append(message(n))
    stale = _stale_updates(batch)
    if stale:
        reasons.append(_("%(n)d returnees it updated were changed again since.", n=stale))
    return reasons


def _lock_batch_rows(batch: ImportBatch) -> None:
    """Lock the batch's returnees and cases until the undo commits (PostgreSQL; SQLite's write lock does
    this already): a caseworker adding a record or a review meanwhile waits, and the checks stay true."""
    for table in (returnee_table, case_table):
        locked = select(table.c.id).where(table.c.import_batch_id == batch.id).with_for_update().subquery()
        db.session.execute(select(func.count()).select_from(locked))


def _stale_updates(batch: ImportBatch) -> int:
    expected = {entry["id"]: entry["version_after"] for entry in batch.replaced}
    stale = 0
    for ids in chunked(list(expected), CHUNK_SIZE):
        for returnee_id, version in db.session.execute(
            select(returnee_table.c.id, returnee_table.c.version).where(returnee_table.c.id.in_(ids))
        ):
            stale += version != expected[returnee_id]
    return stale + len(expected) - _count_existing(list(expected))


def _count_existing(ids: list[int]) -> int:
    return sum(db.session.scalar(select(func.count()).where(returnee_table.c.id.in_(chunk)))
               for chunk in chunked(ids, CHUNK_SIZE)) if ids else 0


def undo_batch(actor: User | None, batch: ImportBatch) -> ImportBatch:
    """Delete what the batch created and put back what it overwrote; refuse if anything changed since."""
    if not _take_import_lock():
        raise ValidationFailed({"": _("Another import or undo is running right now: try again when it has finished.")})
    db.session.refresh(batch)  # another undo may have finished while this request waited
    _lock_batch_rows(batch)
    reasons = undo_blockers(batch)
    if reasons:
        raise ValidationFailed({"": " ".join(reasons)})
    counts = {
        "records_deleted": db.session.execute(
            delete(record_table).where(record_table.c.import_batch_id == batch.id)).rowcount,
        "cases_deleted": db.session.execute(
            delete(case_table).where(case_table.c.import_batch_id == batch.id)).rowcount,
    }
    db.session.execute(delete(vulnerability_table).where(vulnerability_table.c.returnee_id.in_(
        select(returnee_table.c.id).where(returnee_table.c.import_batch_id == batch.id))))
    counts["consents_deleted"] = db.session.execute(
        delete(consent_table).where(consent_table.c.import_batch_id == batch.id)).rowcount
    counts["returnees_deleted"] = db.session.execute(
        delete(returnee_table).where(returnee_table.c.import_batch_id == batch.id)).rowcount
    _restore_updated_returnees(batch.replaced)
    counts["returnees_restored"] = len(batch.replaced)
    batch.status = BatchStatus.UNDONE
    batch.undone_at = utcnow()
    batch.undone_by_name = getattr(actor, "username", None) or "command line"
    record_change(actor, batch, AuditAction.IMPORT_UNDO, fields=(), details=counts)
    db.session.expire_all()
    return batch


def _restore_updated_returnees(replaced: list[dict]) -> None:
    if not replaced:
        return
    names = (*RETURNEE_FIELDS, "version", "updated_at", "updated_by_id")
    # an import made before projects did not note the project of the return: that one stays as it is
    statement = (update(returnee_table).where(returnee_table.c.id == bindparam("_id"))
                 .values({name: bindparam(name) for name in names}
                         | {"search_name": bindparam("_search"),
                            "search_name_reversed": bindparam("_search_reversed"),
                            "return_project_id": func.coalesce(bindparam("_return_project", type_=sa.Integer),
                                                               returnee_table.c.return_project_id)}))
    values = []
    for entry in replaced:
        before = {name: _from_json(name, entry["before"][name]) for name in names}
        values.append({**before, "_id": entry["id"], "_return_project": entry["before"].get("return_project_id"),
                       **_name_params(before["first_name"], before["last_name"])})
    db.session.execute(statement, values)
    ids = [entry["id"] for entry in replaced]
    db.session.execute(delete(vulnerability_table).where(vulnerability_table.c.returnee_id.in_(ids)))
    rows = [{"returnee_id": entry["id"], "code": code} for entry in replaced
            for code in entry["before"]["vulnerabilities"]]
    if rows:
        db.session.execute(insert(vulnerability_table), rows)


def _from_json(name: str, value):
    if value is not None and name in DATE_FIELDS:
        return datetime.fromisoformat(value) if name == "updated_at" else date.fromisoformat(value)
    return value


def _name_params(first_name: str, last_name: str) -> dict[str, str]:
    """name_columns() as the bind parameters of the update statements above."""
    columns = name_columns(first_name, last_name)
    return {"_search": columns["search_name"], "_search_reversed": columns["search_name_reversed"]}
