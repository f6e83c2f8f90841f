"""Re-parsing replaces each re-parsed version's search rows in place (no rebuild of the whole
index): the index afterwards is the one a rebuild from scratch gives, term for term."""
from __future__ import annotations

import os
import random
import time

import pytest

from db.search_index import rebuild_search_index
from db import reparse
from db.store import Archive


def _vocab(db, table: str) -> list[tuple]:
    name = f"vocab_{table}"
    db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{name} USING fts5vocab(xxgk_search, {table}, 'row')")
    return db.execute(f"SELECT term, doc, cnt FROM temp.{name} ORDER BY term").fetchall()


def _record(i: int, words: list[str], rng: random.Random, agency: str) -> dict:
    return {"title": f"第{i}号报告", "agency": agency, "kind": "report", "report_year": 2020 + i % 3,
            "sections": [{"number": n, "heading": rng.choice(words), "text": "".join(rng.choices(words, k=6))}
                         for n in range(1, rng.randint(2, 5))]}


@pytest.mark.parametrize("batch", [1, 4, 100])
def test_reparse_replaces_search_rows_exactly(tmp_path, monkeypatch, batch):
    """Whatever the versions per transaction (a batch's old rows are deleted together at its
    end), and with a version the new parser fails on (it keeps its rows and its text)."""
    monkeypatch.setattr(reparse, "REPARSE_BATCH", batch)
    rng = random.Random(5)
    words = ["依申请公开", "行政复议", "复议", "诉讼", "主动公开", "Ａ１", "ＡＰＰ", "年度", "政府", "信息"]
    archive = Archive(tmp_path / "a.db")
    archive.index_batch = 4           # some versions indexed, some still waiting at the re-parse
    archive.index_delay = 10 ** 6
    for i in range(30):
        archive.store(_record(i, words, rng, f"某县{i % 4}局"), f"page {i}".encode(),
                      {"url": f"http://example.invalid/{i}.html"})
    db = archive.db
    assert db.execute("SELECT count(*) FROM search_pending").fetchone()[0] > 0   # a tail not indexed yet

    new_words = ["新词甲乙", "丙丁", "戊"]

    def parse(data, **_kw):  # a "new parser": other text, and another agency for some
        i = int(data.split()[1])
        if i == 10:
            raise ValueError("a page this parser cannot read")
        rec = _record(i, new_words + words[:2], random.Random(i), f"某县{i % 4}局" if i % 3 else "另一机关")
        rec["parser_version"] = "new"
        return rec

    some = [v for (v,) in db.execute("SELECT id FROM versions ORDER BY id")][::2]
    result = archive.reparse(parse=parse, version_ids=some)
    assert result["reparsed"] == len(some) - 1 and result["failed"] == 1
    assert db.execute("SELECT count(*) FROM versions WHERE parser_version = 'new'").fetchone()[0] == len(some) - 1
    assert db.execute("SELECT count(*) FROM search_pending").fetchone()[0] == 0
    got = {t: _vocab(db, t) for t in ("search_text", "search_short")}
    assert any(term == "新词甲" for term, _, _ in got["search_text"])
    with db.atomic():
        rebuild_search_index(db)
    assert {t: _vocab(db, t) for t in ("search_text", "search_short")} == got
    archive.close()


def test_an_index_edited_by_hand_is_rebuilt_not_corrupted(tmp_path):
    """A section changed by hand after indexing: the index no longer holds the archive's text,
    so deleting the recomposed row would corrupt it. The re-parse notices (token counts differ),
    deletes nothing and rebuilds the index; every search still works."""
    archive = Archive(tmp_path / "a.db")
    rng = random.Random(1)
    words = ["依申请公开", "行政复议", "诉讼"]
    for i in range(6):
        archive.store(_record(i, words, rng, "某县局"), f"page {i}".encode(), {"url": f"http://e.invalid/{i}"})
    archive.flush_index()
    db = archive.db
    with db.atomic():
        db.execute("UPDATE sections SET text = text || '手工改动' WHERE id = (SELECT min(id) FROM sections)")
    vid = db.execute("SELECT version_id FROM sections WHERE text LIKE '%手工改动'").fetchone()[0]
    archive.reparse(parse=lambda data, **kw: {**_record(9, ["新的文字"], random.Random(2), "某县局"),
                                              "parser_version": "new"}, version_ids=[vid])
    got = {t: _vocab(db, t) for t in ("search_text", "search_short")}
    assert db.execute("SELECT rowid FROM search_text WHERE search_text MATCH '\"新的文字\"'").fetchall() == [(vid,)]
    with db.atomic():
        rebuild_search_index(db)
    assert {t: _vocab(db, t) for t in ("search_text", "search_short")} == got
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.execute("INSERT INTO search_text(search_text) VALUES ('integrity-check')")
    archive.close()


def _corpus_archive(path, docs):
    from pipelines import parse_document

    archive = Archive(path)
    for i, doc in enumerate(docs):
        data = doc.read_bytes()
        url = f"http://example.invalid/{i}/{doc.name}"
        archive.store(parse_document(data, url=url), data, {"url": url, "fetched_at": "2024-05-01T00:00:00+00:00"})
    archive.flush_index()
    return archive


def _derived(db) -> dict:
    return {
        "sections": db.execute("SELECT id, version_id, number, heading, text FROM sections ORDER BY id").fetchall(),
        "cells": db.execute("SELECT * FROM cells ORDER BY version_id, table_name, row_key, col_key").fetchall(),
        "checks": db.execute("SELECT version_id, name, status, detail FROM checks ORDER BY version_id, name").fetchall(),
        "records": db.execute("SELECT id, record, warnings FROM versions ORDER BY id").fetchall(),
        "reports": db.execute("SELECT * FROM reports ORDER BY id").fetchall(),
        "search_text": _vocab(db, "search_text"), "search_short": _vocab(db, "search_short"),
    }


def test_reparse_in_a_parser_process_gives_what_parsing_here_gives(tmp_path, monkeypatch):
    """With the default parser, the versions parsed in a process of their own (the next batch
    parsed while the last is written) end exactly as when parsed here, index included."""
    from pathlib import Path

    docs = sorted((Path(__file__).parent / "fixtures" / "public" / "corpus" / "docs").glob("*.html"))[:8]
    assert len(docs) == 8
    monkeypatch.setattr(reparse, "REPARSE_BATCH", 3)
    made = []
    real_pool = reparse._parser_pool

    sent = []

    def pool(workers, versions):
        made.append(real_pool(min(workers, 1), versions))
        if workers == 2:   # a pool whose process died before the re-parse used it
            made[-1].submit(os._exit, 1)
            time.sleep(0.5)
        elif made[-1] is not None:   # count what is sent to the parser process
            submit = made[-1].submit
            made[-1].submit = lambda fn, *a, **kw: sent.append(fn) or submit(fn, *a, **kw)
        return made[-1]
    monkeypatch.setattr(reparse, "_parser_pool", pool)
    results, said = {}, {}
    for workers in (0, 1, 2):
        archive = _corpus_archive(tmp_path / f"w{workers}.db", docs)
        with archive.db.atomic():   # as if an older parser had written them
            archive.db.execute("UPDATE versions SET parser_version = 'old'")
        said[workers] = []
        assert archive.reparse(workers=workers, progress=said[workers].append) == \
            {"reparsed": 8, "failed": 0, "readable": 8}
        results[workers] = _derived(archive.db)
        archive.close()
    assert made[0] is None and made[1] is not None     # here, then in a process
    assert len(sent) == 8 and {fn.__name__ for fn in sent} == {"parse_document"}
    assert results[1] == results[0] == results[2]
    assert said[0] == said[1] == []
    # the dead process: the versions parsed here instead, and said once (the batch it broke in)
    assert len(said[2]) == 1 and "parser process stopped" in said[2][0], said[2]


def test_a_parser_process_that_died_is_replaced_by_parsing_here():
    """A version whose parser process died is parsed here; a document the parser raises on
    is a failure with its message, the rest parsed."""
    from concurrent.futures import BrokenExecutor

    class Dead:
        def result(self):
            raise BrokenExecutor("a child process terminated abruptly")

    def parse(data, **_kw):
        if data == b"bad":
            raise ValueError("unreadable")
        return {"text": data.decode()}

    batch = [((1, 10, 1, None), b"one", {}, Dead()), ((2, 20, 2, None), b"bad", {}, None),
             ((3, 30, 3, None), b"three", {}, None)]
    parsed, failures, notes = reparse._parse_results(batch, parse)
    assert [(p[0], p[4]) for p in parsed] == [(1, {"text": "one"}), (3, {"text": "three"})]
    assert failures == ["version 2: could not parse: ValueError: unreadable"]
    assert notes == ["the parser process stopped (a child process terminated abruptly): version 1 and "
                     "the rest parsed in this process"]


def test_the_parser_process_by_default_only_from_one_thread(monkeypatch):
    """By default a parser process is forked only for a run worth it, on a machine with a
    second core, from a process that runs one thread (a fork keeps only the forking thread: a
    lock another thread held would stay held in the child); asked for, always."""
    import threading

    cores, threads = [2], [1]
    monkeypatch.setattr(os, "cpu_count", lambda: cores[0])
    monkeypatch.setattr(threading, "active_count", lambda: threads[0])

    def made(workers, versions):
        pool = reparse._parser_pool(workers, versions)
        if pool is not None:
            pool.shutdown()
        return pool is not None

    assert made(None, reparse.REPARSE_BATCH) and not made(None, reparse.REPARSE_BATCH - 1)
    assert not made(0, 10 ** 6)
    threads[0] = 2
    assert not made(None, 10 ** 6) and made(1, 10 ** 6)
    threads[0], cores[0] = 1, 1
    assert not made(None, 10 ** 6)
