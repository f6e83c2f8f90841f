"""Attachments of archived reports: the files a crawl downloaded (``attachments`` table).

    from db.attachments import record_attachment, last_attachment
    record_attachment(db, report_id, version_id, info)   # one row per (report, URL, bytes)
    last_attachment(db, url)                               # the newest good download of a URL

``info`` is a dict (what :mod:`crawler.attachments` produces); every key optional but ``url``:

==============  ==========================================================
url             the attachment's URL as linked
sha256, size    of the bytes (``NULL`` when the download failed)
mime            the file's type (by content where unambiguous, else as served)
path            where the bytes are, relative to the files folder next to the
                archive (``<archive>.files/full/ab/ab…cd.pdf``)
fetched_at      when it was downloaded (or confirmed unchanged)
role            ``report`` (the report is this file), ``copy`` (a copy of an HTML
                report: compared, see ``copies_check``), ``attachment`` (other)
status          ``downloaded``, ``not_modified``, ``failed``, ``refused``
http_status, error, etag, last_modified, text (the link text)
parsed_kind     the parser's ``kind`` for the file (``report``, ``not_report``,
                ``unreadable``, ``image_only``), ``tables`` how many of the three
record          JSON: the parsed file's numbers and checks (not its text)
copies_check    ``pass`` / ``fail`` / ``not_assessable`` for a ``copy``
==============  ==========================================================

The table is created by the migration "attachments (issue 5)" in :mod:`db.schema`.
"""
from __future__ import annotations

import json

import sqlite_utils

COLUMNS = ("report_id", "version_id", "url", "sha256", "size", "mime", "path", "fetched_at", "role", "status",
           "http_status", "error", "etag", "last_modified", "text", "parsed_kind", "tables", "record",
           "copies_check")

def record_attachment(db: sqlite_utils.Database, report_id: int | None, version_id: int | None,
                      info: dict) -> None:
    """Insert (or, for the same version and URL, refresh) one attachment row; one transaction."""
    row = {k: info.get(k) for k in COLUMNS}
    row.update(report_id=report_id, version_id=version_id)
    if isinstance(row["record"], (dict, list)):
        row["record"] = json.dumps(row["record"], ensure_ascii=False, default=str)
    cols = ", ".join(COLUMNS)
    marks = ", ".join("?" for _ in COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c not in ("report_id", "version_id", "url"))
    with db.conn:
        db.execute(f"INSERT INTO attachments({cols}) VALUES ({marks}) "
                   f"ON CONFLICT(version_id, url) DO UPDATE SET {updates}", [row[c] for c in COLUMNS])


def last_attachment(db: sqlite_utils.Database, url: str) -> dict | None:
    """The newest successful download of *url*: path, sha256, size, mime, etag, last_modified."""
    r = db.execute(
        "SELECT path, sha256, size, mime, etag, last_modified FROM attachments WHERE url = ? AND path IS NOT NULL "
        "AND status IN ('downloaded', 'not_modified') ORDER BY fetched_at DESC, id DESC LIMIT 1", [url]).fetchone()
    if r is None:
        return None
    return dict(zip(("path", "sha256", "size", "mime", "etag", "last_modified"), r))
