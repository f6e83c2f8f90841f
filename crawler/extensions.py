"""Crawl-wide bookkeeping, outside the spider:

* :class:`CrawlRunExtension` — every crawl writes a ``crawl_runs`` row: opened when the spider
  opens, closed with Scrapy's stats (plus a per-portal summary) when it closes — also on
  SIGINT — and the crawl-health checks of :mod:`crawler.monitoring` (``crawl_runs.alerts``),
  each portal's verdict in the archive's ``portals`` table (:mod:`db.portals`), then the
  coverage register and cross-year checks of :mod:`db.register` for what the crawl stored.
  When the spider opens, a portal whose registry row names no column starts from the columns
  the archive's ``portals`` table remembers (found by an earlier crawl or set by a person)
  instead of discovering them again.
* :class:`PortalProgressMiddleware` — a downloader middleware, outermost (it sees each request
  once and its final outcome, after retries): tracks what every portal still has queued or
  in flight — discovery (home, hub), list, article and counter requests alike — for the
  progress line. (A portal's status and its ``unreachable`` / ``robots_pages`` counts are
  the spider's: :meth:`crawler.spiders.navigation.Navigation.portal_status`.)
* :class:`ProgressExtension` — one status line on stderr every ``XXGK_PROGRESS_INTERVAL``
  seconds (default 30; 0: off): portals done/total, reports new/unchanged, errors, elapsed,
  and an estimate of what is left.
"""
from __future__ import annotations

import logging
import sys
import time
from collections import defaultdict

from scrapy import signals


def known_columns(spider, known: dict[str, dict]) -> int:
    """Give each selected portal without registry columns the columns the archive knows
    (``db.portals.known``; its sub-lists left out: the crawl finds them again on the column
    page); returns how many portals got some. Each column keeps the ``how``/``via`` it was
    found with (the spider's findings), the portal's ``how_found`` says ``archive (…)``, and
    the portal's allowed hosts are widened to the columns' hosts (a column on a sub-site)."""
    from db.portals import starting_columns
    n = 0
    origin = getattr(spider, "xxgk_how_found", None)
    if origin is None:
        origin = spider.xxgk_how_found = {}
    for p in getattr(spider, "portals", []):
        if p.columns:
            origin.setdefault(p.id, "registry")
            continue
        k = known.get(p.id)
        cols = starting_columns((k or {}).get("columns"))
        if not cols:
            continue
        for c in cols:
            if c["url"] not in p.columns:
                p.columns.append(c["url"])
            if hasattr(spider, "found_column"):   # remembered before the registry's "registry" label
                spider.found_column(p, c["url"], c["how"] or "archive", c["via"])
        origin[p.id] = f"archive ({cols[0]['how'] or 'an earlier crawl'})"   # how it was first found
        hosts = getattr(spider, "_hosts", None)
        if isinstance(hosts, dict):
            hosts[p.id] = p.hosts
            spider._all_hosts = set().union(*hosts.values()) if hosts else set()
        n += 1
    return n


def portal_records(summary: dict[str, dict], portals: dict, how_found: dict[str, str],
                   finished: bool = True) -> list[dict]:
    """Rows for ``db.portals.record_crawl`` from the spider's per-portal summary (the names
    of :mod:`crawler.monitoring`). *portals* maps id → registry Portal (its columns as the
    crawl ended, for a summary without ``columns``); *how_found* id → ``registry`` or
    ``archive (…)``, where the crawl started from. A crawl that did not finish records only
    portals it reached a verdict on (read a list, blocked, failed)."""
    from crawler.monitoring import portal_status, yielded
    from db.portals import NO_COLUMN, columns_of
    rows = []
    for pid, s in summary.items():
        status, why = portal_status(s)
        if not finished and status == NO_COLUMN:
            continue   # interrupted before its column was searched: no verdict
        p = portals.get(pid)
        how = how_found.get(pid) or s.get("how_found") or ""
        cols = columns_of(s.get("columns") or (p.columns if p is not None else []), how or None)
        rows.append({"id": pid, "region_code": p.region_code if p is not None else None,
                     "name": s.get("name") or (p.name if p is not None else None),
                     "platform": s.get("platform") or None, "columns": cols, "how_found": how,
                     "status": status, "status_reason": why, "reports": yielded(s), "lists": s.get("lists", 0)})
    return rows


def record_portals(db, run_id: int | None, stats: dict, portals: dict, how_found: dict[str, str] | None = None) -> int:
    """Each portal's verdict of a closed crawl (*stats* with ``xxgk/portals`` and
    ``finish_reason``) into the archive's ``portals`` table: the one call of a local crawl's
    close and of the store-worker's (a distributed crawl)."""
    from db import portals as portal_table
    rows = portal_records(stats.get("xxgk/portals") or {}, portals, how_found or {},
                          finished=stats.get("finish_reason") in (None, "finished"))
    return portal_table.record_crawl(db, run_id, rows)


class CrawlRunExtension:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        archive = getattr(spider, "archive", None)
        if archive is None or not getattr(archive, "local", True) or not hasattr(archive, "db"):
            return
        from db import portals as portal_table
        n = known_columns(spider, portal_table.known(archive.db))
        if n:
            spider.logger.info("%d portals start from the columns the archive knows", n)

    def spider_closed(self, spider, reason):
        archive = getattr(spider, "archive", None)
        if archive is None or getattr(spider, "run_id", None) is None:
            return
        stats = dict(self.crawler.stats.get_stats())
        stats["finish_reason"] = reason
        stats["xxgk/portals"] = spider.portal_summary()
        archive.finish_run(spider.run_id, stats)
        # crawl health (crawler/monitoring.py): alerts into crawl_runs.alerts; a
        # distributed worker's archive is remote — the store-worker checks the whole crawl
        if getattr(archive, "local", True):
            from crawler import monitoring
            spider.xxgk_alerts = monitoring.after_crawl(archive.db, spider.run_id, stats, self.crawler.settings)
            record_portals(archive.db, spider.run_id, stats, getattr(spider, "by_id", {}),
                           getattr(spider, "xxgk_how_found", {}))
            # coverage register and cross-year checks for what this crawl stored
            registry = getattr(spider, "registry_arg", None) or self.crawler.settings.get("XXGK_REGISTRY")
            result = archive.refresh_register(registry)
            spider.logger.info("register refreshed: %s", result)
        spider.close_journal(reason)


def _error_reason(exc: Exception) -> str:
    name = type(exc).__name__
    text = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
    return f"{name}: {text}" if text else name


class PortalProgressMiddleware:
    """Outermost downloader middleware (``DOWNLOADER_MIDDLEWARES`` priority 1)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.queued: dict[str, int] = defaultdict(int)     # scheduled, not yet handed to the downloader
        self.inflight: dict[str, int] = defaultdict(int)   # in the downloader (retries included)
        self.started: set[str] = set()
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.request_dropped, signal=signals.request_dropped)
        crawler.xxgk_portal_progress = self

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    # -- progress: what each portal still has to do ---------------------------------
    def request_scheduled(self, request, spider=None):
        pid = request.meta.get("portal")
        if pid:
            self.queued[pid] += 1
            self.started.add(pid)

    def request_dropped(self, request, spider=None):
        """A scheduled request the scheduler refused (the duplicate filter): not queued."""
        pid = request.meta.get("portal")
        if pid and self.queued[pid] > 0:
            self.queued[pid] -= 1

    def pending(self, pid: str) -> int:
        return self.queued.get(pid, 0) + self.inflight.get(pid, 0)

    def done(self) -> int:
        """Portals that started and have nothing queued or in flight."""
        return sum(1 for pid in self.started if self.pending(pid) <= 0)

    def _finish(self, request) -> None:
        pid = request.meta.get("portal")
        if pid and request.meta.get("xxgk_inflight"):
            self.inflight[pid] -= 1

    def process_request(self, request, spider=None):
        pid = request.meta.get("portal")
        if pid:
            if self.queued[pid] > 0:
                self.queued[pid] -= 1
            if not request.meta.get("xxgk_inflight"):   # a retry or redirect carries the flag along
                request.meta["xxgk_inflight"] = True
                self.inflight[pid] += 1
        return None

    def process_response(self, request, response, spider=None):
        self._finish(request)
        return response

    def process_exception(self, request, exception, spider=None):
        self._finish(request)
        return None


# network failures of a portal that is down: one line each, no traceback (its status says it)
NETWORK_ERRORS = ("CannotResolveHostError", "DNSLookupError", "DownloadConnectionRefusedError",
                  "ConnectionRefusedError", "DownloadTimeoutError", "TimeoutError", "TCPTimedOutError",
                  "ConnectError", "DownloadFailedError", "ResponseNeverReceived", "ConnectionLost")
QUIET_LOGGERS = ("scrapy.core.scraper", "scrapy.downloadermiddlewares.robotstxt")


class OneLineNetworkErrors(logging.Filter):
    """Drop the traceback of a download that failed because the site did not answer."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and type(exc).__name__ in NETWORK_ERRORS:
            record.msg = f"{record.getMessage()}: {_error_reason(exc)}"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


def quiet_network_errors() -> None:
    for name in QUIET_LOGGERS:
        lg = logging.getLogger(name)
        if not any(isinstance(f, OneLineNetworkErrors) for f in lg.filters):
            lg.addFilter(OneLineNetworkErrors())


def _hms(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def progress_line(done: int, total: int, stats: dict, elapsed: float) -> str:
    """``portals 12/2733 · reports 40 new, 100 unchanged · errors 5 · 0:12:30 elapsed · ETA 1:02:00``"""
    new = int(stats.get("xxgk/reports") or 0)
    unchanged = int(stats.get("xxgk/unchanged") or 0)
    errors = sum(int(stats.get(k) or 0) for k in ("xxgk/dead", "xxgk/unreachable", "xxgk/blocked"))
    if 0 < done < total:
        eta = _hms(elapsed / done * (total - done))
    else:
        eta = "0:00:00" if total and done >= total else "?"
    return (f"portals {done}/{total} · reports {new} new, {unchanged} unchanged · errors {errors} · "
            f"{_hms(elapsed)} elapsed · ETA {eta}")


class ProgressExtension:
    def __init__(self, crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.t0 = time.monotonic()
        self.task = None

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler, crawler.settings.getfloat("XXGK_PROGRESS_INTERVAL", 30.0))
        quiet_network_errors()
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def line(self) -> str:
        spider = self.crawler.spider
        total = len(getattr(spider, "portals", []) or [])
        tracker = getattr(self.crawler, "xxgk_portal_progress", None)
        done = tracker.done() if tracker is not None else 0
        return progress_line(min(done, total), total, self.crawler.stats.get_stats(), time.monotonic() - self.t0)

    def tick(self) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {self.line()}", file=sys.stderr, flush=True)

    def spider_opened(self, spider):
        self.t0 = time.monotonic()
        if self.interval > 0:
            from twisted.internet import task
            self.task = task.LoopingCall(self.tick)
            self.task.start(self.interval, now=False)

    def spider_closed(self, spider, reason):
        if self.task is not None and self.task.running:
            self.task.stop()
        if self.interval > 0:
            self.tick()
