"""What assistance tells the features above it, without importing them: blinker signals sent inside the
request's transaction (a receiver flushes, never commits, so its writes are saved or undone with the change).

- `assistance_delivered(record, actor=...)`: a record became delivered (logged as delivered, or marked so);
  monitoring schedules its visits on it (monitoring/triggers.py)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

assistance_delivered = _signals.signal("assistance-delivered")
