"""Crawl benchmark: a sample portal with N report pages on 127.0.0.1, politeness off.

    python bench/crawl.py [--pages 10000] [--rss-sizes 1000,5000] [--no-scrapy-bench] [-s NAME=VALUE]

Prints pages/s end to end (list pages + articles + counters, parsed and stored into
SQLite), the crawl's peak RSS, the second (incremental) crawl's time — within the
re-validation window (``XXGK_REVALIDATE_DAYS``, default 7): list pages re-read, unchanged
entries not asked — and a third crawl that re-validates every article
(``XXGK_REVALIDATE_DAYS=0``: a conditional request each, answered 304), and in the same
invocation ``scrapy bench``'s pages/min for comparison.

Memory: before the main run, a first crawl of a fresh portal and archive for each of
``--rss-sizes`` report pages; each crawl subprocess's own peak RSS (``os.wait4``, not the
max over all children) is printed side by side with the main run's, with the growth in MB
per 1,000 report pages between consecutive sizes — "flat" means that slope stays near 0.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crawler.sample_portals import content  # noqa: E402
from crawler.sample_portals.server import SamplePortals  # noqa: E402
from crawler.sample_portals.sites import SITE_CLASSES, PhpcmsSite  # noqa: E402

FAST = {"XXGK_ALLOW_PRIVATE_HOSTS": "1", "DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "0",
        "ROBOTSTXT_OBEY": "1", "CONCURRENT_REQUESTS": "16", "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
        "LOG_LEVEL": "WARNING", "RETRY_BACKOFF_BASE": "0.1"}


def bench_site(n: int):
    class BenchSite(PhpcmsSite):
        """PHPCMS-style portal with N generated reports (UTF-8, ETag support)."""
        key = "bench"
        encoding = "utf-8"
        page_size = 50
        conditional = True

        def build(self):
            body = content.text_docs()["tuoli"].body_html
            for i in range(n):
                year = 2014 + i % 11
                dept = f"样例县第{i}局"
                self.add(f"/html/{year + 1}/xxgknb_0120/{10000 + i}.html",
                         content.Doc(title=f"{dept}{year}年政府信息公开工作年度报告", date=f"{year + 1}-01-20",
                                     agency=dept, body_html=body, year=year), counter_id=str(10000 + i))

        def render_article(self, entry):
            r = super().render_article(entry)
            return r

        def list_page(self, path, query, body):
            r = super().list_page(path, query, body)
            if r is not None:
                r.body = r.body.decode("gbk").replace("charset=gbk", "charset=utf-8").encode("utf-8")
            return r

    BenchSite.render_article = lambda self, e: _utf8(PhpcmsSite.render_article(self, e))
    return BenchSite


def _utf8(reply):
    reply.body = reply.body.decode("gbk").replace("charset=gbk", "charset=utf-8").encode("utf-8")
    return reply


EXTRA: dict[str, str] = {}   # -s NAME=VALUE: settings for every crawl of this invocation


def crawl(registry: Path, db: Path, **settings) -> tuple[float, float]:
    """One ``scrapy crawl`` subprocess: (seconds, its own peak RSS in MB)."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", "portals", "-a", f"registry={registry}"]
    for k, v in {**FAST, "XXGK_DB": str(db), **EXTRA, **settings}.items():
        cmd += ["-s", f"{k}={v}"]
    t = time.time()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)   # this child's rusage, not the max over all children
        proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.time() - t
        if proc.returncode:
            err.seek(0)
            sys.exit(err.read()[-3000:])
    return elapsed, usage.ru_maxrss / 1024


def first_crawl(n: int) -> tuple[float, float, int]:
    """A first crawl of a fresh N-report portal into a fresh archive: (s, peak RSS MB, requests)."""
    backup = list(SITE_CLASSES)
    SITE_CLASSES[:] = [bench_site(n)]
    try:
        with SamplePortals() as sp, tempfile.TemporaryDirectory() as tmp:
            registry = sp.write_registry(Path(tmp) / "bench.csv")
            t, rss = crawl(registry, Path(tmp) / "bench.db")
            return t, rss, len(sp["bench"].log)
    finally:
        SITE_CLASSES[:] = backup


def rss_table(points: list[tuple[int, float, float, int]]) -> None:
    """Peak RSS side by side, with MB per 1,000 report pages between consecutive sizes."""
    print("peak RSS of the first crawl by size (one fresh portal and archive each):")
    prev = None
    for n, t, rss, reqs in sorted(points):
        slope = f"{(rss - prev[2]) / (n - prev[0]) * 1000:+6.2f} MB per 1,000 pages" if prev and n > prev[0] else ""
        print(f"  {n:>7,} reports ({reqs:>6} requests, {t:6.1f} s): peak RSS {rss:6.0f} MB  {slope}")
        prev = (n, t, rss)
    if len(points) > 1:
        (n0, _, r0, _), (n1, _, r1, _) = min(points), max(points)
        print(f"  overall {n0:,} → {n1:,}: {(r1 - r0) / (n1 - n0) * 1000:+.2f} MB per 1,000 report pages")


def scrapy_bench() -> float | None:
    r = subprocess.run([sys.executable, "-m", "scrapy", "bench", "-s", "CLOSESPIDER_TIMEOUT=10", "-s", "LOG_LEVEL=INFO"],
                       cwd=tempfile.gettempdir(), capture_output=True, text=True)
    rates = [int(x) for x in re.findall(r"at (\d+) pages/min", r.stderr)]
    return max(rates) if rates else None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=10000)
    ap.add_argument("--rss-sizes", default="1000,5000",
                    help="comma-separated report counts: a first crawl of each, for peak RSS side by side "
                         "with the main run's ('' for none)")
    ap.add_argument("--no-scrapy-bench", action="store_true")
    ap.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                    help="a Scrapy/xxgk setting for every crawl (repeatable)")
    a = ap.parse_args()
    EXTRA.update(kv.split("=", 1) for kv in a.settings)
    sizes = sorted({int(x) for x in a.rss_sizes.replace(" ", "").split(",") if x} - {a.pages})
    points = []
    for n in sizes:
        t, rss, reqs = first_crawl(n)
        points.append((n, t, rss, reqs))
    SITE_CLASSES_BACKUP = list(SITE_CLASSES)
    SITE_CLASSES[:] = [bench_site(a.pages)]
    try:
        with SamplePortals() as sp, tempfile.TemporaryDirectory() as tmp:
            site = sp["bench"]
            registry = sp.write_registry(Path(tmp) / "bench.csv")
            db = Path(tmp) / "bench.db"
            t1, rss = crawl(registry, db)
            reqs1 = len(site.log)
            points.append((a.pages, t1, rss, reqs1))
            site.log.clear()
            t2, _ = crawl(registry, db)
            reqs2 = len(site.log)
            site.log.clear()
            t3, _ = crawl(registry, db, XXGK_REVALIDATE_DAYS="0")
            reqs3 = len(site.log)
            import sqlite3
            n = sqlite3.connect(db).execute("SELECT count(*) FROM reports").fetchone()[0]
            size = db.stat().st_size / 1e6
    finally:
        SITE_CLASSES[:] = SITE_CLASSES_BACKUP
    print(f"reports: {a.pages} generated, {n} archived ({size:.0f} MB)")
    print(f"first crawl:  {t1:.1f} s, {reqs1} requests, {reqs1 / t1:.1f} pages/s ({a.pages / t1:.1f} reports/s) "
          f"= {reqs1 / t1 * 60:.0f} pages/min, peak RSS {rss:.0f} MB")
    if len(points) > 1:
        rss_table(points)
    print(f"second crawl: {t2:.1f} s, {reqs2} requests (incremental: {t1 / t2:.1f}x faster; "
          f"entries validated < XXGK_REVALIDATE_DAYS ago not asked)")
    print(f"third crawl:  {t3:.1f} s, {reqs3} requests ({t1 / t3:.1f}x faster; XXGK_REVALIDATE_DAYS=0: "
          f"every article re-validated with a conditional request)")
    if not a.no_scrapy_bench:
        rate = scrapy_bench()
        if rate:
            print(f"scrapy bench: {rate} pages/min; ours/bench = {reqs1 / t1 * 60 / rate:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
