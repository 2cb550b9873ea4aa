"""Several app servers behind one reverse proxy, on one PostgreSQL database: what must hold, checked at start.

A request may land on any server, so nothing it needs may live on one server's disk or in one process's
memory. Where each thing lives:
- login sessions, lockouts, the one-time keys of forms, renamed choices: database tables, read on every
  request (auth/sessions.py, auth/services.py, submissions.py, language/vocabulary.py), never cached
  beyond the request;
- Flask's session cookie (the login session's token, the CSRF token, flashed messages): signed with
  SECRET_KEY, so every server needs the same key;
- login rate limits: the database or Redis (caseapp/ratelimit.py);
- backups: BACKUP_DIR, which every server lists on the backups page.

With SEVERAL_APP_SERVERS = True a server refuses to start when one of these would be its own: a SQLite
file, a SECRET_KEY generated into its instance folder, per-process rate-limit counts, backups in its
instance folder. (What the settings cannot show, that every server has the same values and the same
version of caseapp, is the deployment's part: see the README's deployment section.)
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask


class DeploymentError(RuntimeError):
    """A setting that would make one of several app servers answer differently from the others."""


def several_servers_problems(app: Flask) -> list[str]:
    """What stops this app from being one of several servers on one database (empty: nothing)."""
    config = app.config
    problems = []
    if sa.engine.make_url(config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "postgresql":
        problems.append(
            "the database must be PostgreSQL (DATABASE_URL=postgresql://...): a SQLite file lives on one server's disk"
        )
    if not config.get("SECRET_KEY") and not os.environ.get("SECRET_KEY"):
        problems.append(
            "SECRET_KEY must be set (the environment or instance/config.py), the same on every server: a key "
            "generated into instance/secret_key differs per server, and every cookie signed by one server "
            "would be refused by the others"
        )
    storage = config.get("RATELIMIT_STORAGE_URI") or ""
    if storage.startswith("memory"):
        problems.append(
            "RATELIMIT_STORAGE_URI must not be memory://: each process would count login attempts on its "
            "own (leave it unset to count in the database, or name a redis:// URL)"
        )
    if not config.get("BACKUP_DIR"):
        problems.append(
            "BACKUP_DIR must name a directory every server mounts (the backups page lists and serves it): "
            "instance/backups is one server's own"
        )
    return problems


def refuse_lone_server_settings(app: Flask) -> None:
    """With SEVERAL_APP_SERVERS, refuse to start on settings that hold only for one server.

    Runs before SECRET_KEY and BACKUP_DIR get their one-server defaults (create_app)."""
    if not app.config.get("SEVERAL_APP_SERVERS"):
        return
    problems = several_servers_problems(app)
    if problems:
        raise DeploymentError("SEVERAL_APP_SERVERS is on, but:\n" + "\n".join(f"- {problem}" for problem in problems))
