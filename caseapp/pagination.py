"""The one pager of every list: `paginate()` runs one page of a query and counts the whole; `Page` holds the
numbers the `paginator` macro (templates/_macros/lists.html) draws."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from sqlalchemy import Select, func, select

from caseapp.extensions import db
from caseapp.inputs import db_int

#: the most rows one page may ask for (`per_page` in the query string)
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class Page:
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(ceil(self.total / self.per_page), 1)

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def first_item(self) -> int:
        return 0 if self.total == 0 else self.offset + 1

    @property
    def last_item(self) -> int:
        return min(self.number * self.per_page, self.total)

    def window(self, around: int = 2) -> list[int | None]:
        """Page numbers to show, with None where a gap is: 1 … 4 5 [6] 7 8 … 20."""
        shown = {1, self.pages} | set(range(self.number - around, self.number + around + 1))
        result: list[int | None] = []
        previous = 0
        for n in sorted(p for p in shown if 1 <= p <= self.pages):
            if n - previous > 1:
                result.append(None)
            result.append(n)
            previous = n
        return result


def requested_page(args, *, per_page: int, adjustable: bool = False) -> tuple[int, int]:
    """The page number (1 and up) and page size a query string asks for; anything unreadable is page 1 of
    `per_page`. With `adjustable`, `per_page` in the query string sets the size (1 to MAX_PER_PAGE)."""
    number = max(args.get("page", 1, type=db_int), 1)
    if adjustable:
        per_page = min(max(args.get("per_page", per_page, type=db_int), 1), MAX_PER_PAGE)
    return number, per_page


def count_rows(query: Select) -> int:
    """How many rows the query gives (its ordering left out)."""
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def paginate(query: Select, number: int, per_page: int, *, total: int | None = None, rows: bool = False):
    """One page of an ordered query and its `Page`: the entities (or, with `rows`, the result rows when the
    query selects several things). `total` when the caller counted already (e.g. through the report's
    counting rules, so that a list is as long as its figure)."""
    page = Page(number, per_page, count_rows(query) if total is None else total)
    result = db.session.execute(query.limit(per_page).offset(page.offset))
    return (result.all() if rows else result.scalars().all()), page
