"""The identities a report states about its own tables, checked.

Each check is ``pass``, ``fail``, ``warn`` or ``not_assessable`` with a detail a
person can verify against the page. ``tables_read`` says ``warn`` when a table or a
key row of a 2019+ report could not be read, so such a report's ``check_status``
is never ``pass``.
"""
from __future__ import annotations

from .labels import ACTIVE_2019, ACTIVE_2021, APPLICANT_COLUMNS, APPLICATION_ROWS, RESULT_ROWS, REVIEW_BLOCKS, REVIEW_COLUMNS

TABLES = ("active_disclosure", "applications", "reviews_litigation")


def _check(name: str, status: str, detail: str) -> dict:
    return {"name": name, "status": status, "detail": detail}


def _fmt(n) -> str:
    return str(n)


def applications_balance(app: dict | None) -> dict:
    """new_received + carried_over = total_handled + carried_forward, per column."""
    name = "applications_balance"
    need = ("new_received", "carried_over", "total_handled", "carried_forward")
    if not app or any(r not in app for r in need):
        missing = [r for r in need if not app or r not in app]
        return _check(name, "not_assessable", "missing rows: " + ", ".join(missing))
    bad = []
    for c in APPLICANT_COLUMNS:
        a, b, t, f = (app[r][c] for r in need)
        if a + b != t + f:
            bad.append(f"{c}: {a}+{b} ≠ {t}+{f}")
    t = {r: app[r]["total"] for r in need}
    summary = f"{t['new_received']}+{t['carried_over']} = {t['total_handled']}+{t['carried_forward']}"
    if bad:
        return _check(name, "fail", "; ".join(bad))
    return _check(name, "pass", summary)


def applications_total_column(app: dict | None) -> dict:
    """total = the sum of the six applicant columns, in every row."""
    name = "applications_total_column"
    if not app:
        return _check(name, "not_assessable", "no table 3")
    bad = []
    for row, cells in app.items():
        parts = sum(cells[c] for c in APPLICANT_COLUMNS[:-1])
        if parts != cells["total"]:
            bad.append(f"{row}: {parts} ≠ {cells['total']}")
    if bad:
        return _check(name, "fail", "; ".join(bad))
    return _check(name, "pass", f"{len(app)} rows")


def applications_total_handled(app: dict | None) -> dict:
    """total_handled = the sum of the result rows, per column."""
    name = "applications_total_handled"
    results = [r for r in RESULT_ROWS if app and r in app]
    if not app or "total_handled" not in app or not results:
        return _check(name, "not_assessable", "no 总计 row or no result rows")
    # a merged （六）其他处理 row and its sub-rows never both count
    if "other" in results and any(r.startswith("other.") for r in results):
        results = [r for r in results if r != "other"]
    bad = []
    for c in APPLICANT_COLUMNS:
        s = sum(app[r][c] for r in results)
        if s != app["total_handled"][c]:
            bad.append(f"{c}: {s} ≠ {app['total_handled'][c]}")
    if bad:
        return _check(name, "fail", f"sum of {len(results)} result rows: " + "; ".join(bad))
    return _check(name, "pass", f"sum of {len(results)} result rows = {app['total_handled']['total']}")


def review_totals(rev: dict | None) -> list[dict]:
    """In each table-4 block, total = upheld + corrected + other + pending."""
    out = []
    for block in REVIEW_BLOCKS:
        name = f"{block}_total"
        if not rev or block not in rev:
            out.append(_check(name, "not_assessable", "no table 4"))
            continue
        b = rev[block]
        parts = [b[c] for c in REVIEW_COLUMNS[:4]]
        expr = "+".join(_fmt(p) for p in parts)
        if sum(parts) == b["total"]:
            out.append(_check(name, "pass", f"{expr} = {b['total']}"))
        else:
            out.append(_check(name, "fail", f"{expr} = {sum(parts)} ≠ {b['total']}"))
    return out


def missing_parts(record: dict) -> tuple[list[str], list[str]]:
    """(tables not read, rows left out of the tables that were) of a 2019+ report."""
    tables = [t for t in TABLES if not record.get(t)]
    rows = []
    app = record.get("applications")
    if app:
        # every row of the template; （六） is one merged row or its sub-rows (3.其他 is optional)
        need = [r for r in APPLICATION_ROWS if not r.startswith("other")]
        if "other" not in app:
            need += ["other.no_correction", "other.no_fee"]
        rows += [f"applications.{r}" for r in APPLICATION_ROWS if r in need and r not in app]
    rev = record.get("reviews_litigation")
    if rev:
        rows += [f"reviews_litigation.{b}" for b in REVIEW_BLOCKS if b not in rev]
    act = record.get("active_disclosure")
    if act:
        spec = ACTIVE_2019 if record.get("template") == "2019" else ACTIVE_2021
        rows += [f"active_disclosure.{r}" for r in spec if r not in act]
    return tables, rows


def tables_read(record: dict) -> dict:
    """Whether the three standard tables were read whole: ``warn`` naming what is missing.

    A 2019+ report always has them; one the parser could not read must not look
    checked and clean. Pre-2019 layouts have no such tables (not_assessable).
    """
    name = "tables_read"
    if record.get("template") == "old" or (record.get("report_year") or 9999) < 2019:
        return _check(name, "not_assessable", "pre-2019 layout: no standard tables")
    tables, rows = missing_parts(record)
    if not tables and not rows:
        return _check(name, "pass", "tables 2, 3 and 4 read")
    parts = []
    if tables:
        parts.append("not read: " + ", ".join(tables))
    if rows:
        parts.append("rows left out: " + ", ".join(rows))
    return _check(name, "warn", "; ".join(parts))


def run_checks(record: dict) -> list[dict]:
    app = record.get("applications")
    return [tables_read(record), applications_balance(app), applications_total_column(app),
            applications_total_handled(app), *review_totals(record.get("reviews_litigation"))]
