"""What the crawler knows of each portal: the ``portals`` table of the archive.

One row per registry portal id, written when a crawl closes (:func:`record_crawl`, called by
``crawler.extensions.CrawlRunExtension`` with plain dicts) and read when the next crawl opens
(:func:`known`: a portal whose registry row has no column starts from the columns found
before instead of discovering them again). A person reads and corrects it with ``xxgk portals``.

=============  ===================================================================
id             the registry's portal id
region_code    GB/T 2260 code; ``name`` the publishing body
platform       the platform detected (or the registry's)
columns        JSON list of the report columns (年报栏目) known on the portal, each
               ``{"url", "how", "via"}``: ``how`` it was found (``registry``, ``link text: 政府信息公开年报``,
               ``platform path: /zfxxgknb/ (trs)``, ``year: 2024年度``, ``subcolumn: 部门年报``,
               ``agency: 财政局``, ``iframe``, ``search``, ``set by hand``), ``via`` the page that
               linked it (None for the registry's and a person's). Sub-lists (per year, department,
               township, an iframe) are kept for a person to see; a crawl starts from the others
               (:func:`starting_columns`)
how_found      in one phrase: ``registry`` | ``archive (…)`` | the first column's ``how`` | ``set by hand …``
columns_by     ``crawl`` or ``person``: a person's columns are never replaced by a crawl
status         the last crawl's verdict (:data:`STATUSES`); ``status_reason`` says why
status_at      when; ``last_run_id`` the ``crawl_runs`` row; ``last_ok_at`` last time ``ok``
reports        reports the last crawl yielded (new + unchanged); ``lists`` list pages read
notes          a person's notes (``xxgk portals note``)
=============  ===================================================================
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

# The one vocabulary of a portal's status, for every layer: the spider sets it
# (crawler.spiders.navigation), crawl health and the crawl summary read it
# (crawler.monitoring), this table stores it, the coverage views show it as ``portal_<status>``.
OK = "ok"
NO_COLUMN = "no_column"
UNREACHABLE = "unreachable"
BLOCKED = "blocked"
ROBOTS = "robots"
STATUSES = {
    OK: "a report column was found and read",
    NO_COLUMN: "the portal answered, but no report column was found (or its column page is gone)",
    UNREACHABLE: "the portal did not answer (DNS, connection, timeout, server error)",
    BLOCKED: "the portal answered with a JavaScript challenge (recorded, never bypassed)",
    ROBOTS: "robots.txt disallows the portal's home or column pages",
}
#: how a sub-list of a column was found (``crawler.spiders.lists.sub_lists``): not a start
SUBLIST_KINDS = ("year", "subcolumn", "agency", "iframe")


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _conn(db):
    return getattr(db, "conn", db)


def columns_of(cols, how: str | None = None) -> list[dict]:
    """*cols* as ``[{"url", "how", "via"}]``: a bare URL (an archive written before columns
    carried their ``how``, a person's) gets *how*; duplicates and empty URLs dropped."""
    out, seen = [], set()
    for c in cols or []:
        d = {"url": c, "how": how, "via": None} if isinstance(c, str) else \
            {"url": c.get("url"), "how": c.get("how") or how, "via": c.get("via")} if isinstance(c, dict) else None
        if d and d["url"] and d["url"] not in seen:
            seen.add(d["url"])
            out.append(d)
    return out


def column_urls(cols) -> list[str]:
    return [c["url"] for c in columns_of(cols)]


def starting_columns(cols) -> list[dict]:
    """The columns a crawl starts from: not the sub-lists a column page links (the crawl
    finds those again on the column page)."""
    return [c for c in columns_of(cols) if (c["how"] or "").split(":")[0] not in SUBLIST_KINDS]


def _load_cols(raw, how: str | None = None) -> list[dict]:
    try:
        cols = json.loads(raw) if raw else []
    except ValueError:
        return []
    return columns_of(cols if isinstance(cols, list) else [], how)


def record_crawl(db, run_id: int | None, rows: list[dict], at: str | None = None) -> int:
    """Upsert one crawl's verdict per portal. Each row: ``id`` and ``status`` (one of
    :data:`STATUSES`), optional ``region_code``, ``name``, ``platform``, ``columns`` (list of
    ``{url, how, via}``; a bare URL is taken with ``how_found`` as its how),
    ``how_found``, ``status_reason``, ``reports``, ``lists``.

    Columns a crawl found replace those a crawl found before; columns a person set are kept.
    A portal that did not answer (unreachable, blocked, robots) keeps the known ones; one that
    answered without a readable column (``no_column``) forgets those a crawl found, so the
    next crawl discovers its column again."""
    at = at or _now()
    conn = _conn(db)
    n = 0
    with conn:
        for r in rows:
            status = r.get("status")
            if status not in STATUSES:
                raise ValueError(f"portal {r.get('id')!r}: unknown status {status!r}")
            old = conn.execute("SELECT columns, how_found, columns_by FROM portals WHERE id = ?",
                               (r["id"],)).fetchone()
            cols, how, by = (_load_cols(old[0], old[1]), old[1], old[2]) if old else ([], None, None)
            new_cols = columns_of(r.get("columns"), r.get("how_found"))
            if new_cols and by != "person" and status == "ok":
                cols, how, by = new_cols, r.get("how_found") or how, "crawl"
            elif status == "no_column" and by == "crawl":
                cols, how, by = [], None, None   # the column a crawl found is gone: discover again
            conn.execute(
                "INSERT INTO portals(id, region_code, name, platform, columns, how_found, columns_by, status,"
                " status_reason, status_at, last_run_id, last_ok_at, reports, lists)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
                " region_code = coalesce(excluded.region_code, region_code), name = coalesce(excluded.name, name),"
                " platform = coalesce(excluded.platform, platform), columns = excluded.columns,"
                " how_found = excluded.how_found, columns_by = excluded.columns_by, status = excluded.status,"
                " status_reason = excluded.status_reason, status_at = excluded.status_at,"
                " last_run_id = excluded.last_run_id, last_ok_at = coalesce(excluded.last_ok_at, last_ok_at),"
                " reports = excluded.reports, lists = excluded.lists",
                (r["id"], r.get("region_code") or None, r.get("name") or None, r.get("platform") or None,
                 json.dumps(cols, ensure_ascii=False), how, by, status, r.get("status_reason") or "", at, run_id,
                 at if status == "ok" else None, int(r.get("reports") or 0), int(r.get("lists") or 0)))
            n += 1
        # the coverage register's portal statuses (db/coverage.py)
        from . import coverage
        if coverage.is_built(conn):
            with coverage.transaction(conn):
                coverage.sync_regions(conn)
    return n


def known(db) -> dict[str, dict]:
    """Portal id → ``{columns, how_found, columns_by, status, status_at, platform}``
    (``columns`` as ``[{url, how, via}]``)."""
    out = {}
    for pid, cols, how, by, status, at, platform in _conn(db).execute(
            "SELECT id, columns, how_found, columns_by, status, status_at, platform FROM portals"):
        out[pid] = {"columns": _load_cols(cols, how), "how_found": how, "columns_by": by, "status": status,
                    "status_at": at, "platform": platform}
    return out


def get(db, pid: str) -> dict | None:
    cur = _conn(db).execute("SELECT * FROM portals WHERE id = ?", (pid,))
    row = cur.fetchone()
    if row is None:
        return None
    d = dict(zip([c[0] for c in cur.description], row))
    d["columns"] = _load_cols(d["columns"], d.get("how_found"))
    return d


def set_columns(db, pid: str, columns: list[str], region_code: str | None = None, name: str | None = None) -> None:
    """A person's column URLs for a portal (empty: forget them, the next crawl discovers again)."""
    conn = _conn(db)
    how = f"set by hand {_now()}" if columns else None
    with conn:
        conn.execute(
            "INSERT INTO portals(id, region_code, name, columns, how_found, columns_by) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET columns = excluded.columns, how_found = excluded.how_found,"
            " columns_by = excluded.columns_by, region_code = coalesce(region_code, excluded.region_code),"
            " name = coalesce(name, excluded.name)",
            (pid, region_code, name, json.dumps(columns_of(columns, how), ensure_ascii=False),
             how, "person" if columns else None))


def set_note(db, pid: str, note: str, region_code: str | None = None, name: str | None = None) -> None:
    conn = _conn(db)
    with conn:
        conn.execute("INSERT INTO portals(id, region_code, name, notes) VALUES (?, ?, ?, ?)"
                     " ON CONFLICT(id) DO UPDATE SET notes = excluded.notes", (pid, region_code, name, note))
