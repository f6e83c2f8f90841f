"""Storing parsed reports: the one way data gets into the archive.

    from db.store import Archive
    archive = Archive("archive.db")            # opens, creates or migrates the file
    result = archive.store(record, raw, meta)  # one report, one transaction
    run_id = archive.start_run("portals")
    archive.finish_run(run_id, {"item_scraped_count": 12})

or, for one-off use, ``db.store.store(record, raw, meta, db="archive.db")``.

``record``
    what ``pipelines.parse_document`` returns (the shape of
    ``shared/reference/report-template.md``, "The parsed record", plus
    ``kind``, ``raw_cells``, ``derived_cells``, ``checks``, ``warnings``,
    ``attachments``, ``parser_version``); missing keys are fine.
``raw``
    the bytes as served (``str`` is stored UTF-8 encoded); kept zlib-compressed
    in ``versions.raw`` and identified by its SHA-256.
``meta``
    a dict; every key optional except ``url`` (falls back to ``record["url"]``):

    ==================  ====================================================
    url                 the report's URL (the identity of a report)
    fetched_at          ISO-8601 time of the fetch (default: now)
    http_status         e.g. 200
    final_url           URL after redirects
    encoding            encoding the bytes were decoded with
    content_type        Content-Type header
    agency              agency name (default: ``record["agency"]``)
    region_code         GB/T 2260 code of the agency's region, e.g. "654224"
    region_name         e.g. "新疆维吾尔自治区塔城地区托里县"
    level               "government" or "department" (the deadline rule)
    portal_url          the agency's portal
    clicks              a click count observed separately (e.g. from a counter
                        URL); default ``record["clicks"]``
    clicks_observed_at  when that count was read (default: fetched_at)
    clicks_source       "page" (default) or "counter"
    ==================  ====================================================

Re-storing bytes a URL already served adds no version (only ``last_seen`` and,
for a new observation time, a click observation move); new bytes add a version
and make it current; earlier versions keep their sections, cells and checks.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from . import chinese, figures
from .clock import now_iso
from .schema import CHECK_STATUS_SQL, MAX_SECTIONS, TABLE_NAMES, open_archive, section_id
from .search_index import IndexerProcess, clear_done, index_pending, main_path, mark_pending, search_rows

log = logging.getLogger(__name__)

#: the search index is written in batches: at most this many stored versions, or this many
#: seconds (checked at each store()), wait in ``search_pending`` to be indexed. Searches find
#: them meanwhile too (db/search.py tests their text directly), only more slowly.
INDEX_BATCH = 2000
INDEX_DELAY = 5.0
#: an Archive that has stored this many versions (a bulk load, a first crawl) starts an
#: indexer process for the rest (db/search_index.py): the index is written on a second core
#: while this process stores (measured at a million reports: docs/scale.md)
INDEX_PROCESS_AFTER = 500
#: zlib level of versions.raw: level 1 is about twice as fast as 6 and ~10% larger on portal HTML
RAW_ZLIB_LEVEL = 1


@dataclass
class StoreResult:
    report_id: int
    version_id: int
    status: str  # "new" (first version of a new report), "changed", "unchanged", "reverted"




def _as_bytes(raw: bytes | str | None) -> bytes:
    if raw is None:
        return b""
    return raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)


def _flat_rows(rows: dict, prefix: str = ""):
    # rows are {row_key: {col_key: value}}; a nested {"denied": {"state_secret": {...}}}
    # is read as the dotted row key "denied.state_secret"
    for key, cols in rows.items():
        if not isinstance(cols, dict):
            continue
        if cols and all(isinstance(v, dict) for v in cols.values()):
            yield from _flat_rows(cols, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", cols


def iter_cells(record: dict, *prefix) -> list[tuple]:
    """``prefix + (table_name, row_key, col_key, value, raw, derived)`` for every table cell
    of a record (store() passes report_id, version_id as the prefix). Booleans and whole floats become
    integers; values that are dicts or lists are not cells."""
    raw_cells = record.get("raw_cells") or {}
    derived = {tuple(d) for d in (record.get("derived_cells") or [])}
    out: list[tuple] = []
    append = out.append
    for table in TABLE_NAMES:
        rows = record.get(table)
        if not isinstance(rows, dict):
            continue
        raw_table = raw_cells.get(table) or {}
        flat_raw = None
        for row_key, cols in _flat_rows(rows):
            raw_row = raw_table.get(row_key)
            if not raw_row and "." in row_key:
                if flat_raw is None:
                    flat_raw = dict(_flat_rows(raw_table))
                raw_row = flat_raw.get(row_key)
            raw_get = raw_row.get if isinstance(raw_row, dict) else (lambda _k: None)
            for col_key, value in cols.items():
                t = type(value)
                if t is dict or t is list:
                    continue
                if t is bool:
                    value = int(value)
                elif t is float and value.is_integer():
                    value = int(value)
                raw = raw_get(col_key)
                if type(value) is int and not SQLITE_MIN <= value <= SQLITE_MAX:
                    # beyond SQLite's integers: refused (store() names it in the warnings)
                    value, raw = None, raw or str(value)
                append((*prefix, table, row_key, col_key, value, raw,
                        1 if derived and (table, row_key, col_key) in derived else 0))
    return out


SQLITE_MIN, SQLITE_MAX = -(1 << 63), (1 << 63) - 1


def _beyond_sqlite(value) -> bool:
    if type(value) is float and value.is_integer():
        value = int(value)
    return type(value) is int and not SQLITE_MIN <= value <= SQLITE_MAX


def bounded_numbers(record: dict, meta: dict) -> tuple[dict, dict]:
    """(record, meta) with numbers SQLite cannot hold as integers refused one by one: a
    cell's value is stored NULL with its printed text in ``raw`` (see iter_cells), a click
    count is dropped, each named in the version's warnings. One such number never costs
    the report (no OverflowError inside the store's transaction)."""
    refused = []
    for table in TABLE_NAMES:
        rows = record.get(table)
        if isinstance(rows, dict):
            for row_key, cols in _flat_rows(rows):
                for col_key, value in cols.items():
                    if _beyond_sqlite(value):
                        refused.append(f"{table}.{row_key}.{col_key}")
    for where in (record, meta):
        if _beyond_sqlite(where.get("clicks")):
            refused.append("clicks")
    if not refused:
        return record, meta
    record = {**record, "warnings": list(record.get("warnings") or []) + [
        f"number beyond SQLite's integer range (±2^63) refused: {name} stored without a value"
        for name in dict.fromkeys(refused)]}
    if _beyond_sqlite(record.get("clicks")):
        record["clicks"] = None
    if _beyond_sqlite(meta.get("clicks")):
        meta = {**meta, "clicks": None}
    return record, meta


def _stored_record(record: dict, agency_name: str | None = None) -> str:
    # section text lives in `sections` and the numbers in `cells`; keep the rest as parsed.
    # An agency name given only in meta is kept too: the version's search row is rebuilt
    # from this record alone (schema.rebuild_search_index).
    slim = {k: v for k, v in record.items() if k not in TABLE_NAMES and k != "raw_cells"}
    if agency_name and not slim.get("agency"):
        slim["agency"] = agency_name
    if isinstance(slim.get("sections"), list):
        slim["sections"] = [
            {k: v for k, v in s.items() if k != "text"} for s in slim["sections"] if isinstance(s, dict)
        ]
    return json.dumps(slim, ensure_ascii=False, default=str)


def _check_status(record: dict) -> str | None:
    """reports.check_status of a version with these checks (as CHECK_STATUS_SQL computes it)."""
    statuses = [c.get("status") for c in (record.get("checks") or []) if isinstance(c, dict)]
    if not statuses:
        return None
    for worst in ("fail", "warn", "pass"):
        if worst in statuses:
            return worst
    return "not_assessable"


def _sections(record: dict) -> list[tuple]:
    """(number, heading, text) of a record's sections; past MAX_SECTIONS the rest joins the last."""
    out = [(s.get("number"), s.get("heading"), s.get("text"))
           for s in (record.get("sections") or []) if isinstance(s, dict)]
    if len(out) > MAX_SECTIONS:
        last = out[MAX_SECTIONS - 1]
        rest = "\n".join(f"{h or ''}\n{t or ''}" for _, h, t in out[MAX_SECTIONS - 1:])
        out = out[:MAX_SECTIONS - 1] + [(last[0], last[1], rest)]
    return out


class Archive:
    """An open archive file. Not thread-safe: one Archive per thread.

    ``index_process``: write the search index in a process of its own (``IndexerProcess``)
    while this one stores — True: from the first batch; False: never (here, in batches);
    None (default): once this Archive has stored ``INDEX_PROCESS_AFTER`` versions, on a machine
    with a second core, for an archive in a file."""

    def __init__(self, db: "str | Path | sqlite_utils.Database" = "archive.db",
                 index_process: bool | None = None):
        self.db = db if isinstance(db, sqlite_utils.Database) else open_archive(db)
        self.index_process = index_process
        self._indexer: IndexerProcess | None = None
        self._stored = 0
        self._pending_text: tuple | None = None
        self._pending_seq = 0
        self._figures: dict | None = None      # report_figures columns of the version just written
        self._agency_changed: int | None = None  # an agency whose level the store filled in
        # report_figures (db/figures.py) exists in every migrated file; a Database handed in at
        # an older schema version is written without it (the migration fills it in later)
        self._keep_figures = figures.has_table(self.db)
        # checks.report_year likewise (migration "every check carries its report's year")
        self._check_years = "report_year" in self.db["checks"].columns_dict
        self._index_queue: dict[int, tuple] = {}
        self._queued_since = 0.0
        self.index_batch = INDEX_BATCH
        self.index_delay = INDEX_DELAY

    # ---------------------------------------------------------------- crawl runs
    def start_run(self, spider: str, started: str | None = None) -> int:
        with self.db.atomic():
            cur = self.db.execute(
                "INSERT INTO crawl_runs(spider, started) VALUES (?, ?)", (spider, started or now_iso())
            )
        return cur.lastrowid

    def finish_run(self, run_id: int, stats: dict | None = None, finished: str | None = None) -> None:
        self.stop_indexer()   # (a later bulk of stores starts another)
        self.flush_index()
        with self.db.atomic():
            self.db.execute(
                "UPDATE crawl_runs SET finished = ?, stats = ? WHERE id = ?",
                (finished or now_iso(), json.dumps(stats or {}, ensure_ascii=False, default=str), run_id),
            )

    # ---------------------------------------------------------------- agencies
    def _agency_id(self, name: str | None, meta: dict) -> int | None:
        return self._agency(name, meta)[0]

    def _agency(self, name: str | None, meta: dict) -> tuple:
        """(id, region_code, region_name, level) of the named agency, added or filled in from
        ``meta``; (None, None, None, None) without a name."""
        if not name:
            return (None, None, None, None)
        ex = self.db.execute
        code = meta.get("region_code")
        row = ex(
            "SELECT id, region_name, level, portal_url, region_code FROM agencies "
            "WHERE name = ? AND coalesce(region_code, '') = ?",
            (name, code or ""),
        ).fetchone()
        if row is None and not code:
            # a name seen before with a region: the same agency
            row = ex(
                "SELECT id, region_name, level, portal_url, region_code FROM agencies "
                "WHERE name = ? ORDER BY id LIMIT 1",
                (name,),
            ).fetchone()
        fields = {k: meta.get(k) for k in ("region_name", "level", "portal_url")}
        if row is None:
            agency_id = ex(
                "INSERT INTO agencies(name, region_code, region_name, level, portal_url) VALUES (?, ?, ?, ?, ?)",
                (name, code, fields["region_name"], fields["level"], fields["portal_url"]),
            ).lastrowid
            return (agency_id, code, fields["region_name"], fields["level"])
        agency_id, region_name, level, portal_url, region_code = row
        # fill in what we did not know; never overwrite what we did
        updates = {k: v for (k, v), old in zip(fields.items(), (region_name, level, portal_url))
                   if v and not old}
        if "level" in updates:  # the tier and deadline of the agency's other reports change too
            self._agency_changed = agency_id
        if updates:
            ex(
                "UPDATE agencies SET " + ", ".join(f"{k} = ?" for k in updates) + " WHERE id = ?",
                (*updates.values(), agency_id),
            )
        return (agency_id, region_code, updates.get("region_name", region_name),
                updates.get("level", level))

    # ---------------------------------------------------------------- store
    def store(self, record: dict, raw: bytes | str | None, meta: dict | None = None) -> StoreResult:
        """Store one parsed report in one transaction. See the module docstring."""
        meta = dict(meta or {})
        url = meta.get("url") or record.get("url")
        if not url:
            raise ValueError("store(): meta['url'] (or record['url']) is required")
        record, meta = bounded_numbers(record, meta)
        raw_bytes = _as_bytes(raw)
        sha = hashlib.sha256(raw_bytes).hexdigest()
        fetched_at = meta.get("fetched_at") or now_iso()
        self._pending_text = None
        try:
            with self.db.atomic():
                result = self._store(record, raw_bytes, sha, url, fetched_at, meta)
            if self._pending_text:  # committed: queue its text for the search index
                self._stored += 1
                self.queue_for_index({result.version_id: (self._pending_seq, self._pending_text)})
        finally:
            self._pending_text = None
        if len(self._index_queue) >= self.index_batch or (
                self._index_queue and time.monotonic() - self._queued_since >= self.index_delay) or (
                self._indexer is None and self._stored == INDEX_PROCESS_AFTER and self._wants_indexer()):
            self.hand_over_index()
        return result

    def queue_for_index(self, texts: dict[int, tuple]) -> None:
        """Queue committed versions' text — version_id: (seq in search_pending, (title, agency,
        [(heading, text)])) — for the next hand_over_index(); the caller decides when that is."""
        if texts and not self._index_queue:
            self._queued_since = time.monotonic()
        self._index_queue.update(texts)

    def hand_over_index(self) -> None:
        """The queued versions to the search index: to the indexer process when one runs (it
        reads their text from the archive; this drops what it has done from the queue), else
        indexed here and now (flush_index). Starts the indexer process when due."""
        if self._indexer is None and self._wants_indexer():
            try:
                self._indexer = IndexerProcess(main_path(self.db.conn))
            except OSError as exc:
                log.warning("search index: could not start an indexer process (%s); indexing here", exc)
                self.index_process = False
        if self._indexer is not None and not self._indexer.alive():
            error = self._indexer.stop()
            log.warning("search index: the indexer process stopped (%s); indexing here", error)
            self._indexer, self.index_process = None, False
        if self._indexer is None:
            self.flush_index()
            return
        self._index_queue = {}
        clear_done(self.db)

    def _wants_indexer(self) -> bool:
        if self.index_process is False or not main_path(self.db.conn):
            return False
        if self.index_process:
            return True
        return self._stored >= INDEX_PROCESS_AFTER and (os.cpu_count() or 1) > 1

    def flush_index(self) -> int:
        """Index every pending version now, here (the queued ones from the text in memory);
        returns how many pending rows were handled."""
        queue, self._index_queue = self._index_queue, {}
        return index_pending(self.db, {v: (seq, search_rows(v, *q)) for v, (seq, q) in queue.items()})

    def stop_indexer(self) -> None:
        """Let the indexer process (if one runs) finish what is pending, and wait for it."""
        if self._indexer is not None:
            error = self._indexer.stop()
            if error:
                log.warning("search index: the indexer process failed (%s); indexing here", error)
            self._indexer = None

    def close(self) -> None:
        """Finish the search index (the indexer process, then what is left here) and close
        the file."""
        self.stop_indexer()
        self.flush_index()
        self.db.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _store(self, record, raw_bytes, sha, url, fetched_at, meta) -> StoreResult:
        ex = self.db.execute
        agency_name = meta.get("agency") or record.get("agency")
        self._agency_changed = None
        agency = self._agency(agency_name, meta)
        agency_id = agency[0]
        row = ex("SELECT id, version_id, first_seen, last_seen FROM reports WHERE url = ?", (url,)).fetchone()
        if row is None:
            return self._store_new(record, raw_bytes, sha, url, fetched_at, meta, agency, agency_name)
        else:
            report_id, current_version, first_seen, last_seen = row
            ex(
                "UPDATE reports SET first_seen = min(coalesce(first_seen, ?), ?), "
                "last_seen = max(coalesce(last_seen, ?), ?) WHERE id = ?",
                (fetched_at, fetched_at, fetched_at, fetched_at, report_id),
            )

        existing = ex(
            "SELECT id FROM versions WHERE report_id = ? AND sha256 = ?", (report_id, sha)
        ).fetchone()
        if existing:
            version_id = existing[0]
            ex(
                "UPDATE versions SET last_fetched_at = max(coalesce(last_fetched_at, ?), ?) WHERE id = ?",
                (fetched_at, fetched_at, version_id),
            )
            status = "unchanged" if version_id == current_version else "reverted"
        else:
            version_id = self._insert_version(report_id, record, raw_bytes, sha, fetched_at, meta,
                                              agency_name)
            status = "new" if current_version is None else "changed"
            self._point_report_at(report_id, version_id, record, agency_id, agency_name, meta)
            self._write_figures(report_id, version_id, self._figures)

        if status == "reverted":
            self._point_report_at(report_id, version_id, record, agency_id, agency_name, meta)
            # the version's own cells (stored by the parser of its day), not this record's
            self._write_figures(report_id, version_id, None)
        elif status == "unchanged" and agency_id is not None:
            # agency details may have arrived since (e.g. the crawler knows the region)
            self._update_region(report_id, agency_id)
            if self._keep_figures:
                figures.refresh_reports(self.db, [report_id])
        self._agency_figures()

        clicks = meta.get("clicks", record.get("clicks"))
        if clicks is not None:
            observed_at = meta.get("clicks_observed_at") or fetched_at
            ex(
                "INSERT INTO click_observations(report_id, observed_at, clicks, source) "
                "SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM click_observations "
                "WHERE report_id = ? AND observed_at = ?)",
                (report_id, observed_at, int(clicks), meta.get("clicks_source") or "page",
                 report_id, observed_at),
            )
            ex(
                "UPDATE reports SET clicks = (SELECT clicks FROM click_observations WHERE report_id = ?1 "
                "ORDER BY observed_at DESC, id DESC LIMIT 1) WHERE id = ?1",
                (report_id,),
            )
        if self._pending_text:
            self._pending_seq = mark_pending(self.db.conn, version_id)
        return StoreResult(report_id, version_id, status)

    def _store_new(self, record, raw_bytes, sha, url, fetched_at, meta, agency, agency_name) -> StoreResult:
        """A URL seen for the first time: the report row is inserted with its final values (one
        write per index of ``reports``), then pointed at its first version."""
        ex = self.db.execute
        agency_id, region_code, region_name, level = agency
        clicks = meta.get("clicks", record.get("clicks"))
        clicks = None if clicks is None else int(clicks)
        report_id = ex(
            "INSERT INTO reports(url, agency_id, title, kind, report_year, publish_date, publish_datetime, "
            "source, template, clicks, first_seen, last_seen, region_code, region_name, level, check_status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (url, agency_id, record.get("title"), record.get("kind") or "report", record.get("report_year"),
             record.get("publish_date"), record.get("publish_datetime"), record.get("source"),
             record.get("template"), clicks, fetched_at, fetched_at, region_code, region_name, level,
             _check_status(record)),
        ).lastrowid
        version_id = self._insert_version(report_id, record, raw_bytes, sha, fetched_at, meta, agency_name)
        # version_id has no index: this rewrites the row only
        ex("UPDATE reports SET version_id = ? WHERE id = ?", (version_id, report_id))
        self._write_figures(report_id, version_id, self._figures, new=True)
        self._agency_figures()
        if clicks is not None:
            ex("INSERT INTO click_observations(report_id, observed_at, clicks, source) VALUES (?, ?, ?, ?)",
               (report_id, meta.get("clicks_observed_at") or fetched_at, clicks,
                meta.get("clicks_source") or "page"))
        if self._pending_text:
            self._pending_seq = mark_pending(self.db.conn, version_id)
        return StoreResult(report_id, version_id, "new")

    def _insert_version(self, report_id, record, raw_bytes, sha, fetched_at, meta, agency_name=None) -> int:
        conn = self.db.conn
        version_id = conn.execute(
            "INSERT INTO versions(report_id, sha256, fetched_at, last_fetched_at, http_status, final_url, "
            "encoding, raw, raw_compression, raw_size, content_type, parser_version, record, warnings, attachments) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'zlib', ?, ?, ?, ?, ?, ?)",
            (
                report_id, sha, fetched_at, fetched_at, meta.get("http_status"),
                meta.get("final_url"), meta.get("encoding") or record.get("encoding"),
                zlib.compress(raw_bytes, RAW_ZLIB_LEVEL), len(raw_bytes), meta.get("content_type"),
                record.get("parser_version"), _stored_record(record, agency_name),
                json.dumps(record.get("warnings") or [], ensure_ascii=False),
                json.dumps(record.get("attachments") or [], ensure_ascii=False),
            ),
        ).lastrowid
        self._insert_derived(report_id, version_id, record, agency_name)
        return version_id

    def _insert_derived(self, report_id, version_id, record, agency_name) -> None:
        """Sections, cells and checks of one version (and its search rows, queued for the end)."""
        conn = self.db.conn
        sections = _sections(record)
        needs_fold = chinese.needs_fold
        conn.executemany(
            "INSERT INTO sections(id, report_id, version_id, number, heading, text, fold) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(section_id(version_id, n), report_id, version_id, num, h, t,
              1 if needs_fold(h) or needs_fold(t) else 0)
             for n, (num, h, t) in enumerate(sections, 1)],
        )
        # the search index is written after the commit, in batches (flush_index)
        self._pending_text = (record.get("title"), record.get("agency") or agency_name,
                             [(h, t) for _, h, t in sections])
        cells = iter_cells(record, report_id, version_id)
        conn.executemany(
            "INSERT INTO cells(report_id, version_id, table_name, row_key, col_key, value, raw, derived) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            cells,
        )
        checks = [(report_id, version_id, c.get("name"), c.get("status"), c.get("detail"))
                  for c in (record.get("checks") or []) if isinstance(c, dict)]
        # each check carries its report's year (a sort key of failed_checks: crossyear.py keeps it
        # when the report's year changes)
        conn.executemany(
            "INSERT INTO checks(report_id, version_id, name, status, detail, report_year) "
            "VALUES (?1, ?2, ?3, ?4, ?5, (SELECT report_year FROM reports WHERE id = ?1))"
            if self._check_years else
            "INSERT INTO checks(report_id, version_id, name, status, detail) VALUES (?, ?, ?, ?, ?)",
            checks,
        )
        # report_figures (db/figures.py) from the same cells (None: text SQLite may have turned
        # into numbers, read back as stored)
        self._figures = figures.cell_figures(conn, cells, [c[2:4] for c in checks], at=2, as_stored=False)

    # ---------------------------------------------------------------- re-parsing
    def outdated_versions(self, parser_version: str) -> list[int]:
        """Versions whose sections, cells and checks came from another parser version."""
        return [v for (v,) in self.db.execute(
            "SELECT id FROM versions WHERE parser_version IS NOT ? ORDER BY id", (parser_version,))]

    def unread_versions(self) -> list[tuple[int, str]]:
        """(id, warnings) of versions nothing or too little was read from: ``kind`` unreadable, or
        a warning that a tool was missing (LibreOffice, Tesseract or its chi_sim data, poppler; a
        scan stored as image_only says so) — what a newly installed tool may now read."""
        return list(self.db.execute(
            "SELECT id, coalesce(warnings, '[]') FROM versions WHERE json_extract(record, '$.kind') "
            "= 'unreadable' OR warnings LIKE '%not installed%' "
            "OR warnings LIKE '%no chi_sim data%' ORDER BY id"))

    def reparse(self, parse=None, version_ids: list[int] | None = None, progress=None,
                workers: int | None = None) -> dict:
        """Re-derive stored versions with the current parser: :func:`db.reparse.reparse`."""
        from .reparse import reparse

        return reparse(self, parse, version_ids, progress, workers)

    def _write_figures(self, report_id: int, version_id: int, cell_figures: dict | None,
                       new: bool = False) -> None:
        """report_figures of a report just pointed at a version: ``cell_figures`` computed from
        the cells just written, or None to read them back (a reverted version, text values)."""
        if self._keep_figures:
            figures.write(self.db, report_id, version_id,
                          cell_figures or figures.version_figures(self.db.conn, version_id), new=new)

    def _agency_figures(self) -> None:
        # an agency whose level the store filled in: its other reports change tier and deadline
        if self._agency_changed is not None and self._keep_figures:
            figures.refresh_agencies(self.db, [self._agency_changed])

    def _update_region(self, report_id: int, agency_id: int) -> None:
        self.db.execute(
            "UPDATE reports SET agency_id = ?, "
            "region_code = (SELECT region_code FROM agencies WHERE id = ?), "
            "region_name = (SELECT region_name FROM agencies WHERE id = ?), "
            "level = (SELECT level FROM agencies WHERE id = ?) WHERE id = ?",
            (agency_id, agency_id, agency_id, agency_id, report_id),
        )

    def _point_report_at(self, report_id, version_id, record, agency_id, agency_name, meta) -> None:
        self.db.execute(
            "UPDATE reports SET agency_id = ?1, title = ?2, kind = ?3, report_year = ?4, publish_date = ?5, "
            "publish_datetime = ?6, source = ?7, template = ?8, version_id = ?9, "
            f"check_status = ({CHECK_STATUS_SQL.format(v='?9')}), "
            "region_code = CASE WHEN ?1 IS NULL THEN region_code ELSE (SELECT region_code FROM agencies WHERE id = ?1) END, "
            "region_name = CASE WHEN ?1 IS NULL THEN region_name ELSE (SELECT region_name FROM agencies WHERE id = ?1) END, "
            "level = CASE WHEN ?1 IS NULL THEN level ELSE (SELECT level FROM agencies WHERE id = ?1) END WHERE id = ?10",
            (
                agency_id, record.get("title"), record.get("kind") or "report",
                record.get("report_year"), record.get("publish_date"),
                record.get("publish_datetime"), record.get("source"), record.get("template"),
                version_id, report_id,
            ),
        )


def store(record: dict, raw: bytes | str | None, meta: dict | None = None,
          db: "str | Path | sqlite_utils.Database | Archive" = "archive.db") -> StoreResult:
    """Store one parsed report; ``db`` is a path, a sqlite-utils Database or an Archive."""
    archive = db if isinstance(db, Archive) else Archive(db)
    return archive.store(record, raw, meta)


def start_run(db, spider: str) -> int:
    return (db if isinstance(db, Archive) else Archive(db)).start_run(spider)


def finish_run(db, run_id: int, stats: dict | None = None) -> None:
    (db if isinstance(db, Archive) else Archive(db)).finish_run(run_id, stats)
