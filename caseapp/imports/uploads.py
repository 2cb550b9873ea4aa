"""Pending uploads: the files between an import's preview and its confirmation, kept in the database.

Every app server (and the worker that imports a large file) reads them there, so the preview may run on one
server and the confirmation on another. They are personal data: an upload is its owner's alone (another user's
token is unknown: 404), and it is deleted once imported, or IMPORT_PENDING_MAX_AGE seconds after it was
uploaded (at the next visit of the import pages, and by the worker's sweep)."""

from __future__ import annotations

import io
import os
import secrets
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import abort, current_app
from sqlalchemy import delete, select

from caseapp import database
from caseapp.auth.models import User
from caseapp.extensions import db
from caseapp.imports.models import PendingUpload
from caseapp.imports.readers import Source, sources_for
from caseapp.timeutil import utcnow

TOKEN_LENGTH = 32
#: the temporary folders in which an upload's files are read: upload-<process id>-<random>
FOLDER_PREFIX = "upload-"
#: the upload form's fields and the names their files are read under
FILES = (("workbook", "workbook.xlsx"), ("returnees", "returnees.csv"), ("assistance", "assistance.csv"))


def save_upload(user: User, files: dict[str, tuple[str, bytes]]) -> PendingUpload:
    """Keep the uploaded files ({field: (name as uploaded, content)}) for `user`, in the caller's transaction."""
    upload = PendingUpload(
        token=secrets.token_hex(TOKEN_LENGTH // 2),
        user_id=user.id,
        created_at=utcnow(),
        names={key: Path(name).name for key, (name, _content) in files.items()},
    )
    for key, (_name, content) in files.items():
        setattr(upload, key, content)
    upload.rows = count_rows(files)
    db.session.add(upload)
    db.session.flush()
    return upload


def count_rows(files: dict[str, tuple[str, bytes]]) -> int:
    """About how many rows the files hold (lines of a CSV; each sheet's stated size in a workbook), read in
    a moment before any check: it decides whether the import runs in the background."""
    rows = 0
    for key, (_name, content) in files.items():
        if key != "workbook":
            rows += max(content.count(b"\n") - 1, 0) + (0 if content.endswith(b"\n") else 1)
            continue
        rows += _workbook_rows(content)
    return rows


def _workbook_rows(content: bytes) -> int:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return 0  # refused by the check anyway, at once
    try:
        return sum(max((sheet.max_row or 1) - 1, 0) for sheet in workbook.worksheets)
    finally:
        workbook.close()


def _expired_before():
    return utcnow() - timedelta(seconds=float(current_app.config["IMPORT_PENDING_MAX_AGE"]))


def purge_expired_uploads() -> int:
    """Delete the uploads past IMPORT_PENDING_MAX_AGE, in a short transaction of its own (and none at all when
    there is nothing to delete: most visits); and the temporary folders that a killed process left behind."""
    remove_orphaned_folders()
    with database.read_only(), sa.orm.Session(bind=db.engine) as reader:
        if reader.scalar(select(PendingUpload.id).where(PendingUpload.created_at < _expired_before()).limit(1)) is None:
            return 0
    with database.writing(), sa.orm.Session(bind=db.engine) as writer:
        removed = writer.execute(delete(PendingUpload).where(PendingUpload.created_at < _expired_before())).rowcount
        writer.commit()
    return removed


def remove_orphaned_folders() -> list[str]:
    """Delete the temporary folders of `upload_sources` whose process is gone (a worker killed while it read a
    file leaves its folder: personal data). A folder is named after its process id, so the folders of the
    processes still running on this host, and of other hosts' processes (which have their own disk), stay."""
    removed = []
    for folder in Path(current_app.instance_path).glob(f"{FOLDER_PREFIX}*-*"):
        pid = folder.name[len(FOLDER_PREFIX) :].partition("-")[0]
        if folder.is_dir() and pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def discard_upload(upload_id: int) -> None:
    """Delete an upload now (imported), in the caller's transaction."""
    db.session.execute(delete(PendingUpload).where(PendingUpload.id == upload_id))


def pending_upload_or_404(token: str, user: User) -> PendingUpload:
    """The upload of `user` named by token, or 404: another user's token, or an expired upload, is unknown too."""
    if len(token) != TOKEN_LENGTH or not all(c in "0123456789abcdef" for c in token):
        abort(404)
    upload = db.session.scalar(select(PendingUpload).where(PendingUpload.token == token))
    if upload is None or upload.user_id != user.id or upload.created_at < _expired_before():
        abort(404)
    return upload


@contextmanager
def upload_sources(upload: PendingUpload) -> Iterator[list[Source]]:
    """The upload's tables, as files the readers open: written to a private temporary folder (owner only,
    under instance/), deleted when the block ends."""
    with tempfile.TemporaryDirectory(dir=current_app.instance_path, prefix=f"{FOLDER_PREFIX}{os.getpid()}-") as folder:
        paths = {}
        for key, stored in FILES:
            content = getattr(upload, key)
            if content is not None:
                paths[key] = Path(folder) / stored
                paths[key].write_bytes(content)
        yield sources_for(**paths, names=dict(upload.names))
