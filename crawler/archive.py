"""The crawler's one door into the archive (``db.store``) — a small adapter, so the
crawler depends on four calls only:

* :meth:`CrawlArchive.store_report` → ``db.store.Archive.store(record, raw, meta)``
* :meth:`CrawlArchive.start_run` / :meth:`finish_run` → the ``crawl_runs`` rows
* :meth:`CrawlArchive.log` → ``crawl_log``: what the crawler saw and did not archive
  (blocked pages, skipped titles, dead links, duplicates, refused requests)
* :meth:`CrawlArchive.fetch_state` / :meth:`remember` → ``crawl_fetch_state``: ETag,
  Last-Modified and SHA-256 per URL, for conditional requests and the content check

``crawl_log`` and ``crawl_fetch_state`` belong to the crawler (created here, in the
archive file, if missing); everything else belongs to ``db``.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from db.store import Archive, now_iso


@dataclass
class FetchState:
    url: str
    etag: str | None
    last_modified: str | None
    sha256: str | None


class CrawlArchive:
    def __init__(self, path: str | Path):
        self.path = str(path)
        self.archive = Archive(self.path)
        self.db = self.archive.db
        self.db.executescript(
            """
            CREATE TABLE IF NOT EXISTS crawl_log (
                id INTEGER PRIMARY KEY, run_id INTEGER, portal TEXT, url TEXT, event TEXT,
                reason TEXT, http_status INTEGER, title TEXT, list_url TEXT, at TEXT);
            CREATE INDEX IF NOT EXISTS crawl_log_run ON crawl_log(run_id, event);
            CREATE TABLE IF NOT EXISTS crawl_fetch_state (
                url TEXT PRIMARY KEY, portal TEXT, etag TEXT, last_modified TEXT, sha256 TEXT,
                http_status INTEGER, fetched_at TEXT);
            """
        )

    # -- runs ------------------------------------------------------------------
    def start_run(self, spider: str) -> int:
        return self.archive.start_run(spider)

    def finish_run(self, run_id: int, stats: dict) -> None:
        self.archive.finish_run(run_id, stats)

    # -- reports ---------------------------------------------------------------
    def store_report(self, record: dict, raw: bytes, meta: dict):
        return self.archive.store(record, raw, meta)

    def url_with_bytes(self, sha256: str, other_than: str) -> str | None:
        """The URL of an archived report whose bytes have this SHA-256 (another URL)."""
        row = self.db.execute(
            "SELECT r.url FROM versions v JOIN reports r ON r.id = v.report_id WHERE v.sha256 = ? AND r.url != ? LIMIT 1",
            (sha256, other_than)).fetchone()
        return row[0] if row else None

    # -- what was not archived -------------------------------------------------
    def log(self, run_id: int | None, portal: str, url: str, event: str, reason: str = "",
            http_status: int | None = None, title: str | None = None, list_url: str | None = None,
            at: str | None = None) -> None:
        with self.db.conn:
            self.db.execute(
                "INSERT INTO crawl_log(run_id, portal, url, event, reason, http_status, title, list_url, at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, portal, url, event, reason, http_status, title, list_url, at or now_iso()))

    # -- incremental -------------------------------------------------------------
    def fetch_state(self) -> dict[str, FetchState]:
        rows = self.db.execute("SELECT url, etag, last_modified, sha256 FROM crawl_fetch_state").fetchall()
        return {r[0]: FetchState(*r) for r in rows}

    def remember(self, url: str, portal: str, etag: str | None, last_modified: str | None, sha256: str,
                 http_status: int, fetched_at: str) -> None:
        with self.db.conn:
            self.db.execute(
                "INSERT INTO crawl_fetch_state(url, portal, etag, last_modified, sha256, http_status, fetched_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET etag=excluded.etag,"
                " last_modified=excluded.last_modified, sha256=excluded.sha256, http_status=excluded.http_status,"
                " fetched_at=excluded.fetched_at",
                (url, portal, etag, last_modified, sha256, http_status, fetched_at))

    def close(self) -> None:
        try:
            self.db.conn.close()
        except sqlite3.Error:
            pass


def stats_json(stats: dict) -> str:
    return json.dumps(stats, ensure_ascii=False, default=str)
