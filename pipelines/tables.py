"""The three standard tables, read from a line stream (HTML grid rows or text).

The same readers serve HTML tables, flattened text and PDF layout text: a region
of lines is cut into tokens — label text and values — and a small state machine
assigns values to the row whose label came last. A row label split over lines, a
group heading before it (（三）不予公开), a vertical heading between rows (三、本年
度办理结果 one character per line) and page footers are all just tokens.
"""
from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from .document import Line, tight
from .labels import (ACTIVE_2019, ACTIVE_2021, APPLICANT_COLUMNS, LABEL_WINDOW, MONEY, REVIEW_BLOCKS,
                     REVIEW_COLUMNS, TEMPLATE_2019_MARKS, TEMPLATE_2021_MARKS,
                     match_active_row, match_application_row)
from .detached import number_run, read_applications_detached, review_order
from .runs import split_runs
from .runtogether import splits
from .values import Value, parse_value, yuan_to_wan

_GLUED = re.compile(r"^(.*[\u4e00-\u9fff）)”\"])(\d{1,7})$")


@dataclass(slots=True)
class Token:
    text: str
    value: Value | None   # None for label text
    col: int = -1         # character column (layout text) or grid column (HTML)
    row_values: int = 0   # value cells (blanks included) on the token's line
    in_grid: bool = False


@dataclass
class Table:
    """One parsed table: values, the cells as printed, derived cells, warnings."""

    values: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict)
    derived: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


# ------------------------------------------------------------------- tokens

def tokenize(lines: list[Line], split_glued=None) -> list[Token]:
    """Label and value tokens of a region, in reading order.

    In an HTML row, cells after the last label cell are values (blank cells
    included, so positions hold); copies made by rowspan/colspan are not repeated
    as values. ``split_glued`` decides whether "…出具0" is a label followed by 0.
    """
    out: list[Token] = []
    for line in lines:
        if line.table is not None:
            cells = line.cells
            parsed = [parse_value(c.text) for c in cells]
            last_label = max((i for i, v in enumerate(parsed) if v is None), default=-1)
            n_values = sum(1 for i, v in enumerate(parsed) if v is not None and i > last_label)
            prev = None
            for i, (c, v) in enumerate(zip(cells, parsed)):
                if i <= last_label:
                    if v is None and c.text != prev:
                        out.append(Token(c.text, None, c.col, n_values, True))
                        prev = c.text
                elif c.origin:
                    out.append(Token(c.text, v, c.col, n_values, True))
            continue
        pieces = []
        for c in line.cells:
            if not c.text:
                pieces.append((c.text, Value(None, ""), c.col))
                continue
            parts = c.text.split() if " " in c.text else [c.text]
            offset = c.col
            for p in parts:
                v = parse_value(p)
                if v is None and split_glued is not None:
                    m = _GLUED.match(p)
                    if m and split_glued(m.group(1)):
                        pieces.append((m.group(1), None, offset))
                        pieces.append((m.group(2), parse_value(m.group(2)), offset + len(m.group(1))))
                        offset += len(p) + 1
                        continue
                pieces.append((p, v, offset))
                offset += len(p) + 1
        n_values = sum(1 for _, v, _ in pieces if v is not None)
        out.extend(Token(t, v, col, n_values) for t, v, col in pieces)
    return out


def _number(v: Value) -> int | float:
    return 0 if v.number is None else v.number


# ------------------------------------------------------------------- table 3

def read_applications(lines: list[Line]) -> Table | None:
    """Table 3 (收到和处理政府信息公开申请情况): rows × the seven applicant columns."""
    def glued(label: str) -> bool:
        return match_application_row(tight(label), started=True, in_other_group=False)[1] is not None

    tokens = tokenize(lines, split_glued=glued)
    ncols = len(APPLICANT_COLUMNS)
    rows: dict[str, list[Token]] = {}
    order: list[str] = []
    buffer = ""
    current: str | None = None
    started = in_other = False
    stray = 0
    overflow = 0                # cells (blanks included) no row took: numbers apart from their labels
    labelled: list[str] = []    # row labels met, in order, whether numbers followed or not
    for tok in tokens:
        if tok.value is None:
            buffer = (buffer + tight(tok.text))[-LABEL_WINDOW:]
            matched, key = match_application_row(buffer, started=started, in_other_group=in_other)
            if not matched:
                continue
            if key is None:
                current = None
                in_other = "其他处理" in buffer[-8:]
                continue
            started = started or key == "new_received"
            in_other = key.startswith("other")
            if key in rows and len(rows[key]) >= ncols:
                current = None      # a label continued after its values, or a repeated row
            else:
                current = key
                if started and key not in labelled:
                    labelled.append(key)
            continue
        buffer = ""
        if current is None or not started:
            stray += tok.value.number is not None
            overflow += 1
            continue
        if current not in rows:
            rows[current] = []
            order.append(current)
        rows[current].append(tok)
        if len(rows[current]) > ncols:
            rows[current].pop()
            stray += tok.value.number is not None
            overflow += 1
    if (overflow or not rows) and (run := number_run(lines, one_cell=True)) is not None:
        # one cell a line, numbers apart from their labels (pdftotext): the label reading
        # would pair numbers with the wrong rows; the grid is read back by position or not at all
        return read_applications_detached(lines, run)
    if not rows:
        return None
    table = Table()
    if any(_laid_out(t) and len(t) == ncols and any(x.col > 0 for x in t) for t in rows.values()):
        # layout text drops blank cells: a row label with no number at all is a row of blanks
        subrows = any(k.startswith("other.") for k in labelled)
        blank = [k for k in labelled if k not in rows and not (k == "other" and subrows)]
        for key in blank:
            rows[key] = [Token("", Value(None, ""), -1) for _ in range(ncols)]
        if blank:
            table.warnings.append(f"applications: no number printed in row(s) {', '.join(blank)}; read as blank (0)")
        order = [k for k in labelled if k in rows] + [k for k in order if k not in labelled]
    _realign(rows, order, ncols, table, "applications", applicant_header_anchors(tokens))
    for key in order:
        if 0 < len(rows[key]) < ncols:
            split = _split_run_together(rows[key], 1, ncols)
            if split:
                table.warnings.append(f"applications: row {key} has its cells run together "
                                      f"({' '.join(t.text for t in rows[key])}); split by the row's total")
                rows[key] = split
    for key in order:
        toks = rows[key]
        if len(toks) != ncols:
            table.warnings.append(
                f"applications: row {key} has {len(toks)} of {ncols} cells; left out")
            continue
        table.values[key] = {c: _number(t.value) for c, t in zip(APPLICANT_COLUMNS, toks)}
        table.raw[key] = {c: t.value.raw for c, t in zip(APPLICANT_COLUMNS, toks)}
    if stray:
        table.warnings.append(f"applications: {stray} number(s) outside any row were ignored")
    _derive_application_totals(table)
    return table


def _center(tok: Token) -> float:
    return tok.col + len(tok.text) / 2


def _place(toks: list[Token], anchors: list[float]) -> list[Token] | None:
    """Values placed under the column anchors nearest to them, blanks where none is;
    None when two values claim one column or the order would change."""
    slots = [min(range(len(anchors)), key=lambda i: abs(anchors[i] - _center(t))) for t in toks]
    if len(set(slots)) != len(slots) or slots != sorted(slots):
        return None
    filled = [Token("", Value(None, ""), -1) for _ in anchors]
    for slot, tok in zip(slots, toks):
        filled[slot] = tok
    return filled


def _clusters(centers: list[float], gap: float = 2.5) -> list[float]:
    """Column positions: value positions grouped where they lie within ``gap`` of each other."""
    groups: list[list[float]] = []
    for c in sorted(centers):
        if groups and c - groups[-1][-1] <= gap:
            groups[-1].append(c)
        else:
            groups.append([c])
    return [statistics.median(g) for g in groups]


def _laid_out(toks: list[Token]) -> bool:
    return bool(toks) and all(t.col >= 0 and not t.in_grid for t in toks)


_APPLICANT_HEADERS = [re.compile(p) for p in
                      (r"^自然人", r"^商业", r"^科研", r"公益|^社会", r"^法律", r"^其他$", r"^总计|^合计")]


def applicant_header_anchors(tokens: list[Token]) -> list[float] | None:
    """Where the seven applicant columns' headers stand (layout text), before the first row."""
    found: list[float | None] = [None] * len(_APPLICANT_HEADERS)
    for tok in tokens:
        if tok.value is not None or tok.col < 0 or tok.in_grid:
            continue
        text = tight(tok.text)
        if "新收" in text:
            break
        for i, rx in enumerate(_APPLICANT_HEADERS):
            if found[i] is None and rx.search(text):
                found[i] = _center(tok)
                break
    if any(a is None for a in found) or found != sorted(found):
        return None
    return found


def _realign(rows: dict[str, list[Token]], order: list[str], ncols: int, table: Table, name: str,
             header: list[float] | None = None) -> None:
    """Short rows of layout text (blank cells lost) placed by column position.

    The columns are those of the nearest full row (a table that crosses pages may
    shift between them); without full rows, the positions all the values fall in,
    or the positions of the column headers.
    """
    full = [k for k in order if len(rows[k]) == ncols and _laid_out(rows[k])]
    short = [k for k in order if 0 < len(rows[k]) < ncols and _laid_out(rows[k])]
    if not short:
        return
    spread = None
    if not full:
        spread = _clusters([_center(t) for k in order if _laid_out(rows[k]) for t in rows[k]])
        if len(spread) != ncols:
            spread = header
        if spread is None or len(spread) != ncols:
            return
    for key in short:
        if full:
            here = order.index(key)
            nearest = min(full, key=lambda k: abs(order.index(k) - here))
            anchors = [_center(t) for t in rows[nearest]]
        else:
            anchors = spread
        placed = _place(rows[key], anchors)
        if placed is None:
            continue
        table.warnings.append(f"{name}: row {key} had {len(rows[key])} of {ncols} cells; placed by column "
                              "position, the missing cells read as blank")
        rows[key] = placed


def _split_run_together(toks: list[Token], blocks: int, size: int) -> list[Token] | None:
    """Cells that text extraction glued together, split again when only one split adds up."""
    raws = [t.value.raw for t in toks]
    if not all(r.isdigit() for r in raws) or all(len(r) == 1 for r in raws) and len(raws) < blocks * size - 1:
        return None
    numbers = split_runs(raws, blocks, size)
    if numbers is None:
        return None
    if _laid_out(toks) and any(t.col > 0 for t in toks):
        # layout text drops blank cells as well as gluing numbers: the split must be the only
        # one even when cells may have left no trace (0 0 50 50 is 0 0 _ 50 50 or 0 0 50 _ 50,
        # never 0 0 5 0 5)
        found = splits(raws, size, blocks, blanks=True)
        if found is None or len(found) != 1:
            return None
    return [Token(str(n), Value(n, str(n)), -1) for n in numbers]


def _derive_application_totals(table: Table) -> None:
    parts = APPLICANT_COLUMNS[:-1]
    for key, row in table.values.items():
        raw = table.raw[key]
        if raw["total"] == "" and any(row[c] for c in parts):
            row["total"] = sum(row[c] for c in parts)
            table.derived.append(["applications", key, "total"])
            table.warnings.append(
                f"applications.{key}.total was blank; derived from the applicant columns as {row['total']}")


# ------------------------------------------------------------------- table 2

def detect_template(lines: list[Line], report_year: int | None) -> tuple[str | None, bool]:
    """("2019" | "2021" | None, guessed) from table 2's headers, else the year."""
    text = "".join(tight(line.text) for line in lines)
    if TEMPLATE_2019_MARKS.search(text):
        return "2019", False
    if TEMPLATE_2021_MARKS.search(text):
        return "2021", False
    if report_year is None:
        return None, True
    if report_year >= 2021:
        return "2021", True
    if report_year >= 2019:
        return "2019", True
    return None, True


_ACTIVE_HEADER = re.compile(r"制发件数|废止件数|现行有效件数|处理决定数量|收费金额|新制作数量|新公开数量|"
                            r"对外公开总数量|上一年项目数量|项目数量|本年增|增/减|采购项目数量|采购总金额")


def read_active_disclosure(lines: list[Line], template: str) -> Table | None:
    """Table 2 (主动公开政府信息情况), with the columns of the given template.

    In layout text a row whose blank cells were lost is placed under its block's
    column headers; a row label with no number after it is a row of blanks.
    """
    spec = ACTIVE_2019 if template == "2019" else ACTIVE_2021
    tokens = tokenize(lines)
    rows: dict[str, list[Token]] = {}
    anchors: dict[str, list[float]] = {}     # row -> the header positions above it
    order: list[str] = []
    header: list[Token] = []
    buffer = ""
    current = None
    for tok in tokens:
        if tok.value is None:
            if _ACTIVE_HEADER.search(tight(tok.text)):
                if header and tok.col <= header[-1].col:
                    header = []             # a new header line
                header.append(tok)
                continue
            buffer = (buffer + tight(tok.text))[-LABEL_WINDOW:]
            key = match_active_row(buffer)
            if key is not None and key in spec:
                current = None if (key in rows and len(rows[key]) >= len(spec[key])) else key
                if current is not None and current not in rows:
                    rows[current] = []
                    order.append(current)
                    anchors[current] = [_center(h) for h in header]
            elif key is not None:
                current = None
            continue
        buffer = ""
        if current is not None and len(rows[current]) < len(spec[current]):
            rows[current].append(tok)
    if not rows:
        return None
    laid_out = not any(t.in_grid for t in tokens) and any(t.col > 0 for t in tokens)
    region_text = "".join(tight(line.text) for line in lines)
    yuan_header = bool(re.search(r"单位[:：]?元|\(元\)|（元）", region_text))
    table = Table()
    for key in order:
        cols = spec[key]
        toks = rows[key]
        if len(toks) < len(cols) and "".join(t.value.raw for t in toks).isdigit() \
                and len("".join(t.value.raw for t in toks)) == len(cols) \
                and set("".join(t.value.raw for t in toks)) == {"0"}:
            # as many zeros as cells: every cell is 0 however it splits (a lone "129" may be one
            # number whose neighbours are blank: never split by guess)
            digits = "".join(t.value.raw for t in toks)
            toks = [Token(d, Value(int(d), d), -1) for d in digits]
            table.warnings.append(f"active_disclosure: row {key} has its cells run together ({digits}); "
                                  "split one digit a cell")
        if laid_out and not toks:
            toks = [Token("", Value(None, ""), -1) for _ in cols]
            table.warnings.append(f"active_disclosure: row {key} has no number printed; read as blank (0)")
        elif laid_out and len(toks) < len(cols) and len(anchors[key]) == len(cols) and _laid_out(toks):
            placed = _place(toks, anchors[key])
            if placed is not None:
                table.warnings.append(f"active_disclosure: row {key} had {len(toks)} of {len(cols)} cells; "
                                      "placed under its column headers, the missing cells read as blank")
                toks = placed
        if len(toks) != len(cols):
            table.warnings.append(
                f"active_disclosure: row {key} has {len(toks)} of {len(cols)} cells; left out")
            continue
        vals, raws = {}, {}
        for col, tok in zip(cols, toks):
            number = _number(tok.value)
            if (key, col) in MONEY and number and (tok.value.unit == "元" or (yuan_header and tok.value.unit != "万元")):
                number = yuan_to_wan(number)
                table.warnings.append(
                    f"active_disclosure.{key}.{col}: printed in 元 ({tok.value.raw}); stored as {number} 万元")
            vals[col], raws[col] = number, tok.value.raw
        table.values[key], table.raw[key] = vals, raws
    return table


# ------------------------------------------------------------------- table 4

_T4_HEADER = re.compile(r"维持|纠正|审结|其他结果")
_T4_COLUMN = re.compile(r"维持|纠正|其他结果|审结|总计|^总$")


def read_reviews(lines: list[Line]) -> Table | None:
    """Table 4 (行政复议、行政诉讼): fifteen numbers, three blocks of five."""
    start = 0
    for i, line in enumerate(lines):
        if _T4_HEADER.search(tight(line.text)):
            start = i
            break
    else:
        return None
    need = len(REVIEW_BLOCKS) * len(REVIEW_COLUMNS)
    region = tokenize(lines[start:])
    picked: list[Token] = []
    for tok in region:
        if tok.value is None:
            continue
        if tok.in_grid and tok.row_values < 5:
            continue   # a stray cell in a header row, not the row of numbers
        picked.append(tok)
        if len(picked) == need:
            break
    table = Table()
    laid_out = not any(t.in_grid for t in region) and any(t.col > 0 for t in region)
    if laid_out and len(picked) < need:
        # layout text drops blank cells: place what is there under the column headers
        heads = _clusters([_center(t) for t in region if t.value is None and _T4_COLUMN.search(t.text)], gap=1.5)
        if not picked:
            picked = [Token("", Value(None, ""), -1) for _ in range(need)]
            table.warnings.append("reviews_litigation: no number printed under the headers; read as blank (0)")
        elif len(heads) == need and (placed := _place(picked, heads)) is not None:
            table.warnings.append(f"reviews_litigation: {len(picked)} of {need} cells printed; placed under "
                                  "their column headers, the missing cells read as blank")
            picked = placed
    if not any(t.value.number is not None for t in picked) and len(picked) < need:
        return None
    if len(picked) == need and lines[start].table is None \
            and (run := number_run(lines, start, one_cell=True)) is not None:
        # one cell a line: the blocks the cells were printed in may allow reading them by columns
        if len(run.values) >= need and [v.raw for v in run.values[:need]] == [t.value.raw for t in picked]:
            order, warning = review_order(run.head(need))
            if warning:
                table.warnings.append(warning)
            if order is None:
                return table
            picked = [picked[i] for i in order]
    if len(picked) < need:
        split = _split_run_together(picked, len(REVIEW_BLOCKS), len(REVIEW_COLUMNS))
        if split is None:
            table.warnings.append(f"reviews_litigation: found {len(picked)} of {need} cells; table left out")
            return table
        table.warnings.append(f"reviews_litigation: cells run together ({' '.join(t.text for t in picked)}); "
                              "split by each block's total")
        picked = split
    for b, block in enumerate(REVIEW_BLOCKS):
        toks = picked[b * 5:(b + 1) * 5]
        table.values[block] = {c: _number(t.value) for c, t in zip(REVIEW_COLUMNS, toks)}
        table.raw[block] = {c: t.value.raw for c, t in zip(REVIEW_COLUMNS, toks)}
        row = table.values[block]
        parts = sum(row[c] for c in REVIEW_COLUMNS[:4])
        if table.raw[block]["total"] == "" and parts:
            row["total"] = parts
            table.derived.append(["reviews_litigation", block, "total"])
            table.warnings.append(
                f"reviews_litigation.{block}.total was blank; derived from its four parts as {parts}")
    return table
