"""Files of personal data readable by the app's own system user only: the SQLite database, pending uploads.

Modes are given when a file is created (never chmod afterwards), so there is no moment at which another
local user could open it; the process umask can only take permissions away, never add them."""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def make_private_dir(path: Path) -> Path:
    """Create the folder (owner only) if missing; an existing folder keeps the mode its owner gave it."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    return path


def open_private(path: Path, mode: str = "wb", **kwargs):
    """Open a new file for writing, created owner-only; an existing file of that name is an error."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    return os.fdopen(descriptor, mode, **kwargs)


def write_private_text(path: Path, text: str) -> None:
    """Write (or replace) a small text file, owner-only. Replacing goes through a new file and a rename."""
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    with open_private(partial, "w", encoding="utf-8") as handle:
        handle.write(text)
    partial.replace(path)


def create_private_file(path: Path) -> None:
    """Create an empty owner-only file unless it exists (SQLite takes an empty file as a new database)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    except FileExistsError:
        pass
