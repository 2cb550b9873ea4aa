"""Backups of the whole database, taken while the app is in use, and their restore.

SQLite: SQLite's online backup API, run from a read transaction, copies one consistent moment of the
database while other workers keep writing (WAL readers do not block writers). PostgreSQL: pg_dump's
custom format (pg_dump reads one snapshot). A backup is written to a temporary name and renamed when
complete, so a file with a backup's name is always a whole backup; files are readable by the owner only.

Verification restores a backup into a scratch database and compares every table's row count and
checksum with the database as it was at the moment of the backup (the same snapshot).
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from caseapp.backup.fingerprint import Fingerprint, fingerprints
from caseapp.database import read_only

#: caseapp-20261125T101500.042Z-0004.sqlite, caseapp-20261125T101500.042Z-0004-before-downgrade.dump
NAME_PATTERN = re.compile(
    r"^caseapp-(?P<taken>\d{8}T\d{6}\.\d{3}Z)-(?P<revision>[A-Za-z0-9_]+)(?:-(?P<reason>[a-z-]+))?\.(?:sqlite|dump)$")
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Backup:
    path: Path
    taken_at: datetime
    revision: str
    reason: str | None
    size: int

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class Verification:
    backup: Backup
    expected: dict[str, Fingerprint]
    restored: dict[str, Fingerprint]

    @property
    def differences(self) -> list[str]:
        return sorted(table for table in self.expected.keys() | self.restored.keys()
                      if self.expected.get(table) != self.restored.get(table))

    @property
    def ok(self) -> bool:
        return not self.differences


def backup_directory(config) -> Path:
    directory = Path(config["BACKUP_DIR"])
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def list_backups(directory: Path) -> list[Backup]:
    """The backups in a directory, newest first (files named as take_backup names them)."""
    found = []
    for path in directory.iterdir() if directory.is_dir() else []:
        match = NAME_PATTERN.match(path.name)
        if match and path.is_file():
            taken = datetime.strptime(match["taken"], "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)
            found.append(Backup(path, taken, match["revision"], match["reason"], path.stat().st_size))
    return sorted(found, key=lambda backup: backup.name, reverse=True)


def find_backup(directory: Path, name: str) -> Backup | None:
    return next((backup for backup in list_backups(directory) if backup.name == name), None)


def prune_backups(directory: Path, keep: int, *, safety_copies: bool = False) -> list[Path]:
    """Delete all but the `keep` newest regular backups (or, with `safety_copies`, of the copies taken before
    an upgrade or downgrade: each kind has its own limit, so that daily backups never push out the copy taken
    before the last upgrade); returns the deleted files."""
    kind = [backup for backup in list_backups(directory) if (backup.reason is not None) == safety_copies]
    removed = [backup.path for backup in kind[keep:]] if keep > 0 else []
    for path in removed:
        path.unlink()
    return removed


def current_revision(connection: Connection) -> str | None:
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def holds_data(engine: Engine) -> bool:
    """True when any table (the migrations' bookkeeping aside) has a row."""
    if engine.dialect.name == "sqlite" and not Path(engine.url.database or "").exists():
        return False  # asking would create the file
    with read_only(), engine.connect() as connection:
        quote = connection.dialect.identifier_preparer.quote
        for table in sa.inspect(connection).get_table_names():
            # bandit B608 is a false positive: the table names are the database's own, quoted by the dialect
            probe = f"SELECT 1 FROM {quote(table)} LIMIT 1"  # nosec B608
            if table != "alembic_version" and connection.exec_driver_sql(probe).first():
                return True
    return False


def take_backup(engine: Engine, directory: Path, *, path: Path | None = None, reason: str | None = None,
                keep: int = 0, verify: bool = False) -> Backup | Verification:
    """Copy the database to `path`, or to a new file in `directory` named with the time and the schema
    revision (then only the `keep` newest backups of its kind stay, if keep > 0: regular ones, or safety
    copies when a `reason` is given). With verify, restore the copy into
    a scratch database and compare it with the database as it was when copied."""
    suffix = ".sqlite" if engine.dialect.name == "sqlite" else ".dump"
    taker = _sqlite_backup if engine.dialect.name == "sqlite" else _postgresql_backup
    with _snapshot(engine) as connection:
        revision = current_revision(connection) or "empty"
        expected = fingerprints(connection) if verify else None
        taken = datetime.now(UTC)
        if path is None:
            path = _new_name(directory, taken, revision, reason, suffix)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
        try:
            os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            taker(engine, connection, partial)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    if keep > 0 and path.parent == directory:
        prune_backups(directory, keep, safety_copies=reason is not None)
    backup = Backup(path, taken, revision, reason, path.stat().st_size)
    if not verify:
        return backup
    return Verification(backup, expected, restored_fingerprints(engine, path))


def _new_name(directory: Path, taken: datetime, revision: str, reason: str | None, suffix: str) -> Path:
    label = f"-{reason}" if reason else ""
    while True:  # two backups in the same millisecond get the next millisecond's name
        path = directory / f"caseapp-{taken:%Y%m%dT%H%M%S}.{taken.microsecond // 1000:03d}Z-{revision}{label}{suffix}"
        if not path.exists():
            return path
        taken += timedelta(milliseconds=1)


@contextmanager
def _snapshot(engine: Engine):
    """A connection in a read transaction that sees one moment of the database until it ends."""
    with read_only(), engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            connection.exec_driver_sql("SELECT 1 FROM sqlite_master LIMIT 1" if engine.dialect.name == "sqlite"
                                       else "SELECT 1")  # the snapshot starts at the first read
            yield connection


def _sqlite_backup(engine: Engine, connection: Connection, target: Path) -> None:
    destination = sqlite3.connect(target)
    try:
        # From the open read transaction: the copy is that transaction's moment, whatever others write.
        connection.connection.dbapi_connection.backup(destination)
        destination.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        destination.close()


def _postgresql_backup(engine: Engine, connection: Connection, target: Path) -> None:
    snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
    run_pg_tool("pg_dump", engine.url, ["--format=custom", "--no-owner", "--no-privileges",
                                          f"--snapshot={snapshot}", f"--file={target}"])


def restore_backup(path: Path, engine: Engine) -> str | None:
    """Restore a backup into the (empty) database of `engine`; returns the restored schema revision."""
    kind = backup_kind(path)
    if kind != engine.dialect.name:
        raise BackupError(f"{path.name} is a {kind} backup; this database is {engine.dialect.name}.")
    if _has_tables(engine):
        raise BackupError("The database is not empty: restore only into an empty database (create a new "
                          "one, or point DATABASE_URL or the instance folder at a new place).")
    engine.dispose()
    if kind == "sqlite":
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = Path(engine.url.database)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o600))
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
            destination.execute("PRAGMA journal_mode=WAL")
        finally:
            destination.close()
            source.close()
    else:
        run_pg_tool("pg_restore", engine.url, ["--no-owner", "--no-privileges", "--single-transaction",
                                                "--exit-on-error", f"--dbname={engine.url.database}", str(path)])
    with engine.connect() as connection:
        return current_revision(connection)


def backup_kind(path: Path) -> str:
    try:
        with open(path, "rb") as file:
            start = file.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupError(f"Cannot read {path}: {error.strerror}.") from error
    if start == SQLITE_MAGIC:
        return "sqlite"
    if start.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is not a caseapp backup (neither a SQLite file nor a pg_dump custom-format file).")


def restored_fingerprints(engine: Engine, path: Path) -> dict[str, Fingerprint]:
    """Restore the backup into a scratch database like `engine`'s, fingerprint it, and drop it."""
    with scratch_database(engine) as scratch:
        restore_backup(path, scratch)
        with scratch.connect() as connection:
            if scratch.dialect.name == "sqlite":
                problems = connection.exec_driver_sql("PRAGMA integrity_check").scalars().all()
                if problems != ["ok"]:
                    raise BackupError(f"{path.name} is damaged: {'; '.join(problems[:5])}")
            return fingerprints(connection)


@contextmanager
def scratch_database(engine: Engine):
    """An empty database of the same kind as `engine`'s, dropped afterwards (PostgreSQL: CREATEDB needed)."""
    if engine.dialect.name == "sqlite":
        with tempfile.TemporaryDirectory(prefix="caseapp-verify-") as directory:
            scratch = sa.create_engine(f"sqlite:///{Path(directory) / 'restored.sqlite'}")
            try:
                yield scratch
            finally:
                scratch.dispose()
        return
    name = f"{engine.url.database}_verify_{uuid.uuid4().hex[:8]}"
    admin = engine.execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.DBAPIError as error:
        raise BackupError(f"Cannot create a scratch database to verify the backup in ({error.orig}); the "
                          "database user needs the CREATEDB right.") from error
    scratch = sa.create_engine(engine.url.set(database=name))
    try:
        yield scratch
    finally:
        scratch.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _has_tables(engine: Engine) -> bool:
    if engine.dialect.name == "sqlite" and not Path(engine.url.database).exists():
        return False
    with read_only(), engine.connect() as connection:
        return bool(sa.inspect(connection).get_table_names())


def run_pg_tool(tool: str, url: sa.URL, arguments: list[str]) -> None:
    program = shutil.which(tool)
    if program is None:
        raise BackupError(f"{tool} is not on the PATH. Install PostgreSQL's client programs of the server's "
                          f"version or newer (Debian/Ubuntu: apt install postgresql-client) and try again.")
    environment = dict(os.environ)
    for variable, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                            ("PGPASSWORD", url.password), ("PGDATABASE", url.database),
                            ("PGSSLMODE", url.query.get("sslmode"))):
        if value is not None:
            environment[variable] = str(value)
    completed = subprocess.run([program, *arguments], env=environment, capture_output=True, text=True)
    if completed.returncode != 0:
        raise BackupError(f"{tool} failed: {completed.stderr.strip()[-2000:]}")
