"""Time helpers. Timestamps are stored as naive UTC; dates are plain ISO dates."""
from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """Now, as naive UTC (what the database columns hold). Called per row, never at import time."""
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    return date.today()


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
