"""Configuration defaults. Secrets and deployment settings come from the environment or instance/."""
import os
import secrets
from pathlib import Path


class DefaultConfig:
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # WTF_CSRF_TIME_LIMIT follows SESSION_LIFETIME_HOURS (create_app): a CSRF token is bound to the login
    # session (a new one at login, gone at logout or expiry), so a long form typed at a field office lives
    # as long as the session does.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    BOOTSTRAP_SERVE_LOCAL = True  # offline office networks: no CDN
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Asia/Tbilisi"
    LANGUAGES = ["en", "ka"]
    #: this server is one of several behind a reverse proxy, on one PostgreSQL database: refuse to start on
    #: settings that hold for one server only (SQLite, no SECRET_KEY, per-process rate limits, backups in
    #: instance/; see caseapp/deployment.py)
    SEVERAL_APP_SERVERS = False
    #: reverse proxies in front of the app (0: none) whose X-Forwarded-For and X-Forwarded-Proto are
    #: trusted; with 1, a request that reached the proxy over HTTPS counts as HTTPS (HSTS, Secure cookies)
    TRUSTED_PROXIES = 0
    #: Strict-Transport-Security max-age, sent on HTTPS answers only (0: no HSTS)
    HSTS_MAX_AGE = 365 * 24 * 3600
    #: werkzeug's scrypt: memory-hard; the tests use a cheaper setting to stay fast
    PASSWORD_HASH_METHOD = "scrypt"
    #: a login session ends after this many minutes without a request ...
    SESSION_IDLE_MINUTES = 30
    #: ... and this many hours after the login, whatever the activity
    SESSION_LIFETIME_HOURS = 12
    #: this many wrong passwords for one username within LOGIN_FAILURE_WINDOW_MINUTES lock it (known or not)
    LOGIN_FAILURE_LIMIT = 6
    LOGIN_FAILURE_WINDOW_MINUTES = 15
    LOGIN_LOCKOUT_MINUTES = 15
    #: Flask-Limiter: login attempts (POST) per client address and per username, counted for all app
    #: processes and servers together: unset, in the database on PostgreSQL (memory:// per process on
    #: SQLite); or a Redis URL, e.g. redis://127.0.0.1:6379/0 (see caseapp/ratelimit.py)
    LOGIN_RATE_LIMIT_PER_ADDRESS = "30 per minute; 300 per hour"
    LOGIN_RATE_LIMIT_PER_ACCOUNT = "10 per minute"
    RATELIMIT_STORAGE_URI = None
    RATELIMIT_HEADERS_ENABLED = False
    #: a referral the partner has neither accepted nor declined this many days after it was sent is overdue
    #: (home pages of the caseworker and the supervisor, the referrals list)
    REFERRAL_ANSWER_DAYS = 14
    #: passwords: length bounds and the lowest zxcvbn score (0-4) accepted
    PASSWORD_MIN_LENGTH = 12
    PASSWORD_MAX_LENGTH = 128
    PASSWORD_MIN_SCORE = 3
    PAGE_SIZE = 25
    #: a request that would take a project past what remains of its budget: "warn" shows the approver a
    #: warning; "refuse" also blocks the approval, with the figures
    PROJECT_BUDGET_OVERRUN = "warn"
    #: a header carrying the request id set by a trusted reverse proxy (e.g. "X-Request-ID"); None: generated
    REQUEST_ID_HEADER = None
    #: the largest upload (an office's spreadsheet history); bigger files belong to the command line
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024
    #: reading an import file (see imports/readers.py ReadLimits); a file beyond any of these is refused
    #: whole, with one problem naming the setting. The defaults are Excel's own limits, except:
    IMPORT_MAX_UNCOMPRESSED_MB = 512  # a workbook's parts unpacked (a 100,000-row history is ~60 MB)
    IMPORT_MAX_ROWS = 1_048_576
    IMPORT_MAX_COLUMNS = 256  # the tables have a dozen columns
    IMPORT_MAX_CELL_CHARS = 32_767
    #: seconds an upload waits for its confirmation before it is deleted
    IMPORT_PENDING_MAX_AGE = 3600
    #: SQLite: write an import chunk by chunk, each chunk its own short transaction, its rows hidden until the
    #: batch is applied (other users keep saving meanwhile); False: one transaction, holding the write lock
    IMPORT_APPLY_IN_CHUNKS = True
    #: rows of a table checked together and, in the chunked apply, written by one transaction
    IMPORT_CHUNK_ROWS = 2000
    #: SQLite: the pause between two chunks of an import, in which the saves waiting for the lock get it
    IMPORT_CHUNK_PAUSE_SECONDS = 0.1
    #: background jobs (jobs/): huey's queue in instance/jobs-queue.sqlite, unless this names a Redis server
    #: (e.g. redis://127.0.0.1:6379/0: app servers on several hosts; one worker per host)
    JOBS_REDIS_URL = None
    #: tests: a job runs at once in the process that asks for it (no worker)
    JOBS_IMMEDIATE = False
    #: jobs one worker runs at once (imports still run one at a time)
    JOBS_WORKER_THREADS = 2
    #: a running job writes its progress and heartbeat this often; one silent for JOBS_DEAD_AFTER_SECONDS lost
    #: its worker
    JOBS_PROGRESS_SECONDS = 1.0
    JOBS_DEAD_AFTER_SECONDS = 60
    #: runs of a job whose worker died: then it is failed, saying so
    JOBS_MAX_ATTEMPTS = 2
    #: a job still waiting after this many seconds is handed to the queue again (a lost message)
    JOBS_RESEND_AFTER = 300
    #: seconds a job's file (an export: personal data) is kept
    JOBS_FILE_MAX_AGE = 24 * 3600
    #: web imports of more rows than this run in the background (check and import), with a progress bar
    IMPORT_BACKGROUND_ROWS = 20_000
    #: days without activity after which a case needs a supervisor's attention
    INACTIVITY_DAYS = 60
    #: days an open case may go without a written plan before the review queue shows it
    PLAN_GRACE_DAYS = 14
    #: where backups go (default: instance/backups) and how many of them stay (older ones are deleted)
    # Retention: a returnee is anonymised (`flask anonymise`) this many years after their last case closed.
    RETENTION_YEARS_AFTER_CLOSURE = 5
    BACKUP_DIR = None
    BACKUP_KEEP = 14
    #: copies taken before `db upgrade` / `db downgrade`: kept under their own limit (BACKUP_KEEP never
    #: deletes them)
    BACKUP_KEEP_SAFETY_COPIES = 10
    #: seconds to wait for a PostgreSQL connection (libpq's minimum is 2)
    DATABASE_CONNECT_TIMEOUT = 5
    #: seconds a PostgreSQL statement may run before it is cancelled (the migrations have no limit)
    DATABASE_STATEMENT_TIMEOUT = 10
    #: ... except a report's aggregate queries (read only): at 10 million records one of them may take longer
    REPORT_STATEMENT_TIMEOUT = 60
    #: seconds a SQLite writer waits for another writer's lock before the user gets "try again"
    SQLITE_BUSY_TIMEOUT = 10
    #: SQLite durability: FULL (a confirmed write survives a power cut), or NORMAL (faster; may lose the
    #: last transactions on a power cut, never corrupts), OFF, EXTRA
    SQLITE_SYNCHRONOUS = "FULL"
    #: let the app create a missing SQLite file (tests); otherwise only `flask db upgrade` does
    SQLITE_CREATE = False
    #: seconds /healthz waits for the database before it answers 503
    HEALTHZ_TIMEOUT = 1.0


def load_secret_key(instance_path: str) -> str:
    """Return SECRET_KEY from the environment, or from instance/secret_key, generating it once."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = Path(instance_path) / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.touch(mode=0o600)
    key_file.write_text(key)
    return key


def database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs name the old driver; we ship psycopg 3.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://"):]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    return "sqlite:///" + str(Path(instance_path) / "caseapp.sqlite")
