"""Benchmark the archive: load throughput through store(), and Chinese search latency
through Datasette's JSON API, next to a plain trigram FTS5 index of the same data.

    python bench/archive.py              # 100,000 synthetic reports (takes a while)
    python bench/archive.py -n 2000      # a quick run

Synthetic reports are built from the real texts in tests/fixtures/public (seed, labelled, corpus
docs): six sections of corpus paragraphs, varied agencies, years and table numbers.
Search: 200 queries of 1–6 characters cut from the corpus text, each sent as
``/<db>/reports.json?_search=<q>`` to an in-process Datasette (ASGI, no network), once
against the archive (trigram tables search_text + search_short, db/chinese.py) and once
against a plain trigram FTS5 table over the same title + text (queries escaped the way Datasette does by default).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import synthetic  # noqa: E402
from db import datasette_plugin  # noqa: E402
from db.store import Archive  # noqa: E402

CJK = re.compile(r"[\u3400-\u9fff]")


def queries(paras: list[str], n: int = 200, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        p = rng.choice(paras)
        length = 1 + len(out) % 6  # 1..6 characters, evenly
        i = rng.randrange(0, max(1, len(p) - length))
        q = p[i:i + length]
        if len(q) == length and all(CJK.match(c) for c in q):
            out.append(q)
    return out


def build_trigram(src: Path, dst: Path) -> float:
    t0 = time.perf_counter()
    conn = sqlite3.connect(dst)
    conn.execute("PRAGMA journal_mode = wal")
    conn.execute(f"ATTACH DATABASE '{src}' AS a")
    conn.executescript(
        """
        CREATE TABLE reports(id INTEGER PRIMARY KEY, title TEXT, agency TEXT, report_year INTEGER,
                             publish_date TEXT, text TEXT);
        INSERT INTO reports
          SELECT r.id, r.title, ag.name, r.report_year, r.publish_date,
                 (SELECT group_concat(coalesce(s.heading, '') || ' ' || coalesce(s.text, ''), ' ')
                  FROM a.sections s WHERE s.version_id = r.version_id)
          FROM a.reports r LEFT JOIN a.agencies ag ON ag.id = r.agency_id;
        CREATE VIRTUAL TABLE reports_fts USING fts5(title, agency, text, content='reports',
                                                     content_rowid='id', tokenize='trigram');
        INSERT INTO reports_fts(reports_fts) VALUES('rebuild');
        """
    )
    conn.commit()
    conn.execute("DETACH DATABASE a")
    conn.close()
    return time.perf_counter() - t0


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(p / 100 * len(values) + 0.5)) - 1))
    return values[k]


async def measure(ds, db: str, qs: list[str], extra: dict, raw_quote: bool,
                  cold: bool = True) -> tuple[list[float], int]:
    """Latency of ``reports.json?_search=q`` for each query; ``cold``: the plugin's cache of
    recent searches is emptied before each request, so every query is searched from scratch."""
    times, empty = [], 0
    for q in qs:
        if cold:
            datasette_plugin._CACHE.clear()
        params = {"_search": f'"{q}"' if raw_quote else q, "_shape": "objects", "_size": "20",
                  "_col": "title", **extra}
        if raw_quote:
            params["_searchmode"] = "raw"
        t0 = time.perf_counter()
        r = await ds.client.get(f"/{db}/reports.json", params=params)
        times.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"{q}: HTTP {r.status_code} {r.text[:200]}")
        if not r.json()["rows"]:
            empty += 1
    return times, empty


def load(archive_path: Path, n: int, paras: list[str], start: int = 0) -> float:
    """Store synthetic reports start..start+n-1 through Archive.store(); seconds spent storing
    (building the records and their HTML is not counted)."""
    rng = random.Random(42 + start)
    pubs = synthetic.publishers()
    archive = Archive(archive_path)
    spent = 0.0
    t_report = time.perf_counter()
    for i in range(start, start + n):
        rec, meta = synthetic.record(i, rng, paras, pubs)
        raw = synthetic.render_html(rec)
        t0 = time.perf_counter()
        archive.store(rec, raw, meta)
        spent += time.perf_counter() - t0
        if (i + 1 - start) % 10_000 == 0:
            print(f"  stored {i + 1 - start:,} ({(i + 1 - start) / spent:,.0f} reports/s; "
                  f"{time.perf_counter() - t_report:,.0f} s wall)", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    archive.flush_index()  # the last queued versions become searchable: part of the load
    spent += time.perf_counter() - t0
    archive.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    archive.db.execute("ANALYZE")
    archive.db.close()
    return spent


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--reports", type=int, default=100_000, help="synthetic reports (default 100,000)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--dir", help="where to write the databases (default: a temporary folder, removed)")
    ap.add_argument("--reuse", action="store_true", help="measure the archive already in --dir (no load)")
    ap.add_argument("--load-only", action="store_true", help="load, then stop (build an archive for --reuse)")
    ap.add_argument("--shared", default=str(REPO / "tests" / "fixtures" / "public"))
    args = ap.parse_args(argv)

    paras = synthetic.corpus_paragraphs(Path(args.shared))
    if not paras:
        print(f"no corpus text under {args.shared}", file=sys.stderr)
        return 2
    tmp = None
    if args.dir:
        out = Path(args.dir)
        out.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="xxgk-bench-")
        out = Path(tmp.name)
    archive_path, trigram_path = out / "archive.db", out / "trigram.db"
    for p in ((trigram_path,) if args.reuse else (archive_path, trigram_path)):
        for suffix in ("", "-wal", "-shm"):
            Path(str(p) + suffix).unlink(missing_ok=True)

    load_s = None
    if args.reuse and archive_path.exists():
        print(f"reusing {archive_path}", file=sys.stderr)
    else:
        load_s = load(archive_path, args.reports, paras)
    if args.load_only:
        print(f"loaded {args.reports:,} reports in {load_s:,.1f} s ({args.reports / load_s:,.0f} reports/s)")
        return 0
    trigram_s = build_trigram(archive_path, trigram_path)

    from datasette.app import Datasette

    from db.cli import SERVE_SETTINGS, metadata_for, register_plugin

    register_plugin()
    meta = metadata_for(archive_path)
    ours = meta["databases"]["archive"]["tables"]["reports"]
    # the trigram table gets the same page: sort order and default facets
    meta["databases"]["trigram"] = {"tables": {"reports": {
        "fts_table": "reports_fts", "fts_pk": "id", "sort_desc": ours.get("sort_desc"),
        "facets": ours.get("facets", [])}}}
    # as `xxgk serve` runs it, but with time limits that never cut a measurement short
    settings = dict(SERVE_SETTINGS, sql_time_limit_ms=30000, facet_time_limit_ms=30000)
    ds = Datasette([str(archive_path), str(trigram_path)], metadata=meta, settings=settings)
    qs = queries(paras, args.queries)

    async def run():
        results = {}
        for label, extra, cold in (
                ("reports.json?_search=q as users call it (row count + default facets),\n"
                 "each query searched from scratch (search cache emptied before each request)", {}, True),
                ("the same with the search cache on (a repeated query, another page or facet of\n"
                 f"a search is not searched again; {len(qs) - len(set(qs))} of the {len(qs)} queries repeat an earlier one)",
                 {}, False),
                ("search only (&_nocount=1&_nofacet=1), from scratch", {"_nocount": "1", "_nofacet": "1"}, True)):
            await measure(ds, "archive", qs[:10], extra, False)  # warm up
            await measure(ds, "trigram", qs[:10], extra, True)
            datasette_plugin._CACHE.clear()  # the cached run starts empty too
            ours = await measure(ds, "archive", qs, extra, False, cold=cold)
            tri = await measure(ds, "trigram", qs, extra, True)
            results[label] = (ours, tri)
        return results
    results = asyncio.run(run())

    def size(p: Path) -> int:
        return sum(os.path.getsize(str(p) + s) for s in ("", "-wal") if os.path.exists(str(p) + s))

    n1 = sum(1 for q in qs if len(q) == 1)
    n2 = sum(1 for q in qs if len(q) == 2)
    print(f"\nxxgk-archive benchmark: {args.reports:,} synthetic reports, {len(qs)} queries "
          f"(1–6 characters; {n1} of 1, {n2} of 2)\n")
    print(f"load through store():    {args.reports / load_s:,.0f} reports/s  ({load_s:,.1f} s; one transaction "
          f"per report, search index in batches of {archive.index_batch})")
    print(f"trigram index build:     {trigram_s:,.1f} s (bulk, for comparison only)\n")
    w = 34
    print(f"{'':{w}} {'this archive':>24} {'plain trigram FTS5':>22}")
    for label, (ours, tri) in results.items():
        print(f"{label}")
        print(f"{'  p50 latency (ms)':{w}} {statistics.median(ours[0]):>24.1f} {statistics.median(tri[0]):>22.1f}")
        print(f"{'  p95 latency (ms)':{w}} {pct(ours[0], 95):>24.1f} {pct(tri[0], 95):>22.1f}")
        print(f"{'  queries with no result':{w}} {ours[1]:>24} {tri[1]:>22}")
    print(f"{'database size (MB)':{w}} {size(archive_path) / 1e6:>24.1f} {size(trigram_path) / 1e6:>22.1f}")
    print(f"{'':{w}} {'(whole archive)':>24} {'(reports + index only)':>22}")
    print(f"{'  per report (KB)':{w}} {size(archive_path) / 1e3 / args.reports:>24.1f} "
          f"{size(trigram_path) / 1e3 / args.reports:>22.1f}")
    print("\nwhere the archive's bytes go (MB):")
    conn = sqlite3.connect(archive_path)
    try:
        for name, mb in conn.execute(
                "SELECT CASE WHEN name LIKE 'search_%' AND name != 'search_pending' THEN 'search index (search_text*, search_short*)' "
                "WHEN name LIKE 'sqlite_autoindex%' OR name LIKE 'idx_%' THEN 'indexes' ELSE name END AS n, "
                "sum(pgsize) / 1e6 FROM dbstat GROUP BY n ORDER BY 2 DESC LIMIT 7"):
            print(f"  {name:{w - 2}} {mb:>24.1f}")
    except sqlite3.Error:  # dbstat not compiled in
        pass
    conn.close()
    print("\nEvery query was cut from the corpus text, so every one has matches: a query with no\n"
          "result is a false negative (the trigram tokenizer cannot match 1- and 2-character queries).")
    if tmp:
        tmp.cleanup()
    else:
        print(f"\ndatabases kept in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
