"""Time the coverage register on an archive: the register refresh (full, and after a crawl that
touched N agencies) and every coverage query and dashboard panel, as Datasette runs them.

    python bench/coverage.py ARCHIVE --full                 # full refresh (links a fresh archive)
    python bench/coverage.py ARCHIVE --agencies 1000        # refresh of 1,000 random agencies
    python bench/coverage.py ARCHIVE --queries              # the canned queries and panels
    python bench/coverage.py ARCHIVE --queries --metadata OLD.json   # another metadata.json

A query is run as Datasette runs a canned query or a datasette-dashboards chart: on a read-only
connection, the first 1,001 rows fetched (``max_returned_rows`` + 1). Each is run ``--rounds``
times; the first run and the best are printed. ``feed_region`` gets the region with the most
reports, ``feed_agency`` the agency with the most.
"""
from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CANNED = ("coverage_missing_late", "coverage_by_province", "coverage_of_regions", "crossyear_failures",
          "text_reuse", "archive_changes", "feed_region", "feed_agency")
PANELS = ("publishers", "late-count", "missing-count", "crossyear-count", "status-grid", "status-per-year",
          "coverage-province", "coverage-prefecture", "crossyear-table")


def params_for(conn) -> dict:
    region = conn.execute("SELECT region_code FROM reports WHERE region_code IS NOT NULL "
                          "GROUP BY region_code ORDER BY count(*) DESC LIMIT 1").fetchone()
    agency = conn.execute("SELECT agency_id FROM reports WHERE agency_id IS NOT NULL "
                          "GROUP BY agency_id ORDER BY count(*) DESC LIMIT 1").fetchone()
    return {"since": "", "region_code": region and region[0], "agency_id": agency and agency[0]}


def time_queries(path: Path, metadata: Path, rounds: int) -> dict:
    """The coverage queries and panels (bench/queries.py's cases), each run ``rounds`` times:
    the first time and the best, 1,001 rows read as Datasette does."""
    from bench.queries import cases, default_params, time_query

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    params = {**default_params(conn), **params_for(conn)}
    meta = json.loads(metadata.read_text("utf-8"))
    out = {}
    for name, sql, p in cases(meta, params, set(CANNED) | {f"coverage/{c}" for c in PANELS}):
        if " (" in name or "[" in name:   # keyed and tier variants: the plain case only
            continue
        first, n = time_query(conn, sql, p, 1, 1000)
        best, n = time_query(conn, sql, p, max(1, rounds - 1), 1000) if rounds > 1 else (first, n)
        out[name] = {"first_ms": round(first * 1000, 1), "best_ms": round(min(first, best) * 1000, 1), "rows": n}
        print(f"{name:28s} first {first * 1000:9.1f} ms   best {min(first, best) * 1000:9.1f} ms   {n} rows",
              flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("archive")
    ap.add_argument("--full", action="store_true", help="time a full register refresh")
    ap.add_argument("--agencies", type=int, default=0, help="time a refresh of this many random agencies")
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--registry", default=str(REPO / "crawler" / "portals.csv"))
    ap.add_argument("--queries", action="store_true", help="time the coverage queries and panels")
    ap.add_argument("--metadata", default=str(REPO / "metadata.json"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args(argv)
    from db.register import refresh

    path = Path(args.archive)
    figures: dict = {"archive": str(path)}
    if args.full:
        t = time.perf_counter()
        result = refresh(str(path), args.registry)
        figures["full_refresh_s"] = round(time.perf_counter() - t, 2)
        print(f"full refresh: {figures['full_refresh_s']} s  {result}", flush=True)
    if args.agencies:
        conn = sqlite3.connect(path)
        ids = [i for (i,) in conn.execute("SELECT DISTINCT agency_id FROM reports WHERE agency_id IS NOT NULL")]
        conn.close()
        ids = sorted(random.Random(args.seed).sample(ids, min(args.agencies, len(ids))))
        t = time.perf_counter()
        result = refresh(str(path), args.registry, agency_ids=ids)
        figures["agencies"] = len(ids)
        figures["agency_refresh_s"] = round(time.perf_counter() - t, 2)
        print(f"refresh of {len(ids)} agencies: {figures['agency_refresh_s']} s  {result}", flush=True)
        # its coverage part alone (the rest is the cross-year checks and text reuse)
        from db import coverage
        from db.store import Archive

        archive = Archive(path)
        if coverage.is_built(archive.db.conn):
            t = time.perf_counter()
            result = coverage.refresh(archive.db, ids)
            figures["coverage_refresh_s"] = round(time.perf_counter() - t, 3)
            print(f"  its coverage part: {figures['coverage_refresh_s']} s  {result}", flush=True)
        archive.close()
    if args.queries:
        figures["queries"] = time_queries(path, Path(args.metadata), args.rounds)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1, ensure_ascii=False), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
