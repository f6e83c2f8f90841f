"""The archive's schema and its migrations.

:func:`open_archive` opens (or creates) an archive file, switches on WAL and
foreign keys, and applies every migration the file has not seen yet.  The
``schema_migrations`` table records which ones ran, so an archive written by an
older version of this code is migrated in place when it is opened, without
losing anything.  Migrations only ever add data structures: new tables, new columns (then
backfilled), new indexes, views (which hold no data and may be recreated); what they drop
holds no data of its own (an index another index covers, a search index rebuilt from the
tables), or was copied first (the search index, moved to a file of its own).

To change the schema, append a function to :data:`MIGRATIONS`; never edit one
that has shipped.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import sqlite_utils

from . import chinese, search_index
from .clock import now_iso

# ------------------------------------------------------------------ table 2/3/4 keys
# the parser's keys are the contract (pipelines/labels.py); the wide views follow them
from pipelines.labels import (  # noqa: E402
    ACTIVE_2019, ACTIVE_2021, APPLICANT_COLUMNS, APPLICATION_ROWS, REVIEW_BLOCKS, REVIEW_COLUMNS,
)

APPLICATION_COLS = APPLICANT_COLUMNS
REVIEW_ROWS = REVIEW_BLOCKS
REVIEW_COLS = REVIEW_COLUMNS
# table 2: the 2021 template's cells, then the 2019 template's that are not among them
ACTIVE_CELLS = list(dict.fromkeys(
    [(r, c) for r, cols in ACTIVE_2021.items() for c in cols]
    + [(r, c) for r, cols in ACTIVE_2019.items() for c in cols]
))
# old_statistics: the pre-2019 statistics table (pipelines/oldstats.py), its own row keys
TABLE_NAMES = ("active_disclosure", "applications", "reviews_litigation", "old_statistics")



def wide_column(row_key: str, col_key: str) -> str:
    return f"{row_key}__{col_key}".replace(".", "_")




# ------------------------------------------------------------------ migrations
def _m001_base(db: sqlite_utils.Database) -> None:
    db["agencies"].create(
        {"id": int, "name": str, "region_code": str, "region_name": str,
         "level": str, "portal_url": str},
        pk="id", not_null={"name"},
    )
    db.execute(
        "CREATE UNIQUE INDEX agencies_name_region ON agencies(name, coalesce(region_code, ''))"
    )
    db["reports"].create(
        {"id": int, "url": str, "agency_id": int, "title": str, "kind": str,
         "report_year": int, "publish_date": str, "publish_datetime": str,
         "source": str, "template": str, "clicks": int, "version_id": int,
         "first_seen": str, "last_seen": str},
        pk="id", not_null={"url"}, foreign_keys=[("agency_id", "agencies", "id")],
    )
    db["reports"].create_index(["url"], unique=True)
    db["versions"].create(
        {"id": int, "report_id": int, "sha256": str, "fetched_at": str,
         "last_fetched_at": str, "http_status": int, "final_url": str,
         "encoding": str, "raw": bytes, "raw_compression": str, "raw_size": int,
         "content_type": str, "parser_version": str, "record": str,
         "warnings": str, "attachments": str},
        pk="id", not_null={"report_id", "sha256"},
        foreign_keys=[("report_id", "reports", "id")],
    )
    db["versions"].create_index(["report_id", "sha256"], unique=True)
    db["reports"].add_foreign_key("version_id", "versions", "id")
    for name, cols in (
        ("sections", {"id": int, "report_id": int, "version_id": int, "number": int,
                      "heading": str, "text": str}),
        ("checks", {"id": int, "report_id": int, "version_id": int, "name": str,
                    "status": str, "detail": str}),
    ):
        db[name].create(
            cols, pk="id", not_null={"report_id", "version_id"},
            foreign_keys=[("report_id", "reports", "id"), ("version_id", "versions", "id")],
        )
    db["sections"].create_index(["version_id", "number"])
    db["sections"].create_index(["report_id"])
    # ~200 cells per version: a WITHOUT ROWID table keyed by the cell's identity is the
    # table and its index in one b-tree (half the size of a rowid table plus an index)
    db.execute(
        """CREATE TABLE cells (
            report_id INTEGER NOT NULL REFERENCES reports(id),
            version_id INTEGER NOT NULL REFERENCES versions(id),
            table_name TEXT NOT NULL,
            row_key TEXT NOT NULL,
            col_key TEXT NOT NULL,
            value INTEGER,
            raw TEXT,
            derived INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (version_id, table_name, row_key, col_key)
        ) WITHOUT ROWID"""
    )
    db["checks"].create_index(["version_id"])
    db["checks"].create_index(["report_id"])
    db["checks"].create_index(["name", "status"])
    db["click_observations"].create(
        {"id": int, "report_id": int, "observed_at": str, "clicks": int, "source": str},
        pk="id", not_null={"report_id", "observed_at", "clicks"},
        foreign_keys=[("report_id", "reports", "id")],
    )
    db["click_observations"].create_index(["report_id", "observed_at"])
    # append-only: a click observation is a fact about a moment; never rewritten
    db.executescript(
        """
        CREATE TRIGGER click_observations_no_update BEFORE UPDATE ON click_observations
        BEGIN SELECT RAISE(ABORT, 'click_observations is append-only'); END;
        CREATE TRIGGER click_observations_no_delete BEFORE DELETE ON click_observations
        BEGIN SELECT RAISE(ABORT, 'click_observations is append-only'); END;
        """
    )
    db["crawl_runs"].create(
        {"id": int, "spider": str, "started": str, "finished": str, "stats": str},
        pk="id",
    )
    for col in ("report_year", "publish_date", "clicks", "agency_id", "template"):
        db["reports"].create_index([col])


def _m002_chinese_fts(db: sqlite_utils.Database) -> None:
    """Chinese search, first layout: superseded by migration 5 (_m005_search_index), which
    drops what this made. Fresh archives only get the key-value table."""
    db["archive_meta"].create({"key": str, "value": str}, pk="key")


def _m003_facets(db: sqlite_utils.Database) -> None:
    """Facet columns on reports (region, overall check status) and the wide views."""
    for col in ("region_code", "region_name", "level", "check_status"):
        db["reports"].add_column(col, str)
    db.execute(
        """UPDATE reports SET
             region_code = (SELECT region_code FROM agencies a WHERE a.id = reports.agency_id),
             region_name = (SELECT region_name FROM agencies a WHERE a.id = reports.agency_id),
             level = (SELECT level FROM agencies a WHERE a.id = reports.agency_id)"""
    )
    db.execute(
        f"UPDATE reports SET check_status = ({CHECK_STATUS_SQL.format(v='reports.version_id')})"
    )
    for col in ("region_code", "region_name", "check_status"):
        db["reports"].create_index([col])
    create_views(db)


# the worst status of a version's checks: fail, warn, pass when at least one passed,
# not_assessable when every check was (a pre-2019 report: no template table to check),
# NULL when there are none (store._check_status mirrors it)
CHECK_STATUS_SQL = (
    "SELECT CASE WHEN count(*) = 0 THEN NULL "
    "WHEN sum(status = 'fail') > 0 THEN 'fail' "
    "WHEN sum(status = 'warn') > 0 THEN 'warn' "
    "WHEN sum(status = 'pass') > 0 THEN 'pass' ELSE 'not_assessable' END "
    "FROM checks WHERE checks.version_id = {v}"
)

def _m_register(db: sqlite_utils.Database) -> None:
    """Who published what, when: regions (GB/T 2260), agencies linked to them, the portal
    registry, settings, text reuse and the coverage views (db/regions.py, db/coverage.py,
    db/crossyear.py, db/textreuse.py)."""
    db.execute(
        """CREATE TABLE regions (
            code TEXT PRIMARY KEY, name TEXT NOT NULL, level TEXT NOT NULL, parent_code TEXT,
            province_code TEXT, prefecture_code TEXT, full_name TEXT,
            source TEXT, source_date TEXT)"""
    )
    for col in ("level", "parent_code", "province_code", "prefecture_code", "name"):
        db["regions"].create_index([col])
    for col in ("linked_region_code", "link_source", "level_source", "entity_key"):
        db["agencies"].add_column(col, str)
    db["agencies"].create_index(["linked_region_code"])
    db["agencies"].create_index(["entity_key"])
    db.execute(
        """CREATE TABLE registry_portals (
            id TEXT PRIMARY KEY, region_code TEXT, name TEXT, level TEXT, base_url TEXT,
            platform TEXT, enabled INTEGER, source_file TEXT, loaded_at TEXT)"""
    )
    db["registry_portals"].create_index(["region_code"])
    db.execute(
        "CREATE TABLE register_settings (key TEXT PRIMARY KEY, value TEXT, description TEXT)"
    )
    db.execute(
        """CREATE TABLE section_similarity (
            report_id INTEGER NOT NULL REFERENCES reports(id),
            version_id INTEGER NOT NULL REFERENCES versions(id),
            section_number INTEGER NOT NULL, heading TEXT,
            prev_report_id INTEGER REFERENCES reports(id),
            prev_version_id INTEGER REFERENCES versions(id),
            report_year INTEGER, prev_year INTEGER,
            jaccard REAL, containment REAL, chars INTEGER, prev_chars INTEGER,
            PRIMARY KEY (version_id, section_number))"""
    )
    db["section_similarity"].create_index(["report_id"])
    db["reports"].create_index(["agency_id", "report_year"])
    from . import coverage, regions

    coverage.default_settings(db)
    regions.load_regions(db)
    regions.link_agencies(db)
    coverage.create_views(db)


def _m005_search_index(db: sqlite_utils.Database) -> None:
    """One Chinese search index instead of two (superseded by _m_trigram_search).

    Archives indexed by the first layout had every text twice (per section and per
    version); this drops those tables and numbers each section ``version_id << 10 | ordinal``
    (no table refers to sections.id). The index it made (search_fts, bigram tokens) is
    replaced by a later migration, which also fills the new one; so nothing is indexed here.
    """
    for name in ("versions_fts", "sections_fts"):
        db.execute(f"DROP VIEW IF EXISTS {name}")
        db.execute(f"DROP TABLE IF EXISTS {name}")
    # two steps, so no new id collides with an old one half-way through
    db.execute("UPDATE sections SET id = -id")
    db.execute(
        f"""UPDATE sections SET id = (version_id << {SECTION_BITS}) + (
              SELECT count(*) FROM sections s2 WHERE s2.version_id = sections.version_id
                AND (coalesce(s2.number, 1e9), -s2.id) <= (coalesce(sections.number, 1e9), -sections.id))"""
    )
    # versions stored but not yet in the search index (store() indexes in batches)
    db.execute("CREATE TABLE search_pending (version_id INTEGER PRIMARY KEY)")


def _m_trigram_search(db: sqlite_utils.Database) -> None:
    """Search by SQLite's trigram tokenizer, one row per version (see "Search index" below),
    instead of the bigram token stream of search_fts (one row per section). The new tables
    are filled when the archive is opened (the tokenizer version changed: rebuild_search_index)."""
    for name in ("versions_fts", "sections_fts"):
        db.execute(f"DROP VIEW IF EXISTS {name}")
    db.execute("DROP TABLE IF EXISTS search_fts")
    _create_search_index_in_main(db)
    # sections whose text SQL's lower() cannot fold as search does (full-width letters...)
    db.execute("ALTER TABLE sections ADD COLUMN fold INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE sections SET fold = 1 WHERE chinese_needs_fold(heading) OR chinese_needs_fold(text)")
    db.execute("INSERT OR REPLACE INTO archive_meta(key, value) VALUES ('tokenizer_version', '0')")
    # the search box reads (id, version_id) of every report in id order: from this index
    # instead of the table (a quarter of the time). idx_reports_agency_id is dropped: the
    # index on (agency_id, report_year) serves every lookup by agency_id, so reports keeps
    # as many indexes to write per report as before.
    db.execute("CREATE INDEX IF NOT EXISTS idx_reports_id_version_id ON reports(id, version_id)")
    db.execute("DROP INDEX IF EXISTS idx_reports_agency_id")


def _m_crawl_health(db: sqlite_utils.Database) -> None:
    """Crawl-health checks (crawler/monitoring.py, issue 6): each run's alerts as JSON
    (a list of {check, portal, message, value, threshold}), and how many fired."""
    cols = {c.name for c in db["crawl_runs"].columns}
    if "alerts" not in cols:
        db.execute("ALTER TABLE crawl_runs ADD COLUMN alerts TEXT")
    if "alert_count" not in cols:
        db.execute("ALTER TABLE crawl_runs ADD COLUMN alert_count INTEGER")


def _m_attachments(db: sqlite_utils.Database) -> None:
    """The files a crawl downloaded, per report version (see db/attachments.py)."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS attachments (
            id INTEGER PRIMARY KEY,
            report_id INTEGER REFERENCES reports(id),
            version_id INTEGER REFERENCES versions(id),
            url TEXT NOT NULL,
            sha256 TEXT, size INTEGER, mime TEXT, path TEXT, fetched_at TEXT,
            role TEXT, status TEXT, http_status INTEGER, error TEXT, etag TEXT, last_modified TEXT, text TEXT,
            parsed_kind TEXT, tables INTEGER, record TEXT, copies_check TEXT)"""
    )
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS attachments_version_url ON attachments(version_id, url)")
    db.execute("CREATE INDEX IF NOT EXISTS attachments_report ON attachments(report_id)")
    db.execute("CREATE INDEX IF NOT EXISTS attachments_url ON attachments(url, fetched_at)")
    db.execute("CREATE INDEX IF NOT EXISTS attachments_sha256 ON attachments(sha256)")


def _m_versions_by_hash(db: sqlite_utils.Database) -> None:
    # the crawler asks "which report already has these bytes?" for every page it stores:
    # without this index each question scans the whole (report_id, sha256) index
    db.execute("CREATE INDEX IF NOT EXISTS versions_sha256 ON versions(sha256)")


def _m_crawl_state(db: sqlite_utils.Database) -> None:
    # the crawler's own record (crawler/archive.py): what it saw and did not archive, and
    # per URL what conditional requests and the re-validation window need. Archives that a
    # crawl made before this migration already have the tables: only missing columns are added.
    db.executescript(
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
    have = set(db["crawl_fetch_state"].columns_dict)
    for col in ("list_title", "list_date", "validated_at"):
        if col not in have:
            db.execute(f"ALTER TABLE crawl_fetch_state ADD COLUMN {col} TEXT")


def _m_report_aliases(db: sqlite_utils.Database) -> None:
    # a report reached through a redirect is stored under its final URL; the URL a list
    # gave (before the redirect) is kept here, pointing at it (crawler: issue 11)
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS report_aliases (
            url TEXT PRIMARY KEY, report_url TEXT NOT NULL, portal TEXT, first_seen TEXT, last_seen TEXT);
        CREATE INDEX IF NOT EXISTS report_aliases_report ON report_aliases(report_url);
        """
    )


def _m_reach_registry_portals(db: sqlite_utils.Database) -> None:
    """What the crawler knows of each portal (db/portals.py): platform, report columns and how
    they were found, the last crawl's status (ok / no_column / unreachable / blocked / robots)
    and when; a person's corrections (columns, notes) are kept apart from what a crawl found."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS portals (
            id TEXT PRIMARY KEY, region_code TEXT, name TEXT, platform TEXT,
            columns TEXT, how_found TEXT, columns_by TEXT,
            status TEXT, status_reason TEXT, status_at TEXT, last_run_id INTEGER,
            last_ok_at TEXT, reports INTEGER, lists INTEGER, notes TEXT)"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS portals_region ON portals(region_code)")
    db.execute("CREATE INDEX IF NOT EXISTS portals_status ON portals(status)")
    from . import coverage

    coverage.create_views(db)   # the coverage views tell a missing report from an unread portal


def _m_reader_labels(db: sqlite_utils.Database) -> None:
    """The ``labels`` table: each row/column key of tables 2-4 with its Chinese (national
    template) and English label (db/labels.py)."""
    from . import labels

    labels.create_table(db)


def _m_reader_agency_identity(db: sqlite_utils.Database) -> None:
    """Agencies keyed by region + normalised name, every spelling kept, merges recorded
    (db/identity.py); filled by the next ``db.register.refresh``."""
    from . import identity

    identity.create_tables(db)


def _m_parser_fix_check_status(db: sqlite_utils.Database) -> None:
    """check_status recomputed: a report whose checks are all not_assessable said 'pass'."""
    db.execute(f"UPDATE reports SET check_status = ({CHECK_STATUS_SQL.format(v='reports.version_id')}) "
               "WHERE check_status = 'pass'")


def _m_scale_reports_by_version(db: sqlite_utils.Database) -> None:
    """reports looked up by their current version: a search's matching versions become report
    keys through this index (db/datasette_plugin.py), not by reading every report."""
    db.execute("CREATE INDEX IF NOT EXISTS idx_reports_version_id ON reports(version_id)")


def _m_scale_crossyear_state(db: sqlite_utils.Database) -> None:
    """What each report's cross-year checks were computed from (its version, the versions it was
    compared with, the settings): a refresh compares again only the reports whose inputs changed."""
    db.execute("CREATE TABLE IF NOT EXISTS crossyear_state (report_id INTEGER PRIMARY KEY, inputs TEXT NOT NULL)")


def _m_report_figures(db: sqlite_utils.Database) -> None:
    """``report_figures``: one row per report with the figures of its current version that the
    canned queries and dashboards add up, its publisher, tier and whether it stands for its
    publisher-year (db/figures.py); filled from the cells of the current versions. And
    ``checks_flagged``: the failed and warned checks by status and name (a partial index: the
    passes, most of ``checks``, are not in it), for failed_checks and crossyear_failures.
    (One migration: each one ends with a foreign-key check of the whole file.)"""
    from . import figures

    figures.create_table(db)
    db.execute("CREATE INDEX IF NOT EXISTS checks_flagged ON checks(status, name, report_id, version_id) "
               "WHERE status IN ('fail', 'warn')")


# migrations that only add tables and indexes, no row another table refers to: the whole-file
# foreign-key check after them (minutes at a million reports) would find nothing new

def _m_coverage_tables(db: sqlite_utils.Database) -> None:
    """The coverage register as tables the register refresh writes (coverage_agency_years,
    coverage_region_years, coverage_found, coverage_region_state) instead of views that grouped
    every report on every read; the views coverage_agencies and coverage_regions keep their
    names, columns and rows, and compute the date-dependent not_yet_due when read (db/coverage.py)."""
    from . import coverage, regions

    coverage.default_settings(db)
    regions.load_regions(db)
    coverage.create_tables(db)
    coverage.rebuild(db)


def _m_queries_by_index(db: sqlite_utils.Database) -> None:
    """What the canned queries and dashboard panels read in order from an index instead of
    sorting or scanning a million rows (metadata.json): the cross-year checks' sort keys
    (checks.report_year, checks.agency, db/crossyear.py), reports by first_seen (the changes
    since a crawl), sections by similarity (text reuse), a portal's fetch times; and the digest
    of the sections a text-reuse row compared (a refresh keeps the rows of an unchanged pair)."""
    from . import crossyear

    crossyear.create_sort_keys(db)
    if "sections_hash" not in db["section_similarity"].columns_dict:
        # rows written before have none: compared again by the next refresh of their publisher
        db.execute("ALTER TABLE section_similarity ADD COLUMN sections_hash TEXT")
    db.execute("CREATE INDEX IF NOT EXISTS reports_first_seen ON reports(first_seen DESC)")
    db.execute("CREATE INDEX IF NOT EXISTS section_similarity_jaccard ON section_similarity(jaccard)")
    db.execute("CREATE INDEX IF NOT EXISTS crawl_fetch_state_portal "
               "ON crawl_fetch_state(portal, validated_at, fetched_at)")


#: a version that is not its report's first (the report's content changed after it was first
#: archived): what the change feeds list, found by index instead of grouping every version
LATER_VERSIONS_SQL = [
    """CREATE TABLE IF NOT EXISTS later_versions (
    version_id INTEGER PRIMARY KEY REFERENCES versions(id),
    report_id INTEGER NOT NULL REFERENCES reports(id),
    fetched_at TEXT
)""",
    "CREATE INDEX IF NOT EXISTS later_versions_fetched ON later_versions(fetched_at DESC, report_id)",
    "CREATE INDEX IF NOT EXISTS later_versions_report ON later_versions(report_id, fetched_at)",
    """CREATE TRIGGER IF NOT EXISTS versions_later AFTER INSERT ON versions
WHEN EXISTS (SELECT 1 FROM versions v0 WHERE v0.report_id = NEW.report_id AND v0.id < NEW.id)
BEGIN
    INSERT INTO later_versions(version_id, report_id, fetched_at)
    VALUES (NEW.id, NEW.report_id, NEW.fetched_at);
END""",
]


def _m_later_versions(db: sqlite_utils.Database) -> None:
    """later_versions: every version after its report's first, kept by a trigger on versions
    (a version's report and fetch time never change), so the change feeds read the newest by
    index; they grouped every version by report (0.2 s warm, 1.4 s from disk at a million)."""
    for sql in LATER_VERSIONS_SQL:   # (executescript would commit the migration's transaction)
        db.execute(sql)
    db.execute(
        "INSERT OR IGNORE INTO later_versions(version_id, report_id, fetched_at) "
        "SELECT v.id, v.report_id, v.fetched_at "
        "FROM (SELECT report_id FROM versions GROUP BY report_id HAVING count(*) > 1) m "
        "JOIN versions v ON v.report_id = m.report_id "
        "WHERE v.id > (SELECT min(v0.id) FROM versions v0 WHERE v0.report_id = v.report_id)")


def _m_checks_by_year(db: sqlite_utils.Database) -> None:
    """Every check carries its report's year (only the cross-year ones did), kept by the
    trigger on reports (db/crossyear.py), and failed_checks reads the flagged checks in its
    order from an index (it sorted 140,000 failed checks, each report row read: 0.3–0.4 s warm,
    2.9 s from a cold page cache at a million reports)."""
    from . import crossyear

    db.execute("DROP TRIGGER IF EXISTS checks_crossyear_report")
    db.execute("UPDATE checks SET report_year = (SELECT report_year FROM reports WHERE id = checks.report_id) "
               "WHERE report_year IS NOT (SELECT report_year FROM reports WHERE id = checks.report_id)")
    crossyear.create_sort_keys(db)


def _m_search_file(db: sqlite_utils.Database) -> None:
    """The search index in a file of its own beside the archive, written by an indexer while
    the store writes the archive (db/search_index.py): FTS5's tables copied there as they are;
    search_pending numbers each marking (seq); search_stale keeps the text a re-parse replaced
    until the indexer has deleted it from the index."""
    search_index.move_from_main(db)
    db.execute("ALTER TABLE search_pending RENAME TO search_pending_before")
    db.execute("CREATE TABLE search_pending (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
               "version_id INTEGER NOT NULL UNIQUE)")
    db.execute("INSERT INTO search_pending(version_id) SELECT version_id FROM search_pending_before "
               "ORDER BY version_id")
    db.execute("DROP TABLE search_pending_before")
    db.execute("CREATE TABLE IF NOT EXISTS search_stale (id INTEGER PRIMARY KEY, version_id INTEGER NOT NULL, "
               "title TEXT, agency TEXT, text TEXT)")
    db.execute("CREATE INDEX IF NOT EXISTS search_stale_version ON search_stale(version_id)")


def _m_agency_years(db: sqlite_utils.Database) -> None:
    """Each publisher's years of applications received, side by side, from an index of
    report_figures (applications_year_over_year looked up each publisher's years in reports and
    read each report's report_figures row: 1.4 s from a cold cache at 1.31 M reports, 35 ms from
    this index; built in 2.2 s)."""
    from . import figures

    db.execute(figures.AGENCY_YEARS_INDEX)


# migrations that only add tables, columns and indexes, no row another table refers to: the
# whole-file foreign-key check after them (minutes at a million reports) would find nothing new
for _m in (_m_scale_reports_by_version, _m_scale_crossyear_state, _m_report_figures, _m_coverage_tables,
           _m_queries_by_index, _m_later_versions, _m_checks_by_year, _m_search_file, _m_agency_years):
    _m.adds_only = True


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("base tables", _m001_base),
    ("chinese full-text search", _m002_chinese_fts),
    ("facet columns and wide views", _m003_facets),
    ("regions, registry, coverage, text reuse (issue 7)", _m_register),
    ("one chinese search index", _m005_search_index),
    ("crawl health: alerts of each crawl run (issue 6)", _m_crawl_health),
    ("attachments (issue 5)", _m_attachments),
    ("versions looked up by content hash", _m_versions_by_hash),
    ("the crawler's log and fetch state", _m_crawl_state),
    ("search by the trigram tokenizer, one row per version", _m_trigram_search),
    ("report aliases: the URL a list gave before a redirect (issue 11)", _m_report_aliases),
    ("portals: what the crawler knows of each portal (issue 11)", _m_reach_registry_portals),
    ("labels (中文 and English) of the tables' row and column keys (issue 15)", _m_reader_labels),
    ("one agency per body: identity_key, merged_into, agency_aliases, agency_merges (issue 15)",
     _m_reader_agency_identity),
    ("check_status not_assessable when no check passed or failed (issue 12)", _m_parser_fix_check_status),
    ("reports looked up by their current version (issue 16)", _m_scale_reports_by_version),
    ("cross-year checks recomputed only where their inputs changed (issue 16)", _m_scale_crossyear_state),
    ("report_figures (each report's figures, publisher-year and tier, kept by the store) and "
     "checks_flagged (failed and warned checks by status and name), so the canned queries and "
     "dashboards read no cells (issue 16)", _m_report_figures),
    ("coverage register materialized: tables written by the register refresh, thin views (issue 16)",
     _m_coverage_tables),
    ("canned queries by index: cross-year sort keys, reports by first_seen, text reuse by similarity (issue 16)",
     _m_queries_by_index),
    ("later_versions: the versions after each report's first, for the change feeds (issue 16)",
     _m_later_versions),
    ("every check carries its report's year; failed_checks in order from an index (issue 16)",
     _m_checks_by_year),
    ("the search index in a file of its own, written beside the store (issue 16)", _m_search_file),
    ("each publisher's years of applications received from an index (issue 16)", _m_agency_years),
]
SCHEMA_VERSION = len(MIGRATIONS)
SEARCH_FILE_VERSION = next(i + 1 for i, (_, f) in enumerate(MIGRATIONS) if f is _m_search_file)


# ------------------------------------------------------------------ views
def _wide_view(name: str, table: str, cells: list[tuple[str, str]]) -> str:
    cols = ",\n  ".join(
        f"max(CASE WHEN c.row_key = '{r}' AND c.col_key = '{k}' THEN c.value END) AS [{wide_column(r, k)}]"
        for r, k in cells
    )
    return f"""CREATE VIEW {name} AS
SELECT r.id AS report_id, r.agency_id, ag.name AS agency, r.region_name, r.report_year,
  r.template, r.title,
  {cols}
FROM reports r
JOIN cells c ON c.version_id = r.version_id AND c.table_name = '{table}'
LEFT JOIN agencies ag ON ag.id = r.agency_id
GROUP BY r.id"""


def create_views(db: sqlite_utils.Database) -> None:
    views = {
        "applications_wide": ("applications",
                              [(r, c) for r in APPLICATION_ROWS for c in APPLICATION_COLS]),
        "reviews_wide": ("reviews_litigation", [(r, c) for r in REVIEW_ROWS for c in REVIEW_COLS]),
        "active_disclosure_wide": ("active_disclosure", ACTIVE_CELLS),
    }
    for name, (table, cells) in views.items():
        db.execute(f"DROP VIEW IF EXISTS {name}")
        db.execute(_wide_view(name, table, cells))


# ------------------------------------------------------------------ Search index
# Two contentless FTS5 tables, one row per stored version (rowid = versions.id), both
# tokenized by SQLite's trigram tokenizer (db/chinese.py explains the scheme), in a file of
# their own beside the archive (db/search_index.py):
#   search_text(title, agency, text)  terms of 3+ characters (phrases of trigrams)
#   search_short(text)                terms of 1-2 characters (detail=none)
# Old versions keep their rows; ``reports`` matches through its current version_id.
# Each section is numbered version_id << SECTION_BITS | ordinal (its id in ``sections``).
SECTION_BITS = 10
MAX_SECTIONS = (1 << SECTION_BITS) - 1


def _create_search_index_in_main(db: sqlite_utils.Database) -> None:
    # as migration 10 made them (in the archive's own file; a later migration moves them)
    for sql in search_index.SEARCH_TABLES_SQL:
        db.execute(sql.replace("TABLE ", "TABLE main.", 1))
    for name in search_index.FTS_TABLES:
        db.execute(f"INSERT INTO main.{name}({name}, rank) VALUES ('hashsize', {search_index.SEARCH_HASHSIZE})")


def section_id(version_id: int, ordinal: int) -> int:
    return (version_id << SECTION_BITS) | ordinal


# ------------------------------------------------------------------ opening
def schema_version(db: sqlite_utils.Database) -> int:
    if "schema_migrations" not in db.table_names():
        return 0
    row = db.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return row[0] or 0


def migrate(db: sqlite_utils.Database, target: int | None = None) -> list[int]:
    """Apply pending migrations up to ``target`` (default: all); each in its own transaction."""
    target = SCHEMA_VERSION if target is None else target
    if "schema_migrations" not in db.table_names():
        db["schema_migrations"].create(
            {"version": int, "name": str, "applied_at": str}, pk="version"
        )
    applied = []
    current = schema_version(db)
    for version in range(current + 1, target + 1):
        name, func = MIGRATIONS[version - 1]
        # foreign keys off while tables are rebuilt (SQLite's documented procedure),
        # checked before the migration commits
        db.execute("PRAGMA foreign_keys = OFF")
        try:
            with db.atomic():
                func(db)
                problems = [] if getattr(func, "adds_only", False) else \
                    db.execute("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise RuntimeError(f"migration {version} broke foreign keys: {problems[:5]}")
                db.execute(
                    "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, now_iso()),
                )
        finally:
            db.execute("PRAGMA foreign_keys = ON")
        applied.append(version)
    if search_in_own_file(db):
        row = db.execute(
            "SELECT value FROM archive_meta WHERE key = 'tokenizer_version'"
        ).fetchone()
        if not search_index.has_index(db.conn):   # the index file was lost: made again
            with db.atomic():
                search_index.create_tables(db)
                search_index.rebuild_search_index(db)
        elif not row or row[0] != str(chinese.TOKENIZER_VERSION):
            with db.atomic():
                search_index.rebuild_search_index(db)
    return applied


def search_in_own_file(db: sqlite_utils.Database) -> bool:
    """The archive is at or past the migration that moved the search index to its own file
    (before it, at an older target, nothing of the index is touched)."""
    return schema_version(db) >= SEARCH_FILE_VERSION


def connect(path: str | Path) -> sqlite_utils.Database:
    db = sqlite_utils.Database(str(path))
    # no implicit transactions: store() and migrate() open their own (db.atomic())
    db.conn.isolation_level = None
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA busy_timeout = 30000")
    register_functions(db.conn)
    search_index.attach(db.conn)   # the search index's file (db/search_index.py)
    # freed pages are not overwritten with zeros (Debian builds SQLite with SECURE_DELETE on):
    # the archive holds public documents, and zeroing made every freed page a write — FTS5's
    # merges free pages all the time, and dropping a table wrote all of it to the WAL
    for name in ("main", search_index.SCHEMA):
        db.execute(f"PRAGMA {name}.secure_delete = OFF")
    return db


def register_functions(conn) -> None:
    """SQL functions the schema and the search use (the Datasette plugin registers them too)."""
    conn.create_function("chinese_contains", 2, chinese.contains, deterministic=True)
    conn.create_function("chinese_needs_fold", 1, chinese.needs_fold, deterministic=True)


def open_archive(path: str | Path, target: int | None = None) -> sqlite_utils.Database:
    """Open or create an archive and its search index file, migrated to the current schema,
    both in WAL mode."""
    db = connect(path)
    if str(path) != ":memory:":
        db.enable_wal()
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA cache_size = -65536")  # 64 MB: the FTS and cell b-trees stay in memory
    db.execute(f"PRAGMA {search_index.SCHEMA}.cache_size = -65536")
    # checkpoint every ~40 MB of WAL rather than 4 MB: a page rewritten by many small
    # transactions (one per report) is copied back to the file once, not every time
    db.execute("PRAGMA wal_autocheckpoint = 10000")
    # (the index file goes to WAL after the migrations: moving an older archive's index into a
    # new file then writes no copy of it to a WAL first)
    migrate(db, target)
    search_index.use_wal(db.conn)
    if search_in_own_file(db):
        # versions a writer stored but had not indexed yet when it stopped
        search_index.index_pending(db)
    return db
