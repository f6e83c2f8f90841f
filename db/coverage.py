"""Coverage register: who published which year's report, when, against the legal deadline.

Two views, each a thin layer over a table the register refresh writes (:func:`refresh`, run by
``db.register.refresh`` after every load and crawl):

``coverage_agencies`` (rows in ``coverage_agency_years``)
    one row per publisher (``agencies.entity_key``: a region's government across its name
    variants, else one agency) per report year, from ``max(coverage_first_year, the publisher's
    first report year)`` to the latest report year in the archive (or ``coverage_last_year``;
    an archive with no report yet — an offline crawl — covers ``coverage_first_year`` to
    ``coverage_last_year`` when the latter is set, so its portal statuses show).
``coverage_regions`` (rows in ``coverage_region_years``)
    one row per GB/T 2260 region (province, prefecture, county) per report year: the region's
    own government report, and how many publishers of the region reported that year.

``status``: ``on_time`` / ``late`` (published after the deadline) / ``found_undated`` (no
publish date on the page) / ``missing`` (none found though the region has a portal in the
registry, or the publisher's reports were crawled) / ``not_yet_due`` / ``not_covered`` (no portal
in the registry for the region: absence there proves nothing, so it is never counted as
compliant or missing) — and, where a report was not found because the crawler could not read
the region's portal (the archive's ``portals`` table, :mod:`db.portals`, says so for every
enabled portal of the region): ``portal_no_column`` (the portal answered, its report column
was never found), ``portal_unreachable`` (the portal did not answer), ``portal_blocked``
(behind a JavaScript challenge), ``portal_robots`` (robots.txt disallows it). Those are not
evidence that the report is missing. ``portal_status`` is the region's best portal status
(``ok`` when any of its portals was read; empty when none was crawled yet) and
``portal_status_at`` when it was recorded.

Deadlines (《政府信息公开条例》 2019, arts. 49–50, from report year 2019): departments and
townships 31 January, county-or-higher governments 31 March of the following year. Reports
for years before 2019 fell under the 2008 条例 (art. 31): 31 March for every body.
``days_late`` is publish date − deadline in days (negative: early).

What is stored and what is computed when read: the tables hold every column of the views but
``status``, as ``due_status`` — the status once the deadline has passed (``missing``,
``portal_…`` or ``not_covered`` for a report not found); the views say ``not_yet_due`` instead
while ``date('now') <= deadline``, so a deadline passing needs no refresh. ``portal_status`` and
``portal_status_at`` are read from ``coverage_region_state`` (one row per region code with a
registry portal or a portal status). ``coverage_found`` holds the reports found per region,
report year and publisher (what ``publishers_found`` and ``reports_found`` add up).

:func:`refresh` with ``agency_ids`` recomputes the rows of those agencies' publishers (all
years; also of publishers an agency left or joined: ``coverage_dirty``, filled by triggers when
an agency's publisher, level, region or portal changes, or a report's agency, year, kind or
publish date) and the region rows of their regions; it always re-reads the registry and the
portal statuses (a few thousand rows) and updates the rows of regions whose coverage or
portal status changed. Without ``agency_ids``, or when the years covered or the regions table
changed, it rebuilds everything.
"""
from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import json
from pathlib import Path

DEFAULT_SETTINGS = {
    "coverage_first_year": ("2019", "first report year of the coverage views (the 2019 条例 and template)"),
    "coverage_last_year": ("", "last report year of the coverage views (empty: the latest in the archive)"),
    "crossyear_jump_factor": ("5", "flag a figure that grew or shrank by more than this factor from last year"),
    "crossyear_jump_min": ("20", "…when the larger of the two figures is at least this (件)"),
    "textreuse_threshold": ("0.8", "a section repeats last year's text when its shingle Jaccard similarity is at least this"),
    "textreuse_min_chars": ("80", "sections shorter than this (characters) are not judged for text reuse"),
    "textreuse_sections": ("1,5,6", "section numbers judged for text reuse (2–4 are the template's tables)"),
}

DEADLINE_SQL = (
    "CASE WHEN {y} < 2019 OR {level} = 'government' THEN ({y} + 1) || '-03-31' "
    "ELSE ({y} + 1) || '-01-31' END"
)


def deadline(report_year: int, level: str | None) -> str:
    """The legal deadline of a report, as YYYY-MM-DD."""
    if report_year < 2019 or level == "government":
        return f"{report_year + 1}-03-31"
    return f"{report_year + 1}-01-31"


def default_settings(db) -> None:
    for key, (value, description) in DEFAULT_SETTINGS.items():
        db.execute(
            "INSERT OR IGNORE INTO register_settings(key, value, description) VALUES (?, ?, ?)",
            (key, value, description),
        )


def setting(db, key: str, cast=str):
    row = db.execute("SELECT value FROM register_settings WHERE key = ?", (key,)).fetchone()
    value = row[0] if row and row[0] not in (None, "") else DEFAULT_SETTINGS.get(key, ("",))[0]
    return cast(value) if value not in (None, "") else None


def set_setting(db, key: str, value) -> None:
    """Set a register setting; a ``coverage_`` setting refreshes the coverage tables (the years
    they cover may change)."""
    db.execute(
        "INSERT INTO register_settings(key, value, description) VALUES (?, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, "" if value is None else str(value), DEFAULT_SETTINGS.get(key, ("", ""))[1]),
    )
    if key.startswith("coverage_") and is_built(_conn(db)):
        refresh(db, agency_ids=())


# ------------------------------------------------------------------ the portal registry
def load_registry(db, path: str | Path) -> int:
    """Upsert the portals of a registry CSV (crawler/portals.csv format) into ``registry_portals``.

    A region counts as covered when an enabled portal with a base URL names its code."""
    path = Path(path)
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
    with path.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if (r.get("id") or "").strip()]
    for r in rows:
        enabled = str(r.get("enabled", "1")).strip().lower() not in ("0", "false", "no", "")
        db.execute(
            "INSERT INTO registry_portals(id, region_code, name, level, base_url, platform, enabled, "
            "source_file, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "region_code = excluded.region_code, name = excluded.name, level = excluded.level, "
            "base_url = excluded.base_url, platform = excluded.platform, enabled = excluded.enabled, "
            "source_file = excluded.source_file, loaded_at = excluded.loaded_at "
            # unchanged rows keep their loaded_at: loading the same files twice changes nothing
            "WHERE " + " OR ".join(f"registry_portals.{c} IS NOT excluded.{c}" for c in (
                "region_code", "name", "level", "base_url", "platform", "enabled", "source_file")),
            (r["id"].strip(), (r.get("region_code") or "").strip() or None, r.get("name"), r.get("level"),
             (r.get("base_url") or "").strip() or None, r.get("platform"), int(enabled), str(path), now),
        )
    return len(rows)


# ------------------------------------------------------------------ materialized register
# A report's status once its deadline has passed, from the columns of one row (report_id,
# publish_date, deadline, covered) and the region's portal status ``ps``.
def _agency_due(ps: str) -> str:
    return f"""CASE WHEN report_id IS NULL THEN
         CASE WHEN covered AND {ps} NOT IN ('ok') THEN 'portal_' || {ps}
              WHEN covered THEN 'missing' ELSE 'not_covered' END
       WHEN publish_date IS NULL THEN 'found_undated'
       WHEN publish_date > deadline THEN 'late' ELSE 'on_time' END"""


def _region_due(ps: str) -> str:
    return f"""CASE WHEN government_report_id IS NOT NULL THEN
         CASE WHEN publish_date IS NULL THEN 'found_undated'
              WHEN publish_date > deadline THEN 'late' ELSE 'on_time' END
       WHEN NOT covered THEN 'not_covered'
       WHEN {ps} NOT IN ('ok') THEN 'portal_' || {ps}
       ELSE 'missing' END"""


# the state columns of a region, read where a row is written
_STATE_PS = "(SELECT portal_status FROM coverage_region_state s WHERE s.code = {t}.region_code)"
_STATE_PORTALS = "coalesce((SELECT portals FROM coverage_region_state s WHERE s.code = {t}.region_code), 0)"

TABLES_SQL = (
    # one row per publisher and report year: the view coverage_agencies without its status
    """CREATE TABLE IF NOT EXISTS coverage_agency_years (
        entity_key TEXT NOT NULL, report_year INTEGER NOT NULL, agency_id INTEGER, agency TEXT,
        level TEXT, region_code TEXT, region_name TEXT, province TEXT, prefecture TEXT,
        deadline TEXT NOT NULL, report_id INTEGER, publish_date TEXT, days_late INTEGER,
        due_status TEXT NOT NULL, covered INTEGER NOT NULL, reports INTEGER NOT NULL,
        found_agency TEXT, own_portal INTEGER NOT NULL)""",
    # one row per region and report year: the view coverage_regions without its status
    """CREATE TABLE IF NOT EXISTS coverage_region_years (
        region_code TEXT NOT NULL, report_year INTEGER NOT NULL, region TEXT, region_name TEXT,
        level TEXT, province_code TEXT, province TEXT, prefecture_code TEXT, prefecture TEXT,
        covered INTEGER NOT NULL, portals INTEGER NOT NULL, deadline TEXT NOT NULL,
        government_report_id INTEGER, government_agency TEXT, publish_date TEXT, days_late INTEGER,
        due_status TEXT NOT NULL, publishers_found INTEGER NOT NULL, reports_found INTEGER NOT NULL,
        PRIMARY KEY (region_code, report_year)) WITHOUT ROWID""",
    # reports found per region (of the agency), year and publisher
    """CREATE TABLE IF NOT EXISTS coverage_found (
        region_code TEXT NOT NULL, report_year INTEGER NOT NULL, entity_key TEXT NOT NULL,
        reports INTEGER NOT NULL, PRIMARY KEY (region_code, report_year, entity_key)) WITHOUT ROWID""",
    # a region code with an enabled registry portal (portals: how many) or a portal status
    """CREATE TABLE IF NOT EXISTS coverage_region_state (
        code TEXT PRIMARY KEY, portals INTEGER NOT NULL, portal_status TEXT, portal_status_at TEXT)""",
    # publishers whose rows are out of date (an agency moved between publishers, a report changed)
    "CREATE TABLE IF NOT EXISTS coverage_dirty (entity_key TEXT PRIMARY KEY)",
)

#: indexes of the materialized tables, each for a query of metadata.json or the refresh
INDEXES = {
    # the refresh (one publisher's rows) and a region's government row
    "coverage_agency_years_key": "coverage_agency_years(entity_key, report_year)",
    # a region's rows (the refresh, /region pages) and status-grid (ordered by region, agency)
    "coverage_agency_years_region": "coverage_agency_years(region_code, agency, report_year)",
    # late-count / missing-count: status, then deadline (missing once the deadline passed)
    "coverage_agency_years_status": "coverage_agency_years(due_status, deadline, region_code)",
    # status-per-year and publishers (the rows of one year)
    "coverage_agency_years_year": "coverage_agency_years(report_year, due_status, deadline, region_code)",
    # coverage_missing_late, in its order
    "coverage_agency_years_late": "coverage_agency_years(report_year DESC, due_status, days_late DESC, agency)",
    "coverage_found_entity": "coverage_found(entity_key)",
    # coverage_by_province, coverage-province, coverage-prefecture, coverage_of_regions
    "coverage_region_years_level": "coverage_region_years(level, report_year, province_code)",
    "coverage_region_years_year": "coverage_region_years(report_year, region_code)",
}

# today's date once per query (a subquery), not once per row
AGENCIES_VIEW = """CREATE VIEW coverage_agencies AS
SELECT c.entity_key, c.agency_id, c.agency, c.level, c.region_code, c.region_name, c.province, c.prefecture,
  c.report_year, c.deadline, c.report_id, c.publish_date, c.days_late,
  CASE WHEN c.report_id IS NULL AND (SELECT date('now')) <= c.deadline THEN 'not_yet_due'
       ELSE c.due_status END AS status,
  c.covered, c.reports, ps.portal_status, ps.portal_status_at
FROM coverage_agency_years c LEFT JOIN coverage_region_state ps ON ps.code = c.region_code"""

REGIONS_VIEW = """CREATE VIEW coverage_regions AS
SELECT c.region_code, c.region, c.region_name, c.level, c.province_code, c.province, c.prefecture_code,
  c.prefecture, c.report_year, c.covered, c.portals, c.deadline, c.government_report_id, c.government_agency,
  c.publish_date, c.days_late,
  CASE WHEN c.government_report_id IS NULL AND c.covered AND (SELECT date('now')) <= c.deadline THEN 'not_yet_due'
       ELSE c.due_status END AS status,
  c.publishers_found, c.reports_found, ps.portal_status, ps.portal_status_at
FROM coverage_region_years c LEFT JOIN coverage_region_state ps ON ps.code = c.region_code"""

# an agency moved between publishers, or what its rows show changed; a report's agency, year,
# kind or date changed (reparse, a new version): its publisher's rows are recomputed by the
# next refresh, whichever agencies that refresh is given
_AGENCY_COLS = ("entity_key", "level", "linked_region_code", "region_code", "portal_url", "name")
_REPORT_COLS = ("agency_id", "report_year", "kind", "publish_date")
TRIGGERS_SQL = (
    f"""CREATE TRIGGER IF NOT EXISTS coverage_dirty_agency AFTER UPDATE OF {', '.join(_AGENCY_COLS)} ON agencies
    WHEN {' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in _AGENCY_COLS)}
    BEGIN
      INSERT OR IGNORE INTO coverage_dirty(entity_key) VALUES (coalesce(OLD.entity_key, 'agency:' || OLD.id));
      INSERT OR IGNORE INTO coverage_dirty(entity_key) VALUES (coalesce(NEW.entity_key, 'agency:' || NEW.id));
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS coverage_dirty_report AFTER UPDATE OF {', '.join(_REPORT_COLS)} ON reports
    WHEN {' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in _REPORT_COLS)}
    BEGIN
      INSERT OR IGNORE INTO coverage_dirty(entity_key)
        SELECT coalesce(entity_key, 'agency:' || id) FROM agencies WHERE id IN (OLD.agency_id, NEW.agency_id);
    END""",
    """CREATE TRIGGER IF NOT EXISTS coverage_dirty_report_deleted AFTER DELETE ON reports
    BEGIN
      INSERT OR IGNORE INTO coverage_dirty(entity_key)
        SELECT coalesce(entity_key, 'agency:' || id) FROM agencies WHERE id = OLD.agency_id;
    END""",
)

# the report years covered (see the module docstring)
YEARS_SQL = """WITH RECURSIVE settings AS (
  SELECT
    (SELECT CAST(value AS INTEGER) FROM register_settings WHERE key = 'coverage_first_year' AND value != '') AS first_setting,
    (SELECT CAST(value AS INTEGER) FROM register_settings WHERE key = 'coverage_last_year' AND value != '') AS last_setting,
    (SELECT min(report_year) FROM reports WHERE kind = 'report') AS min_year,
    (SELECT max(report_year) FROM reports WHERE kind = 'report') AS max_year
),
bounds AS (
  SELECT CASE WHEN min_year IS NOT NULL THEN max(coalesce(first_setting, min_year), min_year)
              WHEN last_setting IS NOT NULL THEN first_setting END AS first_year,   -- no report yet: the set years
         coalesce(last_setting, max_year) AS last_year
  FROM settings
),
years(y) AS (
  SELECT first_year FROM bounds WHERE first_year IS NOT NULL
  UNION ALL SELECT y + 1 FROM years, bounds WHERE y < last_year
)
SELECT y FROM years"""

# a region's state: how many enabled registry portals with a URL name it (it is covered), and
# its portal status from the archive's portals table: ok when any enabled portal of the region
# was read; else the status of its portals (all of them failed the same way, or the first of
# blocked > robots > no_column > unreachable); NULL when none was crawled
_STATE_PORTALS_ARM = """
  UNION ALL
  SELECT rp.region_code, 0,
    CASE WHEN max(p.status = 'ok') THEN 'ok'
         WHEN max(p.status = 'blocked') THEN 'blocked'
         WHEN max(p.status = 'robots') THEN 'robots'
         WHEN max(p.status = 'no_column') THEN 'no_column'
         WHEN max(p.status = 'unreachable') THEN 'unreachable' END,
    max(p.status_at)
  FROM registry_portals rp JOIN portals p ON p.id = rp.id
  WHERE rp.enabled = 1 AND rp.region_code IS NOT NULL AND p.status IS NOT NULL
  GROUP BY rp.region_code"""
STATE_SQL = """SELECT code, sum(portals), max(portal_status), max(portal_status_at) FROM (
  SELECT region_code AS code, count(*) AS portals, NULL AS portal_status, NULL AS portal_status_at
  FROM registry_portals
  WHERE enabled = 1 AND coalesce(base_url, '') != '' AND region_code IS NOT NULL
  GROUP BY region_code{portals_arm}
) GROUP BY code"""

# the reports of agencies (``{agencies}``: all, or an IN list of ids), as publisher-years
_PUB = """pub AS (
  SELECT r.id AS report_id, r.report_year, r.publish_date, a.id AS agency_id, a.name AS agency,
    coalesce(a.entity_key, 'agency:' || a.id) AS entity_key, a.level,
    coalesce(a.linked_region_code, a.region_code) AS region_code, a.portal_url
  FROM agencies a JOIN reports r ON r.agency_id = a.id
  WHERE r.kind = 'report' AND r.report_year IS NOT NULL {agencies}
)"""

FOUND_SQL = f"""INSERT INTO coverage_found(region_code, report_year, entity_key, reports)
WITH {_PUB}
SELECT region_code, report_year, entity_key, count(*) FROM pub WHERE region_code IS NOT NULL
GROUP BY region_code, report_year, entity_key"""

_AGENCY_COLUMNS = ("entity_key, report_year, agency_id, agency, level, region_code, region_name, province, "
                   "prefecture, deadline, report_id, publish_date, days_late, due_status, covered, reports, "
                   "found_agency, own_portal")
AGENCY_ROWS_SQL = f"""INSERT INTO coverage_agency_years({_AGENCY_COLUMNS})
WITH years(y) AS (SELECT value FROM json_each(:years)),
{_PUB},
ranked AS (
  -- report_id and agency of a year are those of its earliest published report (the lowest
  -- id among equals; the lowest id when none is dated)
  SELECT entity_key, report_year, publish_date, report_id, agency,
    row_number() OVER (PARTITION BY entity_key, report_year
                       ORDER BY publish_date IS NULL, publish_date, report_id) AS rank,
    count(*) OVER (PARTITION BY entity_key, report_year) AS reports
  FROM pub
),
found AS (SELECT * FROM ranked WHERE rank = 1),
latest AS (
  SELECT entity_key, agency, max(report_year * 100000000 + report_id) AS latest FROM pub GROUP BY entity_key
),
entities AS (
  SELECT pub.entity_key, min(agency_id) AS agency_id, max(level) AS level, max(region_code) AS region_code,
    min(report_year) AS first_year, max(portal_url) AS portal_url, latest.agency
  FROM pub JOIN latest ON latest.entity_key = pub.entity_key GROUP BY pub.entity_key
),
grid AS (
  SELECT e.entity_key, years.y AS report_year, e.agency_id, e.agency, e.level, e.region_code,
    rg.full_name AS region_name, pv.name AS province, pf.name AS prefecture,
    {DEADLINE_SQL.format(y='years.y', level='e.level')} AS deadline,
    f.report_id, f.publish_date, coalesce(f.reports, 0) AS reports, f.agency AS found_agency,
    e.portal_url IS NOT NULL AS own_portal,
    (e.portal_url IS NOT NULL OR coalesce(st.portals, 0) > 0) AS covered, st.portal_status
  FROM entities e JOIN years ON years.y >= e.first_year
  LEFT JOIN found f ON f.entity_key = e.entity_key AND f.report_year = years.y
  LEFT JOIN coverage_region_state st ON st.code = e.region_code
  LEFT JOIN regions rg ON rg.code = e.region_code
  LEFT JOIN regions pv ON pv.code = rg.province_code
  LEFT JOIN regions pf ON pf.code = rg.prefecture_code
)
SELECT entity_key, report_year, agency_id, agency, level, region_code, region_name, province, prefecture,
  deadline, report_id, publish_date, CAST(julianday(publish_date) - julianday(deadline) AS INTEGER),
  {_agency_due('portal_status')}, covered, reports, found_agency, own_portal
FROM grid"""

_REGION_COLUMNS = ("region_code, report_year, region, region_name, level, province_code, province, "
                   "prefecture_code, prefecture, covered, portals, deadline, government_report_id, "
                   "government_agency, publish_date, days_late, due_status, publishers_found, reports_found")
REGION_ROWS_SQL = f"""INSERT INTO coverage_region_years({_REGION_COLUMNS})
WITH years(y) AS (SELECT value FROM json_each(:years)),
found AS (
  SELECT region_code, report_year, count(*) AS publishers, sum(reports) AS reports
  FROM coverage_found WHERE 1 {{codes}} GROUP BY region_code, report_year
),
grid AS (
  SELECT rg.code AS region_code, years.y AS report_year, rg.name AS region, rg.full_name AS region_name,
    rg.level, rg.province_code, pv.name AS province, rg.prefecture_code, pf.name AS prefecture,
    coalesce(st.portals, 0) > 0 AS covered, coalesce(st.portals, 0) AS portals,
    {DEADLINE_SQL.format(y='years.y', level="'government'")} AS deadline,
    gov.report_id AS government_report_id, gov.found_agency AS government_agency, gov.publish_date,
    coalesce(found.publishers, 0) AS publishers_found, coalesce(found.reports, 0) AS reports_found,
    st.portal_status
  FROM regions rg JOIN years
  LEFT JOIN coverage_region_state st ON st.code = rg.code
  LEFT JOIN coverage_agency_years gov ON gov.entity_key = 'gov:' || rg.code AND gov.report_year = years.y
    AND gov.report_id IS NOT NULL
  LEFT JOIN found ON found.region_code = rg.code AND found.report_year = years.y
  LEFT JOIN regions pv ON pv.code = rg.province_code
  LEFT JOIN regions pf ON pf.code = rg.prefecture_code
  WHERE 1 {{rg_codes}}
)
SELECT region_code, report_year, region, region_name, level, province_code, province, prefecture_code,
  prefecture, covered, portals, deadline, government_report_id, government_agency, publish_date,
  CAST(julianday(publish_date) - julianday(deadline) AS INTEGER),
  {_region_due('portal_status')}, publishers_found, reports_found
FROM grid"""

_IN_JSON = "IN (SELECT value FROM json_each(?))"


def _conn(db):
    return getattr(db, "conn", db)


def _has_table(conn, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def is_built(conn) -> bool:
    return _has_table(conn, "coverage_agency_years")


def create_tables(db) -> None:
    """The coverage tables, their indexes, the triggers that mark publishers out of date and
    the two views (migration "coverage register materialized"); filled by :func:`rebuild`."""
    conn = _conn(db)
    for name in ("coverage_agencies", "coverage_regions"):
        conn.execute(f"DROP VIEW IF EXISTS {name}")
    for sql in TABLES_SQL:
        conn.execute(sql)
    for name, on in INDEXES.items():
        conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {on}")
    for sql in TRIGGERS_SQL:
        conn.execute(sql)
    conn.execute(AGENCIES_VIEW)
    conn.execute(REGIONS_VIEW)


def create_views(db) -> None:
    """Rebuild the coverage register (called by the migrations that changed what it reads;
    before the migration that made its tables there is nothing to build)."""
    if is_built(_conn(db)):
        rebuild(db)


def covered_years(db) -> list[int]:
    return [y for (y,) in _conn(db).execute(YEARS_SQL)]


def _spec(conn) -> str:
    """What every row depends on: a change rebuilds the register."""
    regions = conn.execute("SELECT count(*), max(source_date) FROM regions").fetchone()
    return json.dumps({"years": covered_years(conn), "regions": list(regions),
                       "portals": _has_table(conn, "portals")})


def _state_sql(conn) -> str:
    return STATE_SQL.format(portals_arm=_STATE_PORTALS_ARM if _has_table(conn, "portals") else "")


def transaction(db):
    """db.atomic() of a sqlite-utils Database; else a savepoint on a plain connection."""
    if hasattr(db, "atomic"):
        return db.atomic()

    @contextlib.contextmanager
    def savepoint():
        db.execute("SAVEPOINT coverage")
        try:
            yield
        except BaseException:
            db.execute("ROLLBACK TO coverage")
            db.execute("RELEASE coverage")
            raise
        db.execute("RELEASE coverage")
    return savepoint()


def rebuild(db) -> dict:
    """Recompute every row of the coverage tables."""
    conn = _conn(db)
    with transaction(db):
        spec = _spec(conn)
        years = json.dumps(json.loads(spec)["years"])
        for table in ("coverage_agency_years", "coverage_region_years", "coverage_found",
                      "coverage_region_state", "coverage_dirty"):
            conn.execute(f"DELETE FROM {table}")
        # rows first, indexes after: one sort per index instead of a million inserts into each
        for name in INDEXES:
            conn.execute(f"DROP INDEX IF EXISTS {name}")
        conn.execute(f"INSERT INTO coverage_region_state(code, portals, portal_status, portal_status_at) "
                     f"{_state_sql(conn)}")
        conn.execute(FOUND_SQL.format(agencies=""))
        conn.execute(AGENCY_ROWS_SQL.format(agencies=""), {"years": years})
        conn.execute("CREATE INDEX IF NOT EXISTS coverage_agency_years_key ON " + INDEXES["coverage_agency_years_key"])
        conn.execute(REGION_ROWS_SQL.format(codes="", rg_codes=""), {"years": years})
        for name, on in INDEXES.items():
            conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {on}")
        conn.execute("INSERT OR REPLACE INTO archive_meta(key, value) VALUES ('coverage_spec', ?)", (spec,))
        rows = conn.execute("SELECT count(*) FROM coverage_agency_years").fetchone()[0]
    return {"coverage": "rebuilt", "coverage_rows": rows}


def sync_regions(db) -> set[str]:
    """Re-read the registry and the portal statuses into ``coverage_region_state``; update the
    rows of the regions whose coverage or portal status changed. Returns those region codes."""
    conn = _conn(db)
    new = {code: (portals, status, at) for code, portals, status, at in conn.execute(_state_sql(conn))}
    old = {code: (portals, status, at) for code, portals, status, at in conn.execute(
        "SELECT code, portals, portal_status, portal_status_at FROM coverage_region_state")}
    moved = sorted(c for c in set(new) | set(old) if new.get(c) != old.get(c))
    if not moved:
        return set()
    conn.execute(f"DELETE FROM coverage_region_state WHERE code {_IN_JSON}", (json.dumps(moved),))
    conn.executemany("INSERT INTO coverage_region_state(code, portals, portal_status, portal_status_at) "
                     "VALUES (?, ?, ?, ?)", [(c, *new[c]) for c in moved if c in new])
    # portal_status_at is read by the views from the state table; the rows change only when
    # whether a region is covered, or its status, changed
    changed = sorted(c for c in moved if (new.get(c) or (0, None, None))[:2] != (old.get(c) or (0, None, None))[:2])
    if changed:
        codes = json.dumps(changed)
        t = "coverage_agency_years"
        conn.execute(f"UPDATE {t} SET covered = (own_portal OR {_STATE_PORTALS.format(t=t)} > 0) "
                     f"WHERE region_code {_IN_JSON}", (codes,))
        conn.execute(f"UPDATE {t} SET due_status = {_agency_due(_STATE_PS.format(t=t))} "
                     f"WHERE region_code {_IN_JSON}", (codes,))
        t = "coverage_region_years"
        portals = _STATE_PORTALS.format(t=t)
        conn.execute(f"UPDATE {t} SET portals = {portals}, covered = {portals} > 0 WHERE region_code {_IN_JSON}",
                     (codes,))
        conn.execute(f"UPDATE {t} SET due_status = {_region_due(_STATE_PS.format(t=t))} "
                     f"WHERE region_code {_IN_JSON}", (codes,))
    return set(changed)


def refresh(db, agency_ids=None) -> dict:
    """Bring the coverage tables up to date after ``agency_ids``' reports or agencies changed
    (and whatever ``coverage_dirty`` lists); everything when ``agency_ids`` is None, or when the
    years covered or the regions changed. Returns counts."""
    conn = _conn(db)
    if not is_built(conn):
        return {}
    stored = conn.execute("SELECT value FROM archive_meta WHERE key = 'coverage_spec'").fetchone()
    if agency_ids is None or stored is None or stored[0] != _spec(conn):
        return rebuild(db)
    years = json.dumps(json.loads(stored[0])["years"])
    with transaction(db):
        regions = sync_regions(db)
        ids = json.dumps(sorted({int(i) for i in agency_ids if i is not None}))
        keys = {k for (k,) in conn.execute(
            f"SELECT coalesce(entity_key, 'agency:' || id) FROM agencies WHERE id {_IN_JSON}", (ids,))}
        keys |= {k for (k,) in conn.execute("SELECT entity_key FROM coverage_dirty")}
        if keys:
            regions |= _recompute_publishers(conn, json.dumps(sorted(keys)), years)
            regions |= {k[4:] for k in keys if k.startswith("gov:")}   # the region's own government
            conn.execute("DELETE FROM coverage_dirty")
        if regions:
            codes = json.dumps(sorted(regions))
            conn.execute(f"DELETE FROM coverage_region_years WHERE region_code {_IN_JSON}", (codes,))
            conn.execute(REGION_ROWS_SQL.format(codes=f"AND region_code {_IN_JSON.replace('?', ':codes')}",
                                                rg_codes=f"AND rg.code {_IN_JSON.replace('?', ':codes')}"),
                         {"codes": codes, "years": years})
    return {"coverage": "updated", "coverage_publishers": len(keys), "coverage_regions": len(regions)}


def _recompute_publishers(conn, keys: str, years: str) -> set[str]:
    """Replace the rows of the publishers ``keys`` (JSON list); the regions they were and are in."""
    def regions() -> set[str]:
        return {c for (c,) in conn.execute(
            f"SELECT region_code FROM coverage_agency_years WHERE entity_key {_IN_JSON} "
            f"UNION SELECT region_code FROM coverage_found WHERE entity_key {_IN_JSON}", (keys, keys))
            if c is not None}

    before = regions()
    conn.execute(f"DELETE FROM coverage_agency_years WHERE entity_key {_IN_JSON}", (keys,))
    conn.execute(f"DELETE FROM coverage_found WHERE entity_key {_IN_JSON}", (keys,))
    # every agency of these publishers (an agency not linked yet is its own publisher, agency:<id>)
    members = json.dumps([i for (i,) in conn.execute(
        f"SELECT id FROM agencies WHERE entity_key {_IN_JSON} UNION SELECT id FROM agencies "
        f"WHERE entity_key IS NULL AND id IN (SELECT CAST(substr(value, 8) AS INTEGER) FROM json_each(?) "
        "WHERE value LIKE 'agency:%')", (keys, keys))])
    where = f"AND a.id {_IN_JSON.replace('?', ':agencies')}"
    conn.execute(FOUND_SQL.format(agencies=where), {"agencies": members})
    conn.execute(AGENCY_ROWS_SQL.format(agencies=where), {"agencies": members, "years": years})
    return before | regions()
