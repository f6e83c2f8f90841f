"""Item pipelines — one job each: spider → item → **download files → parse → validate → deduplicate → store**.

* :class:`crawler.attachments.AttachmentsPipeline`  downloads report files and attachments
* :class:`ParsePipeline`       ``pipelines.parse_document`` on the raw bytes → ``item.record``;
  attachments the parser reads are parsed too: an attachment that is the report (a
  全真版 PDF next to a 文字版 page) is compared with the page (``copies_agree`` check,
  a ``fail`` names the cells that differ); a page that is only a wrapper around its
  attachment takes the attachment's record; an unreadable one is a warning
* :class:`ValidatePipeline`    drops pages the parser says are not reports; counts failed checks
* :class:`DeduplicatePipeline` one report at two URLs is archived once (same bytes)
* :class:`StorePipeline`       ``db.store`` for reports; ``crawl_log`` for blocked and skipped
"""
from __future__ import annotations

import logging
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from scrapy.exceptions import DropItem

from crawler.items import BlockedPage, ReportPage, SkippedLink

logger = logging.getLogger(__name__)


def parse(body: bytes, url: str, encoding: str | None, list_title: str | None = None,
          list_date: str | None = None) -> dict:
    """The one call into the parser (lead's ``pipelines`` package). The list entry's title
    and date are evidence the parser keeps (``list_title`` / ``list_date`` in the record)
    and checks the page's own against."""
    from pipelines import parse_document
    return parse_document(body, url=url, encoding=encoding, list_title=list_title, list_date=list_date)


def _wait(future):
    """Await a concurrent future from the reactor thread (its callback may run in a pool thread)."""
    from twisted.internet import reactor
    from twisted.internet.defer import Deferred
    from scrapy.utils.defer import maybe_deferred_to_future
    d = Deferred()
    future.add_done_callback(lambda f: reactor.callFromThread(d.callback, f.result()))
    return maybe_deferred_to_future(d)


def failed_checks(record: dict) -> int:
    n = 0
    for c in record.get("checks") or []:
        if isinstance(c, dict):
            status = str(c.get("status", c.get("result", ""))).lower()
            if c.get("ok") is False or c.get("passed") is False or status in ("fail", "failed", "error"):
                n += 1
    return n


def tables_parsed(record: dict) -> int:
    return sum(1 for k in ("active_disclosure", "applications", "reviews_litigation") if record.get(k))


class _Base:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def spider(self):
        return self.crawler.spider


class ParsePipeline(_Base):
    """Parses off the reactor: with ``XXGK_PARSE_WORKERS`` > 0 (the default) in a pool of
    worker processes (:class:`pipelines.isolated.ParsePool`), each parse within
    ``XXGK_PARSE_TIMEOUT`` / ``XXGK_PARSE_FILE_TIMEOUT`` seconds and ``XXGK_PARSE_MEMORY_MB``;
    a parse stopped by a limit leaves the page archived unparsed, the limit named in the
    version's warnings and in ``crawl_log`` (event ``parse_limit``), and the crawl goes on.
    Without settings (unit tests) or with 0 workers it parses in-process."""

    def __init__(self, crawler):
        super().__init__(crawler)
        settings = getattr(crawler, "settings", None)
        self.pool = None
        if settings is not None and settings.getint("XXGK_PARSE_WORKERS", 0) > 0:
            from pipelines.isolated import ParsePool
            self.pool = ParsePool(workers=settings.getint("XXGK_PARSE_WORKERS"),
                                  timeout=settings.getfloat("XXGK_PARSE_TIMEOUT", 60.0),
                                  file_timeout=settings.getfloat("XXGK_PARSE_FILE_TIMEOUT", 420.0),
                                  memory_mb=settings.getint("XXGK_PARSE_MEMORY_MB", 1024))

    def close_spider(self, spider=None):
        if self.pool is not None:
            self.pool.close()

    def process_item(self, item, spider=None):
        if not isinstance(item, ReportPage):
            return item
        if self.pool is not None:
            return self._process_in_pool(item)
        try:
            record = parse(item.body, item.final_url or item.url, item.encoding, item.list_title, item.list_date)
        except Exception as exc:  # a page the parser cannot read is still archived raw
            logger.exception("parse failed for %s", item.url)
            self.stats.inc_value("xxgk/parse_errors")
            record = {"title": item.list_title, "kind": "report", "warnings": [f"parse failed: {exc!r}"]}
        files = self.files_to_parse(item)
        parsed = []
        for f, data in files:
            try:
                rec = parse(data, f["url"], None)
            except Exception as exc:  # noqa: BLE001 - a bad file never costs the page
                logger.exception("parse failed for attachment %s", f["url"])
                rec = {"kind": "unreadable", "warnings": [f"parse failed: {exc!r}"]}
            parsed.append((f, rec))
        return self.finish(item, record, parsed)

    async def _process_in_pool(self, item):
        url = item.final_url or item.url
        page = self.pool.submit(item.body, url, item.encoding)
        files = self.files_to_parse(item)
        futures = [(f, self.pool.submit(data, f["url"], None, attachment=True)) for f, data in files]
        record = self.limit_noted(item, url, await _wait(page))
        parsed = [(f, self.limit_noted(item, f["url"], await _wait(fut), attachment=True)) for f, fut in futures]
        return self.finish(item, record, parsed)

    def limit_noted(self, item, url: str, record: dict, attachment: bool = False) -> dict:
        """A parse stopped by a limit: counted, logged and recorded in crawl_log."""
        why = record.get("parse_limit")
        if why:
            self.stats.inc_value("xxgk/parse_limits")
            logger.warning("parse of %s stopped: %s", url, why)
            self.spider.log_event(item.portal, url, "parse_limit", why, item.http_status, item.list_title,
                                  item.list_url)
            if attachment:
                record = {**record, "kind": "unreadable"}
            elif not record.get("title"):
                record = {**record, "title": item.list_title}
        return record

    def finish(self, item: ReportPage, record: dict, parsed: list[tuple[dict, dict]]) -> ReportPage:
        record = dict(record or {})
        if item.attachment_only:
            if item.files:
                item.files[0].update(role="report", parsed_kind=record.get("kind"), tables=tables_parsed(record))
        elif item.files:
            record = self.read_attachments(item, record, parsed)
        if not record.get("title") and item.list_title:
            record["title"] = item.list_title
        if item.clicks is not None:
            record["clicks"] = item.clicks
        seen = {a.get("url") for a in record.get("attachments") or []}
        record["attachments"] = list(record.get("attachments") or []) + [
            a for a in item.attachments if a["url"] not in seen]
        item.record = record
        return item

    @staticmethod
    def files_to_parse(item: ReportPage) -> list[tuple[dict, bytes]]:
        """The downloaded attachments of a report page that the parser reads, with their bytes."""
        from crawler.attachments import PARSEABLE, sniff
        if item.attachment_only:
            return []
        out = []
        for f in item.files:
            f["role"] = "attachment"
            if f.get("status") not in ("downloaded", "not_modified") or not f.get("abspath"):
                continue
            try:
                data = Path(f["abspath"]).read_bytes()
            except OSError as exc:
                f["error"] = f"stored file unreadable: {exc}"
                continue
            if sniff(data[:8192]) in PARSEABLE:
                out.append((f, data))
        return out

    def read_attachments(self, item: ReportPage, record: dict, parsed: list[tuple[dict, dict]]) -> dict:
        """Attachments the parser read: copies of the report compared with the page; a
        page that only wraps its file takes the file's record; an unreadable one is a
        warning on the page (one bad file costs only itself)."""
        from pipelines.formats.compare import compare_copies
        copies = []
        for f, rec in parsed:
            f.update(parsed_kind=rec.get("kind"), tables=tables_parsed(rec), record=slim_record(rec))
            name = PurePosixPath(urlsplit(f["url"]).path).name or f["url"]
            if rec.get("kind") == "report":
                copies.append((f, rec))
            elif rec.get("kind") in ("unreadable", "image_only"):
                why = "; ".join(rec.get("warnings") or []) or rec.get("kind")
                f["error"] = why
                record.setdefault("warnings", []).append(f"attachment {name} could not be read: {why}")
                self.stats.inc_value("xxgk/attachments/unreadable")
                self.spider.count(item.portal, "attachment_warnings")
                logger.warning("attachment %s of %s could not be read: %s", f["url"], item.url, why)
        if not copies:
            return record
        if record.get("kind") == "report" and tables_parsed(record):
            checks = record.setdefault("checks", [])
            for f, rec in copies:   # 文字版 page + 全真版 file: both kept, both parsed, compared
                f["role"] = "copy"
                check = compare_copies(record, rec)
                name = PurePosixPath(urlsplit(f["url"]).path).name
                check["detail"] = f"{name}: {check['detail']}"
                f["copies_check"] = check["status"]
                checks.append(check)
                self.stats.inc_value(f"xxgk/copies_agree/{check['status']}")
            return record
        # the page only wraps its attachment: the report is read from the file
        f, rec = max(copies, key=lambda c: tables_parsed(c[1]))
        f["role"] = "report"
        out = dict(rec)
        out["warnings"] = list(rec.get("warnings") or []) + [
            f"report read from its attachment {f['url']} (the page itself has no tables)"]
        out["attachments"] = record.get("attachments") or []
        out["report_file"] = f["url"]
        for k in ("clicks", "publish_date", "publish_datetime", "source", "agency", "title"):
            if not out.get(k) and record.get(k):
                out[k] = record[k]
        self.stats.inc_value("xxgk/reports_from_attachment")
        return out


def slim_record(rec: dict) -> dict:
    """What the attachments table keeps of a parsed attachment: its numbers, not its text."""
    keep = ("kind", "format", "title", "agency", "report_year", "template", "ocr", "pages", "checks", "warnings",
            "active_disclosure", "applications", "reviews_litigation")
    return {k: rec[k] for k in keep if k in rec}


class ValidatePipeline(_Base):
    def process_item(self, item, spider=None):
        if not isinstance(item, ReportPage):
            return item
        rec = item.record or {}
        if rec.get("kind") == "not_report":
            self.stats.inc_value("xxgk/skipped/parsed_not_report")
            self.spider.log_event(item.portal, item.url, "skipped", "parsed_not_report", item.http_status,
                                  item.list_title, item.list_url)
            raise DropItem(f"not a report according to the parser: {item.url}")
        self.spider.count(item.portal, "checks_failed", failed_checks(rec))
        self.spider.count(item.portal, "tables_parsed", tables_parsed(rec))
        return item


class DeduplicatePipeline(_Base):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.seen: dict[bytes, str] = {}   # SHA-256 (32 raw bytes, not 64 hex digits) -> first URL

    def process_item(self, item, spider=None):
        if not isinstance(item, ReportPage):
            return item
        first = self.seen.setdefault(bytes.fromhex(item.sha256), item.url)
        if first == item.url:
            first = self.spider.archive.url_with_bytes(item.sha256, item.url) or item.url
        if first != item.url:
            self.spider.archive.remember(item.url, item.portal, item.headers.get("ETag"),
                                         item.headers.get("Last-Modified"), item.sha256, item.http_status,
                                         item.fetched_at, item.list_title, item.list_date)
            self.spider.count(item.portal, "duplicate")
            self.spider.log_event(item.portal, item.url, "skipped", f"duplicate of {first}", item.http_status,
                                  item.list_title, item.list_url)
            self.spider.mark_done(item.url)
            raise DropItem(f"same bytes as {first}: {item.url}")
        return item


class StorePipeline(_Base):
    def process_item(self, item, spider=None):
        spider = self.spider
        if isinstance(item, ReportPage):
            portal = spider.portal(item.portal)
            meta = {
                "url": item.url, "final_url": item.final_url, "fetched_at": item.fetched_at,
                "http_status": item.http_status, "encoding": item.encoding,
                "content_type": item.headers.get("Content-Type"),
                "region_code": item.region_code, "portal_url": portal.base_url if portal else None,
                "level": "government" if portal and portal.level in ("county", "city", "district", "province")
                and item.record and item.record.get("agency") == portal.name else None,
            }
            if item.clicks is not None:
                meta.update(clicks=item.clicks, clicks_source="counter")
            result = spider.archive.store_report(item.record or {}, item.body, meta)
            status = getattr(result, "status", "stored")
            self.stats.inc_value(f"xxgk/reports/{status}")
            self.stats.inc_value(f"xxgk/portal/{item.portal}/reports")
            for f in item.files:
                spider.archive.record_attachment(result.report_id, result.version_id, f)
            for url in [item.url, *item.aliases]:   # an alias: the list's URL before a redirect
                spider.archive.remember(url, item.portal, item.headers.get("ETag"),
                                        item.headers.get("Last-Modified"), item.sha256, item.http_status,
                                        item.fetched_at, item.list_title, item.list_date)
                spider.mark_done(url)
            for alias in item.aliases:
                spider.archive.add_alias(alias, item.url, item.portal)
        elif isinstance(item, BlockedPage):
            spider.log_event(item.portal, item.url, "blocked", item.reason, item.http_status)
        elif isinstance(item, SkippedLink):
            spider.log_event(item.portal, item.url, "skipped", item.reason, item.http_status, item.title,
                             item.list_url)
        return item
