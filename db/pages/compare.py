"""Comparisons: one agency across years (``/agency/{id}``) and one region's agencies, their
figures and their late or missing reports (``/region/{code}``)."""
from __future__ import annotations

from datasette.utils.asgi import NotFound, Response

from .. import labels as L
from .report import archive_db, cell_url, fmt_value, label_map, rows

STATUS_ZH = {"on_time": "按时", "late": "逾期", "missing": "未见", "found_undated": "无日期",
             "not_yet_due": "未到期", "not_covered": "未覆盖"}

# the figures of a region's table (table 3's totals and table 4's totals)
KEY_FIGURES = [("applications", "new_received", "total"), ("applications", "granted", "total"),
               ("applications", "partially_granted", "total"), ("applications", "total_handled", "total"),
               ("reviews_litigation", "review", "total"), ("reviews_litigation", "litigation_direct", "total"),
               ("reviews_litigation", "litigation_after_review", "total")]


def bars_svg(values: list[tuple[str, float | None]], width: int = 420, height: int = 120) -> dict | None:
    """A small bar chart: (label, value) pairs as SVG rectangles."""
    vals = [v for _, v in values if v is not None]
    if not vals or not any(vals):
        return None
    hi = max(vals) or 1
    n = len(values)
    slot = (width - 20) / n
    bars = []
    for i, (label, v) in enumerate(values):
        h = 0 if v is None else (height - 34) * v / hi
        bars.append({"x": round(10 + i * slot + slot * 0.15, 1), "w": round(slot * 0.7, 1),
                     "y": round(height - 18 - h, 1), "h": round(h, 1), "label": label,
                     "value": "" if v is None else fmt_value(v), "lx": round(10 + i * slot + slot / 2, 1)})
    return {"width": width, "height": height, "bars": bars, "base": height - 18}


async def agency_context(datasette, agency_id: int) -> dict:
    db = await archive_db(datasette)
    found = await rows(db, """select a.*, rg.full_name as region_full_name from agencies a
        left join regions rg on rg.code = coalesce(a.linked_region_code, a.region_code) where a.id = ?""",
                       (agency_id,))
    if not found:
        raise NotFound(f"no agency {agency_id}")
    agency = found[0]
    lab = await label_map(db)
    # the publisher's reports under every spelling of its name (entity_key), one per year: the kind 'report' with the most cells (a duplicate copy is listed too)
    reports = await rows(db, """select r.id, r.title, r.report_year, r.publish_date, r.version_id, r.template,
          r.check_status, (select count(*) from cells c where c.version_id = r.version_id) as n_cells
        from reports r where coalesce(r.kind, 'report') = 'report' and r.agency_id in (
          select id from agencies where id = ? or entity_key = ?)
        order by r.report_year, n_cells desc, r.id""", (agency_id, agency.get("entity_key") or ""))
    years, by_year = [], {}
    for r in reports:
        if r["report_year"] is not None and r["report_year"] not in by_year:
            by_year[r["report_year"]] = r
            years.append(r["report_year"])
    cells = {}
    for y in years:
        r = by_year[y]
        for c in await rows(db, "select table_name, row_key, col_key, value, raw, derived from cells "
                                "where version_id = ?", (r["version_id"],)):
            cells[(y, c["table_name"], c["row_key"], c["col_key"])] = c

    def series(table, row, col):
        out, prev = [], None
        for y in years:
            c = cells.get((y, table, row, col))
            v = None if c is None else c["value"]
            changed = prev is not None and v is not None and v != prev
            delta = (v - prev) if changed else None
            out.append({"year": y, "text": fmt_value(v), "changed": changed,
                        "delta": ("+" if delta and delta > 0 else "") + fmt_value(delta) if changed else "",
                        "url": cell_url(db.name, by_year[y]["version_id"], table, row, col) if c else None,
                        "title": (f"{y} 印作 “{c['raw']}”" + (" · 推算 derived" if c["derived"] else "")) if c else ""})
            if v is not None:
                prev = v
        return out

    def table_rows(table, row_keys, col_keys):
        out = []
        for r in row_keys:
            for c in col_keys:
                s = series(table, r, c)
                if all(x["text"] == "" for x in s):
                    continue
                out.append({"row": lab.get((table, "row", r), (r, r)), "col": lab.get((table, "col", c), (c, c)),
                            "key": f"{r}/{c}", "series": s})
        return out

    t3 = table_rows("applications", L.APPLICATION_ROWS, ["total"])
    t4 = table_rows("reviews_litigation", L.REVIEW_BLOCKS, L.REVIEW_COLUMNS)
    t2 = table_rows("active_disclosure", list(L._ACTIVE_ROWS), list(L._ACTIVE_COLUMNS))
    chart = bars_svg([(str(y), (cells.get((y, "applications", "new_received", "total")) or {}).get("value"))
                      for y in years])
    return {"dbname": db.name, "agency": agency, "reports": reports, "years": years, "by_year": by_year,
            "t2": t2, "t3": t3, "t4": t4, "chart": chart,
            "region_code": agency["linked_region_code"] or agency["region_code"]}


async def agency_page(datasette, request):
    context = await agency_context(datasette, int(request.url_vars["id"]))
    return Response.html(await datasette.render_template("xxgk_agency.html", context, request=request))


def _days(a: str, b: str) -> int:
    import datetime as dt
    return (dt.date.fromisoformat(a[:10]) - dt.date.fromisoformat(b[:10])).days


def _region_filter(code: str, level: str | None) -> tuple[str, str]:
    """The coverage rows of a region and the regions under it."""
    if level == "province":
        return "c.region_code like ?", code[:2] + "%"
    if level == "prefecture":
        return "c.region_code like ?", code[:4] + "%"
    return "c.region_code = ?", code


async def region_context(datasette, code: str, year: str | None) -> dict:
    db = await archive_db(datasette)
    found = await rows(db, "select * from regions where code = ?", (code,))
    region = found[0] if found else None
    if region is None and not (await db.execute("select 1 from agencies where coalesce(linked_region_code, "
                                                "region_code) = ? limit 1", (code,))).rows:
        raise NotFound(f"no region {code}")
    where, param = _region_filter(code, region and region["level"])
    coverage = await rows(db, f"""select c.* from coverage_agencies c where {where}
        order by c.level, c.agency, c.report_year""", (param,))
    years = sorted({c["report_year"] for c in coverage if c["report_year"] is not None})
    year = int(year) if year and year.isdigit() else (years[-1] if years else None)
    # agencies × years: status of each
    agencies: dict = {}
    for c in coverage:
        a = agencies.setdefault(c["entity_key"], {"agency": c["agency"], "agency_id": c["agency_id"],
                                                  "level": c["level"], "region_name": c["region_name"],
                                                  "years": {}})
        a["years"][c["report_year"]] = c
    matrix = sorted(agencies.values(), key=lambda a: ({"government": 0, "department": 1}.get(a["level"], 2),
                                                      a["agency"] or ""))
    # late: every archived report of the region published after its deadline (any year, as the
    # late_reports query); missing: from the coverage register (from coverage_first_year)
    where_r = where.replace("c.region_code", "coalesce(ag.linked_region_code, r.region_code)")
    late = await rows(db, f"""select * from (
        select r.report_year, ag.name as agency, r.agency_id, ag.level, 'late' as status, r.id as report_id,
          r.publish_date, (r.report_year + 1) || case when r.report_year < 2019 or ag.level = 'government'
            then '-03-31' else '-01-31' end as deadline
        from reports r left join agencies ag on ag.id = r.agency_id
        where coalesce(r.kind, 'report') = 'report' and r.publish_date is not null and {where_r})
        where publish_date > deadline""", (param,))
    for c in late:
        c["days_late"] = int(_days(c["publish_date"], c["deadline"]))
    late += [c for c in coverage if c["status"] == "missing"]
    late.sort(key=lambda c: (c["report_year"] or 0, c["status"] != "missing", -(c["days_late"] or 0)), reverse=True)
    # the year's figures, per agency (levels kept apart: a department's figures are not a county's)
    figures = []
    if year is not None:
        for c in coverage:
            if c["report_year"] != year or not c["report_id"]:
                continue
            vals = {}
            for t, r, col in KEY_FIGURES:
                got = (await db.execute(
                    "select value from cells where version_id = (select version_id from reports where id = ?) "
                    "and table_name = ? and row_key = ? and col_key = ?", (c["report_id"], t, r, col))).rows
                vals[f"{t}/{r}"] = got[0][0] if got else None
            figures.append({"coverage": c, "values": [fmt_value(vals[f"{t}/{r}"]) for t, r, _ in KEY_FIGURES],
                            "raw": vals})
    lab = await label_map(db)
    heads = [lab.get((t, "row", r), (r, r)) for t, r, _ in KEY_FIGURES]
    levels = sorted({f["coverage"]["level"] for f in figures})
    charts = {lv: bars_svg([(f["coverage"]["agency"][-8:], f["raw"]["applications/new_received"])
                            for f in figures if f["coverage"]["level"] == lv], width=640)
              for lv in levels}
    return {"dbname": db.name, "code": code, "region": region, "years": years, "year": year,
            "matrix": matrix, "late": late, "figures": figures, "heads": heads, "charts": charts,
            "levels": levels, "status_zh": STATUS_ZH}


async def region_page(datasette, request):
    context = await region_context(datasette, request.url_vars["code"], request.args.get("year"))
    return Response.html(await datasette.render_template("xxgk_region.html", context, request=request))


async def regions_context(datasette) -> dict:
    """Every region with an agency in the archive, with its report count and late/missing count."""
    db = await archive_db(datasette)
    found = await rows(db, """
        with per as (select coalesce(a.linked_region_code, a.region_code) as code,
                       count(distinct coalesce(a.merged_into, a.id)) as agencies,
                       count(r.id) as reports, max(r.report_year) as latest
                     from agencies a left join reports r on r.agency_id = a.id group by 1),
             bad as (select code, sum(late) as late, sum(missing) as missing from (
                       select region_code as code, 0 as late, status = 'missing' as missing from coverage_agencies
                       union all
                       select coalesce(a.linked_region_code, r.region_code), r.publish_date > (r.report_year + 1) ||
                         case when r.report_year < 2019 or a.level = 'government' then '-03-31' else '-01-31' end, 0
                       from reports r join agencies a on a.id = r.agency_id
                       where coalesce(r.kind, 'report') = 'report' and r.publish_date is not null
                         and r.report_year is not null) group by 1)
        select per.*, coalesce(bad.late, 0) as late, coalesce(bad.missing, 0) as missing,
          rg.full_name, rg.level, rg.province_code
        from per left join bad on bad.code = per.code left join regions rg on rg.code = per.code
        where per.code is not null order by per.code""")
    return {"dbname": db.name, "regions": found}


async def regions_page(datasette, request):
    context = await regions_context(datasette)
    return Response.html(await datasette.render_template("xxgk_regions.html", context, request=request))
