"""Small-count suppression, for reports shared outside the organisation.

Primary suppression: a count from 1 to 4 is shown as "<5" (zero stays zero: it names nobody).
Secondary suppression: a hidden count must not be recoverable by subtraction from the figures that are
shown. Figures are tied together by lines: a total and the cells that add up to it (the offices add up to
the country, the types' events to all events), or, where a person may be in several cells (months, types),
a total that is at least every cell and at most their sum. While some line would give a hidden figure away
(it is the only hidden one of an additive line, the figures shown pin it through a chain of lines, or a
combination of several rows and columns adds up to it alone), one more figure of that line is withheld and
shown as "x", the smallest non-zero one first.
"""
from __future__ import annotations

import math
from collections import deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

SMALL = "<5"
WITHHELD = "x"
SMALLEST_SHOWN = 5


@dataclass(frozen=True)
class Line:
    total: Hashable
    cells: tuple[Hashable, ...]
    #: True: total == sum(cells). False: every cell <= total <= sum(cells) (a person in several cells).
    additive: bool = True


def is_small(value: int) -> bool:
    return 0 < value < SMALLEST_SHOWN


def protect(values: dict[Hashable, int], lines: Iterable[Line]) -> dict[Hashable, str]:
    """The figures to hide (key -> SMALL or WITHHELD) so that no small count can be read or worked out."""
    lines = [line for line in lines if line.cells]
    hidden = {key: SMALL for key, value in values.items() if is_small(value)}
    lines_of: dict[Hashable, list[Line]] = {}
    for line in lines:
        for key in (line.total, *line.cells):
            lines_of.setdefault(key, []).append(line)
    settled: set[Hashable] = set()  # derivable, but every non-zero figure around it is hidden already
    while True:
        while _withhold_lone_hidden(values, hidden, lines):
            pass
        leaks = [key for key in derivable(values, hidden, lines) if key not in settled]
        if not leaks:
            return hidden
        touched: set[int] = set()  # one more figure per line and round: it may settle several leaks
        for leaked in leaks:
            own = lines_of.get(leaked, [])
            if any(id(line) in touched for line in own):
                continue
            # a figure of its own lines, else of the lines of the figures next to it (a chain of lines)
            nearby = [line for key in {k for line in own for k in (line.total, *line.cells)}
                      for line in lines_of.get(key, [])]
            if _withhold_one_more(values, hidden, own) or _withhold_one_more(values, hidden, nearby):
                touched.update(id(line) for line in nearby)
            else:
                # Nothing left to withhold: the labels alone give it ("<5" is 1 to 4), as in a row of four
                # 1s under a total of "<5". Zeros would have to be hidden too; they are not.
                settled.add(leaked)


def _withhold_lone_hidden(values, hidden, lines: list[Line]) -> bool:
    """The classic rule, line by line: an additive line never has exactly one hidden figure."""
    changed = False
    for line in lines:
        members = (line.total, *line.cells)
        if line.additive and sum(key in hidden for key in members) == 1:
            changed |= _withhold_one_more(values, hidden, [line])
    return changed


def _withhold_one_more(values, hidden, lines: list[Line]) -> bool:
    cells = {key for line in lines for key in line.cells if values.get(key, 0) and key not in hidden}
    if not cells:
        cells = {line.total for line in lines if values.get(line.total, 0) and line.total not in hidden}
    if not cells:
        return False
    hidden[min(cells, key=lambda key: (values[key], str(key)))] = WITHHELD
    return True


def derivable(values: dict[Hashable, int], hidden: dict[Hashable, str], lines: list[Line]) -> list[Hashable]:
    """The hidden figures that a reader can work out exactly from what is shown: by narrowing bounds line
    after line, or by adding and subtracting whole lines (rows and columns of a table) together."""
    low, high = bounds(values, hidden, lines)
    pinned = solved_by_equations(hidden, lines)
    return [key for key in hidden if key in pinned or (key in low and low[key] == high[key])]


def solved_by_equations(hidden, lines: list[Line]) -> set[Hashable]:
    """Hidden figures fixed by the additive lines as a system of linear equations (total - sum(cells) = shown
    figures), found by Gaussian elimination over the hidden figures. Interval narrowing, line by line, misses
    a figure that only a combination of lines gives away, e.g. two rows minus two columns of a table.

    The arithmetic is modulo the prime 2**61 - 1 (whole numbers, fast) rather than with fractions: a pivot
    could only be missed if a determinant of a 0/1 matrix were a multiple of that prime; the tests check the
    result against an elimination with exact fractions."""
    index: dict[Hashable, int] = {}
    basis: dict[int, dict[int, int]] = {}  # pivot -> row reduced so that no other row has that pivot
    for line in lines:
        if not line.additive:
            continue
        row: dict[int, int] = {}
        for key, sign in ((line.total, 1), *((cell, -1) for cell in line.cells)):
            if key in hidden:
                i = index.setdefault(key, len(index))
                row[i] = (row.get(i, 0) + sign) % _PRIME
        row = {i: v for i, v in row.items() if v}
        for pivot in [i for i in row if i in basis]:
            factor = row[pivot]
            for i, v in basis[pivot].items():
                row[i] = (row.get(i, 0) - factor * v) % _PRIME
            row = {i: v for i, v in row.items() if v}
        if not row:
            continue
        pivot = next(iter(row))
        inverse = pow(row[pivot], -1, _PRIME)
        row = {i: v * inverse % _PRIME for i, v in row.items()}
        for other, reduced in basis.items():
            if pivot in reduced:
                factor = reduced[pivot]
                for i, v in row.items():
                    reduced[i] = (reduced.get(i, 0) - factor * v) % _PRIME
                basis[other] = {i: v for i, v in reduced.items() if v}
        basis[pivot] = row
    key_of = {i: key for key, i in index.items()}
    return {key_of[pivot] for pivot, row in basis.items() if len(row) == 1}


_PRIME = 2**61 - 1


def bounds(values, hidden, lines, max_passes: int = 50):
    """What a reader can work out of each figure by subtraction: an interval (what its label tells: "<5" is
    1 to 4, "x" 5 or more), narrowed through the lines until nothing changes."""
    low, high = {}, {}
    for key in {*values, *(k for line in lines for k in (line.total, *line.cells))}:
        value = values.get(key, 0)
        if key not in hidden:
            low[key] = high[key] = value
        elif hidden[key] == SMALL:  # the label says it: from 1 to 4
            low[key], high[key] = 1, SMALLEST_SHOWN - 1
        else:  # withheld: never a zero, and every count from 1 to 4 is "<5", so 5 or more
            low[key], high[key] = SMALLEST_SHOWN, math.inf
    # a line whose figures are all shown has nothing to narrow; a line is narrowed again only when a figure
    # of it has changed (at most max_passes times the number of lines in all)
    lines = [line for line in lines if line.total in hidden or any(cell in hidden for cell in line.cells)]
    lines_of: dict[Hashable, list[int]] = {}
    for number, line in enumerate(lines):
        for key in (line.total, *line.cells):
            lines_of.setdefault(key, []).append(number)
    waiting = deque(range(len(lines)))
    queued = set(waiting)
    for _ in range(max_passes * len(lines)):
        if not waiting:
            break
        number = waiting.popleft()
        queued.discard(number)
        line = lines[number]
        if _narrow(line, low, high):
            for key in (line.total, *line.cells):
                for other in lines_of[key]:
                    if other not in queued:
                        queued.add(other)
                        waiting.append(other)
    return low, high


def _narrow(line: Line, low, high) -> bool:
    before = [(low[k], high[k]) for k in (line.total, *line.cells)]
    total = line.total
    sum_low = sum(low[c] for c in line.cells)
    sum_high = sum(high[c] for c in line.cells)  # math.inf when any cell is unbounded
    high[total] = min(high[total], sum_high)
    low[total] = max(low[total], sum_low if line.additive else max(low[c] for c in line.cells))
    highs = [high[c] for c in line.cells]
    for cell in line.cells:
        others_high = _sum_without(sum_high, high[cell], highs)
        low[cell] = max(low[cell], low[total] - others_high)
        if line.additive:
            high[cell] = min(high[cell], high[total] - (sum_low - low[cell]))
        else:
            high[cell] = min(high[cell], high[total])
    return before != [(low[k], high[k]) for k in (line.total, *line.cells)]


def _sum_without(total, part, parts) -> float:
    """sum(parts) - part, where parts may be infinite."""
    if part != math.inf:
        return total - part
    rest = list(parts)
    rest.remove(math.inf)
    return sum(rest)
