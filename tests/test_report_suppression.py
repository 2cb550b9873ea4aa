"""Small-count suppression for reports shared outside the organisation."""

from hypothesis import given, settings
from hypothesis import strategies as st

from caseapp.reports.suppression import SMALL, WITHHELD, Line, derivable, protect


def test_small_counts_are_shown_as_fewer_than_five_and_zero_stays():
    hidden = protect({"a": 0, "b": 4, "c": 5, "t": 9}, [])
    assert hidden == {"b": SMALL}


def test_a_lone_small_cell_takes_the_next_smallest_cell_with_it():
    values = {"total": 23, "gori": 3, "poti": 8, "tbilisi": 12, "telavi": 0}
    line = Line("total", ("gori", "poti", "tbilisi", "telavi"))
    assert protect(values, [line]) == {"gori": SMALL, "poti": WITHHELD}


def test_a_small_total_hides_its_cells_and_needs_nothing_more():
    values = {"total": 3, "gori": 3, "poti": 0}
    assert protect(values, [Line("total", ("gori", "poti"))]) == {"total": SMALL, "gori": SMALL}


def test_a_hidden_total_shared_by_two_lines_is_protected_in_both():
    values = {"t": 12, "f": 9, "m": 3, "g": 12, "p": 0}
    lines = [Line("t", ("f", "m")), Line("t", ("g", "p"))]
    hidden = protect(values, lines)
    assert hidden["m"] == SMALL
    assert not derivable(values, hidden, lines)


def test_a_chain_of_lines_cannot_give_a_small_count_away():
    # a = 2 hidden with b would not do: b is also in a second line whose other figures are all shown
    # (b = 15 - 5), so b would take t2 or c with it; withholding the total t1 protects a with one figure
    values = {"t1": 12, "a": 2, "b": 10, "t2": 15, "c": 5}
    lines = [Line("t1", ("a", "b")), Line("t2", ("b", "c"))]
    hidden = protect(values, lines)
    assert not derivable(values, hidden, lines)
    assert hidden == {"a": SMALL, "t1": WITHHELD}


def _table(rows):
    values, lines = {}, []
    width = len(rows[0])
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            values[(i, j)] = value
        values[(i, "total")] = sum(row)
        lines.append(Line((i, "total"), tuple((i, j) for j in range(width))))
    for j in range(width):
        values[("total", j)] = sum(row[j] for row in rows)
        lines.append(Line(("total", j), tuple((i, j) for i in range(len(rows)))))
    values["grand"] = sum(map(sum, rows))
    lines.append(Line("grand", tuple((i, "total") for i in range(len(rows)))))
    lines.append(Line("grand", tuple(("total", j) for j in range(width))))
    return values, lines


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.integers(min_value=0, max_value=12), min_size=2, max_size=4), min_size=1, max_size=4))
def test_random_tables_keep_no_small_count_and_no_derivable_cell(table):
    """A table with row and column totals and a grand total, as a disaggregation by two dimensions is."""
    width = len(table[0])
    values, lines = _table([row[:width] + [0] * (width - len(row)) for row in table])

    hidden = protect(values, lines)
    shown = {key: value for key, value in values.items() if key not in hidden}
    assert not [value for value in shown.values() if 1 <= value <= 4]
    assert all(values[key] > 0 for key in hidden)
    # by plain subtraction: no line with a shown total has exactly one hidden cell, and the reverse
    for line in lines:
        assert sum(key in hidden for key in (line.total, *line.cells)) != 1
    # Left open, by design: what the labels alone give away whatever is withheld; e.g. a row of four 1s, where
    # "<5" for the total and four "<5" (each at least 1) say 4 = 1+1+1+1.
    everything = {key: hidden.get(key, WITHHELD) for key, value in values.items() if value}
    assert set(derivable(values, hidden, lines)) <= set(derivable(values, everything, lines))


# --- an oracle independent of suppression.py: exact linear algebra over the additive lines ------------------


def _pinned_by_equations(hidden, lines) -> set:
    """Hidden figures whose value follows from the additive lines alone (total - sum(cells) = 0), by exact
    Gaussian elimination over the hidden figures: combinations of several rows and columns included."""
    from fractions import Fraction

    keys = sorted(hidden, key=repr)
    basis: dict[int, dict[int, Fraction]] = {}  # pivot -> reduced row
    for line in lines:
        if not line.additive:
            continue
        row: dict[int, Fraction] = {}
        for key, sign in [(line.total, 1), *[(cell, -1) for cell in line.cells]]:
            if key in hidden:
                i = keys.index(key)
                row[i] = row.get(i, 0) + sign
        row = {i: Fraction(v) for i, v in row.items() if v}
        for pivot, reduced in basis.items():
            if pivot in row:
                factor = row[pivot]
                for i, v in reduced.items():
                    row[i] = row.get(i, 0) - factor * v
                row = {i: v for i, v in row.items() if v}
        if not row:
            continue
        pivot = min(row)
        row = {i: v / row[pivot] for i, v in row.items()}
        for other, reduced in basis.items():
            if pivot in reduced:
                factor = reduced[pivot]
                for i, v in row.items():
                    reduced[i] = reduced.get(i, 0) - factor * v
                basis[other] = {i: v for i, v in reduced.items() if v}
        basis[pivot] = row
    return {keys[pivot] for pivot, row in basis.items() if len(row) == 1}


def test_a_small_count_cannot_be_worked_out_by_combining_several_rows_and_columns():
    # Each row and column had two or more hidden figures, yet rows 0 and 3 minus columns 1 and 2 gave the
    # 4 of row 3, column 3 away: (3,3) = row3 - (col1 + col2 - row0) over the hidden figures.
    values, lines = _table([[12, 5, 1, 12, 0], [2, 6, 0, 1, 8], [4, 8, 20, 6, 20], [20, 2, 2, 4, 6]])
    hidden = protect(values, lines)
    assert hidden[(3, 3)] == SMALL
    assert not _pinned_by_equations(hidden, lines)
    assert not derivable(values, hidden, lines)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 8, 12, 20]), min_size=5, max_size=5), min_size=2, max_size=5
    )
)
def test_random_tables_keep_no_small_count_determined_by_linear_algebra(rows):
    values, lines = _table(rows)
    hidden = protect(values, lines)
    assert not _pinned_by_equations(hidden, lines)


# A reader knows more than the sums: "<5" is between 1 and 4, and "x" is 5 or more (a count from 1 to 4 is
# always "<5", a zero is never withheld).
def _readable(values, hidden, lines):
    """Hidden figures a reader pins by trying every value the labels allow (small tables only)."""
    import itertools

    keys = sorted(hidden, key=repr)
    ranges = [range(1, 5) if hidden[key] == SMALL else range(5, 5 + sum(values.values()) + 1) for key in keys]
    seen = {key: set() for key in keys}
    for guess in itertools.product(*ranges):
        known = {**values, **dict(zip(keys, guess))}
        if all(known[line.total] == sum(known[c] for c in line.cells) for line in lines if line.additive):
            for key, value in zip(keys, guess):
                seen[key].add(value)
    return {key for key, possible in seen.items() if len(possible) == 1}


def test_a_small_count_next_to_a_withheld_figure_is_not_given_away_by_the_labels():
    # 6 = "<5" + "x": x is at least 5, so "<5" would be 1
    values, lines = {"t": 6, "a": 1, "b": 5}, [Line("t", ("a", "b"))]
    hidden = protect(values, lines)
    assert not _readable(values, hidden, lines)
    assert "t" in hidden


def test_small_counts_that_add_up_to_a_shown_total_of_four_each_are_protected():
    # 8 = "<5" + "<5": both are 4; 12 = three times "<5": all three are 4
    for values, lines in [
        ({"t": 8, "a": 4, "b": 4, "c": 0}, [Line("t", ("a", "b", "c"))]),
        ({"t": 12, "a": 4, "b": 4, "c": 4}, [Line("t", ("a", "b", "c"))]),
    ]:
        hidden = protect(values, lines)
        assert not _readable(values, hidden, lines)
        assert not derivable(values, hidden, lines)


# --- least information lost: no fewer figures would do ------------------------------------------------------


def _safe(values, lines, hidden) -> bool:
    """What a shared table must keep, written out independently of how protect() searches: every small count
    hidden, no additive line with exactly one hidden figure, and nothing a reader can work out that more
    withholding could have protected."""
    if any(hidden.get(key) != SMALL for key, value in values.items() if 1 <= value <= 4):
        return False
    if any(line.additive and sum(key in hidden for key in (line.total, *line.cells)) == 1 for line in lines):
        return False
    everything = {key: hidden.get(key, WITHHELD) for key, value in values.items() if value}
    return set(derivable(values, hidden, lines)) <= set(derivable(values, everything, lines))


def _fewest_withheld(values, lines) -> int:
    """The least number of figures to withhold, by trying every set of figures, smallest sets first."""
    import itertools

    small = {key: SMALL for key, value in values.items() if 1 <= value <= 4}
    candidates = sorted((key for key, value in values.items() if value >= 5), key=repr)
    for size in range(len(candidates) + 1):
        for chosen in itertools.combinations(candidates, size):
            if _safe(values, lines, {**small, **dict.fromkeys(chosen, WITHHELD)}):
                return size
    raise AssertionError("withholding everything is always safe")


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=1, max_value=3),
    st.integers(min_value=2, max_value=3),
    st.lists(st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 8, 12]), min_size=9, max_size=9),
)
def test_no_fewer_figures_would_protect_a_small_table(height, width, numbers):
    """On small tables with row, column and grand totals, protect() withholds as few figures as a brute-force
    search over every set of figures finds, and what it withholds is safe."""
    values, lines = _table([numbers[row * width : (row + 1) * width] for row in range(height)])
    hidden = protect(values, lines)
    assert _safe(values, lines, hidden)
    withheld = sum(label == WITHHELD for label in hidden.values())
    assert withheld == _fewest_withheld(values, lines)


def test_of_equally_few_figures_the_smallest_are_withheld():
    # the 2 needs one more hidden figure in its row and in its column: the 5s (row) and 6s (column) would each
    # do, and so would the total 9 of the row with the total 8 of the column; a 5 and a 6 are the smallest
    values, lines = _table([[2, 5, 12], [6, 20, 30]])
    hidden = protect(values, lines)
    withheld = {key for key, label in hidden.items() if label == WITHHELD}
    assert len(withheld) == _fewest_withheld(values, lines)
    assert sum(values[key] for key in withheld) == min(
        sum(values[key] for key in chosen) for chosen in _safe_sets_of_size(values, lines, len(withheld))
    )


def _safe_sets_of_size(values, lines, size):
    import itertools

    small = {key: SMALL for key, value in values.items() if 1 <= value <= 4}
    candidates = sorted((key for key, value in values.items() if value >= 5), key=repr)
    return [
        chosen
        for chosen in itertools.combinations(candidates, size)
        if _safe(values, lines, {**small, **dict.fromkeys(chosen, WITHHELD)})
    ]


def test_a_count_the_labels_give_away_does_not_take_its_whole_line_with_it():
    # four 1s under a total of "<5" are 1 each whatever is withheld. The line a + e + f = 23 still needs a
    # second hidden figure, and e alone would be 23 - 12 - 1: e and f are withheld, the total 23 stays shown
    # (withholding every figure around a, as before, protected nothing more)
    values = {"t": 4, "a": 1, "b": 1, "c": 1, "d": 1, "A": 23, "e": 10, "f": 12}
    lines = [Line("t", ("a", "b", "c", "d")), Line("A", ("a", "e", "f"))]
    hidden = protect(values, lines)
    assert hidden == {"t": SMALL, "a": SMALL, "b": SMALL, "c": SMALL, "d": SMALL, "e": WITHHELD, "f": WITHHELD}
    assert _fewest_withheld(values, lines) == 2
