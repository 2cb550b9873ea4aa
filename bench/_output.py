"""One line per figure: what every benchmark prints, so that a saved output can be grepped and the README's
Speed section rebuilt from it (bench/readme.py).

    MACHINE cpu AMD EPYC 7B13
    MACHINE database PostgreSQL 15.20 (work_mem 4MB, shared_buffers 128MB)
    RATIO report.country_wide app/naive 0.31 (target <= 0.35: met) database=postgresql records=10,000,000
    FIGURE dataset.load 212.4 s database=postgresql records=10,000,000

A RATIO line is: the measurement's name (`module.what`, no spaces), what is divided by what, the ratio with
two decimals, the target when there is one and whether it is met, then `key=value` words saying under which
conditions (database, size, rounds, the times behind the ratio). A FIGURE line is the same for a single
quantity with its unit. Call ratio_line() / figure_line() (or print_ratio() / print_figure()) rather than
formatting by hand; parse with parse_line().
"""

from __future__ import annotations

import os
import platform
import re
import sqlite3
import sys
from datetime import UTC, datetime

_WORD = re.compile(r"^[\w.:/+-]+$")
_LINE = re.compile(
    r"^(?P<kind>RATIO|FIGURE) (?P<name>\S+) (?:(?P<quotient>\S+/\S+) )?(?P<value>-?[\d.]+)"
    r"(?: (?P<unit>[^\s(=]+))?"
    r"(?: \(target (?P<direction><=|>=) (?P<target>[\d.]+): (?P<verdict>met|missed)\))?"
    r"(?P<context>(?: \S+=\S+)*)$"
)


def _context(context: dict) -> str:
    words = []
    for key, value in context.items():
        if value is None:
            continue
        if isinstance(value, bool):
            text = "yes" if value else "no"
        elif isinstance(value, int):
            text = f"{value:,}"
        elif isinstance(value, float):
            text = f"{value:.2f}"
        else:
            text = str(value).replace(" ", "_")
        words.append(f"{key}={text}")
    return "".join(f" {word}" for word in words)


def _target(value: float, target: float | None, direction: str) -> str:
    if target is None:
        return ""
    if direction not in ("<=", ">="):
        raise ValueError(f"direction must be '<=' or '>=', not {direction!r}")
    met = value <= target if direction == "<=" else value >= target
    return f" (target {direction} {target:g}: {'met' if met else 'missed'})"


def ratio_line(
    name: str, quotient: str, value: float, *, target: float | None = None, direction: str = "<=", **context
) -> str:
    """`RATIO name quotient value (target <= t: met) key=value ...`; quotient says what is divided by what
    (`app/naive`), direction whether the ratio should stay under the target (<=) or reach it (>=)."""
    if not _WORD.match(name) or "/" not in quotient or not _WORD.match(quotient):
        raise ValueError(f"name and quotient are single words (quotient like 'app/naive'): {name!r} {quotient!r}")
    return f"RATIO {name} {quotient} {value:.2f}{_target(value, target, direction)}{_context(context)}"


def figure_line(
    name: str, value: float, unit: str, *, target: float | None = None, direction: str = "<=", **context
) -> str:
    """`FIGURE name value unit (target <= t: met) key=value ...`: one measured quantity (a load time, a
    request rate) in the same form."""
    if not _WORD.match(name) or not _WORD.match(unit):
        raise ValueError(f"name and unit are single words: {name!r} {unit!r}")
    shown = f"{value:.2f}" if abs(value) < 100 else f"{value:.1f}"
    return f"FIGURE {name} {shown} {unit}{_target(value, target, direction)}{_context(context)}"


def print_ratio(*args, **kwargs) -> None:
    print(ratio_line(*args, **kwargs), flush=True)


def print_figure(*args, **kwargs) -> None:
    print(figure_line(*args, **kwargs), flush=True)


def parse_line(line: str) -> dict | None:
    """A RATIO or FIGURE line as a dict (kind, name, quotient, value, unit, direction, target, verdict,
    context: dict of the key=value words); None for any other line."""
    match = _LINE.match(line.rstrip("\n"))
    if not match:
        return None
    found = match.groupdict()
    found["value"] = float(found["value"])
    found["target"] = float(found["target"]) if found["target"] else None
    found["context"] = dict(word.split("=", 1) for word in found["context"].split())
    return found


# --- the machine --------------------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def database_description(database_url: str | None) -> str:
    """The database's product and version (and, for PostgreSQL, the settings that shape a report's plan)."""
    if not database_url or database_url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version}"
    import psycopg

    try:
        connection = psycopg.connect(dbapi_conninfo(database_url))
    except psycopg.OperationalError:  # the database is not created yet: ask the server's own
        connection = psycopg.connect(dbapi_conninfo(database_url, database="postgres"))
    with connection:
        settings = dict(
            connection.execute(
                "SELECT name, current_setting(name) FROM pg_settings WHERE name IN"
                " ('server_version', 'work_mem', 'shared_buffers', 'max_parallel_workers_per_gather')"
            ).fetchall()
        )
    return (
        f"PostgreSQL {settings['server_version'].split()[0]} (work_mem {settings['work_mem']}, shared_buffers"
        f" {settings['shared_buffers']}, max_parallel_workers_per_gather"
        f" {settings['max_parallel_workers_per_gather']})"
    )


def dbapi_conninfo(database_url: str, *, database: str | None = None) -> str:
    """A SQLAlchemy PostgreSQL URL (postgresql+psycopg://...) as a libpq connection string for psycopg (to
    another database of the same server when `database` is given)."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url).set(drivername="postgresql")
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


def machine_lines(database_url: str | None = None, command: list[str] | None = None) -> list[str]:
    """Where and when the figures below were measured: `MACHINE key text` lines."""
    memory = _memory_gib()
    lines = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(command if command is not None else ["python", *sys.orig_argv[1:]]),
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "ram": f"{memory:.0f} GiB" if memory else "unknown",
        "load": f"{_load()} (1, 5, 15 min) at the start",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "database": database_description(database_url),
    }
    return [f"MACHINE {key} {text}" for key, text in lines.items()]


def _load() -> str:
    try:
        return " / ".join(f"{figure:.1f}" for figure in os.getloadavg())
    except OSError:
        return "unknown"


def load_line() -> str:
    """`MACHINE load_end ...`: the load average when a benchmark ends (the start's is among machine_lines)."""
    return f"MACHINE load_end {_load()} (1, 5, 15 min) at the end"


def print_machine(database_url: str | None = None, command: list[str] | None = None) -> None:
    for line in machine_lines(database_url, command):
        print(line, flush=True)


def parse_machine(lines) -> dict[str, str]:
    machine = {}
    for line in lines:
        if line.startswith("MACHINE "):
            _kind, key, *text = line.rstrip("\n").split(" ", 2)
            machine[key] = text[0] if text else ""
    return machine
