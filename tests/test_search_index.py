"""The search index in a file of its own (db/search_index.py): written by an indexer (a
process of its own during a bulk load) while the store writes the archive; each file has one
writer, and a crash between the two never indexes a version twice nor loses one."""
from __future__ import annotations

import os
import random
import signal
import sqlite3
import time

from db import chinese, schema, search, search_index
from db.search_index import SCHEMA, index_pending, index_step, mark_stale, rebuild_search_index
from db.store import Archive

WORDS = ["依申请公开", "行政复议", "复议", "诉讼", "主动公开", "Ａ１", "年度", "政府", "信息", "专栏"]


def _record(i: int, rng: random.Random, words=WORDS) -> dict:
    return {"title": f"第{i}号报告", "agency": f"某县{i % 3}局", "kind": "report", "report_year": 2020 + i % 4,
            "sections": [{"number": n, "heading": rng.choice(words), "text": "".join(rng.choices(words, k=5))}
                         for n in range(1, rng.randint(2, 4))]}


def _vocab(db, table: str) -> list[tuple]:
    name = f"vocab_{table}"
    db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{name} USING fts5vocab({SCHEMA}, {table}, 'instance')")
    return db.execute(f"SELECT term, doc, col, offset FROM temp.{name} ORDER BY 1, 2, 3, 4").fetchall()


def _index(db) -> dict:
    return {t: _vocab(db, t) for t in search_index.FTS_TABLES}


def _as_rebuilt(db) -> tuple[dict, dict]:
    """(the index as it is, the index a rebuild from the archive's tables gives); the archive
    is left with the rebuilt one."""
    got = _index(db)
    with db.atomic():
        rebuild_search_index(db)
    rebuilt = _index(db)
    return got, rebuilt


def _store(archive, n, start=0, seed=3):
    rng = random.Random(seed)
    for i in range(start, start + n):
        archive.store(_record(i, rng), f"page {i}".encode(), {"url": f"http://example.invalid/{i}.html"})


def test_the_index_lives_in_its_own_file(tmp_path):
    path = tmp_path / "a.db"
    archive = Archive(path)
    _store(archive, 5)
    archive.close()
    assert (tmp_path / "a.db-search").exists()
    plain = sqlite3.connect(path)
    assert plain.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE 'search_text%'").fetchone() == (0,)
    plain.execute("ATTACH DATABASE ? AS xxgk_search", (f"{path}-search",))
    assert plain.execute("SELECT count(*) FROM search_text_docsize").fetchone() == (5,)
    assert plain.execute("PRAGMA xxgk_search.journal_mode").fetchone() == ("wal",)


def test_an_indexer_process_indexes_while_the_store_goes_on(tmp_path):
    """index_process=True: the store hands its batches to `python -m db.search_index`; at close
    the index is exactly what a rebuild from the archive gives, nothing pending or stale."""
    archive = Archive(tmp_path / "a.db", index_process=True)
    archive.index_batch = 7
    _store(archive, 60)
    indexer = archive._indexer
    assert indexer is not None and indexer.alive()
    automerge = f"SELECT v FROM {SCHEMA}.search_text_config WHERE k = 'automerge'"
    for _ in range(100):   # a bulk load: FTS5 merges 16 segments at a time while it runs
        if archive.db.execute(automerge).fetchone() == (search_index.BULK_AUTOMERGE,):
            break
        time.sleep(0.05)
    assert archive.db.execute(automerge).fetchone() == (search_index.BULK_AUTOMERGE,)
    archive.close()
    assert indexer.process.returncode == 0
    db = schema.open_archive(tmp_path / "a.db")
    assert db.execute(automerge).fetchone() == (search_index.SEARCH_AUTOMERGE,)   # and back after
    assert db.execute("SELECT count(*) FROM search_pending").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM search_stale").fetchone() == (0,)
    got, rebuilt = _as_rebuilt(db)
    assert got == rebuilt and got["search_text"]
    assert db.execute("SELECT count(*) FROM search_text_docsize").fetchone() == (60,)


def test_by_default_a_bulk_load_starts_an_indexer_process(tmp_path, monkeypatch):
    import db.store as store

    monkeypatch.setattr(store, "INDEX_PROCESS_AFTER", 10)
    monkeypatch.setattr(store.os, "cpu_count", lambda: 2)
    archive = Archive(tmp_path / "a.db")
    archive.index_batch = 4
    _store(archive, 8)
    assert archive._indexer is None            # a few reports: indexed here
    _store(archive, 12, start=8)
    assert archive._indexer is not None        # a bulk load: a process of its own
    archive.close()
    monkeypatch.setattr(store.os, "cpu_count", lambda: 1)
    archive = Archive(tmp_path / "b.db")
    archive.index_batch = 4
    _store(archive, 20)
    assert archive._indexer is None            # one core: no gain, none started
    archive.close()
    memory = Archive(":memory:", index_process=True)
    memory.index_batch = 2
    _store(memory, 4)
    assert memory._indexer is None             # an archive in memory has no file to share
    memory.close()


def test_an_indexer_process_that_dies_is_replaced_by_indexing_here(tmp_path, caplog):
    archive = Archive(tmp_path / "a.db", index_process=True)
    archive.index_batch = 5
    _store(archive, 10)
    indexer = archive._indexer
    os.kill(indexer.process.pid, signal.SIGKILL)
    indexer.process.wait()
    _store(archive, 20, start=10)
    assert archive._indexer is None and archive.index_process is False
    assert "indexer process stopped" in caplog.text
    archive.close()
    db = schema.open_archive(tmp_path / "a.db")
    got, rebuilt = _as_rebuilt(db)
    assert got == rebuilt
    assert db.execute("SELECT count(*) FROM search_text_docsize").fetchone() == (30,)


def test_a_crash_between_the_two_files_indexes_nothing_twice(tmp_path):
    """The indexer commits the index file (rows and search_done together), then the process
    stops before the archive's queue is cleared: opened again, those versions are not indexed
    a second time (FTS5 would count their tokens twice)."""
    path = tmp_path / "a.db"
    archive = Archive(path, index_process=False)
    archive.index_batch = archive.index_delay = 10 ** 6
    _store(archive, 12)
    assert index_step(archive.db, limit=5) == 5     # indexed, queue not cleared: the "crash"
    db = archive.db
    assert db.execute("SELECT count(*) FROM search_pending").fetchone() == (12,)
    # searches meanwhile: a pending version is tested on its text (found once)
    hit, params = search.report_hit("依申请公开")
    found = [r[0] for r in db.execute(f"SELECT id FROM reports WHERE {hit} ORDER BY id", params)]
    db.close()
    db = schema.connect(path)
    assert index_step(db) == 7                      # the 5 done are not handled again
    db.close()
    db = schema.open_archive(path)                  # indexes what is pending, clears the queue
    assert db.execute("SELECT count(*) FROM search_pending").fetchone() == (0,)
    got, rebuilt = _as_rebuilt(db)
    assert got == rebuilt
    assert [r[0] for r in db.execute(f"SELECT id FROM reports WHERE {hit} ORDER BY id", params)] == found
    assert found


def _rewrite(db, vid: int, text: str) -> None:
    """A re-parse's part that matters here: the old text recorded, the sections replaced."""
    with db.atomic():
        mark_stale(db.conn, vid)
        db.execute("UPDATE sections SET text = ? WHERE version_id = ?", (text, vid))


def test_text_changed_twice_before_the_indexer_ran(tmp_path):
    """A version indexed, re-parsed, re-parsed again, then indexed: the indexer deletes the
    rows it holds (the first text, identified by its token counts among the recorded ones) and
    indexes the last; searches meanwhile find the version by its current text only."""
    archive = Archive(tmp_path / "a.db", index_process=False)
    _store(archive, 6)
    archive.flush_index()
    db = archive.db
    vid = 3
    _rewrite(db, vid, "第一稿独有的话")
    assert index_pending(db) == 1                    # the index holds the first text
    _rewrite(db, vid, "第二稿没有旧词")
    _rewrite(db, vid, "第三稿写着新词甲乙")
    assert db.execute("SELECT count(*) FROM search_stale WHERE version_id = ?", (vid,)).fetchone() == (2,)
    # not indexed yet: the index still holds the first text, but a search tests the current one
    assert db.execute("SELECT rowid FROM search_text WHERE search_text MATCH '\"第一稿独有\"'").fetchall() == [(vid,)]
    for q, want in (("新词甲乙", [vid]), ("第二稿", []), ("第一稿独有", []), ("第三稿", [vid])):
        hit, params = search.version_condition(q, "id")
        assert [r[0] for r in db.execute(f"SELECT id FROM versions WHERE {hit}", params)] == want, q
    for q, want in (("新词甲乙", [vid]), ("第一稿独有", [])):
        hit, params = search.lazy_report_hit(q)
        assert [r[0] for r in db.execute(f"SELECT version_id FROM reports WHERE {hit}", params)] == want, q
    assert index_pending(db) == 1
    assert db.execute("SELECT count(*) FROM search_stale").fetchone() == (0,)
    assert db.execute(f"SELECT count(*) FROM {SCHEMA}.search_broken").fetchone() == (0,)
    got, rebuilt = _as_rebuilt(db)
    assert got == rebuilt
    assert db.execute("SELECT rowid FROM search_text WHERE search_text MATCH '\"新词甲乙\"'").fetchall() == [(vid,)]
    db.execute("INSERT INTO search_text(search_text) VALUES ('integrity-check')")
    db.execute("INSERT INTO search_short(search_short) VALUES ('integrity-check')")
    archive.close()


def test_text_changed_while_an_indexer_held_the_old_one(tmp_path):
    """The indexer read a version's pending text; a re-parse then changed it (recording that
    text as stale) before the archive's queue was cleared: the new marking stays pending and
    the next step replaces the rows."""
    archive = Archive(tmp_path / "a.db", index_process=False)
    archive.index_batch = archive.index_delay = 10 ** 6
    _store(archive, 4)
    db = archive.db
    assert index_step(db) == 4                      # indexed; the queue not cleared yet
    _rewrite(db, 2, "改过的文字")                   # re-marked: a new seq
    assert search_index.clear_done(db) == 3         # the old marking of 2 was replaced, not done
    assert [r[0] for r in db.execute("SELECT version_id FROM search_pending")] == [2]
    assert index_pending(db) == 1
    got, rebuilt = _as_rebuilt(db)
    assert got == rebuilt
    archive.close()


def test_a_lost_index_file_is_built_again(tmp_path):
    path = tmp_path / "a.db"
    archive = Archive(path)
    _store(archive, 5)
    archive.close()
    for suffix in ("-search", "-search-wal", "-search-shm"):
        if (tmp_path / f"a.db{suffix}").exists():
            (tmp_path / f"a.db{suffix}").unlink()
    db = schema.open_archive(path)
    assert db.execute("SELECT count(*) FROM search_text_docsize").fetchone() == (5,)
    hit, params = search.report_hit("依申请公开")
    assert db.execute(f"SELECT count(*) FROM reports WHERE {hit}", params).fetchone()[0] > 0


def test_an_older_archive_moves_its_index_without_tokenizing_again(tmp_path):
    """Migration: FTS5's own tables are copied row for row into the new file (so the
    tokenizer never runs on them) and dropped from the archive; pending versions keep waiting."""
    path = tmp_path / "old.db"
    before = schema.SEARCH_FILE_VERSION - 1
    db = schema.open_archive(path, target=before)
    assert db.execute("SELECT count(*) FROM main.sqlite_master WHERE name = 'search_text'").fetchone() == (1,)
    # an archive of that schema: three versions, two indexed, one pending
    db.execute("PRAGMA foreign_keys = OFF")   # (rows written out of order)
    with db.atomic():
        for i in range(3):
            db.execute("INSERT INTO reports(id, url, title, version_id) VALUES (?, ?, ?, ?)",
                       (i + 1, f"http://x/{i}", f"第{i}号", i + 1))
            db.execute("INSERT INTO versions(id, report_id, sha256, fetched_at, record) VALUES (?, ?, ?, ?, '{}')",
                       (i + 1, i + 1, f"h{i}", "2024-01-01"))
            db.execute("INSERT INTO sections(id, report_id, version_id, number, heading, text) "
                       "VALUES (?, ?, ?, 1, '总体情况', ?)", (schema.section_id(i + 1, 1), i + 1, i + 1, f"行政复议第{i}件"))
        rows = search_index.rows_from_db(db.conn, [1, 2])
        db.conn.executemany("INSERT INTO main.search_text(rowid, title, agency, text) VALUES (?, ?, ?, ?)",
                            [rows[v][0] for v in (1, 2)])
        db.conn.executemany("INSERT INTO main.search_short(rowid, text) VALUES (?, ?)", [rows[v][1] for v in (1, 2)])
        db.execute("INSERT INTO search_pending(version_id) VALUES (3)")
        db.execute("INSERT OR REPLACE INTO archive_meta(key, value) VALUES ('tokenizer_version', ?)",
                   (str(chinese.TOKENIZER_VERSION),))   # indexed by this tokenizer
    data = db.execute("SELECT * FROM main.search_text_data ORDER BY id").fetchall()
    db.close()
    tokenized = []
    db = schema.connect(path)
    db.conn.set_trace_callback(lambda sql: tokenized.append(sql) if "INSERT INTO search_text(" in sql else None)
    schema.migrate(db)
    assert tokenized == []                           # copied, not indexed again
    # FTS5's data as it was; the structure record (id 10) differs only in its config cookie
    # (the first 4 bytes: automerge was set after the copy)
    moved = db.execute(f"SELECT id, CASE id WHEN 10 THEN substr(block, 5) ELSE block END "
                       f"FROM {SCHEMA}.search_text_data ORDER BY id").fetchall()
    assert moved == [(i, block[4:] if i == 10 else block) for i, block in data]
    assert db.execute(f"SELECT v FROM {SCHEMA}.search_text_config WHERE k = 'automerge'").fetchone() == \
        (search_index.SEARCH_AUTOMERGE,)
    assert db.execute("SELECT count(*) FROM main.sqlite_master WHERE name LIKE 'search_text%' "
                      "OR name LIKE 'search_short%'").fetchone() == (0,)
    assert [r[1] for r in db.execute("SELECT seq, version_id FROM search_pending")] == [3]
    db.close()
    db = schema.open_archive(path)
    got, rebuilt = _as_rebuilt(db)
    assert got == rebuilt and db.execute("SELECT count(*) FROM search_text_docsize").fetchone() == (3,)
    db.execute("INSERT INTO search_text(search_text) VALUES ('integrity-check')")


def test_datasette_reads_the_index_file_and_tests_pending_versions_on_their_text(tmp_path):
    """Datasette (the plugin attaches the index file read-only, immutable when the archive is
    served immutable): the search box finds stored versions; a version re-parsed but not
    indexed yet is found by its new text only, and again once indexed."""
    import asyncio

    from datasette.app import Datasette

    from db import datasette_plugin
    from db.cli import metadata_for, register_plugin

    path = tmp_path / "a.db"
    archive = Archive(path, index_process=False)
    archive.index_batch = archive.index_delay = 10 ** 6
    _store(archive, 6)
    _rewrite(archive.db, 2, "第一稿独有的话")
    archive.flush_index()
    _rewrite(archive.db, 2, "第二稿换了说法")          # pending; the index holds the first text
    archive.db.close()
    register_plugin()

    async def found(ds, q):
        datasette_plugin._CACHE.clear()
        r = await ds.client.get("/a/reports.json", params={"_search": q, "_shape": "objects", "_col": "id"})
        assert r.status_code == 200, r.text
        return sorted(row["id"] for row in r.json()["rows"])

    async def run(ds):
        return [await found(ds, q) for q in ("第一稿独有", "第二稿换了", "依申请公开")]

    mutable = asyncio.run(run(Datasette([str(path)], metadata=metadata_for(path))))
    assert mutable[0] == [] and mutable[1] == [2] and mutable[2]
    frozen = asyncio.run(run(Datasette([], immutables=[str(path)], metadata=metadata_for(path))))
    assert frozen == mutable
    db = schema.open_archive(path)                   # indexes what is pending
    assert db.execute("SELECT count(*) FROM search_pending").fetchone() == (0,)
    db.close()
    assert asyncio.run(run(Datasette([str(path)], metadata=metadata_for(path)))) == mutable


def test_an_indexer_process_that_fails_says_why_in_one_line(tmp_path):
    indexer = search_index.IndexerProcess(tmp_path / "no-such-archive.db")
    error = indexer.stop()
    assert indexer.process.returncode == 2
    assert error.startswith("usage: python -m db.search_index ARCHIVE") and "\n" not in error
