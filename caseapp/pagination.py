"""A page of a list: numbers only, so that any query can be paginated the same way."""
from dataclasses import dataclass
from math import ceil


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
    def first_item(self) -> int:
        return 0 if self.total == 0 else (self.number - 1) * self.per_page + 1

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
