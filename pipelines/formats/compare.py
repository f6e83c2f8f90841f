"""Two copies of one report (an HTML page and its attachment) compared cell by cell.

:func:`compare_copies` is pure: it takes two parsed records and returns one check
in the shape of :mod:`pipelines.checks` (``name``, ``status``, ``detail``). A
``fail`` names every cell whose numbers differ (``applications.granted.total:
12 ≠ 13``). A table only one copy has is named too but is not a failure (one
parse missed it, the numbers do not disagree); with no table in both copies,
or a copy that is not a report, there is nothing to compare: ``not_assessable``.
"""
from __future__ import annotations

TABLES = ("active_disclosure", "applications", "reviews_litigation")
MAX_NAMED = 40   # cells named in the detail; the rest are counted


def compare_copies(html_record: dict, attachment_record: dict) -> dict:
    check = {"name": "copies_agree", "status": "not_assessable", "detail": ""}
    a, b = html_record or {}, attachment_record or {}
    if a.get("kind") != "report" or b.get("kind") != "report":
        check["detail"] = (f"not both reports (page: {a.get('kind')}, attachment: {b.get('kind')})")
        return check
    differ: list[str] = []
    only: list[str] = []
    compared = 0
    ya, yb = a.get("report_year"), b.get("report_year")
    if ya is not None and yb is not None and ya != yb:
        differ.append(f"report_year: {ya} ≠ {yb}")
    for table in TABLES:
        ta, tb = a.get(table), b.get(table)
        if not ta and not tb:
            continue
        if not ta or not tb:
            only.append(f"{table} only in the {'attachment' if tb else 'page'}")
            continue
        for row in sorted(set(ta) | set(tb)):
            ra, rb = ta.get(row), tb.get(row)
            if not isinstance(ra, dict) or not isinstance(rb, dict):
                if ra is not None or rb is not None:
                    only.append(f"{table}.{row} only in the {'attachment' if rb is not None else 'page'}")
                continue
            for col in sorted(set(ra) | set(rb)):
                va, vb = ra.get(col), rb.get(col)
                if va is None or vb is None:
                    if va is not None or vb is not None:
                        only.append(f"{table}.{row}.{col} only in the {'attachment' if vb is not None else 'page'}")
                    continue
                compared += 1
                if not _same(va, vb):
                    differ.append(f"{table}.{row}.{col}: {_fmt(va)} ≠ {_fmt(vb)}")
    notes = _names(only)
    if differ:
        check["status"] = "fail"
        check["detail"] = ("page ≠ attachment: " + _names(differ)
                           + (f"; not compared: {notes}" if notes else ""))
    elif compared:
        check["status"] = "pass"
        check["detail"] = f"{compared} cells agree" + (f"; not compared: {notes}" if notes else "")
    else:
        check["detail"] = "no table in both copies" + (f" ({notes})" if notes else "")
    return check


def _same(x, y) -> bool:
    try:
        return abs(float(x) - float(y)) < 1e-6
    except (TypeError, ValueError):
        return x == y


def _fmt(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _names(items: list[str]) -> str:
    if len(items) <= MAX_NAMED:
        return "; ".join(items)
    return "; ".join(items[:MAX_NAMED]) + f"; and {len(items) - MAX_NAMED} more"
