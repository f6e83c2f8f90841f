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


#: the words for each per-portal count of a crawl (BaseSpider.portal_summary), in print order
COUNT_WORDS = (
    ("reports", "report(s) archived"),
    ("unchanged", "unchanged since the last crawl"),
    ("fresh", "not re-requested (checked within XXGK_REVALIDATE_DAYS)"),
    ("attachments", "file(s) downloaded"),
    ("skipped", "item(s) skipped as not reports"),
    ("duplicate", "duplicate(s) (one report at two URLs)"),
    ("dead", "dead link(s)"),
    ("robots", "link(s) disallowed by robots.txt"),
    ("refused", "link(s) refused (other sites, private addresses)"),
    ("lists", "list page(s) read"),
    ("tables_parsed", "table(s) parsed"),
    ("checks_failed", "check(s) failed"),
    ("attachment_warnings", "unreadable attachment(s)"),
)


def summary_line(pid: str, s: dict) -> str:
    """One portal of a demo crawl, each count in words (zero counts left out)."""
    head = f"{pid} ({s.get('platform', '')})"
    if s.get("blocked"):
        return f"{head}: BLOCKED by an anti-bot challenge: recorded and skipped, not solved"
    parts = [f"{s.get(k, 0)} {words}" for k, words in COUNT_WORDS if s.get(k) or k == "reports"]
    return f"{head}: " + ", ".join(parts)


#: crawl_log reasons in words (the demo summary)
REFUSED_WORDS = {"offsite": "link(s) to other sites not followed",
                 "private_address": "link(s) to private or loopback addresses refused",
                 "scheme": "link(s) that are not http(s) refused",
                 "portal_blocked": "request(s) to a blocked portal not sent"}
SKIP_WORDS = {"infographic": "图解 / 图片版", "interpretation": "解读", "notice": "notices",
              "other_report": "other reports (not the annual report)"}


def _named_counts(rows) -> str:
    return ", ".join(f"{n} {name}" for name, n in rows)


def demo_summary(db: Path, first_log_id: int, totals: dict, warnings: list[str], seconds: float) -> list[str]:
    """The demo's closing summary, from the archive and this run's crawl_log rows: every
    count in words, what failed named, and the warnings collected during the crawl."""
    import sqlite3
    con = sqlite3.connect(db)
    q = lambda sql, *a: con.execute(sql, a).fetchall()   # noqa: E731
    n_reports = q("SELECT count(*) FROM reports")[0][0]
    log = lambda event: q("SELECT reason, count(*) FROM crawl_log WHERE id > ? AND event = ? "   # noqa: E731
                          "GROUP BY 1 ORDER BY 2 DESC, 1", first_log_id, event)
    skipped = log("skipped")
    refused = log("refused")
    blocked = log("blocked")
    failed = q("SELECT c.name, count(*) FROM checks c JOIN reports r ON r.version_id = c.version_id "
               "WHERE c.status = 'fail' AND c.name NOT LIKE 'crossyear%' GROUP BY 1 ORDER BY 2 DESC, 1")
    crossyear = q("SELECT c.name, count(*) FROM checks c JOIN reports r ON r.version_id = c.version_id "
                  "WHERE c.status = 'fail' AND c.name LIKE 'crossyear%' GROUP BY 1 ORDER BY 2 DESC, 1")
    unreadable_reports = q("SELECT r.url, json_extract(v.warnings, '$[0]') FROM reports r "
                           "JOIN versions v ON v.id = r.version_id WHERE r.kind IN ('unreadable', 'image_only')")
    try:
        n_files, n_file_reports = q(
            "SELECT count(DISTINCT sha256), count(DISTINCT CASE WHEN role = 'report' THEN report_id END)"
            " FROM attachments WHERE sha256 IS NOT NULL")[0]
        bad_files = q("SELECT url, coalesce(error, parsed_kind) FROM attachments WHERE status = 'downloaded' "
                      "AND parsed_kind IN ('unreadable', 'image_only') AND role IS NOT 'report'")
        failed_files = q("SELECT url, error FROM attachments WHERE status = 'failed'")
    except sqlite3.Error:
        n_files = n_file_reports = 0
        bad_files = failed_files = []
    con.close()

    out = [f"summary ({seconds:.1f} s):",
           f"  {n_reports} reports in {db}: {totals.get('reports', 0)} report pages or files fetched this run, "
           f"{totals.get('unchanged', 0)} unchanged since the last run"]
    out.append(f"  {totals.get('tables_parsed', 0)} tables parsed; "
               + (f"{sum(n for _, n in failed)} checks failed (a report's own numbers do not add up): "
                  f"{_named_counts(failed)} — canned query balance_failures" if failed
                  else "0 checks failed (every report's numbers add up)"))
    if crossyear:
        out.append(f"  {sum(n for _, n in crossyear)} cross-year checks failed (a report against the "
                   f"year before): {_named_counts(crossyear)} — canned query crossyear_failures")
    out.append(f"  {n_files} attachment files in {db}.files/ ({totals.get('attachments', 0)} downloaded this run), "
               f"{n_file_reports} reports read from a file")
    n_unread = len(unreadable_reports) + len(bad_files)
    out.append(f"  {n_unread} unreadable" + (":" if n_unread else " (every report and attachment was read)"))
    for url, why in unreadable_reports:
        out.append(f"    report {url}: {why or 'nothing could be read'}")
    if any("not installed" in (why or "") for _, why in unreadable_reports):
        out.append(f"    (`xxgk doctor --install` installs the missing tool, then `xxgk reparse --db {db}` reads it)")
    for url, why in bad_files:
        out.append(f"    attachment {url}: {(why or '')[:120]} (kept in the files folder)")
    for url, why in failed_files:
        out.append(f"  attachment not downloaded: {url}: {why}")
    for why, n in blocked:
        out.append(f"  {n} portal(s) blocked ({why}): recorded as blocked and skipped, never solved")
    if skipped:
        other = {r: n for r, n in skipped if r in SKIP_WORDS}
        if other:
            out.append(f"  {sum(other.values())} items skipped as not reports: "
                       + ", ".join(f"{n} {SKIP_WORDS[r]}" for r, n in other.items()))
        for why, n in skipped:
            if why in SKIP_WORDS:
                continue
            if why.startswith("duplicate of"):
                out.append(f"  {n} duplicate: one report at two URLs, archived once ({why})")
            elif why == "dead_link":
                out.append(f"  {n} dead link(s) (HTTP 404 after retries)")
            elif why == "robots_disallowed":
                out.append(f"  {n} link(s) disallowed by robots.txt, not fetched")
            else:
                out.append(f"  {n} skipped: {why}")
    for why, n in refused:
        out.append(f"  {n} {REFUSED_WORDS.get(why, f'refused ({why})')}")
    if warnings:
        out.append(f"warnings during the crawl ({len(warnings)}):")
        out += [f"  {w}" for w in warnings]
    out.append(f"browse it: xxgk serve --db {db}")
    return out


class _Collect:
    """A logging handler that keeps WARNING and worse (deduplicated) for the demo summary,
    instead of printing them in the middle of the per-portal lines."""

    def __init__(self):
        import logging
        self.messages: list[str] = []
        self.handler = logging.Handler(logging.WARNING)
        self.handler.emit = self._emit

    def _emit(self, record) -> None:
        msg = f"{record.levelname.lower()}: {record.getMessage()}"
        msg = msg if len(msg) <= 400 else msg[:399] + "…"
        if msg not in self.messages:
            self.messages.append(msg)

    def __enter__(self):
        import logging
        logging.getLogger().addHandler(self.handler)
        return self

    def __exit__(self, *exc):
        import logging
        logging.getLogger().removeHandler(self.handler)


DEMO_SETTINGS = {
    "XXGK_ALLOW_PRIVATE_HOSTS": True,   # the sample portals are on 127.0.0.1
    "DOWNLOAD_DELAY": 0.05,             # our own server: still one request at a time per portal
    "AUTOTHROTTLE_ENABLED": False,
    "RETRY_BACKOFF_BASE": 0.2,
    "DOWNLOAD_TIMEOUT": 10,
    "LOG_LEVEL": "WARNING",
    "LOG_ENABLED": False,               # warnings are collected into the summary (_Collect)
}


def cmd_demo(args) -> int:
    from crawler.sample_portals import SamplePortals

    db = Path(args.db)
    t0 = time.time()
    first_log_id = 0
    if db.exists():
        import sqlite3
        try:
            con = sqlite3.connect(db)
            first_log_id = con.execute("SELECT coalesce(max(id), 0) FROM crawl_log").fetchone()[0]
            con.close()
        except sqlite3.Error:
            pass
    try:  # fixed ports, so that a second demo into the same archive is incremental
        sp = SamplePortals(args.sample_port if hasattr(args, "sample_port") else 8765)
    except OSError:
        sp = SamplePortals()
    with sp, tempfile.TemporaryDirectory() as tmp, _Collect() as collected:
        registry = sp.write_registry(Path(tmp) / "sample-portals.csv")
        settings = _settings({**DEMO_SETTINGS, "XXGK_DB": str(db)})
        print(f"xxgk demo: {len(sp.sites)} sample portals on 127.0.0.1, archive {db}, files in {db}.files/")
        totals: dict[str, int] = {}

        def done(crawler):
            for pid, s in crawler.spider.portal_summary().items():
                print(summary_line(pid, s), flush=True)
                for k, v in s.items():
                    if isinstance(v, int):
                        totals[k] = totals.get(k, 0) + v

        jobs = [("portals", {"registry": str(registry), "portal": f"sample-{key}"}) for key in sp.sites]
        run_crawls(settings, jobs, on_done=done)
    print()
    print("\n".join(demo_summary(db, first_log_id, totals, collected.messages, time.time() - t0)))
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
