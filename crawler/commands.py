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
        from twisted.internet import error, reactor
        if reactor.running:
            try:
                reactor.stop()
            except error.ReactorNotRunning:   # Ctrl-C: Scrapy's handler is stopping it already
                pass

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
    if getattr(args, "registry", None):
        if not Path(args.registry).is_file():
            raise UserError(f"no registry file {args.registry}")
        overrides["XXGK_REGISTRY"] = args.registry
        spider_args.setdefault("registry", args.registry)
    if getattr(args, "progress", None) is not None:
        overrides["XXGK_PROGRESS_INTERVAL"] = args.progress
    settings = _settings(overrides)
    if settings.getfloat("DOWNLOAD_DELAY") <= 0 and not settings.getbool("XXGK_ALLOW_PRIVATE_HOSTS"):
        # Scrapy 2.19 (asyncio reactor) starts a site's queued requests in one burst when the
        # delay is 0: more than one at a time per site (bench/national.py, docs/scale.md)
        print("xxgk crawl: warning: DOWNLOAD_DELAY=0 sends several requests at once to a site; "
              "use at least 0.5 against real portals", file=sys.stderr)
    spider = spider_args.pop("spider", "portals")
    crawlers = run_crawls(settings, [(spider, spider_args)])
    if settings.get("XXGK_REDIS_URL"):   # a distributed worker: `xxgk store-worker` checks the whole crawl
        return 0
    for c in crawlers:
        if c.spider is not None and hasattr(c.spider, "portal_summary"):
            print_portal_summary(c.spider.portal_summary(), file=sys.stderr)
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
    """One portal's line of the per-portal summary (``xxgk demo``, ``xxgk crawl``): its status
    (``db.portals.STATUSES``), then each count in words (zero counts left out)."""
    from crawler.monitoring import portal_status
    head = f"{pid} ({s.get('platform') or ''})"
    if s.get("blocked"):
        return f"{head} blocked: BLOCKED by an anti-bot challenge: recorded and skipped, not solved"
    parts = [f"{s.get(k, 0)} {words}" for k, words in COUNT_WORDS if s.get(k) or k == "reports"]
    return f"{head} {portal_status(s)[0]}: " + ", ".join(parts)


#: crawl_log reasons in words (the demo summary)
REFUSED_WORDS = {"offsite": "link(s) to other sites not followed",
                 "private_address": "link(s) to private or loopback addresses refused",
                 "scheme": "link(s) that are not http(s) refused",
                 "portal_blocked": "request(s) to a blocked portal not sent"}
SKIP_WORDS = {"infographic": "图解 / 图片版", "interpretation": "解读", "notice": "notices",
              "other_report": "other reports (not the annual report)"}


def _named_counts(rows) -> str:
    return ", ".join(f"{name} {n}" for name, n in rows)


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
    # every failed check of the reports' current versions, by name: the failed_checks query of
    # `xxgk serve` lists exactly these rows
    failed = q("SELECT c.name, count(*) FROM checks c JOIN reports r ON r.version_id = c.version_id "
               "WHERE c.status = 'fail' GROUP BY 1 ORDER BY 2 DESC, 1")
    failed_reports = q("SELECT count(DISTINCT r.id) FROM checks c JOIN reports r ON r.version_id = c.version_id "
                       "WHERE c.status = 'fail'")[0][0]
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
               + (f"failed checks {sum(n for _, n in failed)} in {failed_reports} reports "
                  f"({_named_counts(failed)}; query failed_checks): a report's own numbers "
                  "that do not add up (crossyear_*: a report against the year before)" if failed
                  else "failed checks 0 (every report's numbers add up)"))
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


def print_portal_summary(summary: dict[str, dict], file=sys.stdout) -> dict[str, int]:
    """The per-portal summary of a crawl, one line each, then a count per status (for a
    portal that is not ``ok``, why). Returns the counts."""
    from crawler.monitoring import portal_status
    counts: dict[str, int] = {}
    for pid, s in summary.items():
        status, why = portal_status(s)
        counts[status] = counts.get(status, 0) + 1
        line = summary_line(pid, s)
        print(line if status == "ok" else f"{line}  ({why})", file=file, flush=True)
    if summary:
        print("portals: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())), file=file, flush=True)
    return counts


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


def _registry_path(args) -> Path:
    from crawler import portals as registry
    path = Path(getattr(args, "registry", None) or registry.DEFAULT_REGISTRY)
    if not path.is_file():
        raise UserError(f"no registry file {path}")
    return path


def _find_portal(items, key: str):
    hits = [p for p in items if p.id == key] or [p for p in items if p.region_code == key]
    if not hits:
        raise UserError(f"no portal {key!r} in the registry (an id or a GB/T 2260 code)")
    if len(hits) > 1:
        raise UserError(f"{key!r} names {len(hits)} portals: use one of their ids ({', '.join(p.id for p in hits)})")
    return hits[0]


def _archive_db(args, must_exist: bool = True):
    """The archive's database for ``xxgk portals`` (created when editing, read-only use otherwise)."""
    db = Path(getattr(args, "db", None) or "archive.db")
    if must_exist and not db.exists():
        return None
    from db.schema import open_archive
    return open_archive(db)


def cmd_portals(args) -> int:
    from crawler import portals as registry
    path = _registry_path(args)
    items = registry.load(path)
    action = args.action
    if action == "list":
        db = _archive_db(args)
        known = {}
        if db is not None:
            from db import portals as table
            known = {pid: table.get(db, pid) for pid in table.known(db)}
        n = 0
        for p in items:
            if not (p.crawlable or args.all):
                continue
            if args.region and not p.region_code.startswith(args.region):
                continue
            k = known.get(p.id) or {}
            status = k.get("status") or "never"
            if args.status and status != args.status:
                continue
            cols = table.column_urls(k.get("columns")) if k.get("columns") else p.columns
            state = "" if p.crawlable else "  (not crawled: " + ("disabled" if not p.enabled else "no URL") + ")"
            print(f"{p.region_code}  {p.id:18s} {(k.get('platform') or p.platform):8s} {status:11s} {p.name}  "
                  f"{' '.join(cols) or p.base_url}{state}")
            n += 1
        print(f"{n} portals", file=sys.stderr)
        return 0
    if action == "show":
        p = _find_portal(items, args.portal)
        print(f"registry ({path}):")
        for k, v in p.to_row().items():
            print(f"  {k:12s} {v}")
        db = _archive_db(args)
        if db is None:
            print(f"archive: no file {args.db}")
            return 0
        from db import portals as table
        row = table.get(db, p.id)
        print(f"archive ({args.db}):" + ("" if row else " never crawled"))
        for k, v in (row or {}).items():
            if k == "columns":
                print(f"  {k:13s} " + ("" if v else "none"))
                for c in v:
                    print(f"    {c['url']}  ({c['how'] or 'how unknown'}" + (f", via {c['via']})" if c["via"] else ")"))
            elif k != "id":
                print(f"  {k:13s} {'' if v is None else v}")
        try:
            logs = db.execute("SELECT at, event, reason, url FROM crawl_log WHERE portal = ? ORDER BY id DESC LIMIT 10",
                              (p.id,)).fetchall()
        except Exception:   # an archive without the crawler's tables
            logs = []
        if logs:
            print("last log lines:")
            for at, event, reason, url in logs:
                print(f"  {at}  {event:9s} {reason}  {url}")
        return 0
    if action in ("set-column", "note"):
        p = _find_portal(items, args.portal)
        from db import portals as table
        db = _archive_db(args, must_exist=False)
        if action == "note":
            table.set_note(db, p.id, args.text, p.region_code, p.name)
            print(f"{p.id}: note saved in {args.db}")
            return 0
        if args.clear == bool(args.columns):
            raise UserError("give the column URL(s), or --clear to forget them")
        for url in args.columns:
            if not url.startswith(("http://", "https://")):
                raise UserError(f"{url!r} is not an http(s) URL")
        table.set_columns(db, p.id, [] if args.clear else list(args.columns), p.region_code, p.name)
        print(f"{p.id}: " + ("columns forgotten" if args.clear else f"{len(args.columns)} column(s) set") +
              f" in {args.db}" + (" (the registry's own columns come first)" if p.columns else ""))
        return 0
    if action in ("enable", "disable"):
        p = _find_portal(items, args.portal)
        if action == "enable":
            if args.base_url:
                if not args.base_url.startswith(("http://", "https://")):
                    raise UserError(f"{args.base_url!r} is not an http(s) URL")
                p.base_url = args.base_url
                p.notes = "; ".join(x for x in (p.notes, f"base_url {args.base_url} set by hand") if x)
            if not (p.base_url or p.columns):
                raise UserError(f"{p.id} has no URL: give it one with --base-url URL (checked by hand)")
            p.enabled = True
        else:
            p.enabled = False
            if args.reason:
                p.notes = "; ".join(x for x in (p.notes, f"disabled: {args.reason}") if x)
        registry.save(items, path)
        print(f"{p.id}: {action}d in {path}")
        return 0
    if action == "add":
        code, pid, name, url, rest = args.region_code, args.portal, args.name, args.base_url, list(args.extra)
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
    if action == "discover":
        if args.register and len(args.register) != 3:
            raise UserError("to register the portal give REGION_CODE ID NAME after the URL")
        from crawler.discover import discover
        result = discover(args.url, allow_private=getattr(args, 'allow_private', False))
        print(json.dumps(result, ensure_ascii=False, indent=1))
        if args.register and result.get("column"):
            code, pid, name = args.register
            if any(p.id == pid for p in items):
                raise UserError(f"portal id {pid!r} already in {path}")
            items.append(registry.Portal(region_code=code, id=pid, name=name, base_url=args.url,
                                         platform=result["platform"] or "auto", columns=[result["column"]],
                                         source=f"xxgk portals discover {args.url}"))
            registry.save(items, path)
            print(f"added {pid} to {path}")
        return 0 if result.get("column") else 1
    raise UserError(f"unknown action {action}")


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
    print(f"registry: {out}\ncrawl them: xxgk crawl --registry {shlex.quote(str(out))} "
          f"-s XXGK_ALLOW_PRIVATE_HOSTS=1   (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        sp.stop()
