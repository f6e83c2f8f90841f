"""National-scale crawl benchmark: hundreds of sample portals on ONE address, crawled in one run.

    python bench/national.py [--portals 300] [--delay 2.0] [--latency 0.05] [--capacity]
                             [-s NAME=VALUE ...]

Serves N copies of the sample portals (crawler/sample_portals: TRS, Hanweb, gkmlpt, Epoint,
EmpireCMS, PHPCMS, VSB — the challenge portal left out) on 127.0.0.1, each on its own port
*and* its own host name (``p0042.national.test``, resolved to 127.0.0.1 by :class:`BenchResolver`
in the crawl process only): Scrapy keys its download slots by host name, so every portal is its
own site — and all of them share one IP, like a provincial hosting platform. Each answer
takes ``--latency`` seconds (a remote server's think time, so overlapping requests to a site
would show). One ``xxgk crawl`` of all of them, at the crawler's default politeness unless
told otherwise (``DOWNLOAD_DELAY`` 2 s randomised to 1–3 s, one request at a time per site,
``CONCURRENT_REQUESTS`` 64, AutoThrottle on, robots.txt obeyed).

Measured, from the servers' own logs (each request's arrival and answer times per site):

* pages/s over the run; requests per portal; reports archived
* max requests in flight per site (must be 1) and at the one shared IP
* the crawl process's peak RSS (``os.wait4`` of the child)
* ``--capacity``: a second crawl of fresh copies with the delay at 0.001 s — the crawler's own
  ceiling in pages/s (CPU: parse, validate, store), still one request at a time per site

and from them the projection for all 2,841 county portals at the default politeness: all their
requests at this run's measured pages/s (every stall of a real crawl — robots.txt first, list
before articles, retries with backoff, slow pages — included), next to the lower bound

    wall ≥ max(longest portal: requests × (mean delay + latency),
               all requests × (mean delay + latency) / CONCURRENT_REQUESTS,
               all requests × the crawl's CPU per request (one core))

with requests per portal taken from this run (the sample portals) and, as a second line, from
an assumed 150 requests per portal (a county column with sub-lists per year and department
reports), and memory as this run's RSS plus its per-portal growth (from ``--rss-portals``,
a smaller run in the same invocation) times the extra portals. Results go to stdout (and
``docs/scale.md`` by hand).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DOMAIN = "national.test"
COUNTY_PORTALS = 2841


# ----------------------------------------------------------------------------- crawl side
try:   # the crawl subprocess loads this as DNS_RESOLVER=bench.national.BenchResolver
    from scrapy.resolver import CachingThreadedResolver, dnscache
    from twisted.internet import defer

    class BenchResolver(CachingThreadedResolver):
        """``*.national.test`` → 127.0.0.1; every other name as Scrapy resolves it."""

        def getHostByName(self, name, timeout=None):
            if name.endswith("." + DOMAIN):
                dnscache[name] = "127.0.0.1"   # what per-IP slots (CONCURRENT_REQUESTS_PER_IP) key on
                return defer.succeed("127.0.0.1")
            return super().getHostByName(name, timeout)
except ImportError:  # pragma: no cover
    BenchResolver = None


# ----------------------------------------------------------------------------- server side
def portal_copies(n: int, latency: float):
    """N sample portals, copies of the sample sites in turn, each named p0000.national.test."""
    from crawler.sample_portals.server import SamplePortals, _handler_for
    from http.server import ThreadingHTTPServer
    from crawler.sample_portals.sites import SITE_CLASSES

    classes = [c for c in SITE_CLASSES if c.key != "blocked"]
    sp = SamplePortals.__new__(SamplePortals)
    sp.sites, sp.servers, sp.threads = {}, [], []
    for i in range(n):
        base = classes[i % len(classes)]
        host = f"p{i:04d}.{DOMAIN}"

        def handle(self, method, raw_path, headers, body, _base=base):
            t0 = time.time()
            reply = _base.handle(self, method, raw_path, headers, body)
            if latency:
                time.sleep(latency)
            with self.lock:
                self.spans.append((t0, time.time(), raw_path))
            return reply

        cls = type(f"National{base.__name__}{i}", (base,), {
            "key": f"n{i:04d}", "host": host, "handle": handle,
            "base_url": property(lambda self: f"http://{self.host}:{self.port}/"),
            "url": lambda self, path: f"http://{self.host}:{self.port}{path}",
        })
        site = cls()
        site.spans = []
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(site))
        server.daemon_threads = True
        site.port = server.server_address[1]
        sp.sites[site.key] = site
        sp.servers.append(server)
    return sp


def max_overlap(spans: list[tuple]) -> int:
    """Most requests in flight at once: arrival to answer, from the server's log."""
    events = sorted([(s[0], 1) for s in spans] + [(s[1], -1) for s in spans], key=lambda e: (e[0], e[1]))
    cur = best = 0
    for _, d in events:
        cur += d
        best = max(best, cur)
    return best


def crawl(registry: Path, db: Path, settings: dict[str, str]) -> tuple[float, float, float, str]:
    cmd = [sys.executable, "-m", "crawler.cli", "crawl", "--db", str(db), "--registry", str(registry),
           "--progress", "15", "-s", "XXGK_ALLOW_PRIVATE_HOSTS=1",
           "-s", "DNS_RESOLVER=bench.national.BenchResolver", "-L", "WARNING"]
    for k, v in settings.items():
        cmd += ["-s", f"{k}={v}"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    t = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=err, text=True, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        err.seek(0)
        log = err.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"crawl failed:\n{log[-3000:]}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, log


def run(n: int, latency: float, settings: dict[str, str], label: str) -> dict:
    import sqlite3
    sp = portal_copies(n, latency).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            registry = sp.write_registry(Path(tmp) / "national-bench.csv")
            db = Path(tmp) / "bench.db"
            wall, rss, cpu, log = crawl(registry, db, settings)
            con = sqlite3.connect(db)
            reports = con.execute("SELECT count(*) FROM reports").fetchone()[0]
            statuses = dict(con.execute("SELECT status, count(*) FROM portals GROUP BY status").fetchall())
            con.close()
    finally:
        sp.stop()
    per_site = {k: s.spans for k, s in sp.sites.items()}
    all_spans = [x for v in per_site.values() for x in v]
    requests = len(all_spans)
    t0 = min(s[0] for s in all_spans)
    t1 = max(s[1] for s in all_spans)
    per_portal = sorted(len(v) for v in per_site.values())
    progress = [line for line in log.splitlines() if " · ETA " in line]
    out = {
        "label": label, "portals": n, "latency_s": latency, "settings": settings, "wall_s": round(wall, 1),
        "requests": requests, "pages_per_s": round(requests / (t1 - t0), 1), "reports": reports,
        "portal_statuses": statuses, "peak_rss_mb": round(rss, 1), "crawl_cpu_s": round(cpu, 1),
        "cpu_ms_per_request": round(1000 * cpu / requests, 1),
        "max_in_flight_per_site": max(max_overlap(v) for v in per_site.values() if v),
        "max_in_flight_at_the_ip": max_overlap(all_spans),
        "requests_per_portal": {"min": per_portal[0], "median": per_portal[len(per_portal) // 2],
                                "max": per_portal[-1], "mean": round(requests / n, 1)},
        "longest_portal_s": round(max(max(s[1] for s in v) - min(s[0] for s in v) for v in per_site.values() if v), 1),
        "last_progress_line": progress[-1] if progress else None,
    }
    print(json.dumps(out, ensure_ascii=False), flush=True)
    return out


def project(main: dict, capacity: dict | None, small: dict | None, delay: float, concurrency: int) -> list[str]:
    """The national projection (see the module docstring), as lines of text."""
    lines = []
    mean_wait = delay + main["latency_s"]   # randomised 0.5–1.5 × delay: the mean is the delay
    # the crawler's own ceiling: one core's worth of its measured CPU per request (the wall
    # pages/s of the capacity run is also printed, but on a shared machine it measures the others)
    cap = 1000.0 / main["cpu_ms_per_request"]
    rss_per_portal = None
    if small and main["portals"] > small["portals"]:
        rss_per_portal = max((main["peak_rss_mb"] - small["peak_rss_mb"]) / (main["portals"] - small["portals"]), 0.0)
    for what, per_portal in (("as the sample portals", main["requests_per_portal"]["mean"]),
                             ("at 150 requests per portal", 150.0)):
        total = per_portal * COUNTY_PORTALS
        scale = per_portal / main["requests_per_portal"]["mean"]
        bounds = {"longest portal": main["requests_per_portal"]["max"] * scale * mean_wait,
                  f"{concurrency} requests at once": total * mean_wait / concurrency,
                  "crawler CPU (one core)": total / cap}
        limit = max(bounds, key=bounds.get)
        measured = total / main["pages_per_s"]   # at this run's measured rate (all its stalls included)
        mem = (main["peak_rss_mb"] + rss_per_portal * (COUNTY_PORTALS - main["portals"])
               if rss_per_portal is not None else None)
        lines.append(f"{COUNTY_PORTALS} portals {what} ({per_portal:.0f} requests each, {total:,.0f} in all): "
                     f"≈ {measured / 3600:.1f} h at this run's {main['pages_per_s']} pages/s; lower bound "
                     f"{bounds[limit] / 3600:.1f} h ({limit}; " +
                     ", ".join(f"{k} {v / 3600:.2f} h" for k, v in bounds.items()) + ")" +
                     (f"; peak RSS ≈ {mem:.0f} MB" if mem is not None else ""))
    if rss_per_portal is not None:
        lines.append(f"memory: {main['peak_rss_mb']:.0f} MB at {main['portals']} portals, "
                     f"{small['peak_rss_mb']:.0f} MB at {small['portals']}: {rss_per_portal * 1000:.0f} kB per portal")
    model = max(main["requests_per_portal"]["max"] * mean_wait, main["requests"] * mean_wait / concurrency,
                main["requests"] / cap)
    lines.append(f"model check: this run took {main['wall_s']:.0f} s (crawl process), the lower bound says {model:.0f} s")
    if capacity:
        lines.append(f"capacity run (delay 0.001 s): {capacity['pages_per_s']} pages/s wall, "
                     f"{capacity['cpu_ms_per_request']} ms CPU per request, max in flight per site "
                     f"{capacity['max_in_flight_per_site']}")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--portals", type=int, default=300, help="sample portals served at once (default 300)")
    ap.add_argument("--rss-portals", type=int, default=100,
                    help="a smaller run first, for memory per portal (0: none; default 100)")
    ap.add_argument("--delay", type=float, default=None, help="DOWNLOAD_DELAY (default: the crawler's, 2 s)")
    ap.add_argument("--latency", type=float, default=0.05, help="each answer's think time in seconds (default 0.05)")
    ap.add_argument("--capacity", action="store_true", help="also crawl with no delay: the crawler's ceiling")
    ap.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--report", metavar="LOG", help="print the projection again from the JSON lines of an earlier run")
    ns = ap.parse_args()
    if ns.report:
        runs = {r["label"].split(":")[0]: r for r in (json.loads(l) for l in Path(ns.report).read_text().splitlines()
                                                      if l.startswith("{"))}
        m = runs["national"]
        for line in project(m, runs.get("capacity"), runs.get("memory"),
                            float(m["settings"].get("DOWNLOAD_DELAY", 2.0)),
                            int(m["settings"].get("CONCURRENT_REQUESTS", 64))):
            print(line)
        return 0
    from crawler import settings as S
    settings = dict(kv.split("=", 1) for kv in ns.settings)
    if ns.delay is not None:
        settings["DOWNLOAD_DELAY"] = str(ns.delay)
    delay = float(settings.get("DOWNLOAD_DELAY", S.DOWNLOAD_DELAY))
    concurrency = int(settings.get("CONCURRENT_REQUESTS", S.CONCURRENT_REQUESTS))
    print(f"# bench/national.py --portals {ns.portals} --rss-portals {ns.rss_portals} --latency {ns.latency} "
          f"delay {delay} s, CONCURRENT_REQUESTS {concurrency}, per domain "
          f"{settings.get('CONCURRENT_REQUESTS_PER_DOMAIN', S.CONCURRENT_REQUESTS_PER_DOMAIN)}", flush=True)
    small = run(ns.rss_portals, ns.latency, settings, "memory: smaller run") if ns.rss_portals else None
    main_run = run(ns.portals, ns.latency, settings, "national: default politeness")
    capacity = None
    if ns.capacity:
        # 0.001 s, not 0: with DOWNLOAD_DELAY=0 Scrapy 2.19 (asyncio reactor) hands a site's
        # queued requests to the downloader in one burst — measured here: up to 4 at once to
        # one site (docs/scale.md)
        capacity = run(ns.portals, ns.latency, {**settings, "DOWNLOAD_DELAY": "0.001", "AUTOTHROTTLE_ENABLED": "0"},
                       "capacity: no delay")
    for line in project(main_run, capacity, small, delay, concurrency):
        print(line)
    ok = main_run["max_in_flight_per_site"] == 1 and (capacity is None or capacity["max_in_flight_per_site"] == 1)
    print("one request at a time per site: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
