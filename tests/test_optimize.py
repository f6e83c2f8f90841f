"""`xxgk optimize`: the search index merged into one segment per table, every search answering
as before."""
from __future__ import annotations

import sqlite3

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
    """Merging rewrites the whole index (in the WAL, then in the file): with less free disk than
    that needs (up to twice the index's size), a one-line error before any work; a disk that fills up anyway, the same."""
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
