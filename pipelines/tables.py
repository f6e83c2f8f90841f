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
from .runs import split_runs
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
            continue
        buffer = ""
        if current is None or not started:
            stray += tok.value.number is not None
            continue
        if current not in rows:
            rows[current] = []
            order.append(current)
        rows[current].append(tok)
        if len(rows[current]) > ncols:
            rows[current].pop()
            stray += tok.value.number is not None
    if not rows:
        return None
    table = Table()
    _realign(rows, ncols, table)
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
    return table if table.values else None


def _realign(rows: dict[str, list[Token]], ncols: int, table: Table) -> None:
    """Short rows of layout text (blank cells lost) placed by column position."""
    full = [t for t in rows.values() if len(t) == ncols and all(x.col >= 0 and not x.in_grid for x in t)]
    short = {k: t for k, t in rows.items() if 0 < len(t) < ncols and all(x.col >= 0 and not x.in_grid for x in t)}
    if not short or len(full) < 3:
        return
    ends = [statistics.median(row[i].col + len(row[i].text) for row in full) for i in range(ncols)]
    for key, toks in short.items():
        slots: list[int] = []
        for t in toks:
            end = t.col + len(t.text)
            slots.append(min(range(ncols), key=lambda i: abs(ends[i] - end)))
        if len(set(slots)) != len(slots) or slots != sorted(slots):
            continue
        filled = [Token("", Value(None, ""), -1) for _ in range(ncols)]
        for s, t in zip(slots, toks):
            filled[s] = t
        rows[key] = filled
        table.warnings.append(
            f"applications: row {key} had {len(toks)} of {ncols} cells; placed by column position, "
            "the missing cells read as blank")


def _split_run_together(toks: list[Token], blocks: int, size: int) -> list[Token] | None:
    """Cells that text extraction glued together, split again when only one split adds up."""
    raws = [t.value.raw for t in toks]
    if not all(r.isdigit() for r in raws) or all(len(r) == 1 for r in raws) and len(raws) < blocks * size - 1:
        return None
    numbers = split_runs(raws, blocks, size)
    if numbers is None:
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


def read_active_disclosure(lines: list[Line], template: str) -> Table | None:
    """Table 2 (主动公开政府信息情况), with the columns of the given template."""
    spec = ACTIVE_2019 if template == "2019" else ACTIVE_2021
    tokens = tokenize(lines)
    rows: dict[str, list[Token]] = {}
    order: list[str] = []
    buffer = ""
    current = None
    for tok in tokens:
        if tok.value is None:
            buffer = (buffer + tight(tok.text))[-LABEL_WINDOW:]
            key = match_active_row(buffer)
            if key is not None and key in spec:
                current = None if (key in rows and len(rows[key]) >= len(spec[key])) else key
            elif key is not None:
                current = None
            continue
        buffer = ""
        if current is None:
            continue
        rows.setdefault(current, [])
        if current not in order:
            order.append(current)
        if len(rows[current]) < len(spec[current]):
            rows[current].append(tok)
    if not rows:
        return None
    region_text = "".join(tight(line.text) for line in lines)
    yuan_header = bool(re.search(r"单位[:：]?元|\(元\)|（元）", region_text))
    table = Table()
    for key in order:
        cols = spec[key]
        toks = rows[key]
        if len(toks) < len(cols) and "".join(t.value.raw for t in toks).isdigit() \
                and len("".join(t.value.raw for t in toks)) == len(cols):
            # as many digits as cells: the only split is one digit a cell
            digits = "".join(t.value.raw for t in toks)
            toks = [Token(d, Value(int(d), d), -1) for d in digits]
            table.warnings.append(f"active_disclosure: row {key} has its cells run together ({digits}); "
                                  "split one digit a cell")
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
    return table if table.values else None


# ------------------------------------------------------------------- table 4

_T4_HEADER = re.compile(r"维持|纠正|审结|其他结果")


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
    picked: list[Token] = []
    for tok in tokenize(lines[start:]):
        if tok.value is None:
            continue
        if tok.in_grid and tok.row_values < 5:
            continue   # a stray cell in a header row, not the row of numbers
        picked.append(tok)
        if len(picked) == need:
            break
    if not any(t.value.number is not None for t in picked) and len(picked) < need:
        return None
    table = Table()
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
