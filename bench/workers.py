"""Distributed-crawl benchmark: 1, 2 and 3 crawler workers sharing one crawl through
Redis (crawler/distributed.py) over the 10,000-page sample portal of bench/crawl.py,
politeness off, one ``xxgk store-worker`` writing the archive.

    python bench/workers.py [--pages 10000] [--workers 1 2 3]

Needs ``redis-server`` (Debian package) on PATH; starts it on a free 127.0.0.1 port.
Prints, per worker count: wall time (workers started → store-worker done), requests
served, pages/s, speed-up over one worker, reports archived, pages fetched twice, and
where the time went (worker CPU, store-worker CPU).
"""
from __future__ import annotations

import argparse
import importlib.util
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

_spec = importlib.util.spec_from_file_location("bench_crawl", REPO / "bench" / "crawl.py")
bench_crawl = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_crawl)

from crawler.sample_portals.server import SamplePortals  # noqa: E402
from crawler.sample_portals.sites import SITE_CLASSES  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(n: int, registry: Path, redis_url: str, tmp: Path, site) -> dict:
    import redis
    redis.Redis.from_url(redis_url).flushall()
    site.log.clear()
    db = tmp / f"w{n}.db"
    cpu0 = cpu_children()
    store = subprocess.Popen([sys.executable, "-m", "crawler.cli", "store-worker", "--redis", redis_url,
                              "--db", str(db)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    r = redis.Redis.from_url(redis_url)
    while r.get("xxgk:portals:state") != b"open":
        if store.poll() is not None:
            sys.exit(store.stdout.read())
        time.sleep(0.05)
    t0 = time.time()
    workers = []
    for _ in range(n):
        cmd = [sys.executable, "-m", "scrapy", "crawl", "portals", "-a", f"registry={registry}"]
        for k, v in {**bench_crawl.FAST, "XXGK_REDIS_URL": redis_url}.items():
            cmd += ["-s", f"{k}={v}"]
        workers.append(subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    for w in workers:
        err = w.communicate()[1]
        if w.returncode:
            sys.exit(err[-3000:])
    t_workers = time.time() - t0
    out = store.communicate()[0]
    t = time.time() - t0
    if store.returncode:
        sys.exit(out[-3000:])
    con = sqlite3.connect(db)
    reports = con.execute("SELECT count(*) FROM reports").fetchone()[0]
    versions = con.execute("SELECT count(*) FROM versions").fetchone()[0]
    con.close()
    seen = Counter((x["method"], x["path"]) for x in site.log if x["path"] != "/robots.txt")
    return {"workers": n, "seconds": t, "workers_done": t_workers, "requests": len(site.log), "reports": reports,
            "versions": versions, "twice": sum(v - 1 for v in seen.values() if v > 1),
            "cpu": cpu_children() - cpu0}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=10000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    a = ap.parse_args()
    exe = shutil.which("redis-server")
    if not exe:
        sys.exit("redis-server not found (apt-get install redis-server)")
    port = free_port()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        rs = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                               "--dir", str(tmp)], stdout=subprocess.DEVNULL)
        time.sleep(0.3)
        backup = list(SITE_CLASSES)
        SITE_CLASSES[:] = [bench_crawl.bench_site(a.pages)]
        rows = []
        try:
            with SamplePortals() as sp:
                registry = sp.write_registry(tmp / "bench.csv")
                for n in a.workers:
                    rows.append(run(n, registry, f"redis://127.0.0.1:{port}/0", tmp, sp["bench"]))
                    x = rows[-1]
                    print(f"  {n} worker(s): {x['seconds']:.1f} s, {x['requests'] / x['seconds']:.0f} pages/s",
                          file=sys.stderr, flush=True)
        finally:
            SITE_CLASSES[:] = backup
            rs.terminate()
            rs.wait()
    base = rows[0]["requests"] / rows[0]["seconds"]
    print(f"{a.pages} report pages, politeness off (CONCURRENT_REQUESTS_PER_DOMAIN=16 per worker, no delay), "
          f"one store-worker, redis-server on 127.0.0.1")
    print(f"{'workers':>7} {'wall s':>7} {'crawl s':>7} {'requests':>8} {'pages/s':>8} {'speed-up':>8} "
          f"{'reports':>7} {'versions':>8} {'twice':>5} {'CPU s':>6}")
    for x in rows:
        rate = x["requests"] / x["seconds"]
        print(f"{x['workers']:>7} {x['seconds']:>7.1f} {x['workers_done']:>7.1f} {x['requests']:>8} {rate:>8.1f} "
              f"{rate / base:>7.2f}x {x['reports']:>7} {x['versions']:>8} {x['twice']:>5} {x['cpu']:>6.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
