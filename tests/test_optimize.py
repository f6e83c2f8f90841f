"""`xxgk optimize`: the search index merged into one segment per table, every search answering
as before."""
from __future__ import annotations

import sqlite3

import pytest

from crawler.cli import main
from db.chinese import long_match, short_match
from db.store import Archive


def test_optimize_merges_segments_and_keeps_every_match(tmp_path, capsys):
    path = tmp_path / "a.db"
    archive = Archive(path)
    archive.index_batch = 3          # many small flushes: many segments
    words = ["依申请公开", "行政复议", "诉讼", "主动公开", "年度报告", "政府"]
    for i in range(40):
        text = "".join(words[(i + k) % len(words)] for k in range(i % 5 + 1))
        archive.store({"title": f"第{i}号", "kind": "report",
                       "sections": [{"number": 1, "heading": "总体情况", "text": text}]},
                      text.encode(), {"url": f"http://e.invalid/{i}"})
    archive.close()
    conn = sqlite3.connect(path)
    conn.execute("ATTACH DATABASE ? AS xxgk_search", (f"{path}-search",))   # the index's file

    def hits():
        out = {}
        for q in words + ["复", "公开", "年度报"]:
            for table, expr in (("search_text", long_match(q)), ("search_short", short_match(q))):
                if expr:
                    out[(q, table)] = [r for (r,) in conn.execute(
                        f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid", (expr,))]
        return out

    def segments(table):
        return conn.execute(f"SELECT count(DISTINCT segid) FROM {table}_idx").fetchone()[0]

    before = hits()
    assert segments("search_text") > 1
    assert main(["optimize", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "merged into one segment per table" in out and f"search_text: " in out
    assert segments("search_text") == 1 and segments("search_short") == 1
    assert hits() == before
    assert all(before.values())          # every query matched something: a real comparison
    conn.close()


def test_optimize_names_a_missing_archive(tmp_path, capsys):
    assert main(["optimize", "--db", str(tmp_path / "none.db")]) == 2
    assert "no such archive" in capsys.readouterr().err


def test_optimize_without_the_disk_it_needs_says_so_in_one_line(tmp_path, capsys, monkeypatch):
    """With less free disk than the merge's steps need (``OPTIMIZE_RESERVE_STEPS`` of them), a
    one-line error before any work; a disk that fills up anyway, the same."""
    import shutil
    from collections import namedtuple

    path = tmp_path / "a.db"
    archive = Archive(path)
    archive.store({"title": "第1号", "kind": "report", "sections": [{"number": 1, "heading": "总体情况",
                                                                   "text": "依申请公开"}]},
                  b"x", {"url": "http://e.invalid/1"})
    archive.close()
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10, 10, 0))
    assert main(["optimize", "--db", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "not enough free disk to merge the search index" in err and "a.db-search" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err

    import db.search_index as search_index
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10, 0, 10 ** 12))

    def full(db):
        raise sqlite3.OperationalError("database or disk is full")
    monkeypatch.setattr(search_index, "optimize_search_index", full)
    assert main(["optimize", "--db", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "not enough free disk" in err and len(err.splitlines()) == 1


def _many_segments(path, n=300):
    """An archive of ``n`` reports of varied text, indexed in flushes of five: several segments
    per table (FTS5 merges them four at a time as they come)."""
    import random

    rng = random.Random(16)
    chars = [chr(0x4E00 + i) for i in range(2500)]
    archive = Archive(path, index_process=False)
    archive.index_batch = 5
    for i in range(n):
        text = "".join(rng.choices(chars, k=400)) + "依申请公开"
        archive.store({"title": f"第{i}号", "kind": "report",
                       "sections": [{"number": 1, "heading": "总体情况", "text": text}]},
                      text.encode(), {"url": f"http://e.invalid/{i}"})
    archive.flush_index()
    return archive


def _segments(db, table="search_text"):
    return db.execute(f"SELECT count(DISTINCT segid) FROM {table}_idx").fetchone()[0]


def _found(db):
    return [r for (r,) in db.execute("SELECT rowid FROM search_text WHERE search_text MATCH ? ORDER BY rowid",
                                     (long_match("依申请公开"),))]


def test_the_merge_goes_in_steps_that_reuse_the_files_own_pages(tmp_path, monkeypatch):
    """The index file may grow by a few steps, not by a copy of the index: with SQLite told the
    file may not grow past its size plus ten steps (``max_page_count``: "database or disk is
    full" beyond), the stepwise merge completes where FTS5's one-transaction 'optimize' fails."""
    import db.search_index as search_index

    monkeypatch.setattr(search_index, "OPTIMIZE_STEP_PAGES", 8)
    for way in ("steps", "one transaction"):
        archive = _many_segments(tmp_path / f"{way}.db")
        db = archive.db
        found = _found(db)
        assert _segments(db) >= 4 and len(found) == 300
        db.execute("PRAGMA xxgk_search.wal_checkpoint(TRUNCATE)")
        size = db.execute("PRAGMA xxgk_search.page_count").fetchone()[0]
        assert size > 400                               # the index is fifty steps and more
        db.execute(f"PRAGMA xxgk_search.max_page_count = {size + 10 * 8}")
        if way == "steps":
            before = search_index.optimize_search_index(db)
            assert before["search_text"] >= 4
            assert _segments(db) == 1 and _segments(db, "search_short") == 1
            assert _found(db) == found
        else:
            with pytest.raises(sqlite3.OperationalError, match="full"):
                with db.atomic():
                    db.execute("INSERT INTO search_text(search_text) VALUES ('optimize')")
        archive.close()


def test_an_interrupted_merge_keeps_its_steps_and_the_next_run_finishes_it(tmp_path, monkeypatch, capsys):
    """The disk fills in the middle (the twentieth step fails): the steps merged so far stay —
    searches answer as before, and the next `xxgk optimize` finishes the merge in fewer steps
    than a whole merge of the same archive takes — and one line says so."""
    import shutil

    import sqlite_utils

    import db.search_index as search_index

    monkeypatch.setattr(search_index, "OPTIMIZE_STEP_PAGES", 8)
    path = tmp_path / "a.db"
    archive = _many_segments(path)
    found = _found(archive.db)
    assert _segments(archive.db) >= 4
    archive.close()
    (tmp_path / "whole").mkdir()
    for suffix in ("", "-search"):
        shutil.copy(f"{path}{suffix}", tmp_path / "whole" / f"a.db{suffix}")

    steps, fail_at = 0, None
    real_atomic = sqlite_utils.Database.atomic

    def atomic(self):
        nonlocal steps
        steps += 1
        if steps == fail_at:
            raise sqlite3.OperationalError("database or disk is full")
        return real_atomic(self)
    monkeypatch.setattr(sqlite_utils.Database, "atomic", atomic)

    def optimize(archive_path):
        nonlocal steps
        steps = 0
        code = main(["optimize", "--db", str(archive_path)])
        return code, steps

    code, whole = optimize(tmp_path / "whole" / "a.db")       # the same archive merged at once
    assert code == 0 and whole > 40
    capsys.readouterr()

    fail_at = 20
    assert optimize(path)[0] == 2
    err = capsys.readouterr().err.strip()
    assert "not enough free disk" in err and "the steps merged so far are kept" in err
    assert len(err.splitlines()) == 1
    archive = Archive(path)
    assert _segments(archive.db) > 1 and _found(archive.db) == found
    archive.close()

    fail_at = None
    code, rest = optimize(path)
    assert code == 0 and "merged into one segment per table" in capsys.readouterr().out
    assert rest < whole - 10                   # the steps that committed were not done again
    archive = Archive(path)
    assert _segments(archive.db) == 1 and _found(archive.db) == found
    archive.close()
