"""Money against a project's budget, per currency: what is committed (requested or approved, not yet
delivered), what is delivered, and what remains. A request that would take a project past what remains
is flagged to the approver; with PROJECT_BUDGET_OVERRUN = "refuse" its approval is refused.

The figures are sums of the records' amounts (the amount asked for while requested or approved, the
amount paid once delivered); planned, rejected and cancelled records commit nothing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from caseapp.assistance.models import AssistanceRecord, AssistanceStatus
from caseapp.enums import Currency
from caseapp.extensions import db
from caseapp.projects.models import Project
from caseapp.ui import money

#: statuses whose amounts are committed against the budget (asked for or approved, not yet paid)
COMMITTED = (AssistanceStatus.REQUESTED, AssistanceStatus.APPROVED)
#: statuses whose amounts count against the budget at all
SPENDING = (*COMMITTED, AssistanceStatus.DELIVERED)
OVERRUN_MODES = ("warn", "refuse")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class BudgetLine:
    """One currency of a project's budget."""

    currency: Currency
    #: None: the project has no budget in this currency (yet records spend in it)
    budget: Decimal | None
    committed: Decimal = ZERO
    delivered: Decimal = ZERO

    @property
    def remaining(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.committed - self.delivered

    @property
    def over(self) -> bool:
        return self.remaining is not None and self.remaining < 0

    @property
    def used_percent(self) -> int | None:
        """Committed and delivered as a whole percentage of the budget (None without a budget)."""
        if not self.budget:
            return None
        return int((self.committed + self.delivered) * 100 / self.budget)


def budget_lines(project: Project) -> list[BudgetLine]:
    """The project's budget, committed, delivered and remaining, per currency: each currency of its budget,
    and any other currency its records spend in."""
    rows = db.session.execute(
        select(AssistanceRecord.currency, AssistanceRecord.status, func.sum(AssistanceRecord.amount))
        .where(AssistanceRecord.project_id == project.id, AssistanceRecord.status.in_(SPENDING),
               AssistanceRecord.amount.is_not(None))
        .group_by(AssistanceRecord.currency, AssistanceRecord.status)
    ).all()  # fmt: skip
    committed: dict[Currency, Decimal] = {}
    delivered: dict[Currency, Decimal] = {}
    for currency, status, total in rows:
        target = delivered if status == AssistanceStatus.DELIVERED else committed
        target[currency] = target.get(currency, ZERO) + Decimal(total)
    currencies = [c for c in Currency if project.budget_in(c) is not None or c in committed or c in delivered]
    return [
        BudgetLine(
            c, project.budget_in(c), committed.get(c, ZERO).quantize(ZERO), delivered.get(c, ZERO).quantize(ZERO)
        )
        for c in currencies
    ]


def budget_excess(budget: Decimal | None, spent_by_others: Decimal, amount: Decimal) -> Decimal | None:
    """By how much `amount` would exceed what remains of `budget` once the others' committed and delivered
    amounts are taken off; None when it fits. No budget in the currency: nothing remains."""
    remaining = (budget or ZERO) - spent_by_others
    return amount - remaining if amount > remaining else None


@dataclass(frozen=True)
class BudgetOverrun:
    """A request that would take its project past what remains of its budget."""

    project: Project
    currency: Currency
    budget: Decimal | None
    remaining: Decimal
    amount: Decimal
    excess: Decimal

    @property
    def message(self) -> str:
        if self.budget is None:
            return str(_l("%(project)s has no budget in %(currency)s: this request for %(amount)s is not covered.",
                          project=self.project.code, currency=self.currency.value,
                          amount=money(self.amount, self.currency)))  # fmt: skip
        if self.remaining <= 0:
            return str(_l(
                "Over budget: nothing is left of the %(budget)s of %(project)s (its other requests and payments "
                "come to %(spent)s); this request for %(amount)s is not covered.",
                project=self.project.code, budget=money(self.budget, self.currency),
                spent=money(self.budget - self.remaining, self.currency), amount=money(self.amount, self.currency),
            ))  # fmt: skip
        return str(_l(
            "Over budget: %(project)s has %(remaining)s left of %(budget)s; this request for %(amount)s exceeds "
            "it by %(excess)s.",
            project=self.project.code, remaining=money(self.remaining, self.currency),
            budget=money(self.budget, self.currency), amount=money(self.amount, self.currency),
            excess=money(self.excess, self.currency),
        ))  # fmt: skip


def record_overrun(record: AssistanceRecord) -> BudgetOverrun | None:
    """Whether this record's amount would exceed what remains of its project's budget in its currency,
    counting every other requested, approved or delivered record of the project. Records without an amount,
    and projects without any budget (the Unassigned one), are never over."""
    return budget_overruns([record]).get(record.id)


def budget_overruns(records: list[AssistanceRecord]) -> dict[int, BudgetOverrun]:
    """record_overrun() of many records in one query (a page of the review queue): the overrun of each
    record that has one, by record id. The database sums the spending records other than these, per
    project and currency; each record then adds the other records of the page that spend in its project
    and currency (so that a record never counts against itself, saved or not, as record_overrun() did)."""
    asking = [r for r in records if r.amount is not None and r.currency is not None and r.project and r.project.budgets]
    if not asking:
        return {}
    project_ids = sorted({r.project_id for r in asking})
    sums = {
        (project_id, currency): Decimal(total or 0)
        for project_id, currency, total in db.session.execute(
            select(AssistanceRecord.project_id, AssistanceRecord.currency, func.sum(AssistanceRecord.amount))
            .where(AssistanceRecord.project_id.in_(project_ids), AssistanceRecord.status.in_(SPENDING),
                   AssistanceRecord.id.not_in([r.id for r in asking if r.id is not None]))
            .group_by(AssistanceRecord.project_id, AssistanceRecord.currency)
        )
    }  # fmt: skip
    overruns = {}
    for record in asking:
        currency = Currency(record.currency)
        others = sums.get((record.project_id, currency), ZERO) + sum(
            (o.amount for o in asking if o is not record and o.status in SPENDING
             and (o.project_id, Currency(o.currency)) == (record.project_id, currency)),
            ZERO,
        )  # fmt: skip
        budget = record.project.budget_in(currency)
        excess = budget_excess(budget, others, record.amount)
        if excess is not None:
            overruns[record.id] = BudgetOverrun(
                record.project, currency, budget, (budget or ZERO) - others, record.amount, excess
            )
    return overruns


def overrun_mode() -> str:
    mode = str(current_app.config.get("PROJECT_BUDGET_OVERRUN", "warn")).lower()
    return mode if mode in OVERRUN_MODES else "warn"


def approval_budget_refusal(record: AssistanceRecord) -> str | None:
    """Why the budget refuses the approval of this request (only with PROJECT_BUDGET_OVERRUN = "refuse")."""
    if overrun_mode() != "refuse":
        return None
    overrun = record_overrun(record)
    if overrun is None:
        return None
    return str(_l("%(problem)s It cannot be approved: lower the amount, or move the record to a project with "
                  "budget left.", problem=overrun.message))  # fmt: skip
