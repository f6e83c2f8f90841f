"""Handlers of ``xxgk crawl | demo | portals | sample-portals`` (arguments in crawler/cli.py)."""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

from crawler.cli import UserError

REPO = Path(__file__).resolve().parents[1]


def _scrapy_options(tokens: list[str]) -> tuple[dict, dict]:
    """``-a k=v`` spider arguments and ``-s K=V`` settings from the extra tokens."""
    p = argparse.ArgumentParser(prog="xxgk crawl", add_help=False)
    p.add_argument("-a", action="append", default=[], dest="args")
    p.add_argument("-s", action="append", default=[], dest="settings")
    p.add_argument("-L", "--loglevel", dest="loglevel")
    tokens = [t for t in tokens if t != "--"]
    ns, rest = p.parse_known_args(tokens)
    if rest:
        raise UserError(f"unknown option(s): {' '.join(rest)} (use -a NAME=VALUE or -s SETTING=VALUE)")
    def pairs(items, what):
        out = {}
        for item in items:
            if "=" not in item:
                raise UserError(f"{what} {item!r} is not NAME=VALUE")
            k, v = item.split("=", 1)
            out[k] = v
        return out
    settings = pairs(ns.settings, "-s")
    if ns.loglevel:
        settings["LOG_LEVEL"] = ns.loglevel
    return pairs(ns.args, "-a"), settings


def _settings(overrides: dict):
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings
    settings = get_project_settings()
    for k, v in overrides.items():
        settings.set(k, v, priority="cmdline")
    return settings


def run_crawls(settings, jobs: list[tuple[str, dict]], on_done=None) -> list:
    """Run crawls one after the other in this process; return their crawlers."""
    from scrapy.crawler import CrawlerProcess
    from twisted.internet import defer

    process = CrawlerProcess(settings)
    crawlers = []

    @defer.inlineCallbacks
    def chain():
        for spider, kwargs in jobs:
            crawler = process.create_crawler(spider)
            crawlers.append(crawler)
            yield process.crawl(crawler, **kwargs)
            if os.environ.get("XXGK_DEBUG_TIMING"):
                print(f"[{time.strftime('%X')}] {spider} {kwargs.get('portal', '')} done", file=sys.stderr)
            if on_done:
                on_done(crawler)

    def stop(_):
        from twisted.internet import reactor
        if reactor.running:
            reactor.stop()

    d = chain()
    d.addErrback(lambda f: print(f.getTraceback(), file=sys.stderr))
    d.addBoth(stop)
    process.start(stop_after_crawl=False)
    return crawlers


def _alerts(crawler) -> list[str]:
    """The crawl-health alerts of a finished crawl (:mod:`crawler.monitoring`): computed
    and stored in ``crawl_runs.alerts`` by the CrawlRunExtension when the spider closed."""
    from crawler import monitoring
    spider = crawler.spider
    alerts = getattr(spider, "xxgk_alerts", None)
    if alerts is None:   # no run row (e.g. the spider failed to open): checks on the stats alone
        stats = dict(crawler.stats.get_stats())
        if spider is not None and hasattr(spider, "portal_summary"):
            stats["xxgk/portals"] = spider.portal_summary()
        alerts = monitoring.check(stats, settings=crawler.settings)
    return monitoring.messages(alerts)


def cmd_crawl(args) -> int:
    tokens = [t for a in getattr(args, "spider_args", []) for t in ("-a", a)]
    tokens += [t for a in getattr(args, "settings", []) for t in ("-s", a)]
    if getattr(args, "loglevel", None):
        tokens += ["-L", args.loglevel]
    spider_args, overrides = _scrapy_options(tokens + list(getattr(args, "scrapy_args", None) or []))
    overrides.setdefault("XXGK_DB", args.db)
    settings = _settings(overrides)
    spider = spider_args.pop("spider", "portals")
    crawlers = run_crawls(settings, [(spider, spider_args)])
    if settings.get("XXGK_REDIS_URL"):   # a distributed worker: `xxgk store-worker` checks the whole crawl
        return 0
    alerts = [a for c in crawlers for a in _alerts(c)]
    for a in alerts:
        print(f"alert: {a}", file=sys.stderr)
    return 1 if (alerts and args.fail_on_alert) else 0


def summary_line(pid: str, s: dict) -> str:
    state = "BLOCKED" if s.get("blocked") else "ok"
    return (f"{pid:16s} {s.get('platform', ''):9s} {state:7s} reports {s.get('reports', 0):3d}  "
            f"unchanged {s.get('unchanged', 0):3d}  files {s.get('attachments', 0):2d}  skipped {s.get('skipped', 0):3d}  dead {s.get('dead', 0):2d}  "
            f"robots {s.get('robots', 0):2d}  refused {s.get('refused', 0):2d}  lists {s.get('lists', 0):2d}  "
            f"tables {s.get('tables_parsed', 0):3d}  checks failed {s.get('checks_failed', 0):2d}")


DEMO_SETTINGS = {
    "XXGK_ALLOW_PRIVATE_HOSTS": True,   # the sample portals are on 127.0.0.1
    "DOWNLOAD_DELAY": 0.05,             # our own server: still one request at a time per portal
    "AUTOTHROTTLE_ENABLED": False,
    "RETRY_BACKOFF_BASE": 0.2,
    "DOWNLOAD_TIMEOUT": 10,
    "LOG_LEVEL": "WARNING",
}


def cmd_demo(args) -> int:
    from crawler.sample_portals import SamplePortals

    db = Path(args.db)
    t0 = time.time()
    try:  # fixed ports, so that a second demo into the same archive is incremental
        sp = SamplePortals(args.sample_port if hasattr(args, "sample_port") else 8765)
    except OSError:
        sp = SamplePortals()
    with sp, tempfile.TemporaryDirectory() as tmp:
        registry = sp.write_registry(Path(tmp) / "sample-portals.csv")
        settings = _settings({**DEMO_SETTINGS, "XXGK_DB": str(db)})
        print(f"xxgk demo: {len(sp.sites)} sample portals on 127.0.0.1, archive {db}")
        totals: dict[str, int] = {}

        def done(crawler):
            for pid, s in crawler.spider.portal_summary().items():
                print(summary_line(pid, s), flush=True)
                for k, v in s.items():
                    if isinstance(v, int):
                        totals[k] = totals.get(k, 0) + v

        jobs = [("portals", {"registry": str(registry), "portal": f"sample-{key}"}) for key in sp.sites]
        run_crawls(settings, jobs, on_done=done)
    import sqlite3
    con = sqlite3.connect(db)
    n_reports = con.execute("SELECT count(*) FROM reports").fetchone()[0]
    try:
        n_files, n_file_reports = con.execute(
            "SELECT count(DISTINCT sha256), count(DISTINCT CASE WHEN role = 'report' THEN report_id END)"
            " FROM attachments WHERE sha256 IS NOT NULL").fetchone()
    except sqlite3.Error:
        n_files = n_file_reports = 0
    # the failed checks of the reports' current versions, by name: the failed_checks query
    # of `xxgk serve` lists exactly these rows
    failed = con.execute(
        "SELECT k.name, count(*) FROM checks k JOIN reports r ON r.version_id = k.version_id "
        "WHERE k.status = 'fail' GROUP BY k.name ORDER BY count(*) DESC, k.name").fetchall()
    failed_reports = con.execute(
        "SELECT count(DISTINCT k.report_id) FROM checks k JOIN reports r ON r.version_id = k.version_id "
        "WHERE k.status = 'fail'").fetchone()[0]
    con.close()
    n_failed = sum(n for _, n in failed)
    failed_text = (f"failed checks {n_failed} in {failed_reports} reports ("
                   + ", ".join(f"{name} {n}" for name, n in failed) + "; query failed_checks)") if failed \
        else "failed checks 0"
    print(f"\nsummary: {n_reports} reports in {db} ({totals.get('reports', 0)} fetched this run, "
          f"{totals.get('unchanged', 0)} unchanged), attachments {n_files} files "
          f"({totals.get('attachments', 0)} fetched this run, {n_file_reports} reports read from a file, "
          f"{totals.get('attachment_warnings', 0)} unreadable), tables parsed {totals.get('tables_parsed', 0)}, "
          f"{failed_text}, blocked portals {totals.get('blocked', 0)}, "
          f"skipped {totals.get('skipped', 0)} (+{totals.get('duplicate', 0)} duplicate), "
          f"dead links {totals.get('dead', 0)}, robots-disallowed {totals.get('robots', 0)}, "
          f"refused {totals.get('refused', 0)} — {time.time() - t0:.1f} s")
    if args.serve:
        from db.cli import cmd_serve
        return cmd_serve(argparse.Namespace(db=str(db), port=args.port, host="127.0.0.1"))
    return 0


def cmd_portals(args) -> int:
    from crawler import portals as registry
    path = os.environ.get("XXGK_REGISTRY") or registry.DEFAULT_REGISTRY
    items = registry.load(path)
    if args.action == "list":
        for p in items:
            state = "" if p.crawlable else "  (not crawled: " + ("disabled" if not p.enabled else "no URL") + ")"
            print(f"{p.region_code}  {p.id:18s} {p.platform:8s} {p.name}  {' '.join(p.columns) or p.base_url}{state}")
        return 0
    if args.action == "add":
        # xxgk portals add REGION_CODE ID NAME URL [PLATFORM] [COLUMN ...]
        if len(args.args) < 4:
            raise UserError("usage: xxgk portals add REGION_CODE ID NAME BASE_URL [PLATFORM] [COLUMN_URL ...]")
        code, pid, name, url, *rest = args.args
        platform = rest.pop(0) if rest and rest[0] in registry.PLATFORMS else "auto"
        if any(p.id == pid for p in items):
            raise UserError(f"portal id {pid!r} already in {path}")
        if not (code.isdigit() and len(code) in (2, 4, 6, 9, 12)):
            raise UserError(f"region code {code!r} is not a GB/T 2260 code")
        items.append(registry.Portal(region_code=code, id=pid, name=name, base_url=url, platform=platform,
                                     columns=rest, source="added with xxgk portals add"))
        registry.save(items, path)
        print(f"added {pid} to {path}")
        return 0
    if args.action == "discover":
        if len(args.args) < 1:
            raise UserError("usage: xxgk portals discover URL [REGION_CODE ID NAME]")
        from crawler.discover import discover
        result = discover(args.args[0], allow_private=getattr(args, 'allow_private', False))
        print(json.dumps(result, ensure_ascii=False, indent=1))
        if len(args.args) >= 4 and result.get("column"):
            code, pid, name = args.args[1:4]
            items.append(registry.Portal(region_code=code, id=pid, name=name, base_url=args.args[0],
                                         platform=result["platform"] or "auto", columns=[result["column"]],
                                         source=f"xxgk portals discover {args.args[0]}"))
            registry.save(items, path)
            print(f"added {pid} to {path}")
        return 0 if result.get("column") else 1
    raise UserError(f"unknown action {args.action}")


def cmd_sample_portals(args) -> int:
    from crawler.sample_portals import SamplePortals
    sp = SamplePortals(args.port).start()
    out = Path(getattr(args, "registry", None) or REPO / "crawler" / "sample_portals" / "portals.csv")
    try:
        sp.write_registry(out)
    except OSError:
        out = Path(tempfile.gettempdir()) / "xxgk-sample-portals.csv"
        sp.write_registry(out)
    for site in sp.sites.values():
        print(f"{site.key:8s} {site.platform:9s} {site.base_url}  {site.name}", flush=True)
    print(f"registry: {out}\ncrawl them: xxgk crawl -a registry={shlex.quote(str(out))} "
          f"-s XXGK_ALLOW_PRIVATE_HOSTS=1   (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        sp.stop()
