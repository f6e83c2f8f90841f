"""PDF layout text loses blank cells; the tables must still come out right.

Each fixture report page is turned into the text a PDF layout extraction gives:
one line per table row, labels on the left, every other cell at its column's
position, blank cells (empty, /, —, 无) printed as nothing. Tables 2, 3 and 4 must
reproduce every value of the page's expected record, placed by column position.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipelines import parse_document
from pipelines.decode import decode_bytes
from pipelines.document import from_html
from tests.expected import field_diffs

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
BLANKS = {"", "/", "—", "无", "-", "\xa0"}
NUMBER = re.compile(r"[\d,.\-]+")
SLOT = 12


def as_layout_text(page: bytes, title: str) -> str:
    text, _, _ = decode_bytes(page)
    lines = from_html(text).lines
    first_value_col = {}
    for line in lines:
        if line.table is not None:
            for c in line.cells:
                if NUMBER.fullmatch(c.text):
                    first_value_col[line.table] = min(first_value_col.get(line.table, 99), c.col)
    out = [title]
    for line in lines:
        if line.table is None:
            out.append(line.text)
            continue
        first = first_value_col.get(line.table, 1)
        labels, placed = "", []
        for c in line.cells:
            if not c.origin:
                continue
            t = "" if c.text in BLANKS else c.text
            if c.col < first:
                labels += t + "  "
            else:
                placed.append((c.col - first, t))
        row = labels.ljust(60)
        for k, t in placed:
            end = 60 + SLOT * k + SLOT - 2
            row = row.ljust(end)
            if t:
                row = row[:end - len(t)] + t
        out.append(row.rstrip())
    return "\n".join(out)


def _reports():
    for exp in sorted(FIXTURES.glob("*.expected.json")):
        record = json.loads(exp.read_text(encoding="utf-8"))
        if record.get("kind") == "report":
            yield exp


@pytest.mark.parametrize("expected", list(_reports()), ids=lambda p: p.name.split(".")[0])
def test_tables_survive_lost_blank_cells(expected):
    exp = json.loads(expected.read_text(encoding="utf-8"))
    page = expected.with_name(expected.name.replace(".expected.json", ".html")).read_bytes()
    text = as_layout_text(page, exp["title"])
    record = parse_document(text)
    tables = {k: exp[k] for k in ("active_disclosure", "applications", "reviews_litigation", "template")}
    n, diffs = field_diffs(record, tables)
    assert diffs == []
    assert n > 100
