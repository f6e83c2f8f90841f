"""The archive: schema, storing, idempotency, versioning, provenance, metadata."""
from __future__ import annotations

import copy
import json
import re
import sqlite3
import zlib

import pytest

from db import schema
from db.store import Archive, iter_cells, store

CONTRACT = {
    "agencies": {"id", "name", "region_code", "region_name", "level", "portal_url"},
    "reports": {"id", "url", "agency_id", "title", "kind", "report_year", "publish_date",
                "publish_datetime", "source", "template", "clicks", "version_id",
                "first_seen", "last_seen"},
    "versions": {"id", "report_id", "sha256", "fetched_at", "http_status", "final_url",
                 "encoding", "raw", "parser_version"},
    "sections": {"report_id", "version_id", "number", "heading", "text"},
    "cells": {"report_id", "version_id", "table_name", "row_key", "col_key", "value", "raw", "derived"},
    "checks": {"report_id", "version_id", "name", "status", "detail"},
    "click_observations": {"report_id", "observed_at", "clicks"},
    "crawl_runs": {"id", "spider", "started", "finished", "stats"},
}
META = {"url": "http://www.tuoli.gov.cn/info/1234.html", "fetched_at": "2024-05-19T08:00:00+00:00",
        "http_status": 200, "final_url": "http://www.tuoli.gov.cn/info/1234.html", "encoding": "utf-8",
        "region_code": "654224", "region_name": "托里县", "level": "department",
        "portal_url": "http://www.tuoli.gov.cn/"}
RAW = "<html><body><h1>托里县政务服务中心2023年政府信息公开工作年度报告</h1></body></html>".encode()


@pytest.fixture()
def archive(tmp_path):
    return Archive(tmp_path / "a.db")


def counts(db) -> dict:
    return {t: db[t].count for t in ("reports", "versions", "sections", "cells", "checks",
                                       "click_observations", "agencies")}


def test_schema_contract(archive):
    db = archive.db
    for table, cols in CONTRACT.items():
        assert cols <= set(db[table].columns_dict), table
    assert {"applications_wide", "reviews_wide", "active_disclosure_wide"} <= set(db.view_names())
    assert db.journal_mode == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert schema.schema_version(db) == schema.SCHEMA_VERSION
    fks = {(fk.column, fk.other_table) for fk in db["reports"].foreign_keys}
    assert {("agency_id", "agencies"), ("version_id", "versions")} <= fks
    assert {("report_id", "reports"), ("version_id", "versions")} <= {
        (fk.column, fk.other_table) for fk in db["cells"].foreign_keys}
    assert any(ix.unique and ix.columns == ["url"] for ix in db["reports"].indexes)


def test_store_reproduces_hand_checked_numbers(archive, seed_record, labelled_records):
    records = [(seed_record, META)] + [
        (rec, {"url": txt.resolve().as_uri()}) for txt, rec in labelled_records
    ]
    for rec, meta in records:
        r = archive.store(rec, RAW + meta["url"].encode(), meta)
        assert r.status == "new"
        got = {(t, row, col): v for t, row, col, v in archive.db.execute(
            "SELECT table_name, row_key, col_key, value FROM cells WHERE version_id = ?",
            (r.version_id,))}
        want = {(t, row, col): v for t, row, col, v, _, _ in iter_cells(rec)}
        assert got == want and len(got) >= 10 + 6 * 7 + 15
        # cells sum back to the record: table 3 total column by SQL
        total = archive.db.execute(
            "SELECT value FROM cells c JOIN reports r ON r.version_id = c.version_id "
            "WHERE r.id = ? AND table_name = 'applications' AND row_key = 'new_received' AND col_key = 'total'",
            (r.report_id,)).fetchone()[0]
        assert total == rec["applications"]["new_received"]["total"]
    # the wide views agree with the cells
    row = archive.db.execute(
        "SELECT new_received__total, carried_over__total, total_handled__total, carried_forward__total, "
        "denied_state_secret__total FROM applications_wide WHERE title LIKE '淮安市人民政府2024%'").fetchone()
    assert row[:4] == (3119, 34, 3050, 103)
    fees = archive.db.execute(
        "SELECT fees__amount FROM active_disclosure_wide WHERE title LIKE '淮安市人民政府2024%'").fetchone()[0]
    assert fees == pytest.approx(96171.6)
    rv = archive.db.execute("SELECT review__total FROM reviews_wide WHERE report_id = 1").fetchone()
    assert rv == (0,)


def test_report_fields_agency_and_clicks(archive, seed_record):
    r = archive.store(seed_record, RAW, META)
    row = archive.db.execute(
        "SELECT title, report_year, publish_date, publish_datetime, template, clicks, kind, "
        "region_code, region_name, first_seen, last_seen FROM reports WHERE id = ?", (r.report_id,)).fetchone()
    assert row == ("托里县政务服务中心2023年政府信息公开工作年度报告", 2023, "2024-01-29",
                   "2024-01-29T17:25:39+08:00", "2021", 433, "report", "654224", "托里县",
                   META["fetched_at"], META["fetched_at"])
    ag = archive.db.execute("SELECT name, region_code, level, portal_url FROM agencies").fetchall()
    assert ag == [("托里县政务服务中心", "654224", "department", "http://www.tuoli.gov.cn/")]
    v = archive.db.execute("SELECT sha256, http_status, raw, raw_size, encoding FROM versions").fetchone()
    assert zlib.decompress(v[2]) == RAW and v[3] == len(RAW) and v[1] == 200 and v[4] == "utf-8"
    secs = archive.db.execute("SELECT number, heading, length(text) FROM sections ORDER BY number").fetchall()
    assert [s[1] for s in secs] == [s["heading"] for s in seed_record["sections"]]
    assert all(s[2] > 0 for s in secs[:4])


def test_idempotent(archive, seed_record):
    archive.store(seed_record, RAW, META)
    before = counts(archive.db)
    dump_before = list(archive.db.conn.iterdump())
    r = archive.store(copy.deepcopy(seed_record), RAW, META)
    assert r.status == "unchanged"
    assert counts(archive.db) == before
    assert list(archive.db.conn.iterdump()) == dump_before


def test_versioning_keeps_old_versions(archive, seed_record):
    r1 = archive.store(seed_record, RAW, META)
    changed = copy.deepcopy(seed_record)
    changed["title"] = changed["title"] + "（更新）"
    changed["applications"]["new_received"]["natural_person"] = 5
    changed["applications"]["new_received"]["total"] = 5
    changed["checks"] = [{"name": "applications_balance", "status": "fail", "detail": "5+0 != 0+0"}]
    changed["clicks"] = 500
    later = dict(META, fetched_at="2024-06-01T08:00:00+00:00")
    r2 = archive.store(changed, RAW + b"<!-- edited -->", later)
    assert r2.status == "changed" and r2.report_id == r1.report_id and r2.version_id != r1.version_id
    db = archive.db
    assert db["versions"].count == 2
    rep = db.execute("SELECT version_id, title, clicks, check_status, first_seen, last_seen FROM reports").fetchone()
    assert rep == (r2.version_id, changed["title"], 500, "fail", META["fetched_at"], later["fetched_at"])
    # old version still has its own numbers, sections and (absent) checks
    val = lambda vid: db.execute(
        "SELECT value FROM cells WHERE version_id = ? AND row_key = 'new_received' AND col_key = 'total'",
        (vid,)).fetchone()[0]
    assert (val(r1.version_id), val(r2.version_id)) == (0, 5)
    for vid in (r1.version_id, r2.version_id):
        assert db.execute("SELECT count(*) FROM sections WHERE version_id = ?", (vid,)).fetchone()[0] == 6
    assert db.execute("SELECT count(*) FROM checks WHERE version_id = ?", (r1.version_id,)).fetchone()[0] == 0
    assert db.execute("SELECT status FROM checks WHERE version_id = ?", (r2.version_id,)).fetchone()[0] == "fail"
    # the wide view follows the current version
    assert db.execute("SELECT new_received__total FROM applications_wide").fetchone()[0] == 5
    # clicks: a time series, appended
    obs = db.execute("SELECT observed_at, clicks FROM click_observations ORDER BY observed_at").fetchall()
    assert obs == [(META["fetched_at"], 433), (later["fetched_at"], 500)]
    # serving the old content again moves the report back without a new version
    r3 = archive.store(seed_record, RAW, dict(META, fetched_at="2024-07-01T08:00:00+00:00"))
    assert r3.status == "reverted" and r3.version_id == r1.version_id
    assert db["versions"].count == 2
    assert db.execute("SELECT version_id, check_status FROM reports").fetchone() == (r1.version_id, None)


def test_click_observations_append_only(archive, seed_record):
    archive.store(seed_record, RAW, META)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        archive.db.execute("UPDATE click_observations SET clicks = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        archive.db.execute("DELETE FROM click_observations")
    archive.store(seed_record, RAW, dict(META, clicks=450, clicks_observed_at="2024-05-20T00:00:00+00:00",
                                         clicks_source="counter"))
    assert archive.db.execute("SELECT clicks FROM reports").fetchone()[0] == 450
    assert archive.db["click_observations"].count == 2


def test_one_transaction_per_report(archive, seed_record, monkeypatch):
    archive.store(seed_record, RAW, META)
    before = list(archive.db.conn.iterdump())
    changed = copy.deepcopy(seed_record)
    changed["title"] = "changed"
    from db import store as store_mod

    def boom(*a, **k):
        raise RuntimeError("crash half-way")
    monkeypatch.setattr(store_mod.Archive, "_point_report_at", boom)
    with pytest.raises(RuntimeError):
        archive.store(changed, RAW + b"x", dict(META, fetched_at="2024-06-01T00:00:00+00:00"))
    assert not archive.db.conn.in_transaction
    assert list(archive.db.conn.iterdump()) == before


def test_foreign_keys_enforced(archive):
    with pytest.raises(sqlite3.IntegrityError):
        archive.db.execute("INSERT INTO cells(report_id, version_id, table_name) VALUES (99, 99, 'x')")


def test_crawl_runs(archive):
    run = archive.start_run("portals")
    archive.finish_run(run, {"item_scraped_count": 3, "errors": []})
    row = archive.db.execute("SELECT spider, started, finished, stats FROM crawl_runs").fetchone()
    assert row[0] == "portals" and row[1] and row[2]
    assert json.loads(row[3])["item_scraped_count"] == 3


def test_store_function_and_missing_url(tmp_path, seed_record):
    r = store(seed_record, RAW, {"url": "http://x/1"}, db=tmp_path / "b.db")
    assert r.status == "new"
    with pytest.raises(ValueError):
        store(seed_record, RAW, {}, db=tmp_path / "b.db")


def test_report_without_tables(archive):
    rec = {"title": "关于做好2023年政府信息公开工作年度报告工作的通知", "kind": "not_report",
           "agency": "某县人民政府办公室", "active_disclosure": None, "applications": None,
           "reviews_litigation": None, "sections": []}
    r = archive.store(rec, b"<html>notice</html>", {"url": "http://x/notice"})
    assert archive.db.execute("SELECT kind FROM reports").fetchone()[0] == "not_report"
    assert archive.db["cells"].count == 0 and r.status == "new"


def test_raw_cells_and_derived(archive, seed_record):
    rec = copy.deepcopy(seed_record)
    rec["raw_cells"] = {"applications": {"new_received": {"natural_person": "０", "total": ""}}}
    rec["derived_cells"] = [["applications", "new_received", "total"]]
    archive.store(rec, RAW, META)
    rows = dict(((r[0], r[1]), r[2:]) for r in archive.db.execute(
        "SELECT row_key, col_key, raw, derived FROM cells WHERE table_name = 'applications' "
        "AND row_key = 'new_received' AND col_key IN ('natural_person', 'total')"))
    assert rows[("new_received", "natural_person")] == ("０", 0)
    assert rows[("new_received", "total")] == ("", 1)


def test_metadata_contract_and_canned_queries(archive, seed_record, labelled_records):
    from db.cli import METADATA, metadata_for

    archive.store(seed_record, RAW, META)
    for txt, rec in labelled_records:
        archive.store(rec, txt.read_bytes(), {"url": txt.resolve().as_uri()})
    archive.flush_index()
    meta = json.loads(METADATA.read_text("utf-8"))
    dbmeta = meta["databases"]["archive"]
    for key in ("title", "description_html", "source", "license"):
        assert meta.get(key)
    tables = dbmeta["tables"]
    # every contract table and every column has a description
    for table in CONTRACT:
        cols = set(archive.db[table].columns_dict) - {"id"}
        assert tables[table]["description"]
        assert cols <= set(tables[table]["columns"]), (table, cols - set(tables[table]["columns"]))
    # one default facet keeps the table page fast at 100,000 reports; the others are one link away
    assert tables["reports"]["facets"] == ["report_year"]
    for col in ("region_name", "report_year", "template", "check_status"):
        assert f"_facet={col}" in tables["reports"]["description_html"]
    assert "万元" in tables["cells"]["columns"]["value"] and "件" in tables["cells"]["columns"]["value"]
    queries = dbmeta["queries"]
    assert len(queries) >= 6
    from db import pages
    from db.datasette_plugin import prepare_connection

    prepare_connection(archive.db.conn, "archive", None)
    pages.prepare_connection(archive.db.conn)  # chinese_snippet
    params = {"q": "复议", "report_id": "1", "check_name": "", "since": "", "region_code": "654224", "agency_id": "1"}
    # a canned query's parameters are named like the columns they filter
    assert all(p in params for q in queries.values() for p in re.findall(r"(?<!\w):(\w+)", q["sql"])), queries
    for name, q in queries.items():
        sql = q["sql"]
        needed = {p: params[p] for p in params if ":" + p in sql}
        rows = archive.db.execute(sql, needed).fetchall()
        if name in ("search_reports", "search_sections", "report_history", "archive_changes", "feed_region", "feed_agency", "cells_of_report", "applications_by_year_and_region",
                    "applications_over_years", "outcome_mix", "applications_year_over_year"):
            assert rows, name
    # the seed report (2023, published 2024-01-29, a department) is on time;
    late = archive.db.execute(queries["late_reports"]["sql"]).fetchall()
    assert all("托里县" not in (r[2] or "") for r in late)
    # dashboards charts all run
    for chart in meta["plugins"]["datasette-dashboards"]["overview"]["charts"].values():
        if "query" in chart:
            from tests.browser_helpers import dashboard_sql

            for params in ({}, {"tier": "county_government"}):
                archive.db.execute(dashboard_sql(chart["query"], params), params).fetchall()
    renamed = metadata_for("/tmp/demo.db")
    assert "demo" in renamed["databases"]
    assert all(c.get("db", "demo") == "demo"
               for c in renamed["plugins"]["datasette-dashboards"]["overview"]["charts"].values())


def test_search_index_written_in_batches(tmp_path, seed_record):
    """Each report commits on its own; its search rows follow in batches (search_pending lists
    the versions not yet indexed, and searches find them meanwhile by their text). A writer
    that stops without flushing loses nothing: the next open indexes them."""
    from db import chinese, search
    from db.schema import open_archive

    path = tmp_path / "b.db"
    archive = Archive(path)
    archive.index_batch = 3
    archive.index_delay = 3600
    q = "托里县政务服务中心"
    indexed = "SELECT count(*) FROM search_text WHERE search_text MATCH ?"
    long = (chinese.long_match(q),)
    hit, params = search.report_hit(q)
    found = f"SELECT count(*) FROM reports WHERE {hit}"
    pending = "SELECT count(*) FROM search_pending"
    for i in range(2):
        archive.store(seed_record, RAW + str(i).encode(), dict(META, url=f"http://x/{i}"))
    assert archive.db.execute(pending).fetchone()[0] == 2
    assert archive.db.execute(indexed, long).fetchone()[0] == 0  # queued, not yet in the index
    assert archive.db.execute(found, params).fetchone()[0] == 2  # ... but searches find them
    archive.store(seed_record, RAW + b"2", dict(META, url="http://x/2"))  # the third: a batch
    assert archive.db.execute(pending).fetchone()[0] == 0
    assert archive.db.execute(indexed, long).fetchone()[0] == 3
    assert archive.db.execute(found, params).fetchone()[0] == 3
    # a writer that stops with versions queued (crash, or conn closed without close())
    archive.store(seed_record, RAW + b"3", dict(META, url="http://x/3"))
    assert archive.db.execute(indexed, long).fetchone()[0] == 3
    archive.db.conn.close()
    db = open_archive(path)
    assert db.execute(pending).fetchone()[0] == 0
    assert db.execute(indexed, long).fetchone()[0] == 4
    assert db.execute(found, params).fetchone()[0] == 4
    # one index row per version (rowid = versions.id), in both tables
    short = (chinese.short_match("复议"),)
    assert [r[0] for r in db.execute("SELECT rowid FROM search_short WHERE search_short MATCH ? ORDER BY 1",
                                     short)] == [1, 2, 3, 4]
    # sections: each section that contains the term (heading or text), ids version_id << 10 | ordinal
    in_seed = sum("复议" in f"{s.get('heading') or ''}\n{s.get('text') or ''}" for s in seed_record["sections"])
    assert in_seed
    hit_s, params_s = search.section_hit("复议")
    assert db.execute(f"SELECT count(*) FROM sections WHERE {hit_s}", params_s).fetchone()[0] == 4 * in_seed
    assert db.execute("SELECT min(id) FROM sections").fetchone()[0] == (1 << 10) | 1
    # and the delay: with a zero delay every store() indexes at once
    archive = Archive(db)
    archive.index_delay = 0
    archive.store(seed_record, RAW + b"4", dict(META, url="http://x/4"))
    assert db.execute(pending).fetchone()[0] == 0
    assert db.execute(indexed, long).fetchone()[0] == 5
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize("statuses, expected", [
    (["not_assessable", "not_assessable"], "not_assessable"),   # a pre-2019 report: nothing could be checked
    (["pass", "not_assessable"], "pass"),
    (["warn", "pass", "not_assessable"], "warn"),
    (["fail", "warn", "not_assessable"], "fail"),
    ([], None),
])
def test_check_status_says_when_nothing_was_checked(archive, statuses, expected):
    """reports.check_status is 'pass' only when a check passed: checks that were all
    not_assessable give 'not_assessable'; the SQL (migrations, reparse) and store() agree."""
    from db.store import _check_status

    rec = {"title": "某县水利局2017年政府信息公开工作年度报告", "agency": "某县水利局", "report_year": 2017,
           "kind": "report", "checks": [{"name": f"c{i}", "status": s, "detail": ""} for i, s in enumerate(statuses)]}
    r = archive.store(rec, b"<html>r</html>", {"url": "http://127.0.0.1/r.html"})
    assert archive.db.execute("SELECT check_status FROM reports").fetchone()[0] == expected
    assert _check_status(rec) == expected
    sql = schema.CHECK_STATUS_SQL.format(v="?")
    assert archive.db.execute(sql, (r.version_id,)).fetchone()[0] == expected


def test_pre2019_report_is_not_assessable(archive):
    """The real 2017 report with its statistics table: no template table, no check passed."""
    from pathlib import Path

    from pipelines import parse_document

    raw = (Path(__file__).parent / "fixtures" / "shapes" / "oldstats_zhecheng_gszj_2017.html").read_bytes()
    record = parse_document(raw)
    assert {c["status"] for c in record["checks"]} == {"not_assessable"}
    archive.store(record, raw, {"url": "http://127.0.0.1/old.html"})
    assert archive.db.execute("SELECT check_status FROM reports").fetchone()[0] == "not_assessable"
    facet = archive.db.execute("SELECT check_status, count(*) FROM reports GROUP BY 1").fetchall()
    assert facet == [("not_assessable", 1)]


def test_migration_recomputes_a_pass_that_checked_nothing(tmp_path):
    """An archive written before: its all-not_assessable report said 'pass'; migrating fixes it."""
    path = tmp_path / "old.db"
    before = next(i for i, (_, f) in enumerate(schema.MIGRATIONS) if f is schema._m_parser_fix_check_status)
    db = schema.open_archive(path, target=before)
    Archive(db).store({"title": "某县水利局2017年政府信息公开工作年度报告", "agency": "某县水利局",
                       "report_year": 2017, "kind": "report",
                       "checks": [{"name": "applications_balance", "status": "not_assessable", "detail": ""}]},
                      b"<html>r</html>", {"url": "http://127.0.0.1/r.html"})
    db.execute("UPDATE reports SET check_status = 'pass'")   # what the old CHECK_STATUS_SQL wrote
    db.close()
    db = schema.open_archive(path)
    assert schema.schema_version(db) == schema.SCHEMA_VERSION
    assert db.execute("SELECT check_status FROM reports").fetchone()[0] == "not_assessable"
