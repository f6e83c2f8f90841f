"""Cross-year checks: does this year's report agree with last year's report of the same publisher?

    from db.crossyear import run_cross_year_checks
    run_cross_year_checks(db)                  # every publisher
    run_cross_year_checks(db, agency_id=12)    # one publisher (after storing its reports)

``db`` is a path, a sqlite-utils Database or a :class:`db.store.Archive`. Publishers are
``agencies.entity_key`` (a region's government across its name variants, else one agency; see
``db/regions.py``). Per publisher and report year one report is compared (the current version of
the report with the most table cells); results go to ``checks`` on that report's current version
and into ``reports.check_status``. Rerunning replaces the rows of every report whose inputs changed
(``crossyear_state``); the others are kept.

=================================  ===========================================================
check                              rule (this year Y against last year Y−1)
=================================  ===========================================================
crossyear_carried_over             Y's applications ``carried_over.total`` (上年结转) = Y−1's
                                   ``carried_forward.total`` (结转下年度): fail when the totals
                                   differ, warn when only applicant columns differ
crossyear_in_force_regulations     Y−1 ``regulations.in_force`` + Y ``made`` − Y ``repealed`` =
                                   Y ``in_force`` (2021 template in both years), else fail
crossyear_in_force_normative       the same for ``normative_documents`` (行政规范性文件)
crossyear_jump_<metric>            warn when a figure grew or shrank by more than
                                   ``crossyear_jump_factor`` (setting, default 5×) and the larger
                                   figure is at least ``crossyear_jump_min`` (default 20): metrics
                                   applications (new_received.total), reviews (review.total),
                                   litigation (direct + after review), licensing, punishment
crossyear_text_reuse               warn when a section repeats the previous report's text
                                   (``db/textreuse.py``); compares with the latest earlier year
=================================  ===========================================================

A check whose inputs are missing in either year (no table, older template, no report for Y−1)
is not written. Jumps are warnings, not failures: a real change is possible.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from . import coverage, regions, textreuse
from .schema import CHECK_STATUS_SQL

PREFIX = "crossyear_"
#: publishers per transaction of a refresh
CHUNK = 500
#: the cross-year checks as a range of ``checks.name`` (an index can read it; LIKE cannot)
NAME_RANGE = "name >= 'crossyear' AND name < 'crossyeas'"

# Every check carries its report's year (checks.report_year: written with the check by store()
# and run_cross_year_checks), a cross-year check also its agency's name (checks.agency); triggers
# keep them when the report's year or agency, or the agency's name, changes in place. So the
# lists of failed checks — by status, year, agency, check (crossyear_failures); by check, year,
# report (failed_checks) — are read in that order from an index instead of sorted at every
# read. (No trigger on INSERT: one costs ~15 µs a row, and store() inserts every report's checks.)
SORT_KEY_TRIGGERS = (
    f"""CREATE TRIGGER IF NOT EXISTS checks_crossyear_report AFTER UPDATE OF report_year, agency_id ON reports
    WHEN OLD.report_year IS NOT NEW.report_year OR OLD.agency_id IS NOT NEW.agency_id
    BEGIN
      UPDATE checks SET report_year = NEW.report_year
      WHERE report_id = NEW.id AND report_year IS NOT NEW.report_year;
      UPDATE checks SET agency = (SELECT name FROM agencies WHERE id = NEW.agency_id)
      WHERE report_id = NEW.id AND {NAME_RANGE};
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS checks_crossyear_agency AFTER UPDATE OF name ON agencies
    WHEN OLD.name IS NOT NEW.name
    BEGIN
      UPDATE checks SET agency = NEW.name
      WHERE report_id IN (SELECT id FROM reports WHERE agency_id = NEW.id) AND {NAME_RANGE};
    END""",
)
SORT_KEY_INDEXES = {
    # crossyear_failures, crossyear-table: in their order
    "checks_crossyear_order": f"checks(status, report_year DESC, agency, name) WHERE {NAME_RANGE}",
    # crossyear-count: the failed ones and their versions (name too: the index covers the query)
    "checks_crossyear_status": f"checks(status, report_id, version_id, name) WHERE {NAME_RANGE}",
    # failed_checks: in its order (by check, the newest report year first)
    "checks_flagged_order": "checks(status, name, report_year DESC, report_id) WHERE status IN ('fail', 'warn')",
}


def create_sort_keys(db) -> None:
    """checks.report_year and checks.agency of the cross-year checks (filled), their triggers
    and indexes (migration "canned queries by index")."""
    have = set(db["checks"].columns_dict)
    for col, kind in (("report_year", "INTEGER"), ("agency", "TEXT")):
        if col not in have:
            db.execute(f"ALTER TABLE checks ADD COLUMN {col} {kind}")
    db.execute(f"""UPDATE checks SET report_year = (SELECT report_year FROM reports WHERE id = checks.report_id),
        agency = (SELECT a.name FROM reports r JOIN agencies a ON a.id = r.agency_id WHERE r.id = checks.report_id)
        WHERE {NAME_RANGE}""")
    for sql in SORT_KEY_TRIGGERS:
        db.execute(sql)
    for name, on in SORT_KEY_INDEXES.items():
        db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {on}")


JUMP_METRICS = {
    "applications": [("applications", "new_received", "total")],
    "reviews": [("reviews_litigation", "review", "total")],
    "litigation": [("reviews_litigation", "litigation_direct", "total"),
                   ("reviews_litigation", "litigation_after_review", "total")],
    "licensing": [("active_disclosure", "licensing", "decisions")],
    "punishment": [("active_disclosure", "punishment", "decisions")],
}
APPLICANT_COLS = ("natural_person", "commercial", "research", "social_welfare", "legal_services", "other_org")


def _database(db):
    from .store import Archive

    if isinstance(db, Archive):
        return db.db
    if isinstance(db, (str, Path)):
        return Archive(db).db
    return db


# the rows of tables 2–4 that compare() reads (a version has ~250 cells; these are ~40)
_ROWS_COMPARED = sorted({"carried_over", "carried_forward", "regulations", "normative_documents"}
                        | {r for keys in JUMP_METRICS.values() for _, r, _ in keys})


def _cells(conn, version_id: int) -> dict:
    return {(t, r, c): v for t, r, c, v in conn.execute(
        "SELECT table_name, row_key, col_key, value FROM cells WHERE version_id = ? "
        f"AND row_key IN ({', '.join('?' * len(_ROWS_COMPARED))})", (version_id, *_ROWS_COMPARED))}


def _fmt(v) -> str:
    return "—" if v is None else (str(int(v)) if float(v).is_integer() else str(v))


def compare(cur: dict, prev: dict, year: int, factor: float, minimum: float) -> list[dict]:
    """Cross-year checks of year ``year`` (cells ``cur``) against year ``year - 1`` (``prev``)."""
    out = []
    py = year - 1
    co = cur.get(("applications", "carried_over", "total"))
    cf = prev.get(("applications", "carried_forward", "total"))
    if co is not None and cf is not None:
        diffs = [c for c in APPLICANT_COLS
                 if cur.get(("applications", "carried_over", c)) is not None
                 and prev.get(("applications", "carried_forward", c)) is not None
                 and cur[("applications", "carried_over", c)] != prev[("applications", "carried_forward", c)]]
        detail = f"{year} 上年结转 carried_over.total {_fmt(co)} vs {py} 结转下年度 carried_forward.total {_fmt(cf)}"
        if co != cf:
            status = "fail"
        elif diffs:
            status = "warn"
            detail += "; columns differ: " + ", ".join(
                f"{c} {_fmt(cur[('applications', 'carried_over', c)])}≠{_fmt(prev[('applications', 'carried_forward', c)])}"
                for c in diffs)
        else:
            status = "pass"
        out.append({"name": PREFIX + "carried_over", "status": status, "detail": detail})
    for row, label in (("regulations", "regulations"), ("normative_documents", "normative")):
        last = prev.get(("active_disclosure", row, "in_force"))
        made = cur.get(("active_disclosure", row, "made"))
        repealed = cur.get(("active_disclosure", row, "repealed"))
        now = cur.get(("active_disclosure", row, "in_force"))
        if None in (last, made, repealed, now):
            continue
        expected = last + made - repealed
        out.append({
            "name": f"{PREFIX}in_force_{label}", "status": "pass" if expected == now else "fail",
            "detail": f"{py} in_force {_fmt(last)} + {year} made {_fmt(made)} − repealed {_fmt(repealed)} "
                      f"= {_fmt(expected)} {'=' if expected == now else '≠'} {year} in_force {_fmt(now)}"})
    for metric, keys in JUMP_METRICS.items():
        a = [prev.get(k) for k in keys]
        b = [cur.get(k) for k in keys]
        if None in a or None in b:
            continue
        before, after = sum(a), sum(b)
        hi, lo = max(before, after), min(before, after)
        jumped = hi >= minimum and hi > factor * max(lo, 1)
        ratio = f"×{after / before:.1f}" if before else "from 0"
        out.append({
            "name": f"{PREFIX}jump_{metric}", "status": "warn" if jumped else "pass",
            "detail": f"{py} {_fmt(before)} → {year} {_fmt(after)} ({ratio}; flagged beyond ×{factor:g} "
                      f"when the larger figure is ≥ {minimum:g})"})
    return out


def _primary_reports(conn, agency_ids: list[int]) -> dict[int, tuple[int, int]]:
    """report year → (report_id, version_id) of the publisher's report compared for that year."""
    marks = ",".join("?" * len(agency_ids))
    rows = conn.execute(
        f"""SELECT r.report_year, r.id, r.version_id,
              (SELECT count(*) FROM cells c WHERE c.version_id = r.version_id) AS n
            FROM reports r WHERE r.agency_id IN ({marks}) AND r.kind = 'report'
              AND r.report_year IS NOT NULL AND r.version_id IS NOT NULL
            ORDER BY r.report_year, n DESC, r.id""", agency_ids).fetchall()
    best: dict[int, tuple[int, int]] = {}
    for year, rid, vid, _ in rows:
        best.setdefault(year, (rid, vid))
    return best


def run_cross_year_checks(db, agency_id: int | None = None, *, agency_ids=None,
                          jump_factor: float | None = None, jump_min: float | None = None,
                          text_reuse: bool = True, checks: bool = True) -> dict:
    """Write the cross-year checks (and text-reuse rows) of one publisher, of the publishers of
    ``agency_ids``, or (neither given) of all.

    ``checks=False``: link and merge the agencies only (the regions, levels and identities the
    register and dashboards need), without comparing any report.

    Each report's inputs (its version, the versions it was compared with, the settings) are
    kept in ``crossyear_state``: a report whose inputs have not changed since its last run
    keeps its rows and is not compared again (counted as ``unchanged``).

    Returns counts: ``{"publishers": n, "checks": n, "pass": n, "warn": n, "fail": n,
    "unchanged": n}`` (checks and statuses of the reports compared this time)."""
    db = _database(db)
    conn = db.conn
    counts = defaultdict(int)
    with db.atomic():
        regions.load_regions(db)
        coverage.default_settings(db)
        ids = None if agency_id is None and agency_ids is None else (
            {agency_id} if agency_id is not None else set()) | set(agency_ids or ())
        ids = None if ids is None else sorted(i for i in ids if i is not None)
        regions.link_agencies(db, ids)
        # one agency per body: spellings of one body share its entity_key (db/identity.py)
        if "agency_merges" in db.table_names():
            from . import identity

            identity.merge_agencies(db, ids)
        factor = jump_factor if jump_factor is not None else coverage.setting(db, "crossyear_jump_factor", float)
        minimum = jump_min if jump_min is not None else coverage.setting(db, "crossyear_jump_min", float)
        threshold = coverage.setting(db, "textreuse_threshold", float)
        min_chars = coverage.setting(db, "textreuse_min_chars", int)
        judged = {int(x) for x in (coverage.setting(db, "textreuse_sections") or "").split(",") if x.strip()}
        if ids is None:
            keys = [k for (k,) in conn.execute("SELECT DISTINCT entity_key FROM agencies")]
        else:
            keys = sorted({k for i in ids for (k,) in conn.execute(
                "SELECT entity_key FROM agencies WHERE id = ?", (i,))})
        settings = json.dumps([factor, minimum, threshold, min_chars, sorted(judged)])
        has_state = "crossyear_state" in db.table_names()
    if not checks:   # agencies linked and merged only (a first refresh of a bulk load; the checks later)
        return dict(counts)
    # one transaction per CHUNK publishers: a whole-archive refresh never holds one
    # transaction (and a WAL) the size of the archive, and what it committed stays done
    # (crossyear_state) if it is stopped
    for start in range(0, len(keys), CHUNK):
        with db.atomic():
            for key in keys[start:start + CHUNK]:
                ids = [i for (i,) in conn.execute("SELECT id FROM agencies WHERE entity_key = ?", (key,))]
                if not ids:
                    continue
                counts["publishers"] += 1
                marks = ",".join("?" * len(ids))
                report_ids = [i for (i,) in conn.execute(
                    f"SELECT id FROM reports WHERE agency_id IN ({marks})", ids)]
                years = _primary_reports(conn, ids)
                ordered = sorted(years)
                # each year's inputs: its version, last year's (the checks), the latest earlier
                # year's (text reuse) and the settings; a year whose inputs are those of its last
                # run keeps its rows (a crawl that changed one report recomputes two years, not seven)
                wanted = {}
                for i, year in enumerate(ordered):
                    rid, vid = years[year]
                    last = years.get(year - 1)
                    earlier = years[ordered[i - 1]] if i > 0 else None
                    wanted[rid] = json.dumps([vid, last and last[1], earlier and earlier[1], settings])
                done = dict(conn.execute(
                    f"SELECT report_id, inputs FROM crossyear_state WHERE report_id IN ({','.join('?' * len(report_ids))})",
                    report_ids).fetchall()) if has_state and report_ids else {}
                # no state yet (a first run, an archive from before crossyear_state): every report
                # of the publisher, as its rows may come from another choice of primary reports
                redo = [r for r in report_ids if not done or done.get(r) != wanted.get(r)]
                if not redo:
                    counts["unchanged"] += len(wanted)
                    continue
                rmarks = ",".join("?" * len(redo))
                conn.execute(f"DELETE FROM checks WHERE {NAME_RANGE} AND report_id IN ({rmarks})", redo)
                conn.execute(f"DELETE FROM section_similarity WHERE report_id IN ({rmarks})", redo)
                if has_state:
                    conn.execute(f"DELETE FROM crossyear_state WHERE report_id IN ({rmarks})", redo)
                redo_set = set(redo)
                counts["unchanged"] += sum(1 for r in wanted if r not in redo_set)
                cells, sections = {}, {}   # each version read once
                for i, year in enumerate(ordered):
                    rid, vid = years[year]
                    if rid not in redo_set:
                        continue
                    checks = []
                    if year - 1 in years:
                        pvid = years[year - 1][1]
                        for v in (vid, pvid):   # each year is compared with the one before and after
                            if v not in cells:
                                cells[v] = _cells(conn, v)
                        checks += compare(cells[vid], cells[pvid], year, factor, minimum)
                    if text_reuse and i > 0:
                        prev_year = ordered[i - 1]
                        prid, pvid = years[prev_year]
                        rows = textreuse.compare_reports(conn, rid, vid, year, prid, pvid, prev_year, sections)
                        check = textreuse.reuse_check(rows, threshold, min_chars, judged or None)
                        if check:
                            checks.append(check)
                    if checks:
                        sort_keys = conn.execute("SELECT r.report_year, a.name FROM reports r LEFT JOIN agencies a "
                                                 "ON a.id = r.agency_id WHERE r.id = ?", (rid,)).fetchone()
                        conn.executemany(
                            "INSERT INTO checks(report_id, version_id, name, status, detail, report_year, agency) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?)",
                            [(rid, vid, c["name"], c["status"], c["detail"], *sort_keys) for c in checks])
                    if has_state and text_reuse:
                        conn.execute("INSERT OR REPLACE INTO crossyear_state(report_id, inputs) VALUES (?, ?)",
                                     (rid, wanted[rid]))
                    for c in checks:
                        counts["checks"] += 1
                        counts[c["status"]] += 1
                conn.execute(
                    f"UPDATE reports SET check_status = ({CHECK_STATUS_SQL.format(v='reports.version_id')}) "
                    f"WHERE id IN ({rmarks})", redo)
    return dict(counts)
