"""Re-parsing stored versions: their bytes read again with the current parser, their sections,
cells, checks, record and search rows replaced, in batches.

    from db.store import Archive
    Archive("archive.db").reparse()            # every version of another parser version
    Archive("archive.db").reparse(version_ids=[12, 13], workers=0)

(``xxgk reparse`` calls it.) Bytes, SHA-256, fetch times and clicks are never touched.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import threading
import zlib
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from typing import TYPE_CHECKING

from .search_index import mark_stale
from .store import _stored_record

if TYPE_CHECKING:
    from .store import Archive


#: reparse() writes this many versions per transaction (a failure rolls the batch back: its
#: versions stay outdated and are re-parsed next time)
REPARSE_BATCH = 100


def reparse(archive: "Archive", parse=None, version_ids: list[int] | None = None, progress=None,
            workers: int | None = None) -> dict:
    """Re-derive sections, cells, checks and the parsed record of stored versions from their
    stored bytes with the current parser (default: every version whose parser_version is
    not ``pipelines.PARSER_VERSION``). One transaction per ``REPARSE_BATCH`` versions; each
    version's search rows are replaced (its old text recorded in search_stale, deleted from the
    index by the indexer before it adds the new; db/search_index.py), so re-parsing part of a large archive costs that part only; the
    coverage rows of the publishers whose reports changed year, date, kind or agency are
    recomputed at the end. Bytes, SHA-256, fetch times and clicks are untouched.
    Returns counts: {"reparsed": n, "failed": n, "readable": n} (``readable``: re-parsed
    versions whose kind is now neither unreadable nor image_only).

    With the default parser, a run of at least ``REPARSE_BATCH`` versions parses in
    ``workers`` processes of their own (default: one when the machine has a second core and
    this process runs a single thread) while this one writes: the next batch is parsed as the
    last is stored. ``workers=0`` parses here."""
    default_parser = parse is None
    if default_parser:
        from pipelines import PARSER_VERSION, parse_document as parse
    else:
        PARSER_VERSION = None
    if version_ids is None:
        version_ids = archive.outdated_versions(PARSER_VERSION) if PARSER_VERSION else []
    archive.flush_index()
    done = failed = readable = 0
    reparsed_reports = []
    version_ids = list(dict.fromkeys(version_ids))   # each once: a batch is read before the last is written
    pool = _parser_pool(workers, len(version_ids)) if default_parser else None
    try:
        for parsed, failures, notes in _parsed_batches(archive, version_ids, parse, pool):
            failed += len(failures)
            if progress:
                for message in notes + failures:
                    progress(message)
            _write_reparsed(archive, parsed)
            done += len(parsed)
            reparsed_reports += [report_id for _, report_id, *_ in parsed]
            readable += sum(record.get("kind") not in ("unreadable", "image_only") for *_, record in parsed)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    archive.stop_indexer()
    archive.flush_index()   # (an index that did not hold what the archive said: rebuilt)
    if done:
        from . import coverage

        # a report whose year, date, kind or agency changed marked its publisher (a trigger)
        coverage.refresh(archive.db, agency_ids=())
        _forget_cross_year(archive, reparsed_reports)
    return {"reparsed": done, "failed": failed, "readable": readable}


def _parsed_batches(archive, version_ids: list[int], parse, pool):
    """(parsed, failures, notes) per batch of REPARSE_BATCH versions, in order: ``parsed``
    the (version_id, report_id, current version, old agency, record) of each version parsed,
    ``failures`` a message per version the parser failed on (see _parse_results). With a
    ``pool`` the next batch is parsed there while the caller writes this one."""
    ahead, stopped = None, []
    for first in range(0, len(version_ids), REPARSE_BATCH):
        batch = []
        for vid in version_ids[first:first + REPARSE_BATCH]:
            row = archive.db.execute(
                "SELECT v.report_id, v.raw, v.raw_compression, v.encoding, v.content_type, r.url, "
                "r.version_id, json_extract(v.record, '$.agency'), json_extract(v.record, '$.list_title'), "
                "json_extract(v.record, '$.list_date') "
                "FROM versions v JOIN reports r ON r.id = v.report_id WHERE v.id = ?", (vid,)).fetchone()
            if row is None:
                continue
            report_id, raw, compression, encoding, content_type, url, current, old_agency, list_title, \
                list_date = row
            data = zlib.decompress(raw) if compression == "zlib" and raw is not None else (raw or b"")
            kwargs = {"url": url if url.startswith(("http://", "https://")) else None,
                      "encoding": encoding, "content_type": content_type}
            # the list entry the crawler saw is evidence the bytes do not hold: handed on again
            if list_title or list_date:
                kwargs.update(list_title=list_title, list_date=list_date)
            job = None
            if pool is not None:
                try:
                    job = pool.submit(parse, data, **kwargs)
                except BrokenExecutor as exc:   # its process died: the rest is parsed here
                    pool = None
                    stopped.append(f"the parser process stopped ({exc}): version {vid} and the "
                                   "rest parsed in this process")
            batch.append(((vid, report_id, current, old_agency), data, kwargs, job))
        if ahead is not None:
            yield _parse_results(ahead, parse)
            ahead = None
        if pool is None:
            parsed, failures, notes = _parse_results(batch, parse)
            yield parsed, failures, stopped + notes
            stopped = []
        else:
            ahead = batch
    if ahead is not None:
        yield _parse_results(ahead, parse)


def _write_reparsed(archive, parsed) -> None:
    """Write one batch of re-parsed versions in one transaction."""
    queued = {}
    with archive.db.atomic():   # one transaction per batch of versions
        for vid, report_id, current, old_agency, record in parsed:
            # the text the index holds goes to search_stale (the indexer deletes those rows
            # before it indexes the new text), and the version waits in search_pending: found
            # by searches on its new text meanwhile
            seq = mark_stale(archive.db.conn, vid)
            for table in ("sections", "cells", "checks"):
                archive.db.execute(f"DELETE FROM {table} WHERE version_id = ?", (vid,))
            agency_name = record.get("agency") or old_agency
            archive._insert_derived(report_id, vid, record, agency_name)
            queued[vid], archive._pending_text = (seq, archive._pending_text), None
            archive.db.execute(
                "UPDATE versions SET parser_version = ?, record = ?, warnings = ?, attachments = ?, "
                "encoding = coalesce(?, encoding) WHERE id = ?",
                (record.get("parser_version"), _stored_record(record, agency_name),
                 json.dumps(record.get("warnings") or [], ensure_ascii=False),
                 json.dumps(record.get("attachments") or [], ensure_ascii=False),
                 record.get("encoding"), vid),
            )
            if vid == current:
                agency_id = archive.db.execute(
                    "SELECT agency_id FROM reports WHERE id = ?", (report_id,)).fetchone()[0]
                if record.get("agency") and record.get("agency") != old_agency:
                    agency_id = archive._agency_id(record["agency"], {})
                archive._point_report_at(report_id, vid, record, agency_id, agency_name, {})
                archive._write_figures(report_id, vid, archive._figures)
    # committed: the new text is queued for the index
    archive.queue_for_index(queued)
    if len(archive._index_queue) >= archive.index_batch:
        archive.hand_over_index()


def _forget_cross_year(archive, report_ids) -> None:
    """Re-parsed versions keep their ids but not their cells and sections: the cross-year
    inputs recorded for their publishers (crossyear_state) no longer say what was compared,
    so the next register refresh compares those publishers again."""
    if "crossyear_state" not in archive.db.table_names():
        return
    ids = sorted(set(report_ids))
    with archive.db.atomic():
        for i in range(0, len(ids), 5000):
            archive.db.execute(
                "DELETE FROM crossyear_state WHERE report_id IN (SELECT r.id FROM reports r "
                "JOIN agencies a ON a.id = r.agency_id WHERE coalesce(a.entity_key, 'agency:' || a.id) IN "
                "(SELECT coalesce(a2.entity_key, 'agency:' || a2.id) FROM reports r2 JOIN agencies a2 "
                "ON a2.id = r2.agency_id WHERE r2.id IN (SELECT value FROM json_each(?))))",
                (json.dumps(ids[i:i + 5000]),))


def _parser_pool(workers: int | None, versions: int):
    """A process pool for re-parsing (None: parse in this process): ``workers`` processes,
    for runs of at least REPARSE_BATCH versions. By default one, when there is a second core
    and this process runs a single thread: a fork copies only the forking thread, and a lock
    another thread held at that moment (libxml2's, say) would stay held in the child for good."""
    if workers is None:
        workers = 1 if (os.cpu_count() or 1) > 1 and threading.active_count() == 1 else 0
    if workers <= 0 or versions < REPARSE_BATCH:
        return None
    # fork, not spawn: a spawned process imports the caller's main module again (a script
    # without an ``if __name__ == "__main__"`` guard would run again in it). A forked worker only
    # parses bytes it is sent; it never touches the archive connection it inherits, and it
    # leaves through os._exit, which closes nothing of it.
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:   # a system without fork (Windows): parsed here
        return None
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def _parse_results(batch, parse) -> tuple[list, list, list]:
    """(parsed, failures, notes) of a batch read by Archive._parsed_batches. A document the
    parser raises on is a failure (one must not stop the rest); a version whose parser process
    died is parsed here, and a note says so."""
    parsed, failures, notes = [], [], []
    for (vid, report_id, current, old_agency), data, kwargs, job in batch:
        try:
            try:
                record = job.result() if job is not None else parse(data, **kwargs)
            except BrokenExecutor as exc:
                if not notes:
                    notes.append(f"the parser process stopped ({exc}): version {vid} and the "
                                 "rest parsed in this process")
                record = parse(data, **kwargs)
        except Exception as exc:
            failures.append(f"version {vid}: could not parse: {type(exc).__name__}: {exc}")
            continue
        parsed.append((vid, report_id, current, old_agency, record))
    return parsed, failures, notes
