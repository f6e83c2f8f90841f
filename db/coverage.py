"""Coverage register: who published which year's report, when, against the legal deadline.

Two views, always current (they read ``reports``, ``agencies``, ``regions`` and
``registry_portals``):

``coverage_agencies``
    one row per publisher (``agencies.entity_key``: a region's government across its name
    variants, else one agency) per report year, from ``max(coverage_first_year, the publisher's
    first report year)`` to the latest report year in the archive (or ``coverage_last_year``;
    an archive with no report yet — an offline crawl — covers ``coverage_first_year`` to
    ``coverage_last_year`` when the latter is set, so its portal statuses show).
``coverage_regions``
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
"""
from __future__ import annotations

import csv
import datetime as _dt
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
    db.execute(
        "INSERT INTO register_settings(key, value, description) VALUES (?, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, "" if value is None else str(value), DEFAULT_SETTINGS.get(key, ("", ""))[1]),
    )


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


# ------------------------------------------------------------------ views
_COMMON = """
settings AS (
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
),
covered_codes AS (
  SELECT region_code AS code, count(*) AS portals FROM registry_portals
  WHERE enabled = 1 AND coalesce(base_url, '') != '' AND region_code IS NOT NULL
  GROUP BY region_code
),
{portal_state},
pub AS (
  SELECT r.id AS report_id, r.report_year, r.publish_date, a.id AS agency_id, a.name AS agency,
    coalesce(a.entity_key, 'agency:' || a.id) AS entity_key, a.level,
    coalesce(a.linked_region_code, a.region_code) AS region_code, a.portal_url
  FROM reports r JOIN agencies a ON a.id = r.agency_id
  WHERE r.kind = 'report' AND r.report_year IS NOT NULL
),
found AS (
  -- report_id and agency are those of the earliest published report (SQLite's bare columns
  -- with a single min())
  SELECT entity_key, report_year, min(publish_date) AS publish_date, report_id, agency,
    count(*) AS reports
  FROM pub GROUP BY entity_key, report_year
)"""

AGENCIES_VIEW = f"""CREATE VIEW coverage_agencies AS
WITH RECURSIVE {_COMMON},
latest AS (
  SELECT entity_key, agency, max(report_year * 100000000 + report_id) AS latest FROM pub GROUP BY entity_key
),
entities AS (
  SELECT pub.entity_key, min(agency_id) AS agency_id, max(level) AS level, max(region_code) AS region_code,
    min(report_year) AS first_year, max(portal_url) AS portal_url, latest.agency
  FROM pub JOIN latest ON latest.entity_key = pub.entity_key GROUP BY pub.entity_key
),
grid AS (
  SELECT e.*, years.y AS report_year,
    {DEADLINE_SQL.format(y='years.y', level='e.level')} AS deadline,
    (e.portal_url IS NOT NULL OR cc.code IS NOT NULL) AS covered
  FROM entities e JOIN years ON years.y >= e.first_year
  LEFT JOIN covered_codes cc ON cc.code = e.region_code
)
SELECT g.entity_key, CAST(g.agency_id AS INTEGER) AS agency_id, g.agency, g.level, g.region_code,
  rg.full_name AS region_name, pv.name AS province, pf.name AS prefecture,
  CAST(g.report_year AS INTEGER) AS report_year, g.deadline, CAST(f.report_id AS INTEGER) AS report_id,
  f.publish_date,
  CAST(julianday(f.publish_date) - julianday(g.deadline) AS INTEGER) AS days_late,
  CASE WHEN f.report_id IS NULL THEN
         CASE WHEN date('now') <= g.deadline THEN 'not_yet_due'
              WHEN g.covered AND ps.portal_status NOT IN ('ok') THEN 'portal_' || ps.portal_status
              WHEN g.covered THEN 'missing' ELSE 'not_covered' END
       WHEN f.publish_date IS NULL THEN 'found_undated'
       WHEN f.publish_date > g.deadline THEN 'late' ELSE 'on_time' END AS status,
  CAST(g.covered AS INTEGER) AS covered, CAST(coalesce(f.reports, 0) AS INTEGER) AS reports,
  ps.portal_status, ps.portal_status_at
FROM grid g
LEFT JOIN found f ON f.entity_key = g.entity_key AND f.report_year = g.report_year
LEFT JOIN portal_state ps ON ps.code = g.region_code
LEFT JOIN regions rg ON rg.code = g.region_code
LEFT JOIN regions pv ON pv.code = rg.province_code
LEFT JOIN regions pf ON pf.code = rg.prefecture_code"""

REGIONS_VIEW = f"""CREATE VIEW coverage_regions AS
WITH RECURSIVE {_COMMON},
gov AS (
  SELECT substr(f.entity_key, 5) AS code, f.report_year, f.publish_date, f.report_id, f.agency
  FROM found f WHERE f.entity_key LIKE 'gov:%'
),
publishers AS (
  SELECT region_code AS code, report_year, count(DISTINCT entity_key) AS publishers,
    count(*) AS reports
  FROM pub WHERE region_code IS NOT NULL GROUP BY region_code, report_year
)
SELECT rg.code AS region_code, rg.name AS region, rg.full_name AS region_name, rg.level,
  rg.province_code, pv.name AS province, rg.prefecture_code, pf.name AS prefecture,
  CAST(years.y AS INTEGER) AS report_year,
  CAST(cc.code IS NOT NULL AS INTEGER) AS covered, CAST(coalesce(cc.portals, 0) AS INTEGER) AS portals,
  {DEADLINE_SQL.format(y='years.y', level="'government'")} AS deadline,
  CAST(gov.report_id AS INTEGER) AS government_report_id, gov.agency AS government_agency, gov.publish_date,
  CAST(julianday(gov.publish_date) - julianday({DEADLINE_SQL.format(y='years.y', level="'government'")})
       AS INTEGER) AS days_late,
  CASE WHEN gov.report_id IS NOT NULL THEN
         CASE WHEN gov.publish_date IS NULL THEN 'found_undated'
              WHEN gov.publish_date > {DEADLINE_SQL.format(y='years.y', level="'government'")} THEN 'late'
              ELSE 'on_time' END
       WHEN cc.code IS NULL THEN 'not_covered'
       WHEN date('now') <= {DEADLINE_SQL.format(y='years.y', level="'government'")} THEN 'not_yet_due'
       WHEN ps.portal_status NOT IN ('ok') THEN 'portal_' || ps.portal_status
       ELSE 'missing' END AS status,
  CAST(coalesce(pb.publishers, 0) AS INTEGER) AS publishers_found,
  CAST(coalesce(pb.reports, 0) AS INTEGER) AS reports_found,
  ps.portal_status, ps.portal_status_at
FROM regions rg
JOIN years
LEFT JOIN covered_codes cc ON cc.code = rg.code
LEFT JOIN gov ON gov.code = rg.code AND gov.report_year = years.y
LEFT JOIN publishers pb ON pb.code = rg.code AND pb.report_year = years.y
LEFT JOIN portal_state ps ON ps.code = rg.code
LEFT JOIN regions pv ON pv.code = rg.province_code
LEFT JOIN regions pf ON pf.code = rg.prefecture_code"""


# a region's portal status, from the archive's portals table: ok when any enabled portal of the
# region was read; else the status of its portals (all of them failed the same way, or the
# first of blocked > robots > no_column > unreachable); NULL when none was crawled
PORTAL_STATE = """portal_state AS (
  SELECT rp.region_code AS code,
    CASE WHEN max(p.status = 'ok') THEN 'ok'
         WHEN max(p.status = 'blocked') THEN 'blocked'
         WHEN max(p.status = 'robots') THEN 'robots'
         WHEN max(p.status = 'no_column') THEN 'no_column'
         WHEN max(p.status = 'unreachable') THEN 'unreachable' END AS portal_status,
    max(p.status_at) AS portal_status_at
  FROM registry_portals rp JOIN portals p ON p.id = rp.id
  WHERE rp.enabled = 1 AND rp.region_code IS NOT NULL AND p.status IS NOT NULL
  GROUP BY rp.region_code
)"""
NO_PORTAL_STATE = """portal_state AS (
  SELECT NULL AS code, NULL AS portal_status, NULL AS portal_status_at WHERE 0
)"""


def create_views(db) -> None:
    """(Re)create the coverage views (integer columns are CAST so that Datasette's ?col=value
    filters and facets match them). Archives older than the ``portals`` table get views
    without portal statuses (recreated by that migration)."""
    has_portals = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'portals'").fetchone()
    state = PORTAL_STATE if has_portals else NO_PORTAL_STATE
    for name, sql in (("coverage_agencies", AGENCIES_VIEW), ("coverage_regions", REGIONS_VIEW)):
        db.execute(f"DROP VIEW IF EXISTS {name}")
        db.execute(sql.replace("{portal_state}", state))
