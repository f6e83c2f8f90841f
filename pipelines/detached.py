"""Table cells printed apart from their labels, one cell a line: the grid read back by position.

``pdftotext`` in its default mode prints a page's text blocks one after another, an empty
line between blocks. A table comes out as one cell a line with its row labels in one place
and its numbers in another; some rows cell by cell (each cell a block of its own), a band of
rows column by column (the k cells of one column as a block of k lines): labelled/002's
rows 1.属于国家秘密 … 2.没有现成信息需要另行制作 print as seven blocks of ten lines. The
numbers are still the whole grid, in some order.

The grid's rows are the template's rows whose labels the region names, in the template's
order. The orders tried are every way to cut those rows into bands, each band printed row
by row or column by column, that agrees with where the blocks begin: a band begins and ends
where a block does, and no block begins inside a column of a band printed column by column.
A reading is kept only when the table's own identities hold — each row's total is the sum
of its parts, and for table 3 the balance (new + carried over = handled + carried forward)
and the result rows summing to 总计. When no reading holds, or readings with different
numbers hold, the table is left out and the warning says so: a number is never guessed.
A blank mark (无, -, /, ——) reads as 0 only inside a reading the identities confirm.
"""
from __future__ import annotations

import bisect
import re

from .document import Line, tight
from .labels import APPLICANT_COLUMNS, REVIEW_BLOCKS, REVIEW_COLUMNS, RESULT_ROWS, match_application_row
from .runtogether import APP_ORDER
from .values import Value, parse_value

MAX_READINGS = 512     # orders of one run that keep every row's sum; beyond this nothing is read

_BARE_TOTAL = re.compile(r"^(?:总计|合计)$")
_OTHER_MISC = re.compile(r"^(?:[(（]3[)）]|3[.、．])其他$")


class TooMany(Exception):
    pass


class Run:
    """The number cells of a region in printed order, and where each block of them begins."""

    __slots__ = ("values", "starts")

    def __init__(self, values: list[Value], starts: list[int]):
        self.values = values
        self.starts = starts          # sorted; always holds 0 and len(values)

    def numbers(self) -> list[int | float]:
        return [0 if v.number is None else v.number for v in self.values]

    def head(self, n: int) -> "Run":
        """The first n cells (a block cut at n ends there)."""
        return Run(self.values[:n], sorted({s for s in self.starts if s < n} | {n}))


def _number_cells(line: Line) -> list[Value] | None:
    """The cells of a line that holds only numbers and blank marks; None for any other line."""
    if line.table is not None or not line.cells:
        return None
    out = []
    for c in line.cells:
        v = parse_value(c.text)
        if v is None:
            return None
        out.append(v)
    return out


def number_run(lines: list[Line], start: int = 0, one_cell: bool = False) -> Run | None:
    """Every number line's cells (of ``lines[start:]``) in order; a block begins after an
    empty line, a page footer or a line of words. With ``one_cell``: None unless every
    number stands alone on its line at the left margin (not a laid-out row of numbers in
    columns, not an HTML grid) and there is one at least."""
    values: list[Value] = []
    starts: list[int] = []
    after_number = False
    for i in range(start, len(lines)):
        line = lines[i]
        if one_cell and line.table is not None:
            return None
        cells = _number_cells(line)
        if cells is None:
            after_number = False
            continue
        if one_cell and (len(cells) != 1 or line.cells[0].col != 0):
            return None
        if not after_number or getattr(line, "gap", False):
            starts.append(len(values))
        values.extend(cells)
        after_number = True
    if one_cell and not values:
        return None
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    if starts[-1] != len(values):
        starts.append(len(values))
    return Run(values, starts)


def _sum_ok(row: list) -> bool:
    return row[-1] == sum(row[:-1])


def readings(run: Run, n_rows: int, n_cols: int, row_ok=_sum_ok, limit: int = MAX_READINGS) -> list[list[int]]:
    """Every order the run can be read in as an n_rows × n_cols grid (see the module's
    doc), each as the run position of every cell, row by row; only orders in which every
    row passes ``row_ok`` (None: no test). Raises TooMany past ``limit``."""
    nums = run.numbers()
    if len(nums) != n_rows * n_cols:
        return []
    starts = run.starts
    start_set = set(starts)

    def inner_ok(p: int, end: int, k: int) -> bool:
        """No block begins inside a column of k cells of the band [p, end)."""
        i = bisect.bisect_right(starts, p)
        while i < len(starts) and starts[i] < end:
            if (starts[i] - p) % k:
                return False
            i += 1
        return True

    def row_first_ok(i: int) -> bool:
        return row_ok is None or row_ok(nums[i * n_cols:(i + 1) * n_cols])

    row_good = [row_first_ok(i) for i in range(n_rows)]

    def col_band_ok(r: int, k: int) -> bool:
        if row_ok is None:
            return True
        p = r * n_cols
        return all(row_ok([nums[p + c * k + j] for c in range(n_cols)]) for j in range(k))

    memo: dict[tuple[int, bool], list[tuple]] = {}

    def bands(r: int, after_rows: bool) -> list[tuple]:
        """Ways to read rows r… as bands; after a band read row by row comes one read by
        columns (two row-by-row bands are one)."""
        if r == n_rows:
            return [()]
        key = (r, after_rows)
        if key in memo:
            return memo[key]
        out: list[tuple] = []
        p = r * n_cols
        for k in range(1, n_rows - r + 1):
            end = (r + k) * n_cols
            if end not in start_set:
                continue
            if k >= 2 and inner_ok(p, end, k) and col_band_ok(r, k):
                out.extend(((r, k, "col"),) + tail for tail in bands(r + k, False))
            if not after_rows and all(row_good[r:r + k]):
                out.extend(((r, k, "row"),) + tail for tail in bands(r + k, True))
            if len(out) > limit:
                raise TooMany
        memo[key] = out
        return out

    found = []
    seen = set()
    for bandlist in bands(0, False):
        order = [0] * (n_rows * n_cols)
        for r, k, how in bandlist:
            p = r * n_cols
            for j in range(k):
                for c in range(n_cols):
                    order[(r + j) * n_cols + c] = p + (j * n_cols + c if how == "row" else c * k + j)
        t = tuple(order)
        if t not in seen:
            seen.add(t)
            found.append(order)
    return found


def _grid(run: Run, order: list[int], n_cols: int) -> list[list]:
    nums = run.numbers()
    return [[nums[order[i * n_cols + c]] for c in range(n_cols)] for i in range(len(order) // n_cols)]


# ---------------------------------------------------------------- table 3

def named_rows(lines: list[Line]) -> tuple[list[str], bool]:
    """Table-3 rows whose labels the region prints anywhere, in the template's order, and
    whether a bare 总计 (the 总计 column's header, or the row's label) is printed too."""
    keys: set[str] = set()
    bare_total = False
    prev = ""
    for line in lines:
        if line.table is not None or _number_cells(line) is not None:
            prev = ""
            continue
        text = tight(line.text)
        if len(text) > 60 or "。" in text:
            prev = ""
            continue
        if _BARE_TOTAL.match(text):
            bare_total = True
            prev = ""
            continue
        if _OTHER_MISC.match(text):
            keys.add("other.misc")
            prev = text
            continue
        key = match_application_row(text, started=True, in_other_group=False)[1]
        if key is None and prev:
            key = match_application_row(prev + text, started=True, in_other_group=False)[1]   # split label
        if key is not None:
            keys.add(key)
        prev = text
    order = [k for k in APP_ORDER if k in keys]
    if "other" in order and any(k.startswith("other.") for k in order):
        order.remove("other")       # （六）其他处理 heads its sub-rows
    if "other.misc" in order and not any(k in order for k in ("other.no_correction", "other.no_fee")):
        order.remove("other.misc")
    return order, bare_total


def _app_identities(rows: dict[str, list]) -> bool:
    """The balance and the result rows summing to 总计, column by column, where the rows are there."""
    bal = ("new_received", "carried_over", "total_handled", "carried_forward")
    if all(r in rows for r in bal):
        a, b, t, f = (rows[r] for r in bal)
        if any(a[c] + b[c] != t[c] + f[c] for c in range(len(a))):
            return False
    results = [r for r in RESULT_ROWS if r in rows]
    if "other" in results and any(r.startswith("other.") for r in results):
        results = [r for r in results if r != "other"]
    if "total_handled" in rows and results:
        total = rows["total_handled"]
        if any(sum(rows[r][c] for r in results) != total[c] for c in range(len(total))):
            return False
    return True


def read_applications_detached(lines: list[Line], run: Run | None = None):
    """Table 3 from one-cell-a-line text whose numbers stand apart from their labels:
    a Table (values, or none and a warning saying why it was left out). ``run``: the
    region's number run when the caller has it."""
    from .tables import Table

    table = Table()
    if run is None:
        run = number_run(lines)
    order, bare_total = named_rows(lines)
    ncols = len(APPLICANT_COLUMNS)
    n = len(run.values)
    if bare_total and "total_handled" not in order and (len(order) + 1) * ncols == n:
        order = [k for k in APP_ORDER if k in order or k == "total_handled"]
    what = (f"applications: {n} numbers printed apart from the labels of {len(order)} rows "
            "(one cell a line)")
    if len(order) < 4 or len(order) * ncols != n:
        table.warnings.append(f"{what} do not make a grid of the rows by {ncols} columns; table left out")
        return table
    try:
        found = readings(run, len(order), ncols)
    except TooMany:
        table.warnings.append(f"{what}: too many orders to read them in; table left out")
        return table
    grids = {}
    for reading in found:
        grid = _grid(run, reading, ncols)
        rows = dict(zip(order, grid))
        if _app_identities(rows):
            grids.setdefault(tuple(map(tuple, grid)), reading)
    if len(grids) != 1:
        why = ("no order of reading them satisfies the table's identities" if not grids else
               f"{len(grids)} orders of reading them satisfy the table's identities with different numbers")
        table.warnings.append(f"{what}: {why}; table left out")
        return table
    reading = next(iter(grids.values()))
    for i, key in enumerate(order):
        cells = [run.values[reading[i * ncols + c]] for c in range(ncols)]
        table.values[key] = {col: (0 if v.number is None else v.number) for col, v in zip(APPLICANT_COLUMNS, cells)}
        table.raw[key] = {col: v.raw for col, v in zip(APPLICANT_COLUMNS, cells)}
    table.warnings.append(f"{what}: read as a {len(order)}×{ncols} grid in the one order that satisfies "
                          "the table's identities")
    return table


# ---------------------------------------------------------------- table 4

def review_order(run: Run) -> tuple[list[int] | None, str | None]:
    """Table 4's fifteen numbers, one cell a line: (order, warning).

    The template prints one row of fifteen cells, so the printed order stands when the blocks
    allow no other; when they allow the three blocks to be read as a 3 × 5 grid by columns too,
    each block's total (the sum of its four parts) chooses, and no single answer leaves the
    table out.
    """
    nb, nc = len(REVIEW_BLOCKS), len(REVIEW_COLUMNS)
    printed = list(range(nb * nc))
    try:
        shapes = readings(run, nb, nc, row_ok=None)
    except TooMany:      # pragma: no cover - fifteen cells have few orders
        shapes = []
    if len(shapes) <= 1:
        return printed, None
    grids = {}
    for reading in readings(run, nb, nc):
        grids.setdefault(tuple(map(tuple, _grid(run, reading, nc))), reading)
    if len(grids) == 1:
        reading = next(iter(grids.values()))
        if reading == printed:
            return reading, None
        return reading, ("reviews_litigation: fifteen numbers one cell a line, read by columns of the three "
                         "blocks, the one order where each block's total is the sum of its parts")
    why = "no order of them" if not grids else f"{len(grids)} orders of them with different numbers"
    return None, (f"reviews_litigation: fifteen numbers one cell a line that may be read by rows or by columns; "
                  f"{why} make each block's total the sum of its parts; table left out")
