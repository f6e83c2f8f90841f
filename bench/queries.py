"""Time every canned query and dashboard panel of ``metadata.json`` on an archive.

    python bench/queries.py /tmp/b20k/archive.db                 # this checkout's metadata.json
    python bench/queries.py archive.db --metadata old.json       # e.g. ``git show main:metadata.json``
    python bench/queries.py archive.db --only outcome_mix,overview/outcome-mix

Each query runs as Datasette runs it: a read-only connection with the xxgk plugins' SQL
functions, the first 1,001 rows read (``max_returned_rows``; ``--max-rows 0`` reads all), the SQL as written (a dashboard panel's ``[[ … ]]`` block kept when its parameter is
given, as datasette-dashboards 0.8 does), rows fetched to the end. A panel with the ``tier``
filter runs once per tier and once with no filter. Printed: the best of ``--repeat`` runs (warm
cache, as a server answers) and the rows returned; ``--plans`` adds SQLite's query plan.
The targets of issue 16 are for 1,000,000 reports: a query that reads every report scales with
the archive (×50 from 20,000 reports), so at 20,000 it should take ≲ 20 ms to stay under 1 s.
"""
from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.browser_helpers import dashboard_sql  # noqa: E402  (the dashboards plugin's own expansion)


def connect(path: str) -> sqlite3.Connection:
    from db import datasette_plugin, pages

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    datasette_plugin.prepare_connection(conn, "archive", None)
    pages.prepare_connection(conn)
    return conn


def default_params(conn: sqlite3.Connection) -> dict:
    """Parameters of the keyed queries: a report in the middle of the archive, its agency and
    region, a failing check's name."""
    n = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
    row = conn.execute("SELECT id, url, agency_id, region_code FROM reports ORDER BY id LIMIT 1 OFFSET ?",
                       (max(0, n // 2),)).fetchone() or (0, "", 0, "")
    check = conn.execute("SELECT name FROM checks WHERE status = 'fail' LIMIT 1").fetchone()
    return {"report_id": str(row[0]), "report_url": row[1], "agency_id": str(row[2]),
            "region_code": row[3] or "", "check_name": check[0] if check else "", "since": "",
            "q": "复议"}


def cases(meta: dict, params: dict, only: set[str] | None):
    """(label, sql, params) of every canned query and dashboard panel."""
    dbmeta = next(iter(meta["databases"].values()))
    for name, q in dbmeta.get("queries", {}).items():
        sql = q["sql"] if isinstance(q, dict) else q
        wanted = set(re.findall(r":([a-zA-Z_][a-zA-Z0-9_]*)", sql))
        variants = [(name, {k: params.get(k, "") for k in wanted})]
        if "report_id" in wanted:  # keyed by id or by URL
            variants.append((f"{name} (url)", {**variants[0][1], "report_id": params["report_url"]}))
        if "check_name" in wanted:
            variants.append((f"{name} ({params['check_name']})", {**variants[0][1], "check_name": params["check_name"]}))
            variants[0][1]["check_name"] = ""
        for label, p in variants:
            if only is None or name in only or label in only:
                yield label, sql, p
    for dname, dash in meta.get("plugins", {}).get("datasette-dashboards", {}).items():
        tiers = (dash.get("filters", {}).get("tier") or {}).get("options") or []
        for cname, chart in dash.get("charts", {}).items():
            key = f"{dname}/{cname}"
            if only is not None and key not in only and dname not in only:
                continue
            query = chart.get("query") or ""
            if ":tier" in query:
                for tier in [None, *tiers]:
                    p = {"tier": tier} if tier else {}
                    yield f"{key} [{tier or 'no filter'}]", dashboard_sql(query, p), p
            else:
                yield key, dashboard_sql(query, {}), {}


def time_query(conn, sql: str, params: dict, repeat: int, max_rows: int,
               clock=time.perf_counter) -> tuple[float, int]:
    """Best time of ``repeat`` runs, reading at most ``max_rows`` + 1 rows as Datasette does
    (``max_returned_rows``: a canned query or a panel shows the first 1,000), and the rows read."""
    best, rows = float("inf"), 0
    for _ in range(repeat):
        t0 = clock()
        cur = conn.execute(sql, params)
        rows = len(cur.fetchmany(max_rows + 1) if max_rows else cur.fetchall())
        best = min(best, clock() - t0)
    return best, rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db")
    ap.add_argument("--metadata", default=str(REPO / "metadata.json"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", help="comma-separated query names, dashboard names or dashboard/panel")
    ap.add_argument("--max-rows", type=int, default=1000,
                    help="read at most this many rows + 1, as Datasette does (0: all)")
    ap.add_argument("--cpu", action="store_true",
                    help="time the process's CPU (SQLite runs in it) instead of the wall clock: "
                         "steadier on a busy machine")
    ap.add_argument("--plans", action="store_true", help="print each query plan")
    ap.add_argument("--json", help="write {label: [seconds, rows]} here")
    args = ap.parse_args(argv)

    meta = json.loads(Path(args.metadata).read_text("utf-8"))
    conn = connect(args.db)
    params = default_params(conn)
    only = set(args.only.split(",")) if args.only else None
    reports = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
    print(f"{args.db}: {reports:,} reports; metadata {args.metadata}; "
          f"{'CPU' if args.cpu else 'wall'} time, best of {args.repeat}")
    out = {}
    for label, sql, p in cases(meta, params, only):
        try:
            secs, rows = time_query(conn, sql, p, args.repeat, args.max_rows,
                                    time.process_time if args.cpu else time.perf_counter)
        except sqlite3.Error as exc:
            print(f"{label:60s}  error: {exc}")
            continue
        out[label] = [secs, rows]
        print(f"{label:60s} {secs * 1000:9.1f} ms {rows:7d} rows", flush=True)
        if args.plans:
            for row in conn.execute("EXPLAIN QUERY PLAN " + sql, p):
                print("        ", row[-1])
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, ensure_ascii=False), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
