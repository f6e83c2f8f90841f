"""Benchmark the archive at national scale: load, size, search, canned queries, dashboards,
re-parsing and the register refresh, measured side by side in one run.

    python bench/archive.py -n 2000                       # a quick run (temporary folder)
    python bench/archive.py -n 1000000 --dir /big/bench   # the national archive (~45 GB, hours)
    python bench/archive.py -n 1000000 --dir /big/bench --reuse --load-more 20000
                                                          # measure again on the archive built before

Synthetic reports (bench/synthetic.py): publishers from the register (every county-level
portal's government, departments and townships), one report a year 2018–2024, six sections of
paragraphs from the real reports in tests/fixtures/public, the three tables, the page as HTML in
the template's layout. What is measured, each against its target (issue 16):

* load: reports/s through ``Archive.store()`` (the search index counts: written by the indexer
  process a bulk of stores starts, waited for at the end); with ``--reuse --load-more N``, N more reports stored into the existing archive
  (the rate at its size); file size per report;
* the register: ``db.register.refresh`` of the whole archive (without the cross-year checks,
  unless ``--full-checks``: they cost ~5 ms a report), then — after the touched publishers'
  first cross-year run — a simulated crawl that stored a new version for 1,000 publishers,
  refreshed for those agencies only;
* search through Datasette's JSON API (in process, ASGI): ``reports.json?_search=q`` and
  ``sections.json?_search=q`` as a browser asks for them (row count and default facets; the
  search cache emptied before each request), for queries of 1, 2, 3 and 4–6 characters and of
  two terms, each common (the corpus's most frequent n-grams), random (cut from the corpus) and
  rare (place names of counties the corpus never mentions);
* every canned query of metadata.json and every dashboard panel (its SQL as datasette-dashboards
  sends it, default filters) through Datasette's JSON API: the slowest of three runs;
* ``xxgk optimize`` after the load (the search index merged into one segment);
* ``xxgk reparse --all``: re-parsing a sample of versions spread over the archive (parse +
  store + search index), and the projected time for all of them;
* with ``--compare``: the same report searches against a plain trigram FTS5 table of the same
  text (Datasette's own search), for comparison.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import synthetic  # noqa: E402
from db import datasette_plugin  # noqa: E402
from db.store import Archive  # noqa: E402

CJK = re.compile(r"[\u3400-\u9fff]")
TARGETS = {"load": 500, "report_p95": 100, "section_p95": 300, "canned": 1000, "refresh_1000": 10}
REGISTRY = REPO / "crawler" / "portals.csv"


# ---------------------------------------------------------------- load
#: reports built before each timed run of store() (all of a run of up to this many: the
#: indexer process gets no untimed time while the records are built)
LOAD_CHUNK = 50_000


def load(archive_path: Path, n: int, paras: list[str], start: int = 0) -> float:
    """Store synthetic reports start..start+n-1 through Archive.store() (as a crawl would: the
    search index written by an indexer process once the load is large); seconds from the first
    store() of each chunk of LOAD_CHUNK prebuilt reports to its last, plus the wait for the
    index to hold every one at the end (building the records and their HTML is not counted)."""
    rng = random.Random(42 + start)
    pubs = synthetic.publishers()
    archive = Archive(archive_path)
    spent = 0.0
    t_report = time.perf_counter()
    done = 0
    for first in range(start, start + n, LOAD_CHUNK):
        chunk = []
        for i in range(first, min(first + LOAD_CHUNK, start + n)):
            rec, meta = synthetic.record(i, rng, paras, pubs)
            chunk.append((rec, synthetic.render_html(rec), meta))
        t0 = time.perf_counter()
        for rec, raw, meta in chunk:
            archive.store(rec, raw, meta)
        spent += time.perf_counter() - t0
        done += len(chunk)
        print(f"  stored {done:,} ({done / spent:,.0f} reports/s; "
              f"{time.perf_counter() - t_report:,.0f} s wall)", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    archive.stop_indexer()   # the indexer process done with every queued version ...
    archive.flush_index()    # ... and anything left indexed here: all searchable, part of the load
    spent += time.perf_counter() - t0
    archive.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    archive.db.execute("PRAGMA analysis_limit = 1000")  # sampled statistics (seconds at a million reports)
    archive.db.execute("ANALYZE")
    archive.db.close()
    return spent


# ---------------------------------------------------------------- queries
def _ngrams(paras: list[str], length: int) -> Counter:
    """How many paragraphs contain each all-CJK n-gram of this length."""
    counts: Counter = Counter()
    for p in paras:
        seen = {p[i:i + length] for i in range(len(p) - length + 1)}
        counts.update(g for g in seen if all(CJK.match(c) for c in g))
    return counts


def query_sets(paras: list[str], per: int = 12, seed: int = 3) -> list[tuple[str, str, str]]:
    """(bucket, kind, query): buckets 1, 2, 3, 4-6 characters and two terms; kinds common,
    random, rare."""
    rng = random.Random(seed)
    corpus = "\n".join(paras)
    places = []
    with open(REGISTRY, encoding="utf-8") as f:
        for line in f.read().splitlines()[1:]:
            name = line.split(",")[2] if line.count(",") > 3 else ""
            place = re.sub(r"(人民政府|政府)$", "", name)
            if 2 <= len(place) <= 6 and all(CJK.match(c) for c in place) and place not in corpus:
                places.append(place)
    rng.shuffle(places)
    out = []
    for bucket, lengths in (("1", [1]), ("2", [2]), ("3", [3]), ("4-6", [4, 5, 6])):
        common = [g for L in lengths for g, _ in _ngrams(paras, L).most_common(60)]
        out += [(bucket, "common", q) for q in rng.sample(common, per)]
        rand = []
        while len(rand) < per:
            p, L = rng.choice(paras), rng.choice(lengths)
            i = rng.randrange(0, max(1, len(p) - L))
            q = p[i:i + L]
            if len(q) == L and all(CJK.match(c) for c in q):
                rand.append(q)
        out += [(bucket, "random", q) for q in rand]
        if bucket == "1":
            rare_chars = sorted({c for pl in places for c in pl} - set(corpus))
            rare = rng.sample(rare_chars, per)
        else:
            rare = [pl[:L] for pl in places for L in lengths if len(pl) >= L and pl[:L] not in corpus]
            rare = rng.sample(sorted(set(rare)), per)
        out += [(bucket, "rare", q) for q in rare]
    commons = [q for b, k, q in out if k == "common" and b in ("2", "3", "4-6")]
    rares = [q for b, k, q in out if k == "rare" and b in ("2", "3")]
    rands = [q for b, k, q in out if k == "random" and b in ("2", "3", "4-6")]
    out += [("two terms", "common", f"{a} {b}") for a, b in zip(rng.sample(commons, per), rng.sample(commons, per))]
    out += [("two terms", "random", f"{a} {b}") for a, b in zip(rng.sample(rands, per), rng.sample(rands, per))]
    out += [("two terms", "rare", f"{a} {b}") for a, b in zip(rng.sample(rares, per), rng.sample(commons, per))]
    return out


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(p / 100 * len(values) + 0.5)) - 1))
    return values[k]


# ---------------------------------------------------------------- Datasette
def datasette_for(archive_path: Path, trigram_path: Path | None):
    from datasette.app import Datasette

    from db.cli import SERVE_SETTINGS, metadata_for, register_plugin

    register_plugin()
    meta = metadata_for(archive_path)
    paths = [str(archive_path)]
    if trigram_path:
        ours = meta["databases"]["archive"]["tables"]["reports"]
        meta["databases"]["trigram"] = {"tables": {"reports": {
            "fts_table": "reports_fts", "fts_pk": "id", "sort_desc": ours.get("sort_desc"),
            "facets": ours.get("facets", [])}}}
        paths.append(str(trigram_path))
    # as `xxgk serve` runs it, but with time limits that never cut a measurement short
    settings = dict(SERVE_SETTINGS, sql_time_limit_ms=120_000, facet_time_limit_ms=120_000)
    return Datasette(paths, metadata=meta, settings=settings), meta


async def _get(ds, path: str, params: dict) -> tuple[float, dict]:
    t0 = time.perf_counter()
    r = await ds.client.get(path, params=params)
    ms = (time.perf_counter() - t0) * 1000
    if r.status_code != 200:
        raise RuntimeError(f"{path} {params}: HTTP {r.status_code} {r.text[:300]}")
    return ms, r.json()


async def measure_search(ds, qs, table: str, db: str = "archive", raw_quote: bool = False) -> list[dict]:
    out = []
    for bucket, kind, q in qs:
        datasette_plugin._CACHE.clear()
        params = {"_search": q, "_shape": "objects", "_size": "20"}
        if raw_quote:
            params = {"_search": " ".join(f'"{t}"' for t in q.split()), "_searchmode": "raw",
                      "_shape": "objects", "_size": "20"}
        ms, data = await _get(ds, f"/{db}/{table}.json", params)
        out.append({"bucket": bucket, "kind": kind, "q": q, "ms": ms, "rows": len(data["rows"]),
                    "count": data.get("filtered_table_rows_count")})
    return out


def canned_params(conn: sqlite3.Connection) -> dict:
    rid, url = conn.execute("SELECT id, url FROM reports WHERE id = (SELECT max(id) / 2 FROM reports)").fetchone()
    agency = conn.execute("SELECT agency_id, region_code FROM reports WHERE id = ?", (rid,)).fetchone()
    return {"q": "依申请公开", "report_id": str(rid), "report_url": url, "agency_id": str(agency[0]), "region_code": agency[1] or "",
            "check_name": "", "since": "", "tier": "county_government"}


async def measure_canned(ds, meta: dict, params: dict, runs: int = 3) -> list[tuple[str, float, int]]:
    out = []
    queries = meta["databases"]["archive"].get("queries", {})
    for name, q in queries.items():
        wanted = set(re.findall(r":(\w+)", q["sql"]))
        p = {k: v for k, v in params.items() if k in wanted}
        times = []
        for _ in range(runs):
            datasette_plugin._CACHE.clear()
            try:
                ms, data = await _get(ds, f"/archive/{name}.json", {**p, "_shape": "objects"})
            except RuntimeError as exc:   # (past the time limit: over the target, and said; the run goes on)
                print(f"  query {name}: {str(exc)[:200]}", file=sys.stderr, flush=True)
                times, data = [float("inf")], {"rows": []}
                break
            times.append(ms)
        out.append((f"query {name}", max(times), len(data["rows"])))
    from bench.queries import cases

    # every dashboard panel as the dashboards plugin sends it: with each tier and with none
    for label, sql, p in cases(meta, params, None):
        if "/" not in label.split(" ")[0]:   # canned queries: timed above, through their own URLs
            continue
        times = []
        for _ in range(runs):
            try:
                ms, data = await _get(ds, "/archive.json", {"sql": sql, **p, "_shape": "objects"})
            except RuntimeError as exc:
                print(f"  dashboard {label}: {str(exc)[:200]}", file=sys.stderr, flush=True)
                times, data = [float("inf")], {"rows": []}
                break
            times.append(ms)
        out.append((f"dashboard {label}", max(times), len(data["rows"])))
    return out


# ---------------------------------------------------------------- register, reparse
def touched_agencies(archive_path: Path, n: int, seed: int = 11) -> list[int]:
    """n random agencies that have reports."""
    conn = sqlite3.connect(archive_path)
    ids = [a for (a,) in conn.execute("SELECT DISTINCT agency_id FROM reports WHERE agency_id IS NOT NULL")]
    conn.close()
    return sorted(random.Random(seed).sample(ids, min(n, len(ids))))


def crawl_touching(archive_path: Path, agency_ids: list[int]) -> list[int]:
    """A crawl that stored a new version of the latest report of each of these publishers."""
    from db.store import Archive

    archive = Archive(archive_path)
    db = archive.db
    agencies = []
    for a in agency_ids:
        row = db.execute("SELECT r.url, v.record, r.region_code, r.region_name, r.level FROM reports r "
                         "JOIN versions v ON v.id = r.version_id WHERE r.agency_id = ? "
                         "ORDER BY r.report_year DESC LIMIT 1", (a,)).fetchone()
        if not row:
            continue
        url, record, code, name, level = row
        rec = json.loads(record)
        rec["sections"] = [{**s, "text": f"{s.get('heading')}（修订）"} for s in rec.get("sections") or []]
        archive.store(rec, f"revised {url}".encode(), {"url": url, "region_code": code,
                                                       "region_name": name, "level": level})
        agencies.append(a)
    archive.close()
    return agencies


def time_refresh(archive_path: Path, agency_ids=None, **kwargs) -> tuple[float, dict]:
    from db.register import refresh

    t0 = time.perf_counter()
    result = refresh(str(archive_path), REGISTRY, agency_ids=agency_ids, **kwargs)
    return time.perf_counter() - t0, result


def time_reparse(archive_path: Path, sample: int) -> tuple[float, int, int]:
    """(seconds, versions re-parsed, versions in the archive) for a sample spread evenly."""
    archive = Archive(archive_path)
    total = archive.db.execute("SELECT count(*) FROM versions").fetchone()[0]
    step = max(1, total // sample)
    ids = [v for (v,) in archive.db.execute("SELECT id FROM versions WHERE id % ? = 0 ORDER BY id LIMIT ?",
                                            (step, sample))]
    t0 = time.perf_counter()
    # as `xxgk reparse` runs it: a process of one thread, which forks a parser process when there
    # is a second core (this one may still have Datasette's threads from the searches)
    result = archive.reparse(version_ids=ids, workers=1 if (os.cpu_count() or 1) > 1 else 0)
    spent = time.perf_counter() - t0
    archive.close()
    return spent, result["reparsed"], total


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


# ---------------------------------------------------------------- report
def _size(p: Path) -> int:
    """The archive's bytes: its file and its search index's file (db/search_index.py), WALs included."""
    return sum(os.path.getsize(str(p) + s) for s in ("", "-wal", "-search", "-search-wal")
               if os.path.exists(str(p) + s))


def _ok(value: float, target: float, more_is_better: bool = False) -> str:
    good = value >= target if more_is_better else value <= target
    return "yes" if good else "NO"


def search_table(rows: list[dict], target: float, title: str) -> None:
    print(f"\n{title}: latency (ms) through Datasette, row count and facets as a browser asks "
          f"(target p95 ≤ {target:.0f} ms)")
    print(f"  {'queries':<22} {'n':>4} {'p50':>8} {'p95':>8} {'max':>8}  {'broad (not counted)':>20}")
    groups = [("all", rows)]
    for bucket in ("1", "2", "3", "4-6", "two terms"):
        groups.append((f"{bucket} char{'s' if bucket != '1' else ''}" if bucket != "two terms" else bucket,
                       [r for r in rows if r["bucket"] == bucket]))
    for kind in ("common", "random", "rare"):
        groups.append((f"  {kind}", [r for r in rows if r["kind"] == kind]))
    for label, rs in groups:
        if not rs:
            continue
        ms = [r["ms"] for r in rs]
        broad = sum(1 for r in rs if r["count"] is None)
        print(f"  {label:<22} {len(rs):>4} {statistics.median(ms):>8.1f} {pct(ms, 95):>8.1f} {max(ms):>8.1f}"
              f"  {broad:>20}")
    ms = [r["ms"] for r in rows]
    print(f"  p95 {pct(ms, 95):.1f} ms — target met: {_ok(pct(ms, 95), target)}")
    slow = sorted(rows, key=lambda r: -r["ms"])[:3]
    print("  slowest: " + "; ".join(f"{r['q']!r} ({r['bucket']}, {r['kind']}) {r['ms']:.0f} ms" for r in slow))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--reports", type=int, default=100_000, help="synthetic reports (default 100,000)")
    ap.add_argument("--dir", help="where to write the databases (default: a temporary folder, removed)")
    ap.add_argument("--reuse", action="store_true", help="measure the archive already in --dir (no load)")
    ap.add_argument("--load-more", type=int, default=0,
                    help="with --reuse: store this many more reports first and measure that load")
    ap.add_argument("--load-only", action="store_true", help="load, then stop (build an archive for --reuse)")
    ap.add_argument("--per", type=int, default=12, help="queries per length bucket and kind (default 12)")
    ap.add_argument("--reparse-sample", type=int, default=2000, help="versions re-parsed (default 2,000)")
    ap.add_argument("--agencies", type=int, default=1000, help="publishers the simulated crawl touches")
    ap.add_argument("--skip", default="", help="phases to leave out, comma-separated: optimize, refresh, search, canned, reparse")
    ap.add_argument("--full-checks", action="store_true",
                    help="the whole-archive refresh runs every cross-year check too (about 5 ms a report: "
                         "an hour and a half at a million; default: linked and registered only)")
    ap.add_argument("--compare", action="store_true", help="also a plain trigram FTS5 table (doubles the disk)")
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
    if args.reuse and not archive_path.exists():
        print(f"--reuse: no archive in {out}", file=sys.stderr)
        return 2
    for p in ((trigram_path,) if args.reuse else (archive_path, trigram_path)):
        for suffix in ("", "-wal", "-shm"):
            Path(str(p) + suffix).unlink(missing_ok=True)
    load_avg = os.getloadavg()

    # -- load
    migrate_s = None
    if args.reuse:   # bring the archive to this code's schema first (timed on its own)
        t0 = time.perf_counter()
        Archive(archive_path).db.close()
        migrate_s = time.perf_counter() - t0
        conn = sqlite3.connect(archive_path)
        have = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
        conn.close()
        loaded, load_s = args.load_more, (load(archive_path, args.load_more, paras, start=have)
                                          if args.load_more else None)
        print(f"reusing {archive_path}: {have:,} reports", file=sys.stderr)
    else:
        loaded, load_s = args.reports, load(archive_path, args.reports, paras)
    if args.load_only:
        print(f"loaded {loaded:,} reports in {load_s:,.1f} s ({loaded / load_s:,.0f} reports/s)")
        return 0
    conn = sqlite3.connect(archive_path)
    n_reports = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
    n_versions = conn.execute("SELECT count(*) FROM versions").fetchone()[0]
    conn.close()

    # -- the register: whole archive, then after a crawl touching N publishers
    skip = {p.strip() for p in args.skip.split(",") if p.strip()}
    optimize_s, optimize_failed = None, None
    if "optimize" not in skip:   # xxgk optimize itself, as after any large load
        import contextlib

        from crawler.errors import UserError
        from db.cli import cmd_optimize

        print("xxgk optimize …", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            with contextlib.redirect_stdout(sys.stderr):
                cmd_optimize(argparse.Namespace(db=str(archive_path)))
        except UserError as exc:   # a disk too small for it: the searches measured as the index is,
            optimize_failed = str(exc)   # and said below
        optimize_s = time.perf_counter() - t0
    full_s = inc_s = None
    full, touched = {}, []
    if "refresh" not in skip:
        touched_ids = touched_agencies(archive_path, args.agencies)
        if args.full_checks:
            print("register refresh (whole archive, with cross-year checks) …", file=sys.stderr, flush=True)
            full_s, full = time_refresh(archive_path)
        else:
            # the register of the whole archive (regions, agencies linked, coverage, figures);
            # the cross-year checks only for the publishers the crawl below touches (first run)
            print("register refresh (whole archive, no cross-year checks) …", file=sys.stderr, flush=True)
            full_s, full = time_refresh(archive_path, checks=False)
            first_s, _ = time_refresh(archive_path, touched_ids)
            full["first cross-year run of the touched publishers (s)"] = round(first_s, 1)
        touched = crawl_touching(archive_path, touched_ids)
        inc_s, _ = time_refresh(archive_path, touched)

    # -- searches, canned queries, dashboards
    conn = sqlite3.connect(archive_path)
    conn.execute("ATTACH DATABASE ? AS xxgk_search", (f"{archive_path}-search",))
    segments = {t: conn.execute(f"SELECT count(DISTINCT segid) FROM {t}_idx").fetchone()[0]
                for t in ("search_text", "search_short")}
    conn.close()
    trigram_s = build_trigram(archive_path, trigram_path) if args.compare else None
    ds, meta = datasette_for(archive_path, trigram_path if args.compare else None)
    qs = query_sets(paras, args.per)
    conn = sqlite3.connect(archive_path)
    params = canned_params(conn)
    conn.close()

    async def run():
        res = {}
        if "search" not in skip:
            await measure_search(ds, qs[:5], "reports")  # warm up
            res["reports"] = await measure_search(ds, qs, "reports")
            res["sections"] = await measure_search(ds, qs, "sections")
        if args.compare:
            await measure_search(ds, qs[:5], "reports", "trigram", raw_quote=True)
            res["trigram"] = await measure_search(ds, [q for q in qs if all(len(t) >= 3 for t in q[2].split())],
                                                  "reports", "trigram", raw_quote=True)
        if "canned" not in skip:
            res["canned"] = await measure_canned(ds, meta, params)
        return res
    print("searches, canned queries, dashboards …", file=sys.stderr, flush=True)
    res = asyncio.run(run())

    # -- re-parse (changes the archive: last)
    rp_s = rp_n = rp_total = None
    if "reparse" not in skip:
        print("re-parse sample …", file=sys.stderr, flush=True)
        rp_s, rp_n, rp_total = time_reparse(archive_path, args.reparse_sample)

    # -- report
    size = _size(archive_path)
    print(f"\nxxgk-archive benchmark: {n_reports:,} reports ({n_versions:,} versions), "
          f"{os.cpu_count()} CPU cores, load average at start {load_avg[0]:.2f}, at end {os.getloadavg()[0]:.2f}\n")
    if load_s:
        rate = loaded / load_s
        print(f"load through store():     {rate:,.0f} reports/s ({loaded:,} reports in {load_s:,.1f} s; "
              f"{'into the existing archive' if args.reuse else 'from empty'}) — target ≥ {TARGETS['load']}: "
              f"{_ok(rate, TARGETS['load'], True)}")
    if migrate_s is not None:
        print(f"opening the archive (schema migrations it lacked): {migrate_s:,.1f} s")
    if optimize_s is not None:
        print(f"xxgk optimize after the load: {optimize_s:,.1f} s (search index merged, ANALYZE)"
              if not optimize_failed else f"xxgk optimize after the load FAILED ({optimize_failed}): "
              "the searches below read the index as the load left it")
    print("search index segments as the searches ran: " + ", ".join(f"{t} {n}" for t, n in segments.items())
          + " (one each right after xxgk optimize)")
    print(f"file size:                {size / 1e9:,.2f} GB, {size / 1e3 / n_reports:,.1f} KB per report")
    if full_s is not None:
        print(f"register refresh, whole archive{'' if args.full_checks else ' (no cross-year checks)'}: "
              f"{full_s:,.1f} s ({full})")
        print(f"register refresh after a crawl that touched {len(touched):,} publishers: {inc_s:,.2f} s — "
              f"target ≤ {TARGETS['refresh_1000']} s: {_ok(inc_s, TARGETS['refresh_1000'])}")
    if rp_s is not None:
        print(f"re-parse:                 {rp_n:,} versions in {rp_s:,.1f} s ({rp_n / rp_s:,.0f}/s); "
              f"xxgk reparse --all of {rp_total:,} versions ≈ {rp_total / (rp_n / rp_s) / 60:,.0f} min (projected)")
    if "reports" in res:
        search_table(res["reports"], TARGETS["report_p95"], "report search (reports.json?_search=)")
        search_table(res["sections"], TARGETS["section_p95"], "section search (sections.json?_search=)")
    if args.compare:
        search_table(res["trigram"], TARGETS["report_p95"],
                     f"plain trigram FTS5, terms of 3+ characters (index built in {trigram_s:,.0f} s)")
    if "canned" in res:
        print(f"\ncanned queries and dashboard panels (slowest of 3 runs, ms; target ≤ {TARGETS['canned']} ms)")
        over = 0
        for name, ms, rows in res["canned"]:
            over += ms > TARGETS["canned"]
            print(f"  {name:<62} {ms:>9.1f}  {rows:>5} rows  {'' if ms <= TARGETS['canned'] else 'OVER'}")
        print(f"  {len(res['canned']) - over} of {len(res['canned'])} within target")
    print("\nwhere the archive's bytes go (MB):")
    conn = sqlite3.connect(archive_path)
    conn.execute("ATTACH DATABASE ? AS xxgk_search", (f"{archive_path}-search",))
    try:
        for name, mb in conn.execute(
                "SELECT n, sum(mb) FROM (SELECT CASE WHEN name LIKE 'sqlite_autoindex%' OR name LIKE 'idx_%' "
                "THEN 'indexes' ELSE name END AS n, pgsize / 1e6 AS mb FROM dbstat('main') "
                "UNION ALL SELECT 'search index (its own file)', pgsize / 1e6 FROM dbstat('xxgk_search')) "
                "GROUP BY n ORDER BY 2 DESC LIMIT 8"):
            print(f"  {name:<40} {mb:>12,.1f}")
        free = conn.execute("PRAGMA freelist_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
        print(f"  {'(free pages of the archive file)':<40} {free / 1e6:>12,.1f}")
    except sqlite3.Error:  # dbstat not compiled in
        pass
    conn.close()
    if args.dir:
        Path(out / "results.json").write_text(json.dumps(
            {"reports": n_reports, "load_s": load_s, "loaded": loaded, "size": size, "refresh_full_s": full_s,
             "refresh_touched_s": inc_s, "touched": len(touched), "reparse": [rp_s, rp_n, rp_total],
             **{k: v for k, v in res.items()}}, ensure_ascii=False, indent=1), encoding="utf-8")
    if tmp:
        tmp.cleanup()
    else:
        print(f"\ndatabases kept in {out} (results.json: every measurement)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
