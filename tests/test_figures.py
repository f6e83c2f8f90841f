"""report_figures (issue 16): one row per report with the figures the canned queries and dashboards
add up, kept current by the store, reparse and the register refresh (db/figures.py).

A generated archive — agencies linked to regions at every tier, spellings of one body merged,
a publisher-year served twice, a sample-province publisher, reports of another kind and without
a year, cells with no value, with text, with fractions, odd row keys — goes through new
versions, a revert, a re-parse, an incremental refresh, an unmerge and a level the store fills
in. After every step:

* ``report_figures`` equals a recomputation from scratch written with the old queries' own
  expressions (per report: the cells, the dedupe subquery, the tier subquery, the deadline);
* every rewritten canned query and dashboard panel returns the rows the old SQL (kept below,
  as it was in metadata.json) returns, for every tier filter and without one.
"""
from __future__ import annotations

import copy
import json
import random
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from db import figures, identity, schema
from db.register import refresh
from db.store import Archive
from pipelines.labels import APPLICANT_COLUMNS, APPLICATION_ROWS, REVIEW_BLOCKS, REVIEW_COLUMNS
from tests.browser_helpers import dashboard_sql

REPO = Path(__file__).resolve().parent.parent
META = json.loads((REPO / "metadata.json").read_text("utf-8"))
QUERIES = META["databases"]["archive"]["queries"]
CHARTS = {(d, c): chart["query"] for d, dash in META["plugins"]["datasette-dashboards"].items()
          for c, chart in dash["charts"].items()}
TIERS = [None, "county_government", "prefecture_government", "province_government", "department", "township"]

# ORDER BY columns of each query (positions in its rows): where they leave ties, the rows of a
# tie may come in either order, so the rows are compared as a multiset and the order by these
ORDER_KEYS = {
    "applications_by_year_and_region": (0, 3), "applications_year_over_year": (0, 1),
    "failed_checks": (4, 3, 0), "crossyear_failures": (5, 3, 2, 4), "report_history": (1, 0),
    "cells_of_report": (0, 2, 4),
    ("coverage", "application-trends"): (0,),
}

# ------------------------------------------------------------------------- the generated archive
PUBLISHERS = [
    # (name, meta region_code, meta level): the tier each lands in is what link_agencies makes of it
    ("淮安市洪泽区人民政府", "320813", "government"),      # county government
    ("洪泽区人民政府", "320813", "government"),            # … another spelling of it: one publisher
    ("洪泽区教育局", "320813", "department"),
    ("淮安市洪泽区教育局", "320813", "department"),        # merged into 洪泽区教育局 (same identity key)
    ("洪泽区城关镇人民政府", "320813", None),               # township (level from the name)
    ("淮安市人民政府", "320800", "government"),            # prefecture government
    ("江苏省人民政府", "320000", "government"),            # province government
    ("托里县交通运输局", "654224", "department"),          # another province
    ("县政府办公室", "320813", "department"),              # one name in two regions
    ("县政府办公室", "654224", "department"),
    ("清淮市教育局", "990000", "department"),              # the sample province: left out of panels
    ("某某委员会", None, None),                            # no region, no level
]
YEARS = (2018, 2019, 2020, 2021, 2022, 2023)


def _tables(rng: random.Random) -> tuple[dict, dict]:
    cols = [c for c in APPLICANT_COLUMNS if c != "total"]
    apps = {}
    for row in APPLICATION_ROWS:
        if row == "other":
            continue  # the 2019 template's one row; the 2021 rows other.* are nested under it
        vals = {c: rng.choice([0, 0, rng.randint(0, 9)]) for c in cols}
        vals["total"] = sum(vals.values())
        node = apps
        *parents, leaf = row.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = vals
    if rng.random() < 0.7:  # most balance: carried_forward closes the identity
        for c in [*cols, "total"]:
            inflow = apps["new_received"][c] + apps["carried_over"][c]
            apps["carried_forward"][c] = max(0, inflow - apps["total_handled"][c])
            apps["new_received"][c] = apps["total_handled"][c] + apps["carried_forward"][c] - apps["carried_over"][c]
    reviews = {}
    for row in REVIEW_BLOCKS:
        vals = {c: rng.choice([0, rng.randint(0, 6)]) for c in REVIEW_COLUMNS if c != "total"}
        vals["total"] = sum(vals.values())
        reviews[row] = vals
    return apps, reviews


def make_record(agency, year, rng, *, kind="report", publish_date=None, odd=False) -> dict:
    apps, reviews = _tables(rng)
    balanced = all(apps["new_received"][c] + apps["carried_over"][c]
                   == apps["total_handled"][c] + apps["carried_forward"][c] for c in APPLICANT_COLUMNS)
    rec = {
        "title": f"{agency or '无名'}{year}年政府信息公开工作年度报告", "agency": agency, "report_year": year,
        "publish_date": publish_date or (f"{year + 1}-{rng.choice([1, 2, 3, 4, 6]):02d}-{rng.randint(1, 28):02d}"
                                         if year else None),
        "kind": kind, "template": "2021", "parser_version": "test",
        "sections": [{"number": 1, "heading": "一、总体情况", "text": f"{agency}{year}"}],
        "active_disclosure": {"fees": {"amount": round(rng.uniform(0, 9), 2)}},
        "applications": apps, "reviews_litigation": reviews,
        "checks": [{"name": "applications_balance", "status": "pass" if balanced else "fail", "detail": ""},
                   {"name": "tables_read", "status": "pass", "detail": ""}],
    }
    if odd:
        # cells SQL sees in unusual shapes: an empty figure, one past SQLite's integers (stored
        # empty), text (one SQLite turns into a number, one it keeps), a fraction, row keys that
        # LIKE matches in another case or through '_', one no group names, a column only one
        # side of the balance has, a fourth block in table 4
        a = rec["applications"]
        a["new_received"]["total"] = None
        a["granted"]["total"] = 2.5
        a["unable"]["not_held"]["total"] = "7"
        a["other"]["misc"]["total"] = "abc"
        a["denied"]["third_party"]["total"] = 2 ** 70
        a["Denied"] = {"odd": {"total": 3}}
        a["notXhandled"] = {"y": {"total": 1}}
        a["mystery"] = {"total": 4}
        a["total_handled"]["lonely"] = 3
        a["new_received"]["empty"] = None
        rec["reviews_litigation"]["extra_block"] = {"corrected": 1, "upheld": 2, "pending": 5}
        rec["checks"].append({"name": "Applications_BALANCE_rows", "status": "fail", "detail": "odd"})
    return rec


def raw_of(rec: dict) -> bytes:
    return json.dumps(rec, ensure_ascii=False, sort_keys=True, default=str).encode()


def parse_stored(data: bytes, **_kw) -> dict:
    """reparse()'s parser here: the record is the stored bytes, changed as REPARSED says."""
    rec = json.loads(data)
    return REPARSED.get(rec["title"] + str(rec.get("report_year")), lambda r: r)(rec)


def _move_agency(rec):
    rec = copy.deepcopy(rec)
    rec["agency"] = "洪泽区财政局"   # a new agency (not linked until the next refresh)
    if rec.get("applications"):
        rec["applications"]["new_received"]["total"] = 555
    return rec


def _to_file(rec):
    rec = copy.deepcopy(rec)
    rec["kind"] = "image_only"
    return rec


REPARSED = {}


def url_of(i: int) -> str:
    return f"http://figures.test/{i}.html"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    path = tmp_path_factory.mktemp("figures") / "archive.db"
    archive = Archive(path)
    rng = random.Random(16)
    stored = {}  # url -> (record, meta)
    n = 0
    for name, code, level in PUBLISHERS:
        for year in YEARS:
            if name == "洪泽区人民政府" and year not in (2022, 2023):
                continue  # the second spelling: two years, both also published as the first
            rec = make_record(name, year, rng, odd=(name == "托里县交通运输局" and year == 2021))
            meta = {"url": url_of(n), "region_code": code, "level": level,
                    "region_name": None, "fetched_at": f"{year + 1}-06-01T00:00:00+00:00"}
            archive.store(rec, raw_of(rec), meta)
            stored[meta["url"]] = (rec, meta)
            n += 1
    # the same report served as a page and as a file (a second URL), and extra kinds
    extras = [
        (make_record("洪泽区教育局", 2020, rng), {"region_code": "320813", "level": "department"}),
        (make_record("淮安市人民政府", 2021, rng, kind="image_only"), {"region_code": "320800"}),
        (make_record("江苏省人民政府", None, rng), {"region_code": "320000"}),
        (make_record(None, 2022, rng), {}),
        (make_record("托里县交通运输局", 2019, rng, kind=None), {"region_code": "654224"}),
        # a report whose table 3 was not read (its balance check failed all the same), one
        # without table 4, and a year of one report without outcome rows or litigation blocks
        ({**make_record("淮安市人民政府", 2022, rng), "applications": None,
          "checks": [{"name": "applications_balance", "status": "fail", "detail": "no table"}]},
         {"region_code": "320800"}),
        ({**make_record("江苏省人民政府", 2020, rng), "reviews_litigation": {}}, {"region_code": "320000"}),
        ({**make_record("江苏省人民政府", 2017, rng), "applications": {"new_received": {"total": 3}},
          "reviews_litigation": {"review": {"upheld": 1}}}, {"region_code": "320000"}),
        # pre-2019 reports with the old statistics table
        *[({**make_record(name, 2016, rng), "applications": None, "reviews_litigation": None,
            "old_statistics": {"active_disclosed": {"this_year": 12 + i, "cumulative": 140},
                               "applications_received": {"this_year": i}, "fees": {"this_year": 0.5}},
            "old_statistics_units": {"active_disclosed": "条", "fees": "万元"}}, {"region_code": code})
          for i, (name, code) in enumerate((("洪泽区教育局", "320813"), ("淮安市人民政府", "320800")))],
    ]
    for rec, meta in extras:
        meta = {**meta, "url": url_of(n)}
        archive.store(rec, raw_of(rec), meta)
        stored[meta["url"]] = (rec, meta)
        n += 1
    archive.flush_index()
    return archive, stored, n


def reference(db) -> dict[int, dict]:
    """report_figures recomputed from scratch, per report, with the old queries' expressions."""
    conn = db.conn
    out = {}
    rows = conn.execute("SELECT id, version_id, agency_id, report_year, kind, region_code, region_name "
                        "FROM reports ORDER BY id").fetchall()
    counted = {i for (i,) in conn.execute(
        "select min(r2.id) from reports r2 join agencies a2 on a2.id = r2.agency_id "
        "where coalesce(r2.kind, 'report') = 'report' and r2.report_year is not null "
        "group by a2.entity_key, r2.report_year")}
    for rid, vid, agency_id, year, kind, region_code, region_name in rows:
        f = {"report_id": rid, "version_id": vid, "agency_id": agency_id, "report_year": year, "kind": kind,
             "region_code": region_code, "region_name": region_name}
        present = 0
        for key, bit in (("new_received", 1), ("carried_over", 2), ("total_handled", 4), ("carried_forward", 8)):
            cell = conn.execute("SELECT value FROM cells WHERE version_id = ? AND table_name = 'applications' "
                                "AND row_key = ? AND col_key = 'total'", (vid, key)).fetchone()
            f[key] = cell[0] if cell else None
            present |= bit if cell else 0
        groups = {g: (s, n) for g, s, n in conn.execute(
            # outcome_mix's grouping, per report
            """select case when c.row_key = 'granted' then 'granted'
                   when c.row_key = 'partially_granted' then 'partially_granted'
                   when c.row_key like 'denied.%' then 'denied'
                   when c.row_key like 'unable.%' then 'unable'
                   when c.row_key like 'not_handled.%' then 'not_handled'
                   else 'other' end as outcome, sum(c.value), count(*)
               from cells c where c.version_id = ? and c.table_name = 'applications' and c.col_key = 'total'
                 and c.row_key not in ('new_received', 'carried_over', 'total_handled', 'carried_forward')
               group by outcome""", (vid,))}
        for g, bit in (("granted", 16), ("partially_granted", 32), ("denied", 64), ("unable", 128),
                       ("not_handled", 256), ("other", 512)):
            f[g] = groups[g][0] if g in groups else None
            present |= bit if g in groups else 0
        blocks = {b: (c, d) for b, c, d in conn.execute(
            # corrected_share's sums, per report
            """select case when c.row_key = 'review' then 'review' else 'litigation' end as b,
                 sum(case when c.col_key = 'corrected' then c.value else 0 end),
                 sum(case when c.col_key in ('upheld', 'corrected', 'other') then c.value else 0 end)
               from cells c where c.version_id = ? and c.table_name = 'reviews_litigation' group by b""", (vid,))}
        for b, bit in (("review", 1024), ("litigation", 2048)):
            f[f"{b}_corrected"], f[f"{b}_decided"] = blocks.get(b, (None, None))
            present |= bit if b in blocks else 0
        f["present"] = present
        f["unbalanced"] = conn.execute(
            # balance_failures' per_column and unbalanced, per report
            """with per_column as (
                 select c.col_key,
                   sum(case when c.row_key in ('new_received', 'carried_over') then c.value else 0 end) as inflow,
                   sum(case when c.row_key in ('total_handled', 'carried_forward') then c.value else 0 end) as outflow
                 from cells c where c.version_id = ? and c.table_name = 'applications' group by c.col_key)
               select group_concat(col_key || ': ' || inflow || ' ≠ ' || outflow, '; ') from per_column
               where inflow != outflow""", (vid,)).fetchone()[0]
        f["balance_check_failed"] = conn.execute(
            "select exists (select 1 from checks k where k.version_id = ? and k.status = 'fail' "
            "and k.name like '%balance%')", (vid,)).fetchone()[0]
        f["old_statistics_cells"] = conn.execute(
            "select count(*) from cells where version_id = ? and table_name = 'old_statistics'", (vid,)).fetchone()[0]
        a = conn.execute("select entity_key, level from agencies where id = ?", (agency_id,)).fetchone()
        f["entity_key"] = a[0] if a else None
        f["tier"] = conn.execute(
            # the dashboards' tier subquery
            "select case when a.level = 'government' then coalesce(rg.level, 'county') || '_government' "
            "else a.level end from agencies a left join regions rg on rg.code = a.linked_region_code "
            "where a.id = ?", (agency_id,)).fetchone()
        f["tier"] = f["tier"][0] if f["tier"] else None
        f["province_code"] = conn.execute(
            # application-trends' province
            "select rg.province_code from agencies ag left join regions rg "
            "on rg.code = coalesce(ag.linked_region_code, ag.region_code) where ag.id = ?", (agency_id,)).fetchone()
        f["province_code"] = f["province_code"][0] if f["province_code"] else None
        late = conn.execute(
            # late_reports' d, per report
            """with d as (
                 select r.id, r.publish_date,
                   (r.report_year + 1) || case when r.report_year < 2019 or ag.level = 'government'
                     then '-03-31' else '-01-31' end as deadline
                 from reports r left join agencies ag on ag.id = r.agency_id
                 where r.id = ? and coalesce(r.kind, 'report') = 'report' and r.report_year is not null
                   and r.publish_date is not null)
               select cast(julianday(publish_date) - julianday(deadline) as integer) from d
               where publish_date > deadline""", (rid,)).fetchone()
        f["late"], f["days_late"] = (1, late[0]) if late else (0, None)
        f["counted"] = int(rid in counted)
        out[rid] = f
    return out


def stored_figures(db) -> dict[int, dict]:
    cur = db.conn.execute("SELECT * FROM report_figures ORDER BY report_id")
    names = [d[0] for d in cur.description]
    return {row[0]: dict(zip(names, row)) for row in cur.fetchall()}


def assert_same_rows(old, new, keys=None):
    if keys is None:
        assert new == old
    else:
        assert Counter(map(repr, new)) == Counter(map(repr, old))
        assert [tuple(r[i] for i in keys) for r in new] == [tuple(r[i] for i in keys) for r in old]


def check(archive):
    """report_figures = the recomputation; every rewritten query and panel = its old SQL."""
    db = archive.db
    assert stored_figures(db) == reference(db)
    conn = db.conn
    ids = [str(i) for (i,) in conn.execute("SELECT id FROM reports ORDER BY id")]
    some_url = conn.execute("SELECT url FROM reports ORDER BY id DESC LIMIT 1").fetchone()[0]
    names = [n for (n,) in conn.execute("SELECT DISTINCT name FROM checks WHERE status = 'fail'")]
    compared = 0
    for name, old_sql in OLD_QUERIES.items():
        if ":report_id" in old_sql:
            variants = [{"report_id": i} for i in ids[:3] + ids[-2:]] + [
                {"report_id": some_url}, {"report_id": "0" + ids[0]}, {"report_id": ids[0] + ".0"},
                {"report_id": "x"}, {"report_id": ""}]
        elif ":check_name" in old_sql:
            variants = [{"check_name": ""}] + [{"check_name": n} for n in names] + [{"check_name": "nope"}]
        else:
            variants = [{}]
        for params in variants:
            old = conn.execute(old_sql, params).fetchall()
            new = conn.execute(QUERIES[name]["sql"], params).fetchall()
            assert_same_rows(old, new, ORDER_KEYS.get(name))
            compared += bool(old)
    for key, old_sql in OLD_PANELS.items():
        for tier in TIERS:
            params = {"tier": tier} if tier else {}
            old = conn.execute(dashboard_sql(old_sql, params), params).fetchall()
            new = conn.execute(dashboard_sql(CHARTS[key], params), params).fetchall()
            assert_same_rows(old, new, ORDER_KEYS.get(key))
            compared += bool(old) and old != [(0,)]
    return compared


def test_figures_follow_every_change(built):
    archive, stored, n = built
    db = archive.db

    # 1. as stored, before any refresh: no agency is linked yet (one NULL publisher per year)
    check(archive)
    # 2. the register links the agencies, merges the spellings and adds the cross-year checks
    refresh(archive)
    tiers = {t for (t,) in db.execute("SELECT DISTINCT tier FROM report_figures")}
    assert {"county_government", "prefecture_government", "province_government", "department",
            "township"} <= tiers
    assert db.execute("SELECT count(*) FROM agencies WHERE merged_into IS NOT NULL").fetchone()[0] == 2
    assert check(archive) > 40
    counted = db.execute("SELECT count(*) FROM report_figures WHERE counted = 1").fetchone()[0]
    assert counted < db.execute("SELECT count(*) FROM report_figures WHERE kind = 'report' "
                                "AND report_year IS NOT NULL").fetchone()[0]
    odd = db.execute("SELECT unbalanced, present, granted, unable, other, denied FROM report_figures f "
                     "JOIN reports r ON r.id = f.report_id WHERE r.url = ?",
                     (next(u for u, (rec, _) in stored.items() if "mystery" in (rec["applications"] or {})),)).fetchone()
    assert "lonely: 0 ≠ 3" in odd[0] and "empty" not in odd[0]
    assert isinstance(odd[2], float) and isinstance(odd[4], float)  # 2.5 and the text 'abc'

    # 3. new bytes for some reports: numbers, a year and a kind change (publisher-years move)
    urls = sorted(stored)
    changes = {urls[0]: {"report_year": 2030}, urls[7]: {"kind": "image_only"}, urls[12]: {},
               urls[20]: {"report_year": None}, urls[-3]: {"agency": "淮安市洪泽区人民政府"}}
    originals = {}
    for url, change in changes.items():
        rec, meta = stored[url]
        originals[url] = rec
        new = {**copy.deepcopy(rec), **change}
        new["title"] += "（修订）"
        if new.get("applications"):
            new["applications"]["new_received"]["total"] = 1000 + len(originals)
        assert archive.store(new, raw_of(new), meta).status == "changed"
        stored[url] = (new, meta)
    check(archive)

    # 4. a report serves its first bytes again: reverted to that version
    url = urls[12]
    assert archive.store(originals[url], raw_of(originals[url]), stored[url][1]).status == "reverted"
    stored[url] = (originals[url], stored[url][1])
    check(archive)

    # 5. a re-parse of current and older versions: numbers, an agency and a kind change
    for url, fn in ((urls[3], _move_agency), (urls[30], _to_file)):
        rec = stored[url][0]
        REPARSED[rec["title"] + str(rec.get("report_year"))] = fn
    old_version = db.execute("SELECT min(v.id) FROM versions v JOIN reports r ON r.id = v.report_id "
                             "WHERE r.url = ?", (urls[7],)).fetchone()[0]
    targets = [v for (v,) in db.execute(
        "SELECT r.version_id FROM reports r WHERE r.url IN (?, ?)", (urls[3], urls[30]))] + [old_version]
    assert archive.reparse(parse=parse_stored, version_ids=targets)["reparsed"] == 3
    check(archive)

    # 6. the refresh after it, for the agencies it touched (the new 洪泽区财政局 is linked)
    new_agency = db.execute("SELECT id FROM agencies WHERE name = '洪泽区财政局'").fetchone()[0]
    refresh(archive, agency_ids=[new_agency])
    assert db.execute("SELECT entity_key FROM report_figures WHERE agency_id = ?",
                      (new_agency,)).fetchone()[0] == f"agency:{new_agency}"
    check(archive)

    # 7. a merge undone: the spelling is its own publisher again (its reports count on their own)
    merged = db.execute("SELECT id FROM agencies WHERE merged_into IS NOT NULL AND name = '淮安市洪泽区教育局'"
                        ).fetchone()[0]
    counted = db.execute("SELECT count(*) FROM report_figures WHERE counted = 1").fetchone()[0]
    with db.atomic():
        assert identity.unmerge(db, merged)
    assert db.execute("SELECT count(*) FROM report_figures WHERE counted = 1").fetchone()[0] > counted
    check(archive)

    # 8. an agency the store meets without a level (not linked yet), then with one from a
    # crawler's meta: the store fills the level in, and its earlier report changes tier
    rec = make_record("洪泽区档案馆", 2022, random.Random(1))
    archive.store(rec, raw_of(rec), {"url": url_of(n), "region_code": "320813"})
    assert db.execute("SELECT tier FROM report_figures WHERE report_id = (SELECT max(id) FROM reports)"
                      ).fetchone()[0] is None
    rec2 = make_record("洪泽区档案馆", 2023, random.Random(2))
    archive.store(rec2, raw_of(rec2), {"url": url_of(n + 1), "region_code": "320813", "level": "government"})
    assert [t for (t,) in db.execute("SELECT tier FROM report_figures f JOIN agencies a ON a.id = f.agency_id "
                                     "WHERE a.name = '洪泽区档案馆'")] == ["county_government"] * 2
    check(archive)
    # 9. an unchanged page stored again under another region: the report follows its agency
    rec, meta = stored[urls[5]]
    assert archive.store(rec, raw_of(rec), {**meta, "region_code": "654224"}).status == "unchanged"
    check(archive)
    # report rows changed behind the store's back (an archive from before kinds were stored, a
    # kind set by hand): refresh_reports copies them in, and the publisher-years follow
    rids = [r for (r,) in db.execute("SELECT report_id FROM report_figures WHERE counted = 1 "
                                     "AND tier = 'department' ORDER BY report_id DESC LIMIT 2")]
    db.execute("UPDATE reports SET kind = NULL WHERE id = ?", (rids[0],))
    db.execute("UPDATE reports SET kind = 'image_only' WHERE id = ?", (rids[1],))
    with db.atomic():
        figures.refresh_reports(db, rids)
    assert db.execute("SELECT counted FROM report_figures WHERE report_id = ?", (rids[1],)).fetchone()[0] == 0
    check(archive)

    # 10. the migration fills the same table for an archive that had none
    before = stored_figures(db)
    version = next(i for i, (name, _) in enumerate(schema.MIGRATIONS, 1) if name.startswith("report_figures"))
    with db.atomic():
        db.execute("DROP TABLE report_figures")
        db.execute("DELETE FROM schema_migrations WHERE version >= ?", (version,))
        db.execute("DELETE FROM archive_meta WHERE key = 'report_figures_regions'")
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    archive.close()
    reopened = Archive(path)
    assert stored_figures(reopened.db) == before
    check(reopened)
    reopened.close()


def test_sum_past_sqlite_integers(tmp_path):
    """Two cells whose sum SQLite cannot hold (SQL would stop with "integer overflow"): the store
    keeps the sum as a REAL, and the migration, whose SQL stops there, adds up in Python instead."""
    archive = Archive(tmp_path / "a.db")
    rec = make_record("洪泽区教育局", 2022, random.Random(3))
    rec["applications"]["denied"]["state_secret"]["total"] = 2 ** 62
    rec["applications"]["denied"]["third_party"]["total"] = 2 ** 62
    archive.store(rec, raw_of(rec), {"url": url_of(1), "region_code": "320813"})
    denied = archive.db.execute("SELECT denied FROM report_figures").fetchone()[0]
    assert denied == float(2 ** 63 + sum(v["total"] for k, v in rec["applications"]["denied"].items()
                                         if k not in ("state_secret", "third_party")))
    with pytest.raises(sqlite3.OperationalError, match="overflow"):
        archive.db.execute(OLD_QUERIES["outcome_mix"]).fetchall()
    with archive.db.atomic():
        archive.db.execute("DELETE FROM report_figures")
        figures.backfill(archive.db)
    assert archive.db.execute("SELECT denied FROM report_figures").fetchone()[0] == denied
    archive.close()


def test_python_and_sql_agree_on_the_fixture_corpus(tmp_path, seed_record, labelled_records):
    """cell_figures() (what the store computes) and CELL_FIGURES_SQL (the migration) on real
    parsed reports."""
    archive = Archive(tmp_path / "a.db")
    for i, rec in enumerate([seed_record] + [r for _, r in labelled_records]):
        archive.store(rec, raw_of(rec), {"url": url_of(i)})
    db = archive.db
    sql = {r[0]: r[2:] for r in db.execute(figures.CELL_FIGURES_SQL.format(where=""))}
    stored = {r[0]: r[1:] for r in db.execute(f"SELECT report_id, {', '.join(figures.CELL_COLUMNS)} "
                                              "FROM report_figures")}
    assert sql == stored and len(sql) == 1 + len(labelled_records)
    assert all(row[0] for row in stored.values())  # every report has table 3 or 4
    archive.close()


# the SQL of each rewritten query and panel as it was before report_figures (metadata.json at
# 03b3cfc): the reference every rewrite must match row for row
OLD_QUERIES = {
    "applications_by_year_and_region": """
select r.report_year, coalesce(r.region_name, '(region unknown)') as region,
  count(distinct r.id) as reports, sum(c.value) as applications_received
from reports r
join cells c on c.version_id = r.version_id and c.table_name = 'applications'
  and c.row_key = 'new_received' and c.col_key = 'total'
group by r.report_year, region
order by r.report_year desc, applications_received desc""",
    "balance_failures": """
with per_column as (
  select r.id as report_id, c.col_key,
    sum(case when c.row_key in ('new_received', 'carried_over') then c.value else 0 end) as inflow,
    sum(case when c.row_key in ('total_handled', 'carried_forward') then c.value else 0 end) as outflow
  from reports r
  join cells c on c.version_id = r.version_id and c.table_name = 'applications'
  group by r.id, c.col_key
),
unbalanced as (
  select report_id, group_concat(col_key || ': ' || inflow || ' ≠ ' || outflow, '; ') as columns
  from per_column where inflow != outflow group by report_id
)
select r.id as report_id, r.title, ag.name as agency, r.report_year, u.columns as unbalanced_columns,
  (select group_concat(k.name || ': ' || coalesce(k.detail, ''), '; ') from checks k
    where k.version_id = r.version_id and k.status = 'fail') as failed_checks,
  r.url
from reports r
left join unbalanced u on u.report_id = r.id
left join agencies ag on ag.id = r.agency_id
where u.report_id is not null
  or exists (select 1 from checks k where k.version_id = r.version_id
             and k.status = 'fail' and k.name like '%balance%')
order by r.report_year desc, r.id""",
    "late_reports": """
with d as (
  select r.id, r.report_year, r.publish_date, ag.name as agency, ag.level,
    (r.report_year + 1) || case when r.report_year < 2019 or ag.level = 'government' then '-03-31' else '-01-31' end as deadline,
    coalesce(rg.full_name, r.region_name) as region, r.title, r.url
  from reports r
  left join agencies ag on ag.id = r.agency_id
  left join regions rg on rg.code = coalesce(ag.linked_region_code, r.region_code)
  where coalesce(r.kind, 'report') = 'report' and r.report_year is not null and r.publish_date is not null
)
select id as report_id, title, agency, level, region, report_year, publish_date, deadline,
  cast(julianday(publish_date) - julianday(deadline) as integer) as days_late, url
from d
where publish_date > deadline
order by days_late desc, report_id""",
    "applications_year_over_year": """
with received as (
  select r.agency_id, r.report_year, max(c.value) as received
  from reports r
  join cells c on c.version_id = r.version_id and c.table_name = 'applications'
    and c.row_key = 'new_received' and c.col_key = 'total'
  where r.agency_id is not null
  group by r.agency_id, r.report_year
)
select ag.name as agency, cur.report_year, prev.received as previous_year, cur.received as this_year,
  cur.received - prev.received as change,
  round(100.0 * (cur.received - prev.received) / nullif(prev.received, 0), 1) as change_percent
from received cur
left join received prev on prev.agency_id = cur.agency_id and prev.report_year = cur.report_year - 1
join agencies ag on ag.id = cur.agency_id
order by ag.name, cur.report_year""",
    "outcome_mix": """
select r.report_year,
  case when c.row_key = 'granted' then '予以公开 granted'
       when c.row_key = 'partially_granted' then '部分公开 partially granted'
       when c.row_key like 'denied.%' then '不予公开 denied'
       when c.row_key like 'unable.%' then '无法提供 unable'
       when c.row_key like 'not_handled.%' then '不予处理 not handled'
       else '其他处理 other' end as outcome,
  sum(c.value) as applications
from reports r
join cells c on c.version_id = r.version_id and c.table_name = 'applications' and c.col_key = 'total'
  and c.row_key not in ('new_received', 'carried_over', 'total_handled', 'carried_forward')
group by r.report_year, outcome
order by r.report_year, outcome""",
    "applications_over_years": """
select r.report_year, count(distinct r.id) as reports, sum(c.value) as applications_received
from reports r
join cells c on c.version_id = r.version_id and c.table_name = 'applications'
  and c.row_key = 'new_received' and c.col_key = 'total'
where r.report_year is not null
group by r.report_year order by r.report_year""",
    "old_statistics": """
select r.report_year, ag.name as agency, r.title, c.row_key, c.col_key, c.value, c.raw,
  json_extract(v.record, '$.old_statistics_units."' || c.row_key || '"') as unit, r.id as report_id
from reports r
join versions v on v.id = r.version_id
join cells c on c.version_id = r.version_id and c.table_name = 'old_statistics'
left join agencies ag on ag.id = r.agency_id
order by r.report_year desc, r.id, c.row_key, c.col_key""",
    "report_history": """
with r as (select * from reports where url = :report_id or cast(id as text) = :report_id)
select 'version' as event, v.fetched_at as at, v.id as version_id, v.sha256, v.http_status,
  v.raw_size as bytes, v.parser_version, null as clicks,
  case when v.id = r.version_id then 'current' else 'superseded' end as note,
  (select group_concat(k.name || '=' || k.status, ', ') from checks k where k.version_id = v.id) as checks
from r join versions v on v.report_id = r.id
union all
select 'clicks', o.observed_at, null, null, null, null, null, o.clicks, o.source, null
from r join click_observations o on o.report_id = r.id
order by at, event desc""",
    "cells_of_report": """
select c.table_name, lt.zh as 表, c.row_key, lr.zh as 行, c.col_key, lc.zh as 列, c.value, c.raw, c.derived, c.version_id
from reports r join cells c on c.version_id = r.version_id
left join labels lr on lr.table_name = c.table_name and lr.kind = 'row' and lr.key = c.row_key
left join labels lc on lc.table_name = c.table_name and lc.kind = 'col' and lc.key = c.col_key
left join (select 'active_disclosure' as t, '表二' as zh union all select 'applications', '表三' union all select 'reviews_litigation', '表四') lt on lt.t = c.table_name
where r.url = :report_id or cast(r.id as text) = :report_id
order by c.table_name, c.row_key, c.col_key""",
    "corrected_share": """
select r.report_year,
  case when c.row_key = 'review' then '行政复议 reviews' else '行政诉讼 lawsuits' end as proceeding,
  sum(case when c.col_key = 'corrected' then c.value else 0 end) as corrected,
  sum(case when c.col_key in ('upheld', 'corrected', 'other') then c.value else 0 end) as decided,
  round(1.0 * sum(case when c.col_key = 'corrected' then c.value else 0 end)
    / nullif(sum(case when c.col_key in ('upheld', 'corrected', 'other') then c.value else 0 end), 0), 3) as corrected_share
from reports r
join cells c on c.version_id = r.version_id and c.table_name = 'reviews_litigation'
where r.kind = 'report' and r.report_year is not null
group by r.report_year, proceeding
order by r.report_year, proceeding""",
    "crossyear_failures": """
select r.id as report_id, r.title, ag.name as agency, r.report_year, k.name as check_name, k.status, k.detail, r.url
from checks k
join reports r on r.id = k.report_id and r.version_id = k.version_id
left join agencies ag on ag.id = r.agency_id
where k.name like 'crossyear%' and k.status in ('fail', 'warn')
order by k.status = 'fail' desc, r.report_year desc, ag.name, k.name""",
    "failed_checks": """
select k.report_id, r.title, ag.name as agency, r.report_year, k.name as check_name, k.detail,
  r.url
from checks k
join reports r on r.version_id = k.version_id
left join agencies ag on ag.id = r.agency_id
where k.status = 'fail'
  and (:check_name = '' or k.name = :check_name)
order by k.name, r.report_year desc, k.report_id""",
}
OLD_PANELS = {
    ("overview", "applications-total"): """
select coalesce(sum(c.value), 0) as applications_received
from reports r
join cells c on c.version_id = r.version_id and c.table_name = 'applications'
  and c.row_key = 'new_received' and c.col_key = 'total'
where r.report_year is not null
  and coalesce(r.region_code, '') not like '99%'
  -- one report per publisher and year (a report served as a page and as a file counts once)
  and r.id in (select min(r2.id) from reports r2 join agencies a2 on a2.id = r2.agency_id
    where coalesce(r2.kind, 'report') = 'report' and r2.report_year is not null
    group by a2.entity_key, r2.report_year)
  -- one tier of publishers: county governments, prefecture (city) governments, departments, …
  [[ and (select case when a.level = 'government' then coalesce(rg.level, 'county') || '_government' else a.level end from agencies a left join regions rg on rg.code = a.linked_region_code where a.id = r.agency_id) = :tier ]]
""",
    ("overview", "applications-over-years"): """
select r.report_year, count(distinct r.id) as reports, sum(c.value) as applications_received
from reports r
join cells c on c.version_id = r.version_id and c.table_name = 'applications'
  and c.row_key = 'new_received' and c.col_key = 'total'
where r.report_year is not null
  and coalesce(r.region_code, '') not like '99%'
  -- one report per publisher and year (a report served as a page and as a file counts once)
  and r.id in (select min(r2.id) from reports r2 join agencies a2 on a2.id = r2.agency_id
    where coalesce(r2.kind, 'report') = 'report' and r2.report_year is not null
    group by a2.entity_key, r2.report_year)
  -- one tier of publishers: county governments, prefecture (city) governments, departments, …
  [[ and (select case when a.level = 'government' then coalesce(rg.level, 'county') || '_government' else a.level end from agencies a left join regions rg on rg.code = a.linked_region_code where a.id = r.agency_id) = :tier ]]
group by r.report_year order by r.report_year""",
    ("overview", "outcome-mix"): """
select r.report_year,
  case when c.row_key = 'granted' then '予以公开 granted'
       when c.row_key = 'partially_granted' then '部分公开 partially granted'
       when c.row_key like 'denied.%' then '不予公开 denied'
       when c.row_key like 'unable.%' then '无法提供 unable'
       when c.row_key like 'not_handled.%' then '不予处理 not handled'
       else '其他处理 other' end as outcome,
  sum(c.value) as applications
from reports r
join cells c on c.version_id = r.version_id and c.table_name = 'applications' and c.col_key = 'total'
  and c.row_key not in ('new_received', 'carried_over', 'total_handled', 'carried_forward')
where coalesce(r.region_code, '') not like '99%'
  -- one report per publisher and year (a report served as a page and as a file counts once)
  and r.id in (select min(r2.id) from reports r2 join agencies a2 on a2.id = r2.agency_id
    where coalesce(r2.kind, 'report') = 'report' and r2.report_year is not null
    group by a2.entity_key, r2.report_year)
  -- one tier of publishers: county governments, prefecture (city) governments, departments, …
  [[ and (select case when a.level = 'government' then coalesce(rg.level, 'county') || '_government' else a.level end from agencies a left join regions rg on rg.code = a.linked_region_code where a.id = r.agency_id) = :tier ]]
group by r.report_year, outcome
order by r.report_year, outcome""",
    ("coverage", "application-trends"): """
select r.report_year, coalesce(pv.name, '(region unknown)') as province, sum(c.value) as applications
from reports r
join cells c on c.version_id = r.version_id and c.table_name = 'applications'
  and c.row_key = 'new_received' and c.col_key = 'total'
left join agencies ag on ag.id = r.agency_id
left join regions rg on rg.code = coalesce(ag.linked_region_code, ag.region_code)
left join regions pv on pv.code = rg.province_code
where r.kind = 'report' and r.report_year is not null
  and coalesce(r.region_code, '') not like '99%'
  -- one report per publisher and year (a report served as a page and as a file counts once)
  and r.id in (select min(r2.id) from reports r2 join agencies a2 on a2.id = r2.agency_id
    where coalesce(r2.kind, 'report') = 'report' and r2.report_year is not null
    group by a2.entity_key, r2.report_year)
  -- one tier of publishers: county governments, prefecture (city) governments, departments, …
  [[ and (select case when a.level = 'government' then coalesce(rg.level, 'county') || '_government' else a.level end from agencies a left join regions rg on rg.code = a.linked_region_code where a.id = r.agency_id) = :tier ]]
group by r.report_year, province order by r.report_year""",
    ("coverage", "outcome-mix"): """
select r.report_year,
  case when c.row_key = 'granted' then '予以公开 granted'
       when c.row_key = 'partially_granted' then '部分公开 partially granted'
       when c.row_key like 'denied.%' then '不予公开 denied'
       when c.row_key like 'unable.%' then '无法提供 unable'
       when c.row_key like 'not_handled.%' then '不予处理 not handled'
       else '其他处理 other' end as outcome,
  sum(c.value) as applications
from reports r
join cells c on c.version_id = r.version_id and c.table_name = 'applications' and c.col_key = 'total'
  and c.row_key not in ('new_received', 'carried_over', 'total_handled', 'carried_forward')
where coalesce(r.region_code, '') not like '99%'
  -- one report per publisher and year (a report served as a page and as a file counts once)
  and r.id in (select min(r2.id) from reports r2 join agencies a2 on a2.id = r2.agency_id
    where coalesce(r2.kind, 'report') = 'report' and r2.report_year is not null
    group by a2.entity_key, r2.report_year)
  -- one tier of publishers: county governments, prefecture (city) governments, departments, …
  [[ and (select case when a.level = 'government' then coalesce(rg.level, 'county') || '_government' else a.level end from agencies a left join regions rg on rg.code = a.linked_region_code where a.id = r.agency_id) = :tier ]]
group by r.report_year, outcome
order by r.report_year, outcome""",
    ("coverage", "corrected-share"): """
select r.report_year,
  case when c.row_key = 'review' then '行政复议 reviews' else '行政诉讼 lawsuits' end as proceeding,
  sum(case when c.col_key = 'corrected' then c.value else 0 end) as corrected,
  sum(case when c.col_key in ('upheld', 'corrected', 'other') then c.value else 0 end) as decided,
  round(1.0 * sum(case when c.col_key = 'corrected' then c.value else 0 end)
    / nullif(sum(case when c.col_key in ('upheld', 'corrected', 'other') then c.value else 0 end), 0), 3) as corrected_share
from reports r
join cells c on c.version_id = r.version_id and c.table_name = 'reviews_litigation'
where r.kind = 'report' and r.report_year is not null
  and coalesce(r.region_code, '') not like '99%'
  -- one report per publisher and year (a report served as a page and as a file counts once)
  and r.id in (select min(r2.id) from reports r2 join agencies a2 on a2.id = r2.agency_id
    where coalesce(r2.kind, 'report') = 'report' and r2.report_year is not null
    group by a2.entity_key, r2.report_year)
  -- one tier of publishers: county governments, prefecture (city) governments, departments, …
  [[ and (select case when a.level = 'government' then coalesce(rg.level, 'county') || '_government' else a.level end from agencies a left join regions rg on rg.code = a.linked_region_code where a.id = r.agency_id) = :tier ]]
group by r.report_year, proceeding
order by r.report_year, proceeding""",
}
