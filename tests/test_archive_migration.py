"""Opening an archive written by an older schema migrates it without losing anything."""
from __future__ import annotations

import json
import zlib
from pathlib import Path

from db import chinese, schema, search
from db.store import Archive

REPO = Path(__file__).resolve().parent.parent

OLD_ROWS = [
    "INSERT INTO agencies(id, name, region_code, region_name, level) VALUES (1, '托里县人民政府', '654224', '托里县', 'government')",
    "INSERT INTO reports(id, url, agency_id, title, kind, report_year, publish_date, template, clicks, first_seen, last_seen) "
    "VALUES (1, 'http://x/1', 1, '托里县人民政府2022年政府信息公开工作年度报告', 'report', 2022, '2023-04-15', '2021', 12, '2023-05-01', '2023-05-01')",
    "INSERT INTO versions(id, report_id, sha256, fetched_at, http_status, raw, raw_compression, parser_version) "
    "VALUES (1, 1, 'aa', '2023-05-01', 200, ?, 'zlib', '0.1')",
    "UPDATE reports SET version_id = 1 WHERE id = 1",
    "INSERT INTO sections(report_id, version_id, number, heading, text) VALUES "
    "(1, 1, 4, '政府信息公开行政复议、行政诉讼情况', '本年度无行政复议和行政诉讼。政务服务大厅依申请公开')",
    "INSERT INTO sections(report_id, version_id, number, heading, text) VALUES "
    "(1, 1, 5, '存在的主要问题', '门户网站和政务ＡＰＰ于２０２３年改版')",
    "INSERT INTO cells(report_id, version_id, table_name, row_key, col_key, value, raw, derived) VALUES "
    "(1, 1, 'applications', 'new_received', 'total', 7, '7', 0), "
    "(1, 1, 'applications', 'carried_over', 'total', 0, '', 0), "
    "(1, 1, 'applications', 'total_handled', 'total', 6, '6', 0), "
    "(1, 1, 'applications', 'carried_forward', 'total', 0, '0', 0)",
    "INSERT INTO checks(report_id, version_id, name, status, detail) VALUES (1, 1, 'applications_balance', 'fail', '7+0 != 6+0')",
    "INSERT INTO click_observations(report_id, observed_at, clicks, source) VALUES (1, '2023-05-01', 12, 'page')",
    "INSERT INTO crawl_runs(spider, started, finished, stats) VALUES ('portals', '2023-05-01', '2023-05-01', '{}')",
]
OLD_TABLES = ["agencies", "reports", "versions", "sections", "cells", "checks", "click_observations", "crawl_runs"]


def _kept_columns(db, table):
    # sections are renumbered (version_id << 10 | ordinal) by the one-search-index migration;
    # every other column of every old table must survive as it was
    return [c for c in db[table].columns_dict if not (table == "sections" and c == "id")]


def _make_v1(path):
    db = schema.open_archive(path, target=1)
    assert schema.schema_version(db) == 1
    assert "versions_fts" not in db.table_names()
    with db.atomic():
        for sql in OLD_ROWS:
            db.execute(sql, (zlib.compress(b"<html>old</html>"),) if "?" in sql else ())
    columns = {t: _kept_columns(db, t) for t in OLD_TABLES}
    snapshot = {t: [tuple(r) for r in db.execute(f"SELECT {', '.join(columns[t])} FROM {t} ORDER BY 1, 2, 3, 4, 5")]
                for t in OLD_TABLES}
    db.close()
    return snapshot, columns


# the search index of schema versions 5 to 9 (before the trigram tables): one contentless FTS5
# table of bigram tokens and two views over it, as db/schema.py made them
BIGRAM_INDEX_SQL = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, agency, heading, text, content='', prefix='1')",
    "CREATE VIEW sections_fts AS SELECT rowid, search_fts AS sections_fts, rank FROM search_fts "
    "WHERE (rowid & 1023) != 0",
    "CREATE VIEW versions_fts AS SELECT rowid >> 10 AS rowid, search_fts AS versions_fts, rank FROM search_fts",
    "INSERT INTO search_fts(rowid, title, agency, heading, text) VALUES "
    "(1024, '托里 里县 县人 人民 民政 政府 府', '托里 里县 县人 人民 民政 政府 府', NULL, NULL)",
    "INSERT INTO search_fts(rowid, title, agency, heading, text) VALUES (1025, NULL, NULL, '政府 府', '本年 年度 度')",
    "INSERT OR REPLACE INTO archive_meta(key, value) VALUES ('tokenizer_version', '1')",
]


def _assert_search_works(db):
    """The archive (migrated from an older schema) has the trigram index, filled, and no other."""
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
    assert not names & {"search_fts", "sections_fts", "versions_fts"}
    # in the index's own file (db/search_index.py), none left in the archive's
    assert [r[0] for r in db.execute(
        "SELECT name FROM xxgk_search.sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name")] \
        == ["search_short", "search_text"]
    assert db.execute("SELECT name FROM main.sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'").fetchall() == []
    assert db.execute("SELECT value FROM archive_meta WHERE key = 'tokenizer_version'").fetchone() \
        == (str(chinese.TOKENIZER_VERSION),)
    assert db.execute("SELECT count(*) FROM search_pending").fetchone()[0] == 0
    # sections.fold: set for the section with full-width letters and digits only
    assert db.execute("SELECT number, fold FROM sections ORDER BY id").fetchall() == [(4, 0), (5, 1)]
    # both tables are filled: one row per version (rowid = versions.id)
    assert db.execute("SELECT rowid FROM search_text WHERE search_text MATCH '\"依申请公开\"'").fetchall() == [(1,)]
    assert db.execute("SELECT rowid FROM search_text WHERE search_text MATCH '\"2023年\"'").fetchall() == [(1,)]
    assert db.execute("SELECT rowid FROM search_short WHERE search_short MATCH ?", ('"复\x01议"',)).fetchall() == [(1,)]
    assert db.execute("SELECT rowid FROM search_short WHERE search_short MATCH ?", ('"\x01复\x01"',)).fetchall() == [(1,)]
    first, second = schema.section_id(1, 1), schema.section_id(1, 2)
    for q, secs, reports in (
        ("复议", [first], [1]), ("复", [first], [1]), ("依申请公开", [first], [1]),
        ("政务服务大厅", [first], [1]), ("app", [second], [1]), ("ＡＰＰ 2023年", [second], [1]),
        ("政务 改版", [second], [1]), ("复议 改版", [], [1]),  # in the report, not in one section
        ("托里", [], [1]),  # title and agency only
        ("没有", [], []), ("", [], []),
    ):
        hit, params = search.section_hit(q)
        assert [r[0] for r in db.execute(f"SELECT id FROM sections WHERE {hit} ORDER BY id", params)] == secs, q
        hit, params = search.report_hit(q)
        assert [r[0] for r in db.execute(f"SELECT id FROM reports WHERE {hit}", params)] == reports, q


def test_migrates_v1_archive_without_loss(tmp_path):
    path = tmp_path / "old.db"
    snapshot, columns = _make_v1(path)
    db = schema.open_archive(path)
    assert schema.schema_version(db) == schema.SCHEMA_VERSION
    applied = [r[0] for r in db.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert applied == list(range(1, schema.SCHEMA_VERSION + 1))
    # every old row, every old column, unchanged
    for t in OLD_TABLES:
        cols = ", ".join(columns[t])
        assert [tuple(r) for r in db.execute(f"SELECT {cols} FROM {t} ORDER BY 1, 2, 3, 4, 5")] == snapshot[t], t
    assert zlib.decompress(db.execute("SELECT raw FROM versions").fetchone()[0]) == b"<html>old</html>"
    # the new features work on the old data: search, facet columns, views
    _assert_search_works(db)
    assert db.execute("SELECT region_name, level, check_status FROM reports").fetchone() == ("托里县", "government", "fail")
    assert db.execute("SELECT new_received__total, total_handled__total FROM applications_wide").fetchone() == (7, 6)
    assert db.execute("SELECT id, version_id FROM sections ORDER BY id").fetchall() == [
        (schema.section_id(1, 1), 1), (schema.section_id(1, 2), 1)]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    # reopening a current archive changes nothing; storing into it works
    db = schema.open_archive(path)
    assert db["schema_migrations"].count == schema.SCHEMA_VERSION
    r = Archive(db).store({"title": "新报告", "agency": "托里县人民政府", "report_year": 2023}, b"new", {"url": "http://x/2"})
    assert r.status == "new"
    assert db.execute("SELECT count(*) FROM agencies").fetchone()[0] == 1


def test_partial_upgrade_from_v2(tmp_path):
    path = tmp_path / "v2.db"
    _make_v1(path)
    db = schema.open_archive(path, target=2)
    assert schema.schema_version(db) == 2 and "check_status" not in db["reports"].columns_dict
    db.close()
    db = schema.open_archive(path)
    assert schema.schema_version(db) == schema.SCHEMA_VERSION
    assert db.execute("SELECT check_status FROM reports").fetchone() == ("fail",)


def test_failed_migration_leaves_old_state(tmp_path, monkeypatch):
    path = tmp_path / "bad.db"
    snapshot, _ = _make_v1(path)

    def broken(db):
        db.execute("CREATE TABLE half_done(x)")
        raise RuntimeError("boom")
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1] + [("broken", broken)])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 2)
    try:
        schema.open_archive(path)
    except RuntimeError:
        pass
    db = schema.connect(path)
    assert schema.schema_version(db) == 1
    assert "half_done" not in db.table_names()
    assert [tuple(r) for r in db.execute(f"SELECT {', '.join(_kept_columns(db, 'reports'))} FROM reports")] \
        == snapshot["reports"]


def test_migrates_bigram_index_to_trigram(tmp_path):
    """An archive of the schema version before the trigram index (search_fts of bigram tokens,
    the sections_fts and versions_fts views): the migration drops them, adds sections.fold and
    the two trigram tables, and the archive is indexed again when opened."""
    path = tmp_path / "bigram.db"
    snapshot, columns = _make_v1(path)
    trigram = next(i for i, (name, _) in enumerate(schema.MIGRATIONS) if name.startswith("search by the trigram"))
    db = schema.open_archive(path, target=trigram)   # the version before the trigram index
    assert "search_text" not in db.table_names() and "fold" not in db["sections"].columns_dict
    with db.atomic():
        for sql in BIGRAM_INDEX_SQL:
            db.execute(sql)
    assert db.execute("SELECT rowid FROM versions_fts WHERE versions_fts MATCH '\"托里 里县\"'").fetchall() == [(1,)]
    db.close()
    db = schema.open_archive(path)
    assert schema.schema_version(db) == schema.SCHEMA_VERSION
    _assert_search_works(db)
    for t in OLD_TABLES:
        cols = ", ".join(columns[t])
        assert [tuple(r) for r in db.execute(f"SELECT {cols} FROM {t} ORDER BY 1, 2, 3, 4, 5")] == snapshot[t], t
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # searches find what is stored afterwards too (pending, then indexed)
    archive = Archive(db)
    archive.index_delay = 3600
    archive.store({"title": "托里县人民政府2023年报告", "agency": "托里县人民政府", "report_year": 2023,
                   "sections": [{"number": 1, "heading": "总体情况", "text": "新设ＡＰＰ专栏"}]},
                  b"new", {"url": "http://x/3"})
    assert db.execute("SELECT count(*) FROM search_pending").fetchone()[0] == 1
    hit, params = search.report_hit("app专栏")
    assert [r[0] for r in db.execute(f"SELECT url FROM reports WHERE {hit}", params)] == ["http://x/3"]
    archive.close()
    db = schema.open_archive(path)
    assert db.execute("SELECT count(*) FROM search_pending").fetchone()[0] == 0
    assert [r[0] for r in db.execute(f"SELECT url FROM reports WHERE {hit}", params)] == ["http://x/3"]
    assert db.execute("SELECT fold FROM sections WHERE text = '新设ＡＰＰ专栏'").fetchone() == (1,)


def _canned(name: str) -> str:
    return json.loads((REPO / "metadata.json").read_text(encoding="utf-8"))["databases"]["archive"][
        "queries"][name]["sql"]


def _plan(db, name: str, params: dict) -> str:
    """SQLite's query plan of a canned query, one step a line."""
    return "\n".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN " + _canned(name), params))


def _reopened_before(archive, migration, *undo: str):
    """The archive made as it was before ``migration`` (``undo``: the SQL that takes out what it
    made; the migration and those after it unrecorded), closed and opened again: migrated."""
    version = next(i for i, (_, f) in enumerate(schema.MIGRATIONS, 1) if f is migration)
    with archive.db.atomic():
        for sql in undo:
            archive.db.execute(sql)
        archive.db.execute("DELETE FROM schema_migrations WHERE version >= ?", (version,))
    path = archive.db.conn.execute("PRAGMA database_list").fetchone()[2]
    archive.close()
    return schema.open_archive(path)


def _later_derived(db) -> list[tuple]:
    # what the change feeds grouped every version for, before later_versions
    return [tuple(r) for r in db.execute(
        "SELECT v.id, v.report_id, v.fetched_at FROM versions v "
        "WHERE v.id > (SELECT min(v0.id) FROM versions v0 WHERE v0.report_id = v.report_id) ORDER BY v.id")]


def test_later_versions_kept_by_the_store_and_filled_by_the_migration(tmp_path):
    """later_versions holds exactly the versions after each report's first: kept by its
    trigger as the store adds versions (new report, changed bytes, bytes served again, an older
    version served again), and filled from the versions by the migration for an archive
    written before it."""
    path = tmp_path / "later.db"
    archive = Archive(path)
    page = "<html><head><title>{t}</title></head><body><p>一、总体情况</p><p>{b}</p></body></html>"

    def put(url, body, at):
        rec = {"title": "托里县人民政府2023年政府信息公开工作年度报告", "agency": "托里县人民政府",
               "report_year": 2023, "sections": [{"number": 1, "heading": "总体情况", "text": body}]}
        return archive.store(rec, page.format(t=rec["title"], b=body), {"url": url, "fetched_at": at}).status

    statuses = [put("http://x/a", "第一版", "2024-02-01T00:00:00+00:00"),
                put("http://x/b", "只有一版", "2024-02-01T00:00:01+00:00"),
                put("http://x/a", "第二版", "2024-03-01T00:00:00+00:00"),
                put("http://x/a", "第二版", "2024-03-02T00:00:00+00:00"),
                put("http://x/a", "第一版", "2024-04-01T00:00:00+00:00"),
                put("http://x/a", "第三版", "2024-05-01T00:00:00+00:00"),
                put("http://x/c", "一", "2024-05-01T00:00:02+00:00"),
                put("http://x/c", "二", "2024-06-01T00:00:00+00:00")]
    assert statuses == ["new", "new", "changed", "unchanged", "reverted", "changed", "new", "changed"]
    db = archive.db
    kept = [tuple(r) for r in db.execute("SELECT version_id, report_id, fetched_at FROM later_versions ORDER BY 1")]
    assert kept == _later_derived(db)
    assert [(r, at) for _, r, at in kept] == [(1, "2024-03-01T00:00:00+00:00"), (1, "2024-05-01T00:00:00+00:00"),
                                             (3, "2024-06-01T00:00:00+00:00")]
    # the change feeds read it (by index), not every version grouped by report
    for name in ("archive_changes", "feed_region", "feed_agency"):
        plan = _plan(db, name, {"since": "", "region_code": "654224", "agency_id": 1})
        assert "later_versions" in plan and "SCAN versions" not in plan, (name, plan)
    # an archive of the schema before: no table, no trigger; opening it fills the table
    db = _reopened_before(archive, schema._m_later_versions,
                          "DROP TRIGGER versions_later", "DROP TABLE later_versions")
    assert [tuple(r) for r in db.execute("SELECT version_id, report_id, fetched_at FROM later_versions "
                                         "ORDER BY 1")] == kept
    # and the trigger is back
    archive = Archive(db)
    put("http://x/b", "第二版", "2024-07-01T00:00:00+00:00")
    assert [tuple(r) for r in db.execute("SELECT version_id, report_id, fetched_at FROM later_versions "
                                         "ORDER BY 1")] == _later_derived(db) and len(_later_derived(db)) == 4


def test_every_check_carries_its_reports_year(tmp_path):
    """checks.report_year is its report's year (the order of failed_checks) for the checks the
    store writes, after a new version changes the year, after the old version is served again,
    after an edit in place, and after the migration fills an archive written before it."""
    archive = Archive(tmp_path / "years.db")
    db = archive.db

    def put(url, year, body, at):
        rec = {"title": f"托里县人民政府{year}年政府信息公开工作年度报告", "agency": "托里县人民政府",
               "report_year": year, "sections": [{"number": 1, "heading": "总体情况", "text": body}],
               "checks": [{"name": "applications_balance", "status": "fail", "detail": body},
                          {"name": "tables_read", "status": "pass", "detail": ""}]}
        return archive.store(rec, f"<html><body><p>{body}</p></body></html>", {"url": url, "fetched_at": at}).status

    def wrong():
        return db.execute("SELECT count(*) FROM checks k JOIN reports r ON r.id = k.report_id "
                          "WHERE k.report_year IS NOT r.report_year").fetchone()[0]

    def failed_order():
        return [tuple(r) for r in db.execute(_canned("failed_checks"), {"check_name": ""})]

    assert [put("http://x/a", 2022, "甲", "2024-01-01"), put("http://x/b", 2023, "乙", "2024-01-02"),
            put("http://x/c", 2021, "丙", "2024-01-03")] == ["new"] * 3
    assert wrong() == 0 and db.execute("SELECT count(*) FROM checks WHERE report_year IS NULL").fetchone()[0] == 0
    assert [r[3] for r in failed_order()] == [2023, 2022, 2021]
    # read in its order from the index, not sorted
    plan = _plan(db, "failed_checks", {"check_name": ""})
    assert "checks_flagged_order" in plan and "TEMP B-TREE" not in plan, plan
    assert put("http://x/a", 2024, "甲二", "2024-02-01") == "changed"   # the year read again
    assert wrong() == 0 and [r[3] for r in failed_order()] == [2024, 2023, 2021]
    assert put("http://x/a", 2022, "甲", "2024-03-01") == "reverted"
    assert wrong() == 0 and [r[3] for r in failed_order()] == [2023, 2022, 2021]
    with db.atomic():
        db.execute("UPDATE reports SET report_year = 2020 WHERE url = 'http://x/b'")
    assert wrong() == 0 and [r[3] for r in failed_order()] == [2022, 2021, 2020]
    # an archive of the schema before: the store's checks had no year
    db = _reopened_before(archive, schema._m_checks_by_year,
                          "UPDATE checks SET report_year = NULL", "DROP INDEX checks_flagged_order")
    assert wrong() == 0 and [r[3] for r in failed_order()] == [2022, 2021, 2020]
