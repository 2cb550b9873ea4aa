"""Small-count suppression, for reports shared outside the organisation.

Primary suppression: a count from 1 to 4 is shown as "<5" (zero stays zero: it names nobody).
Secondary suppression: a hidden count must not be recoverable by subtraction from the figures that are
shown. Figures are tied together by lines: a total and the cells that add up to it (the offices add up to
the country, the types' events to all events), or, where a person may be in several cells (months, types),
a total that is at least every cell and at most their sum. A reader knows the lines and the labels ("<5" is
1 to 4, "x" is 5 or more) and may work through a chain of lines or add and subtract several rows and
columns together; a figure of that line is then withheld as well and shown as "x".

Which figures to withhold is chosen by least information lost, as statistical offices' tools (tau-Argus)
do: the fewest figures, and of those the smallest, found exactly as an integer programme (HiGHS through
scipy) whose constraints are the rules a safe table keeps:
- no additive line has exactly one hidden figure (the classic rule: the others would give it);
- no hidden figure can be worked out by a reader (`derivable`). This is checked on each solution; a figure
  given away adds the constraint that one of the shown figures its derivation used is withheld too, and
  the programme is solved again (cuts added lazily, as Fischetti and Salazar's model of tau-Argus does);
- a figure that the labels alone give away whatever is withheld (a row of four 1s under a total of "<5":
  4 = 1+1+1+1) cannot be protected, and nothing is withheld for it: withholding the figures around it would
  hide them and protect nothing.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

SMALL = "<5"
WITHHELD = "x"
SMALLEST_SHOWN = 5
#: seconds the search for the least withholding may take; past it, figures are withheld one line at a time
#: (_withhold_greedily: safe, but it may withhold more than it needs), and a warning is logged
TIME_LIMIT = 5.0
#: the leaks turned into constraints per round (those left are found again in the next round, if the new
#: solution still gives them away)
LEAKS_PER_ROUND = 12

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Line:
    total: Hashable
    cells: tuple[Hashable, ...]
    #: True: total == sum(cells). False: every cell <= total <= sum(cells) (a person in several cells).
    additive: bool = True

    @property
    def members(self) -> tuple[Hashable, ...]:
        return (self.total, *self.cells)


def is_small(value: int) -> bool:
    return 0 < value < SMALLEST_SHOWN


def protect(values: dict[Hashable, int], lines: Iterable[Line]) -> dict[Hashable, str]:
    """The figures to hide (key -> SMALL or WITHHELD) so that no small count can be read or worked out, with
    the fewest (then the smallest) figures withheld."""
    lines = [line for line in lines if line.cells]
    small = {key: SMALL for key, value in values.items() if is_small(value)}
    if not small or not lines:
        return small
    nonzero = [key for key in _keys(values, lines) if values.get(key, 0)]
    everything = {key: small.get(key, WITHHELD) for key in nonzero}
    # What the labels give away even when every non-zero figure is hidden: no withholding protects it.
    given_away = set(derivable(values, everything, lines))
    try:
        return _least_withheld(values, lines, small, given_away)
    except _NoSolution as reason:
        # the last solution found, made safe by withholding more, one line at a time
        log.warning("small-count suppression: %s; the last solution is completed line by line", reason)
        return _withhold_greedily(values, lines, reason.nearly or small, given_away)


class _NoSolution(Exception):
    def __init__(self, message, nearly: dict | None = None):
        super().__init__(message)
        #: the last solution found (it may still give a figure away)
        self.nearly = nearly


def _keys(values, lines) -> list[Hashable]:
    keys = dict.fromkeys(values)
    for line in lines:
        keys.update(dict.fromkeys(line.members))
    return list(keys)


def _least_withheld(values, lines: list[Line], small: dict, given_away: set) -> dict[Hashable, str]:
    candidates = [key for key in _keys(values, lines) if values.get(key, 0) and key not in small]
    column = {key: number for number, key in enumerate(candidates)}
    # fewest first: one more figure costs more than all the values together; then the smallest
    step = 1 + sum(values[key] for key in candidates)
    cost = np.array([step + values[key] for key in candidates], dtype=float)
    rows: list[tuple[dict[int, float], float, float]] = []  # coefficients, lower bound, upper bound

    def variables(keys) -> list[int]:
        return [column[key] for key in keys if key in column]

    lines_of: dict[Hashable, list[Line]] = {}
    for line in lines:
        for key in line.members:
            lines_of.setdefault(key, []).append(line)
        if not line.additive:
            continue
        members = [key for key in line.members if values.get(key, 0)]
        fixed = sum(key in small for key in members)
        if fixed == 1:  # the small figure needs a second hidden figure in its line
            rows.append((dict.fromkeys(variables(members), 1.0), 1, math.inf))
        elif fixed == 0:  # a withheld figure too: y_m <= sum of the others
            free = variables(members)
            for own in free:
                rows.append(({**dict.fromkeys(free, -1.0), own: 1.0}, -math.inf, 0))

    deadline = time.monotonic() + TIME_LIMIT
    cuts: set[tuple] = set()
    hidden = None
    while True:
        try:
            chosen = _solve(cost, rows, deadline)
        except _NoSolution as reason:
            raise _NoSolution(str(reason), hidden) from None
        hidden = {**small, **{candidates[number]: WITHHELD for number in chosen}}
        narrowing: set[int] = set()
        leaks = [key for key in derivable(values, hidden, lines, narrowing=narrowing) if key not in given_away]
        if not leaks:
            return hidden
        # the lines a reader's narrowing went through: a derivation by the labels runs along these alone
        narrowing_lines_of = {key: [line for line in own if id(line) in narrowing] for key, own in lines_of.items()}
        for key in leaks:
            used = _shown_figures_used(values, hidden, narrowing_lines_of, key) or _shown_figures_used(
                values, hidden, lines_of, key, whole=True
            )
            shown = frozenset(variables(used))
            if (key, shown) in cuts:
                raise _NoSolution(f"no figure left to withhold for {key!r}")
            cuts.add((key, shown))
            row = dict.fromkeys(shown, 1.0)
            if key in column:  # a withheld figure: when it is withheld, one of these is withheld as well
                rows.append(({**row, column[key]: -1.0}, 0, math.inf))
            else:
                rows.append((row, 1, math.inf))


def _solve(cost, rows, deadline) -> list[int]:
    """The variables set to 1 in a least-cost solution of the 0/1 programme."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _NoSolution("out of time")
    if not len(cost):  # nothing can be withheld: the small figures alone
        if any(low > 0 for _coefficients, low, _high in rows):
            raise _NoSolution("no figure left to withhold")
        return []
    constraints = []
    if rows:
        data, indices, indptr = [], [], [0]
        for coefficients, _low, _high in rows:
            indices.extend(coefficients)
            data.extend(coefficients.values())
            indptr.append(len(indices))
        matrix = csr_array((data, indices, indptr), shape=(len(rows), len(cost)))
        constraints.append(LinearConstraint(matrix, [row[1] for row in rows], [row[2] for row in rows]))
    result = milp(
        cost,
        integrality=np.ones(len(cost)),
        bounds=Bounds(0, 1),
        constraints=constraints,
        options={"disp": False, "mip_rel_gap": 0, "time_limit": remaining},
    )
    if result.x is None:
        raise _NoSolution(result.message)
    return [number for number, value in enumerate(result.x) if value > 0.5]


def _shown_figures_used(values, hidden, lines_of, key, *, whole: bool = False) -> set[Hashable] | None:
    """Shown figures of which at least one must be withheld for `key` not to be worked out any more (None when
    these lines do not give it away; with whole=True, they are all its lines and the answer is never None).
    A reader's reasoning goes from line to line through hidden figures; the lines around `key` are taken ring
    by ring until they alone give it away: whatever else is withheld, while their shown figures stay shown,
    they still do (withholding more only widens what a reader knows). The fewer the lines, the fewer the
    figures named, and the more solutions one such constraint rules out: a single line is tried first, and a
    ring is then pared down to the lines it needs."""

    def shown_in(reach):
        return {k for line in reach for k in line.members if k not in hidden and values.get(k, 0)}

    reach = list(dict.fromkeys(lines_of.get(key, [])))
    for line in reach:
        if key in derivable(values, hidden, [line]):
            return shown_in([line])
    while True:
        if key in derivable(values, hidden, reach):
            break
        wider = list(
            dict.fromkeys(
                [
                    *reach,
                    *(other for line in reach for k in line.members if k in hidden for other in lines_of.get(k, [])),
                ]
            )
        )
        if len(wider) == len(reach):
            return shown_in(reach) if whole else None
        reach = wider
    if len(reach) <= _PARED_LINES:
        for line in list(reach):
            fewer = [other for other in reach if other is not line]
            if key in derivable(values, hidden, fewer):
                reach = fewer
    return shown_in(reach)


#: rings of at most this many lines are pared down to the lines that give a figure away
_PARED_LINES = 12


def _withhold_greedily(values: dict[Hashable, int], lines: list[Line], hidden: dict,
                       given_away: set) -> dict[Hashable, str]:  # fmt: skip
    """The fallback when the least withholding is not found in time (the rule before it), from the figures
    `hidden` already: while some line gives a hidden figure away (other than what the labels alone give
    away), one more figure of it is withheld, the smallest non-zero one first (safe, but it may withhold more
    than it needs)."""
    hidden = dict(hidden)
    lines_of: dict[Hashable, list[Line]] = {}
    for line in lines:
        for key in (line.total, *line.cells):
            lines_of.setdefault(key, []).append(line)
    settled: set[Hashable] = set()  # derivable, but every non-zero figure around it is hidden already
    while True:
        while _withhold_lone_hidden(values, hidden, lines):
            pass
        leaks = [key for key in derivable(values, hidden, lines) if key not in settled and key not in given_away]
        if not leaks:
            return hidden
        touched: set[int] = set()  # one more figure per line and round: it may settle several leaks
        for leaked in leaks:
            own = lines_of.get(leaked, [])
            if any(id(line) in touched for line in own):
                continue
            # a figure of its own lines, else of the lines of the figures next to it (a chain of lines)
            nearby = [
                line for key in {k for line in own for k in (line.total, *line.cells)} for line in lines_of.get(key, [])
            ]
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


def derivable(
    values: dict[Hashable, int], hidden: dict[Hashable, str], lines: list[Line], *, narrowing: set[int] | None = None
) -> list[Hashable]:
    """The hidden figures that a reader can work out exactly from what is shown: by narrowing bounds line
    after line, or by adding and subtracting whole lines (rows and columns of a table) together. `narrowing`
    collects the id() of the lines that narrowed a bound."""
    low, high = bounds(values, hidden, lines, narrowing=narrowing)
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


def bounds(values, hidden, lines, max_passes: int = 50, *, narrowing: set[int] | None = None):
    """What a reader can work out of each figure by subtraction: an interval (what its label tells: "<5" is
    1 to 4, "x" 5 or more), narrowed through the lines until nothing changes."""
    low, high = {}, {}
    for key in {k for line in lines for k in line.members}:
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
            if narrowing is not None:
                narrowing.add(id(line))
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
