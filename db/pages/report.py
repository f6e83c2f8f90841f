"""One report as a person reads it (``/report/{id}``) and its archived original
(``/report/{id}/original/{version_id}``); routes registered by :mod:`db.pages`.

Everything is read from the archive the server was started on (the first database with a ``reports`` table); the
labels come from its ``labels`` table (db/labels.py). Stored text is escaped by Jinja's
autoescape; the archived bytes are served only to a sandboxed frame, with a Content-Security-
Policy that forbids scripts and every load from elsewhere.
"""
from __future__ import annotations

import difflib
import re
import zlib

from datasette.utils import tilde_encode
from datasette.utils.asgi import NotFound, Response

from .. import labels as L

# the archived page, as served to its frame: no script, no plugin, nothing loaded from anywhere
# (images and styles inline only), no forms, no navigation of the top page
ORIGINAL_CSP = ("sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
                "font-src data:; form-action 'none'; frame-ancestors 'self'; base-uri 'none'")


async def archive_db(datasette):
    """The served archive: the first database that has a ``reports`` table."""
    for name, db in datasette.databases.items():
        if name.startswith("_"):
            continue
        if await db.table_exists("reports"):
            return db
    raise NotFound("no archive with a reports table is served")


async def rows(db, sql: str, params=()) -> list[dict]:
    result = await db.execute(sql, params)
    cols = [c for c in result.columns]
    return [dict(zip(cols, r)) for r in result.rows]


async def label_map(db) -> dict:
    if await db.table_exists("labels"):
        return L.label_map((await db.execute(
            "select table_name, kind, key, zh, en from labels")).rows)
    return L.label_map(L.LABELS)


def cell_url(dbname: str, version_id: int, table: str, row: str, col: str) -> str:
    """The Datasette row page of one ``cells`` row (its primary key, tilde-encoded)."""
    pk = ",".join(tilde_encode(str(p)) for p in (version_id, table, row, col))
    return f"/{tilde_encode(dbname)}/cells/{pk}"


def fmt_value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.4f}".rstrip("0").rstrip(".")
    return f"{v:,}" if isinstance(v, int) else str(v)


def cell_view(dbname: str, cell: dict | None, version_id: int, table: str, row: str, col: str) -> dict:
    """What a table cell of the page shows: the number, the hover text, the link."""
    if cell is None:
        return {"text": "", "title": "not in this report", "url": None, "derived": False}
    raw = cell.get("raw")
    hover = f"印作 printed as “{raw}”" if raw not in (None, "") else "原表空白 blank in the report"
    if cell.get("derived"):
        hover += " · 推算 derived by the parser (not printed)"
    hover += f" · cells: {table} / {row} / {col}"
    return {"text": fmt_value(cell.get("value")), "title": hover, "derived": bool(cell.get("derived")),
            "url": cell_url(dbname, version_id, table, row, col)}


def build_tables(dbname: str, version_id: int, template: str | None, cells: list[dict],
                 lab: dict) -> list[dict]:
    """Tables 2, 3 and 4 laid out as the national template prints them."""
    by = {(c["table_name"], c["row_key"], c["col_key"]): c for c in cells}
    present = {c["table_name"] for c in cells}

    def zh(table, kind, key):
        return lab.get((table, kind, key), (key, key))

    out = []
    if "active_disclosure" in present:
        t = "active_disclosure"
        layout = L.ACTIVE_LAYOUT["2019" if template == "2019" else "2021"]
        blocks = []
        for article, row_keys, col_keys in layout:
            blocks.append({
                "article": article,
                "cols": [zh(t, "col", c) for c in col_keys],
                "rows": [{"key": r, "label": zh(t, "row", r),
                          "cells": [cell_view(dbname, by.get((t, r, c)), version_id, t, r, c)
                                    for c in col_keys]} for r in row_keys],
            })
        out.append({"name": t, "title": L.TABLE_TITLES[t], "kind": "blocks", "blocks": blocks})
    if "applications" in present:
        t = "applications"
        row_keys = [r for r in L.APPLICATION_ROWS if any((t, r, c) in by for c in L.APPLICANT_COLUMNS)]
        out.append({
            "name": t, "title": L.TABLE_TITLES[t], "kind": "grid",
            "cols": [{"key": c, "label": zh(t, "col", c)} for c in L.APPLICANT_COLUMNS],
            "rows": [{"key": r, "label": zh(t, "row", r),
                      "cells": [cell_view(dbname, by.get((t, r, c)), version_id, t, r, c)
                                for c in L.APPLICANT_COLUMNS]} for r in row_keys],
        })
    if "reviews_litigation" in present:
        t = "reviews_litigation"
        out.append({
            "name": t, "title": L.TABLE_TITLES[t], "kind": "reviews",
            "blocks": [{"key": b, "label": zh(t, "row", b),
                        "cells": [cell_view(dbname, by.get((t, b, c)), version_id, t, b, c)
                                  for c in L.REVIEW_COLUMNS]} for b in L.REVIEW_BLOCKS],
            "cols": [{"key": c, "label": zh(t, "col", c)} for c in L.REVIEW_COLUMNS],
        })
    return out


_NUM_SUM = r"-?\d+(?:\.\d+)?(?:\s*[+＋]\s*-?\d+(?:\.\d+)?)*"
_GAP = re.compile(rf"({_NUM_SUM})\s*≠\s*(?:\S+\s+)?(?:\S+\s+)?({_NUM_SUM})")


def _sum(expr: str) -> float:
    return sum(float(x) for x in re.split(r"\s*[+＋]\s*", expr.strip()))


def check_gaps(detail: str | None) -> list[str]:
    """'a+b ≠ c+d' comparisons in a check's detail, with the difference of the two sides."""
    out = []
    for part in re.split(r"[;；]", detail or ""):
        m = _GAP.search(part)
        if not m:
            continue
        left, right = _sum(m.group(1)), _sum(m.group(2))
        diff = left - right
        label = part[: m.start()].strip(" :：=") or ""
        out.append(f"{label + ': ' if label else ''}{fmt_value(_num(left))} vs {fmt_value(_num(right))}"
                   f", off by {fmt_value(_num(abs(diff)))}")
    return out


def _num(x: float):
    return int(x) if float(x).is_integer() else x


def _key_words(text: str, lab: dict) -> str:
    """A check's detail with the table keys it names in Chinese (natural_person → 自然人)."""
    words = {k: v[0] for (t, kind, k), v in lab.items()
             if t in ("applications", "reviews_litigation") and "." not in k and k.isascii()}
    return re.sub(r"\b[a-z][a-z_]+\b", lambda m: words.get(m.group(0), m.group(0)), text)


def check_view(check: dict, lab: dict | None = None) -> dict:
    zh, en = L.CHECK_WORDS.get(check["name"], ("", ""))
    if not zh and check["name"].startswith("crossyear_"):
        zh, en = "跨年度核对", "cross-year check against the agency's previous report"
    return {**check, "zh": zh, "en": en, "status_words": L.STATUS_WORDS.get(check["status"], check["status"]),
            "gaps": [_key_words(g, lab or {}) for g in check_gaps(check.get("detail"))]
            if check["status"] in ("fail", "warn") else []}


def clicks_svg(points: list[dict], width: int = 320, height: int = 70) -> dict | None:
    """A small line chart of the click series (observed_at, clicks): SVG coordinates."""
    if not points:
        return None
    vals = [p["clicks"] for p in points]
    lo, hi = min(vals), max(vals)
    n = len(points)
    pad = 6
    coords = []
    for i, p in enumerate(points):
        x = pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5)
        y = height - pad - (height - 2 * pad) * ((p["clicks"] - lo) / (hi - lo) if hi > lo else 0.5)
        coords.append({"x": round(x, 1), "y": round(y, 1), "clicks": p["clicks"],
                       "at": p["observed_at"], "source": p.get("source")})
    return {"width": width, "height": height, "points": coords,
            "polyline": " ".join(f"{c['x']},{c['y']}" for c in coords), "lo": lo, "hi": hi}


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。；;！？\n])", text or "") if s.strip()]


def diff_versions(old: dict, new: dict, lab: dict) -> dict:
    """What changed from one version to the next: cells (old → new) and section text."""
    oc, nc = old["cells"], new["cells"]
    cells = []
    for key in sorted(set(oc) | set(nc)):
        a, b = oc.get(key), nc.get(key)
        if (a or {}).get("value") != (b or {}).get("value") or (a is None) != (b is None):
            t, r, c = key
            cells.append({"table": L.TABLE_TITLES.get(t, (t,))[0].split(" ")[0],
                          "row": lab.get((t, "row", r), (r,))[0], "col": lab.get((t, "col", c), (c,))[0],
                          "old": fmt_value((a or {}).get("value")) if a else "—",
                          "new": fmt_value((b or {}).get("value")) if b else "—"})
    osec = {s["number"]: s for s in old["sections"]}
    nsec = {s["number"]: s for s in new["sections"]}
    sections = []
    for num in sorted(set(osec) | set(nsec), key=lambda x: (x is None, x)):
        a, b = osec.get(num), nsec.get(num)
        ta, tb = (a or {}).get("text") or "", (b or {}).get("text") or ""
        if ta == tb and (a or {}).get("heading") == (b or {}).get("heading"):
            continue
        sa, sb = _sentences(ta), _sentences(tb)
        removed, added = [], []
        for op in difflib.ndiff(sa, sb):
            if op.startswith("- "):
                removed.append(op[2:].strip())
            elif op.startswith("+ "):
                added.append(op[2:].strip())
        sections.append({"number": num, "heading": (b or a or {}).get("heading"),
                         "similarity": round(difflib.SequenceMatcher(None, ta, tb).quick_ratio(), 2),
                         "removed": removed[:8], "added": added[:8],
                         "more": max(0, len(removed) - 8) + max(0, len(added) - 8)})
    return {"from": old["id"], "to": new["id"], "cells": cells, "sections": sections,
            "same_content": not cells and not sections}


async def report_context(datasette, report_id: int) -> dict:
    db = await archive_db(datasette)
    found = await rows(db, """
        select r.*, a.name as agency_name, a.linked_region_code, a.level as agency_level,
          rg.full_name as region_full_name
        from reports r left join agencies a on a.id = r.agency_id
        left join regions rg on rg.code = coalesce(a.linked_region_code, r.region_code)
        where r.id = ?""", (report_id,)) if await db.table_exists("regions") else await rows(db, """
        select r.*, a.name as agency_name, null as linked_region_code, a.level as agency_level,
          null as region_full_name
        from reports r left join agencies a on a.id = r.agency_id where r.id = ?""", (report_id,))
    if not found:
        raise NotFound(f"no report {report_id}")
    report = found[0]
    lab = await label_map(db)
    vid = report["version_id"]
    versions = await rows(db, """select id, sha256, fetched_at, last_fetched_at, http_status, final_url,
        encoding, raw_size, content_type, parser_version from versions where report_id = ? order by id""",
                          (report_id,))
    cells = await rows(db, "select * from cells where version_id = ?", (vid,))
    sections = await rows(db, "select id, number, heading, text from sections where version_id = ? order by id",
                          (vid,))
    checks = await rows(db, "select id, name, status, detail from checks where version_id = ? "
                            "order by case status when 'fail' then 0 when 'warn' then 1 else 2 end, id", (vid,))
    clicks = await rows(db, "select observed_at, clicks, source from click_observations "
                            "where report_id = ? order by observed_at, id", (report_id,))
    # what changed between consecutive versions
    changes = []
    if len(versions) > 1:
        loaded = []
        for v in versions:
            vc = await rows(db, "select table_name, row_key, col_key, value from cells where version_id = ?",
                            (v["id"],))
            vs = await rows(db, "select number, heading, text from sections where version_id = ? order by id",
                            (v["id"],))
            loaded.append({"id": v["id"], "cells": {(c["table_name"], c["row_key"], c["col_key"]): c for c in vc},
                           "sections": vs})
        for a, b in zip(loaded, loaded[1:]):
            changes.append(diff_versions(a, b, lab))
    # the same agency's other reports (the comparison across years is one click away)
    others = await rows(db, """select id, report_year, title, publish_date from reports
        where agency_id = ? and id != ? order by report_year desc, id""", (report["agency_id"], report_id)) \
        if report["agency_id"] is not None else []
    current = next((v for v in versions if v["id"] == vid), None)
    is_html = bool(current and "html" in (current["content_type"] or "text/html"))
    return {
        "dbname": db.name,
        "report": report,
        "tables": build_tables(db.name, vid, report["template"], cells, lab),
        "sections": sections,
        "checks": [check_view(c, lab) for c in checks],
        "failed": sum(1 for c in checks if c["status"] == "fail"),
        "clicks": clicks, "chart": clicks_svg(clicks),
        "versions": versions, "changes": changes, "current": current, "original_is_html": is_html,
        "others": others,
        "region_code": report["linked_region_code"] or report["region_code"],
    }


async def report_page(datasette, request):
    report_id = int(request.url_vars["id"])
    context = await report_context(datasette, report_id)
    html = await datasette.render_template("xxgk_report.html", context, request=request)
    return Response.html(html)


async def original_page(datasette, request):
    """The archived bytes of one version, for a sandboxed frame (HTML) or as a download."""
    report_id, version_id = int(request.url_vars["id"]), int(request.url_vars["version"])
    db = await archive_db(datasette)
    found = (await db.execute("select raw, raw_compression, content_type, encoding from versions "
                              "where id = ? and report_id = ?", (version_id, report_id))).rows
    if not found or found[0][0] is None:
        raise NotFound(f"no archived bytes for version {version_id} of report {report_id}")
    raw, compression, ctype, encoding = found[0]
    body = zlib.decompress(raw) if compression == "zlib" else bytes(raw)
    ctype = (ctype or "text/html").split(";")[0].strip().lower()
    headers = {"Content-Security-Policy": ORIGINAL_CSP, "X-Content-Type-Options": "nosniff",
               "Referrer-Policy": "no-referrer", "Cache-Control": "private, max-age=3600"}
    if ctype in ("text/html", "text/plain") and request.args.get("download") is None:
        charset = encoding or "utf-8"
        return Response(body, status=200, headers=headers, content_type=f"{ctype}; charset={charset}")
    ext = {"application/pdf": "pdf", "text/html": "html", "text/plain": "txt"}.get(ctype, "bin")
    headers["Content-Disposition"] = f'attachment; filename="report-{report_id}-v{version_id}.{ext}"'
    return Response(body, status=200, headers=headers, content_type="application/octet-stream")


