"""The crawler's one door into the archive (``db.store``) — a small adapter, so the
crawler depends on four calls only:

* :meth:`CrawlArchive.store_report` → ``db.store.Archive.store(record, raw, meta)``
* :meth:`CrawlArchive.start_run` / :meth:`finish_run` → the ``crawl_runs`` rows
* :meth:`CrawlArchive.log` → ``crawl_log``: what the crawler saw and did not archive
  (blocked pages, skipped titles, dead links, duplicates, refused requests)
* :meth:`CrawlArchive.fetch_state` / :meth:`remember` / :meth:`touch` → ``crawl_fetch_state``:
  ETag, Last-Modified and SHA-256 per URL, for conditional requests and the content check,
  plus the list entry (title, date) and when the URL was last validated (stored, or
  confirmed unchanged) — what the re-validation window (``XXGK_REVALIDATE_DAYS``) reads
* :meth:`CrawlArchive.add_alias` → ``report_aliases``: the URL a list gave for a report
  reached through a redirect (the report is stored under its final URL)
* :meth:`CrawlArchive.record_attachment` / :meth:`attachment_path` → ``db.attachments``
* :meth:`CrawlArchive.refresh_register` → ``db.register.refresh`` once a crawl closes

``crawl_log`` and ``crawl_fetch_state`` are the crawler's tables; like every table of
the archive they are created and migrated by ``db.schema``.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from crawler.portals import DEFAULT_REGISTRY
from db.store import Archive, now_iso


@dataclass(slots=True)   # one per archived URL, loaded at the start of an incremental crawl
class FetchState:
    url: str
    etag: str | None
    last_modified: str | None
    sha256: str | None
    list_title: str | None = None     # the list entry when the URL was last validated
    list_date: str | None = None
    validated_at: str | None = None   # last stored, or last confirmed unchanged (304 / same bytes)


TOUCH_BATCH = 500


class CrawlArchive:
    def __init__(self, path: str | Path):
        self.path = str(path)
        self.archive = Archive(self.path)
        self.db = self.archive.db
        self._touched: list[tuple] = []
        self.stored_reports: set[int] = set()   # report ids stored by this crawl

    def limit_cache(self, mb: int) -> None:
        """Cap SQLite's page cache of this connection at *mb* MB (``XXGK_SQLITE_CACHE_MB``).
        The archive opens with ``db.schema``'s 64 MB; that cache fills as the archive grows
        (over the first ~1,500 reports of a crawl) and was most of the crawl's memory growth;
        16 MB (the crawler's default) crawls as fast (bench/crawl.py)."""
        self.db.execute(f"PRAGMA cache_size = {-1024 * int(mb)}")

    # -- runs ------------------------------------------------------------------
    def start_run(self, spider: str) -> int:
        return self.archive.start_run(spider)

    def finish_run(self, run_id: int, stats: dict) -> None:
        self.flush_touched()
        self.archive.finish_run(run_id, stats)

    # -- reports ---------------------------------------------------------------
    def store_report(self, record: dict, raw: bytes, meta: dict):
        result = self.archive.store(record, raw, meta)
        self.stored_reports.add(result.report_id)
        return result

    def refresh_register(self, registry: str | Path | None) -> dict:
        """After a crawl: regions, the registry, agency links, cross-year checks and text
        reuse (``db.register.refresh``) for the publishers this crawl stored."""
        from db.register import refresh
        ids = sorted(self.stored_reports)
        agency_ids = sorted({r[0] for r in self.db.execute(
            f"SELECT DISTINCT agency_id FROM reports WHERE id IN ({','.join('?' * len(ids))}) "
            "AND agency_id IS NOT NULL", ids).fetchall()}) if ids else []
        return refresh(self.db, registry=registry or DEFAULT_REGISTRY, agency_ids=agency_ids)

    def url_with_bytes(self, sha256: str, other_than: str) -> str | None:
        """The URL of an archived report whose bytes have this SHA-256 (another URL)."""
        row = self.db.execute(
            "SELECT r.url FROM versions v JOIN reports r ON r.id = v.report_id WHERE v.sha256 = ? AND r.url != ? LIMIT 1",
            (sha256, other_than)).fetchone()
        return row[0] if row else None

    # -- attachments (db.attachments) ---------------------------------------------
    def record_attachment(self, report_id: int | None, version_id: int | None, info: dict) -> None:
        from db.attachments import record_attachment
        record_attachment(self.db, report_id, version_id, info)

    def last_attachment(self, url: str) -> dict | None:
        from db.attachments import last_attachment
        return last_attachment(self.db, url)

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
        rows = self.db.execute("SELECT url, etag, last_modified, sha256, list_title, list_date, validated_at"
                               " FROM crawl_fetch_state").fetchall()
        return {r[0]: FetchState(*r) for r in rows}

    def remember(self, url: str, portal: str, etag: str | None, last_modified: str | None, sha256: str,
                 http_status: int, fetched_at: str, list_title: str | None = None,
                 list_date: str | None = None) -> None:
        """A URL archived (or recognised as a duplicate) by this crawl: validated now."""
        with self.db.conn:
            self.db.execute(
                "INSERT INTO crawl_fetch_state(url, portal, etag, last_modified, sha256, http_status, fetched_at,"
                " list_title, list_date, validated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET etag=excluded.etag,"
                " last_modified=excluded.last_modified, sha256=excluded.sha256, http_status=excluded.http_status,"
                " fetched_at=excluded.fetched_at, list_title=excluded.list_title, list_date=excluded.list_date,"
                " validated_at=excluded.validated_at",
                (url, portal, etag, last_modified, sha256, http_status, fetched_at, list_title, list_date,
                 now_iso()))

    def add_alias(self, url: str, report_url: str, portal: str | None = None) -> None:
        """*url* (a list's link, before a redirect) leads to the report at *report_url*."""
        at = now_iso()
        with self.db.conn:
            self.db.execute(
                "INSERT INTO report_aliases(url, report_url, portal, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(url) DO UPDATE SET report_url=excluded.report_url, last_seen=excluded.last_seen",
                (url, report_url, portal, at, at))

    def touch(self, url: str, list_title: str | None, list_date: str | None) -> None:
        """A URL confirmed unchanged (304, or the same bytes): validated now, with the list
        entry that was seen. Written in batches (a lost batch only means re-validating)."""
        self._touched.append((list_title, list_date, now_iso(), url))
        if len(self._touched) >= TOUCH_BATCH:
            self.flush_touched()

    def flush_touched(self) -> None:
        rows, self._touched = self._touched, []
        if rows:
            with self.db.conn:
                self.db.conn.executemany("UPDATE crawl_fetch_state SET list_title = ?, list_date = ?, validated_at = ?"
                                    " WHERE url = ?", rows)

    def close(self) -> None:
        try:
            self.flush_touched()
        except sqlite3.Error:
            pass
        try:
            self.db.conn.close()
        except sqlite3.Error:
            pass


def stats_json(stats: dict) -> str:
    return json.dumps(stats, ensure_ascii=False, default=str)
