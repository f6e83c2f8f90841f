"""Compare a parsed record with a hand-checked expected record, field by field."""
from __future__ import annotations

SCALAR_FIELDS = ("title", "agency", "report_year", "publish_date", "publish_datetime",
                 "source", "clicks", "template", "kind")
TABLES = ("active_disclosure", "applications", "reviews_litigation")


def field_diffs(record: dict, expected: dict) -> tuple[int, list[str]]:
    """(number of expected fields compared, list of differences)."""
    n, diffs = 0, []
    for f in SCALAR_FIELDS:
        if f in expected:
            n += 1
            if record.get(f) != expected[f]:
                diffs.append(f"{f}: got {record.get(f)!r}, expected {expected[f]!r}")
    if "sections" in expected:
        got = [(s["number"], s["heading"]) for s in record.get("sections") or []]
        for s in expected["sections"] or []:
            n += 1
            if (s["number"], s["heading"]) not in got:
                diffs.append(f"section {s['number']} {s['heading']!r} missing (got {got})")
    for t in TABLES:
        if t not in expected:
            continue
        exp, rec = expected[t], record.get(t)
        if exp is None:
            n += 1
            if rec is not None:
                diffs.append(f"{t}: expected null, got a table")
            continue
        for row, cols in exp.items():
            for col, value in cols.items():
                n += 1
                got = ((rec or {}).get(row) or {}).get(col)
                if got != value:
                    diffs.append(f"{t}.{row}.{col}: got {got!r}, expected {value!r}")
    if "balance_ok" in expected:
        n += 1
        if record.get("balance_ok") != expected["balance_ok"]:
            diffs.append(f"balance_ok: got {record.get('balance_ok')!r}, expected {expected['balance_ok']!r}")
    return n, diffs
