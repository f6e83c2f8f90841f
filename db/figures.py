"""``report_figures``: one row per report, the figures of its current version that the canned
queries and the dashboards add up, so that none of them reads ``cells`` (about 200 cells a report:
200 million rows at a million reports) or works out "one report per publisher and year" per query.

Who keeps it current:

* cell-derived columns (``present``, the table 3 and 4 figures, ``unbalanced``,
  ``old_statistics_cells``) and ``balance_check_failed``: :class:`db.store.Archive` whenever a report
  is pointed at a version (a new report, new bytes, bytes it had before) and
  :meth:`~db.store.Archive.reparse` (the current version re-parsed), computed in Python from the
  cells it writes (:func:`cell_figures`; a reverted version's cells are read back);
* report- and agency-derived columns (``agency_id``, ``report_year``, ``kind``, ``region_code``,
  ``region_name``, ``entity_key``, ``tier``, ``province_code``, ``late``, ``days_late``) and
  ``counted``: written with the row by the store (which also follows a report to another agency
  or region, and an agency whose level it fills in), and recomputed by :func:`refresh_agencies` for
  the agencies ``db.register.refresh`` linked (after a load or a crawl; spellings of one body,
  which merges touch, included), for every report when the regions table was reloaded.

The definition is SQL over ``cells`` (:data:`CELL_FIGURES_SQL`, used by the migration that fills
the table for an existing archive, :func:`backfill`); :func:`cell_figures` computes the same in
Python, and the tests hold one to the other and both to the queries they replace.

Columns (``present`` bits tell a figure whose cells are there but empty from no cells at all):

========================  ==================================================================
present                   bit set: which cells the version has (:data:`BITS`): 1 new_received,
                          2 carried_over, 4 total_handled, 8 carried_forward (table 3, column
                          ``total``), 16 granted, 32 partially_granted, 64 denied.*, 128
                          unable.*, 256 not_handled.*, 512 other outcomes (column ``total``),
                          1024 a ``review`` row of table 4, 2048 any other row of table 4
new_received …            table 3, column ``total``: the cell's value
carried_forward
granted … other           table 3, column ``total``: sum of the rows of each outcome, grouped
                          as the ``outcome_mix`` query groups them (``denied.%`` …, LIKE)
review_corrected,         table 4, row ``review``: ``corrected``; ``upheld`` + ``corrected`` +
review_decided            ``other``
litigation_corrected,     the same over table 4's other rows (the two litigation blocks)
litigation_decided
unbalanced                table 3's columns where 上年结转 + 新收 ≠ 办理结果总计 + 结转下年度, as
                          ``balance_failures`` prints them (``total: 12 ≠ 11; …``); NULL when
                          every column balances
balance_check_failed      1 when the version has a failed check whose name contains "balance"
old_statistics_cells      how many cells of the pre-2019 statistics table the version has
agency_id … region_name   as in ``reports``
entity_key                the publisher (``agencies.entity_key``)
tier                      county_government / prefecture_government / province_government /
                          department / township … (the dashboards' filter)
province_code             of the agency's region (linked, else its own ``region_code``)
late, days_late           ``late_reports``: published after the deadline (31 January, 31 March
                          for governments and pre-2019 years), by how many days
counted                   1 for the report that stands for its publisher and year: the lowest
                          report id among the publisher's reports of kind ``report`` that year
========================  ==================================================================

Sums follow SQL's ``sum()``: NULL when there is nothing to add; a sum past SQLite's integers
(±2⁶³, where SQL would stop with "integer overflow") is kept as a REAL.
"""
from __future__ import annotations

import functools
import json
import re
import sqlite3

SQLITE_MIN, SQLITE_MAX = -(1 << 63), (1 << 63) - 1

FLOWS = ("new_received", "carried_over", "total_handled", "carried_forward")
OUTCOMES = ("granted", "partially_granted", "denied", "unable", "not_handled", "other")
BITS = {
    "new_received": 1, "carried_over": 2, "total_handled": 4, "carried_forward": 8,
    "granted": 16, "partially_granted": 32, "denied": 64, "unable": 128, "not_handled": 256,
    "other": 512, "review": 1024, "litigation": 2048,
}
CELL_COLUMNS = ("present", *FLOWS, *OUTCOMES, "review_corrected", "review_decided",
                "litigation_corrected", "litigation_decided", "unbalanced", "balance_check_failed",
                "old_statistics_cells")
REPORT_COLUMNS = ("agency_id", "report_year", "kind", "region_code", "region_name", "entity_key", "tier",
                  "province_code", "late", "days_late")
# the columns that decide a report's publisher-year group and whether it can stand for it
GROUP_COLUMNS = ("entity_key", "report_year", "agency_id", "kind")

# ---------------------------------------------------------------------------------- SQL
# an outcome row of table 3 as outcome_mix groups it (the rows other than the four flows)
OUTCOME_SQL = ("CASE WHEN c.row_key = 'granted' THEN 'granted' "
               "WHEN c.row_key = 'partially_granted' THEN 'partially_granted' "
               "WHEN c.row_key LIKE 'denied.%' THEN 'denied' WHEN c.row_key LIKE 'unable.%' THEN 'unable' "
               "WHEN c.row_key LIKE 'not_handled.%' THEN 'not_handled' ELSE 'other' END")
_IS_OUTCOME = ("c.table_name = 'applications' AND c.col_key = 'total' AND c.row_key NOT IN "
               "('new_received', 'carried_over', 'total_handled', 'carried_forward')")
_REVIEW = "c.table_name = 'reviews_litigation' AND c.row_key = 'review'"
_LITIGATION = "c.table_name = 'reviews_litigation' AND c.row_key <> 'review'"


def _present_sql() -> str:
    # (CASE WHEN … THEN 1 END: a condition in a CASE stops at its first false term)
    terms = [f"coalesce(max(CASE WHEN c.table_name = 'applications' AND c.col_key = 'total' AND c.row_key = '{k}' "
             f"THEN 1 END), 0) * {BITS[k]}" for k in FLOWS]
    terms += [f"coalesce(max(CASE WHEN {_IS_OUTCOME} AND {OUTCOME_SQL} = '{g}' THEN 1 END), 0) * {BITS[g]}"
              for g in OUTCOMES]
    terms += [f"coalesce(max(CASE WHEN {_REVIEW} THEN 1 END), 0) * {BITS['review']}",
              f"coalesce(max(CASE WHEN {_LITIGATION} THEN 1 END), 0) * {BITS['litigation']}"]
    return "(" + " + ".join(terms) + ")"


def _decided(block: str, what: str) -> str:
    """corrected_share's sums over table 4's rows of ``block``: corrected, or decided (upheld +
    corrected + other), every other cell of those rows adding 0."""
    cond = "c.col_key = 'corrected'" if what == "corrected" else "c.col_key IN ('upheld', 'corrected', 'other')"
    return f"sum(CASE WHEN {block} THEN CASE WHEN {cond} THEN c.value ELSE 0 END END)"


#: the cell-derived columns of the reports chosen by ``{where}`` (e.g. ``WHERE r.id = ?``), from
#: their current version's cells and checks: what cell_figures() computes in Python. Table 3's
#: cells other than its ``total`` column are skipped before any sum (only ``unbalanced`` reads
#: them, in its own subquery, and only the four rows that carry it): the backfill's cost is the
#: cells it adds up.
CELL_FIGURES_SQL = (
    "SELECT r.id AS report_id, r.version_id, " + _present_sql() + " AS present, "
    + ", ".join(f"max(CASE WHEN c.table_name = 'applications' AND c.col_key = 'total' AND c.row_key = '{k}' "
                f"THEN c.value END) AS {k}" for k in FLOWS) + ", "
    + ", ".join(f"sum(CASE WHEN {_IS_OUTCOME} AND {OUTCOME_SQL} = '{g}' THEN c.value END) AS {g}"
                for g in OUTCOMES) + ", "
    + ", ".join(f"{_decided(block, what)} AS {name}_{what}"
                for name, block in (("review", _REVIEW), ("litigation", _LITIGATION))
                for what in ("corrected", "decided")) + ", "
    # a column is unbalanced when 上年结转 + 新收 ≠ 办理结果总计 + 结转下年度. balance_failures adds
    # every row of the column (the others as 0), so a side with no figure counts 0 when the
    # column has a cell on the other side, and nothing is compared when neither has a figure
    "(SELECT group_concat(col_key || ': ' || coalesce(i, 0) || ' ≠ ' || coalesce(o, 0), '; ') FROM ("
    "  SELECT b.col_key, sum(CASE WHEN b.row_key IN ('new_received', 'carried_over') THEN b.value END) AS i,"
    "    sum(CASE WHEN b.row_key IN ('total_handled', 'carried_forward') THEN b.value END) AS o"
    "  FROM cells b WHERE b.version_id = r.version_id AND b.table_name = 'applications'"
    "    AND b.row_key IN ('new_received', 'carried_over', 'total_handled', 'carried_forward') GROUP BY b.col_key)"
    " WHERE (i IS NOT NULL OR o IS NOT NULL) AND coalesce(i, 0) != coalesce(o, 0)) AS unbalanced, "
    "EXISTS (SELECT 1 FROM checks k WHERE k.version_id = r.version_id AND k.status = 'fail' "
    "AND k.name LIKE '%balance%') AS balance_check_failed, "
    "coalesce(sum(CASE WHEN c.table_name = 'old_statistics' THEN 1 END), 0) AS old_statistics_cells "
    "FROM reports r LEFT JOIN cells c ON c.version_id = r.version_id "
    "AND c.table_name IN ('applications', 'reviews_litigation', 'old_statistics') "
    "AND (c.col_key = 'total' OR c.table_name <> 'applications') "
    "{where} GROUP BY r.id"
)

_DEADLINE = ("((r.report_year + 1) || CASE WHEN r.report_year < 2019 OR a.level = 'government' "
             "THEN '-03-31' ELSE '-01-31' END)")
_LATE = ("coalesce(r.kind, 'report') = 'report' AND r.report_year IS NOT NULL AND r.publish_date IS NOT NULL "
         f"AND r.publish_date > {_DEADLINE}")
#: the report- and agency-derived columns (REPORT_COLUMNS) of the reports ``r`` (REPORT_JOINS)
REPORT_EXPRS = (
    "r.agency_id", "r.report_year", "r.kind", "r.region_code", "r.region_name", "a.entity_key",
    # the dashboards' tier: a government by its region's level, else the agency's level
    "CASE WHEN a.level = 'government' THEN coalesce(lr.level, 'county') || '_government' ELSE a.level END",
    "pr.province_code",
    f"CASE WHEN {_LATE} THEN 1 ELSE 0 END",
    f"CASE WHEN {_LATE} THEN cast(julianday(r.publish_date) - julianday({_DEADLINE}) AS integer) END",
)
REPORT_JOINS = ("FROM reports r LEFT JOIN agencies a ON a.id = r.agency_id "
                "LEFT JOIN regions lr ON lr.code = a.linked_region_code "
                "LEFT JOIN regions pr ON pr.code = coalesce(a.linked_region_code, a.region_code)")

# a report that may stand for its publisher and year (the dashboards' dedupe subquery: joined to
# its agency, of kind report, with a year); the partial index report_figures_publisher_year
# holds exactly these, so the terms are written as in its WHERE
def _eligible(t: str = "") -> str:
    return f"{t}agency_id IS NOT NULL AND coalesce({t}kind, 'report') = 'report' AND {t}report_year IS NOT NULL"


ELIGIBLE_SQL = _eligible()

CREATE_SQL = """CREATE TABLE report_figures (
    report_id INTEGER PRIMARY KEY REFERENCES reports(id),
    version_id INTEGER,
    agency_id INTEGER, report_year INTEGER, kind TEXT, region_code TEXT, region_name TEXT,
    present INTEGER NOT NULL DEFAULT 0,
    new_received, carried_over, total_handled, carried_forward,
    granted, partially_granted, denied, unable, not_handled, other,
    review_corrected, review_decided, litigation_corrected, litigation_decided,
    unbalanced TEXT, balance_check_failed INTEGER NOT NULL DEFAULT 0,
    old_statistics_cells INTEGER NOT NULL DEFAULT 0,
    entity_key TEXT, tier TEXT, province_code TEXT, late INTEGER NOT NULL DEFAULT 0, days_late INTEGER,
    counted INTEGER NOT NULL DEFAULT 0
)"""
# (figure columns are declared without a type: a sum is kept as SQL made it, integer or real)

# applications_year_over_year: each publisher's years side by side, read from this index alone
AGENCY_YEARS_INDEX = ("CREATE INDEX IF NOT EXISTS report_figures_agency_year ON report_figures(agency_id, "
                      "report_year, report_id, new_received, present) WHERE present & 1")

INDEXES = (
    # the canned queries that read every report: grouped by year, read from this index alone
    "CREATE INDEX report_figures_year ON report_figures(report_year, region_name, kind, present, "
    "new_received, granted, partially_granted, denied, unable, not_handled, other, "
    "review_corrected, review_decided, litigation_corrected, litigation_decided)",
    # the dashboards: one tier of publishers, one report per publisher-year
    "CREATE INDEX report_figures_panels ON report_figures(tier, report_year, province_code, kind, "
    "region_code, present, new_received, granted, partially_granted, denied, unable, not_handled, other, "
    "review_corrected, review_decided, litigation_corrected, litigation_decided, counted) WHERE counted = 1",
    # counted: the lowest report id of a publisher-year (a report with counted = 1 is always one
    # of these: a write that moves a report out of its group clears the flag first)
    f"CREATE INDEX report_figures_publisher_year ON report_figures(entity_key, report_year, report_id) "
    f"WHERE {ELIGIBLE_SQL}",
    # balance_failures, late_reports, old_statistics: their rows in their order
    "CREATE INDEX report_figures_balance ON report_figures(report_year DESC, report_id) "
    "WHERE unbalanced IS NOT NULL OR balance_check_failed = 1",
    "CREATE INDEX report_figures_late ON report_figures(days_late DESC, report_id) WHERE late = 1",
    "CREATE INDEX report_figures_old_statistics ON report_figures(report_year DESC, report_id) "
    "WHERE old_statistics_cells > 0",
    AGENCY_YEARS_INDEX,
)

_REGIONS_KEY = "report_figures_regions"


# ---------------------------------------------------------------------------------- Python
# SQL's LIKE: ASCII letters in either case, '_' any one character
_LIKE = {g: re.compile(p, re.I | re.A | re.S) for g, p in
         (("denied", r"denied\."), ("unable", r"unable\."), ("not_handled", r"not.handled\."))}
_BALANCE = re.compile("balance", re.I | re.A)


@functools.lru_cache(maxsize=4096)
def _outcome(row_key: str) -> str:
    if row_key == "granted":
        return "granted"
    if row_key == "partially_granted":
        return "partially_granted"
    for group, pattern in _LIKE.items():
        if pattern.match(row_key):
            return group
    return "other"


class _Sum:
    """SQL's sum(): NULL over nothing; integers add as integers, anything else makes it REAL
    (text counts 0, as in SQLite); past SQLite's integers it stays REAL instead of failing."""
    __slots__ = ("n", "i", "r", "approx")

    def __init__(self):
        self.n, self.i, self.r, self.approx = 0, 0, 0.0, False

    def add(self, v) -> None:
        if v is None:
            return
        self.n += 1
        if type(v) is int:
            self.i += v
            self.r += float(v)
        else:
            self.approx = True
            self.r += v if type(v) is float else _real(v)

    def value(self):
        if not self.n:
            return None
        if self.approx or not SQLITE_MIN <= self.i <= SQLITE_MAX:
            return self.r if self.approx else float(self.i)
        return self.i


def _real(v) -> float:
    try:
        return float(v.decode() if isinstance(v, bytes) else v)
    except (TypeError, ValueError, UnicodeDecodeError):
        return 0.0


def _text(conn, v) -> str:
    """A number as SQL's || writes it (REAL: SQLite's own formatting)."""
    if type(v) is int:
        return str(v)
    return conn.execute("SELECT CAST(? AS TEXT)", (v,)).fetchone()[0]


def stored_value(v):
    """A cell value as SQLite keeps it: NaN is stored as NULL."""
    return None if type(v) is float and v != v else v


_INFLOW = ("new_received", "carried_over")
_FLOW_ROWS = frozenset(FLOWS)
_OUTFLOW = ("total_handled", "carried_forward")
_DECIDED = ("upheld", "corrected", "other")


def cell_figures(conn, cells, checks=(), *, at: int = 0, as_stored: bool = True) -> dict | None:
    """The cell-derived columns of one version from its cells ``(table_name, row_key, col_key,
    value)`` (at position ``at`` of each tuple) and checks ``(name, status)``: what
    :data:`CELL_FIGURES_SQL` computes. ``conn`` only formats a REAL the way SQLite does (an
    unbalanced column of non-integer figures). With ``as_stored=False`` (cells not read back
    from the archive) None when a figure is text or bytes: SQLite's column affinity may turn it
    into a number, so the caller reads the stored cells instead."""
    present = 0
    flows = dict.fromkeys(FLOWS)
    outcome: dict[str, _Sum] = {}
    rev: dict[str, _Sum] = {}
    inflow: dict[str, _Sum] = {}
    outflow: dict[str, _Sum] = {}
    old = 0
    # the cells that matter: table 3's total column and its four flow rows, tables 4 and old_statistics
    t, r, k = at, at + 1, at + 2
    cells = [c[at:at + 4] for c in cells
             if (c[t] == "applications" and (c[k] == "total" or c[r] in _FLOW_ROWS))
             or c[t] == "reviews_litigation" or c[t] == "old_statistics"]
    if any(type(c[3]) is not int and c[3] is not None for c in cells):
        if not as_stored and any(type(c[3]) not in (int, float) and c[3] is not None and c[0] != "old_statistics"
                                 for c in cells):
            return None
        # SQL adds a version's cells in key order: it matters to REAL sums only
        cells.sort(key=lambda c: (c[0], c[1], c[2]))
    for table, row, col, v in cells:
        if table == "applications":
            if row in _FLOW_ROWS:
                side = inflow if row in _INFLOW else outflow
                acc = side.get(col)
                if acc is None:
                    acc = side[col] = _Sum()
                acc.add(stored_value(v))
                if col == "total":
                    flows[row] = stored_value(v)
                    present |= BITS[row]
            else:
                g = _outcome(row)
                acc = outcome.get(g)
                if acc is None:
                    acc = outcome[g] = _Sum()
                acc.add(stored_value(v))
                present |= BITS[g]
        elif table == "reviews_litigation":
            block = "review" if row == "review" else "litigation"
            present |= BITS[block]
            acc = rev.get(block)
            if acc is None:
                acc = rev[block] = _Sum()
                rev[block + "_decided"] = _Sum()
            v = stored_value(v)
            acc.add(v if col == "corrected" else 0)
            rev[block + "_decided"].add(v if col in _DECIDED else 0)
        else:
            old += 1
    # a column is listed as balance_failures lists it: every row of the column adds (the rows
    # other than the four as 0), so a side without a figure counts 0 when the other side has one
    unbalanced = []
    for col in sorted(inflow.keys() | outflow.keys()):
        i = inflow[col].value() if col in inflow else None
        o = outflow[col].value() if col in outflow else None
        if i is None and o is None:
            continue
        i, o = (0 if i is None else i), (0 if o is None else o)
        if i != o:
            unbalanced.append(f"{col}: {_text(conn, i)} ≠ {_text(conn, o)}")
    none = _Sum()
    return {
        "present": present, **flows,
        **{g: outcome.get(g, none).value() for g in OUTCOMES},
        **{f"{b}_{what}": rev.get(b if what == "corrected" else b + "_decided", none).value()
           for b in ("review", "litigation") for what in ("corrected", "decided")},
        "unbalanced": "; ".join(unbalanced) if unbalanced else None,
        "balance_check_failed": int(any(status == "fail" and name is not None and _BALANCE.search(str(name))
                                        for name, status in checks)),
        "old_statistics_cells": old,
    }


def version_figures(conn, version_id: int) -> dict:
    """cell_figures() of a stored version, read from its cells and checks."""
    cells = conn.execute("SELECT table_name, row_key, col_key, value FROM cells WHERE version_id = ? "
                         "AND table_name IN ('applications', 'reviews_litigation', 'old_statistics')",
                         (version_id,)).fetchall()
    checks = conn.execute("SELECT name, status FROM checks WHERE version_id = ?", (version_id,)).fetchall()
    return cell_figures(conn, cells, checks)


# ---------------------------------------------------------------------------------- writing
def has_table(db) -> bool:
    return db.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'report_figures'"
                           ).fetchone() is not None


def create_table(db) -> None:
    """The table and its indexes, filled from the archive (the migration): the rows first, the
    indexes after (built once instead of written row by row)."""
    db.execute(CREATE_SQL)
    backfill(db)
    for sql in INDEXES:
        db.execute(sql)


_INSERT_SQL = (
    f"INSERT OR REPLACE INTO report_figures(report_id, version_id, {', '.join(CELL_COLUMNS)}, "
    f"{', '.join(REPORT_COLUMNS)}, counted) "
    f"SELECT r.id, ?, {', '.join('?' * len(CELL_COLUMNS))}, {', '.join(REPORT_EXPRS)}, {{counted}} {REPORT_JOINS} "
    "WHERE r.id = ? RETURNING entity_key, report_year"
)
# a new report has the highest id: it stands for its publisher-year when no other report can
_NEW_COUNTED = (
    "CASE WHEN r.agency_id IS NOT NULL AND coalesce(r.kind, 'report') = 'report' AND r.report_year IS NOT NULL "
    "AND NOT EXISTS (SELECT 1 FROM report_figures g WHERE g.entity_key IS a.entity_key "
    f"AND g.report_year = r.report_year AND {_eligible('g.')}) "
    "THEN 1 ELSE 0 END"
)


def write(db, report_id: int, version_id: int, figures: dict, *, new: bool = False) -> None:
    """The row of a report just pointed at ``version_id`` (its report and agency columns read
    from ``reports`` and ``agencies``), and ``counted`` of the publisher-years it left and joined.
    ``new``: a report just added (the highest id, no row yet): one statement."""
    conn = db.conn
    params = (version_id, *(figures[c] for c in CELL_COLUMNS), report_id)
    if new:
        conn.execute(_INSERT_SQL.format(counted=_NEW_COUNTED), params).fetchall()
        return
    old = conn.execute("SELECT entity_key, report_year FROM report_figures WHERE report_id = ?",
                       (report_id,)).fetchone()
    now = conn.execute(_INSERT_SQL.format(counted="0"), params).fetchone()
    _recount(conn, {tuple(old), tuple(now)} if old else {tuple(now)})


def _recount(conn, groups) -> None:
    """``counted`` of these (entity_key, report_year) publisher-years: 1 for the lowest eligible
    report id, 0 for the rest (two index lookups and at most two rows written a group)."""
    for entity, year in groups:
        if year is None:  # no report without a year stands for a publisher-year
            continue
        best = conn.execute(
            f"SELECT min(report_id) FROM report_figures WHERE entity_key IS ? AND report_year = ? AND {ELIGIBLE_SQL}",
            (entity, year)).fetchone()[0]
        conn.execute(f"UPDATE report_figures SET counted = 0 WHERE entity_key IS ? AND report_year = ? "
                     f"AND {ELIGIBLE_SQL} AND counted = 1 AND report_id IS NOT ?", (entity, year, best))
        if best is not None:
            conn.execute("UPDATE report_figures SET counted = 1 WHERE report_id = ? AND counted = 0", (best,))


def _recount_all(conn) -> None:
    conn.execute("DROP TABLE IF EXISTS temp.report_figures_best")
    conn.execute(f"CREATE TEMP TABLE report_figures_best AS SELECT min(report_id) AS report_id FROM report_figures "
                 f"WHERE {ELIGIBLE_SQL} GROUP BY entity_key, report_year")
    conn.execute("CREATE UNIQUE INDEX temp.report_figures_best_id ON report_figures_best(report_id)")
    conn.execute("UPDATE report_figures SET counted = 0 WHERE counted = 1 "
                 "AND report_id NOT IN (SELECT report_id FROM temp.report_figures_best)")
    conn.execute("UPDATE report_figures SET counted = 1 WHERE counted = 0 "
                 "AND report_id IN (SELECT report_id FROM temp.report_figures_best)")
    conn.execute("DROP TABLE temp.report_figures_best")


def _regions_state(conn) -> str:
    return json.dumps(conn.execute("SELECT count(*), max(source_date) FROM regions").fetchone())


def _note_regions(conn) -> None:
    conn.execute("INSERT OR REPLACE INTO archive_meta(key, value) VALUES (?, ?)", (_REGIONS_KEY, _regions_state(conn)))


def _update_sql(where: str) -> str:
    """UPDATE the report/agency columns and balance_check_failed of the rows ``where`` chooses
    (over ``r``), writing only the rows that change."""
    cols = (*REPORT_COLUMNS, "balance_check_failed")
    exprs = (*REPORT_EXPRS, "EXISTS (SELECT 1 FROM checks k WHERE k.version_id = r.version_id "
                            "AND k.status = 'fail' AND k.name LIKE '%balance%')")
    moved = " OR ".join(f"f.{c} IS NOT x.{c}" for c in GROUP_COLUMNS)
    return (
        f"UPDATE report_figures AS f SET {', '.join(f'{c} = x.{c}' for c in cols)}, "
        # a report that leaves its publisher-year (or stops being eligible) stops standing for
        # it until the recount: counted = 1 only ever marks an eligible report
        f"counted = CASE WHEN {moved} THEN 0 ELSE f.counted END FROM ("
        f"SELECT r.id AS report_id, {', '.join(f'{e} AS {c}' for e, c in zip(exprs, cols))} "
        f"{REPORT_JOINS} {where}) AS x "
        f"WHERE f.report_id = x.report_id AND ({' OR '.join(f'f.{c} IS NOT x.{c}' for c in cols)})"
    )


def refresh_reports(db, report_ids) -> int:
    """Recompute the report- and agency-derived columns of these reports (and
    balance_check_failed, from their checks), then ``counted`` of every publisher-year one of
    them left or joined. A report without a row gets one (its figures read from its cells)."""
    conn = db.conn
    ids = json.dumps(sorted({int(i) for i in report_ids}))
    pick = "SELECT value FROM json_each(?)"
    for (rid,) in conn.execute(f"SELECT r.id FROM reports r WHERE r.id IN ({pick}) AND r.version_id IS NOT NULL "
                               "AND NOT EXISTS (SELECT 1 FROM report_figures f WHERE f.report_id = r.id)",
                               (ids,)).fetchall():
        vid = conn.execute("SELECT version_id FROM reports WHERE id = ?", (rid,)).fetchone()[0]
        write(db, rid, vid, version_figures(conn, vid))
    sql = f"SELECT report_id, {', '.join(GROUP_COLUMNS)} FROM report_figures WHERE report_id IN ({pick})"
    before = {r[0]: r[1:] for r in conn.execute(sql, (ids,))}
    conn.execute(_update_sql(f"WHERE r.id IN ({pick})"), (ids,))
    after = {r[0]: r[1:] for r in conn.execute(sql, (ids,))}
    groups = set()
    for rid, now in after.items():
        was = before.get(rid)
        if was != now:
            groups.add(now[:2])
            if was:
                groups.add(was[:2])
    _recount(conn, groups)
    return len(after)


def refresh_agencies(db, agency_ids=None) -> int:
    """Recompute the agency-derived columns (entity_key, tier, province_code, late) and
    ``counted`` for the reports of these agencies (None: every report), after
    ``regions.link_agencies`` and the identity merges changed them. Spellings of one body
    (same ``identity_key``) are included: a merge re-keys them all. When the regions table was
    reloaded since the last refresh, every report is recomputed. One transaction (a savepoint
    inside the caller's). ``db``: a sqlite-utils Database or an Archive. Returns the reports
    looked at."""
    db = db if hasattr(db, "conn") else db.db
    if not has_table(db):  # a file not migrated yet: the migration fills the table
        return 0
    with db.atomic():
        return _refresh_agencies(db, agency_ids)


def _refresh_agencies(db, agency_ids) -> int:
    conn = db.conn
    state = conn.execute("SELECT value FROM archive_meta WHERE key = ?", (_REGIONS_KEY,)).fetchone()
    if agency_ids is None or state is None or state[0] != _regions_state(conn):
        conn.execute(_update_sql(""))
        _recount_all(conn)
        _note_regions(conn)
        return conn.execute("SELECT count(*) FROM report_figures").fetchone()[0]
    ids = sorted({int(i) for i in agency_ids if i is not None})
    if not ids:
        return 0
    js = json.dumps(ids)
    agencies = [a for (a,) in conn.execute(
        "SELECT id FROM agencies WHERE id IN (SELECT value FROM json_each(?1)) "
        "UNION SELECT b.id FROM agencies a JOIN agencies b ON b.identity_key = a.identity_key "
        "WHERE a.id IN (SELECT value FROM json_each(?1)) AND a.identity_key IS NOT NULL", (js,))]
    js = json.dumps(agencies)
    # (report_figures.agency_id follows reports.agency_id at every write: the store's index finds them)
    report_ids = [r for (r,) in conn.execute(
        "SELECT id FROM reports WHERE agency_id IN (SELECT value FROM json_each(?))", (js,))]
    return refresh_reports(db, report_ids)


def backfill(db) -> None:
    """Fill report_figures for every report of an existing archive: one pass over the cells of
    the current versions (grouped by report), then the agency columns and ``counted``."""
    conn = db.conn
    cols = ("report_id", "version_id", *CELL_COLUMNS)
    try:
        conn.execute(f"INSERT INTO report_figures({', '.join(cols)}) SELECT {', '.join(cols)} FROM ("
                     + CELL_FIGURES_SQL.format(where="WHERE r.version_id IS NOT NULL") + ")")
    except sqlite3.OperationalError as exc:  # a sum past SQLite's integers: add up in Python
        if "overflow" not in str(exc):
            raise
        conn.execute("DELETE FROM report_figures")
        for rid, vid in conn.execute("SELECT id, version_id FROM reports WHERE version_id IS NOT NULL").fetchall():
            fig = version_figures(conn, vid)
            conn.execute(f"INSERT INTO report_figures({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                         (rid, vid, *(fig[c] for c in CELL_COLUMNS)))
    conn.execute(_update_sql(""))
    _recount_all(conn)
    _note_regions(conn)
