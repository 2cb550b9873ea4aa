"""What the plan tells the features above it, without importing them: blinker signals sent inside the request's
transaction (receivers flush, never commit).

- `plan_approved(plan, actor=...)`: a supervisor approved the plan; monitoring schedules its visits
  (monitoring/triggers.py)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

plan_approved = _signals.signal("plan-approved")
