"""Item pipelines — one job each: spider → item → **parse → validate → deduplicate → store**.

* :class:`ParsePipeline`       ``pipelines.parse_document`` on the raw bytes → ``item.record``
* :class:`ValidatePipeline`    drops pages the parser says are not reports; counts failed checks
* :class:`DeduplicatePipeline` one report at two URLs is archived once (same bytes)
* :class:`StorePipeline`       ``db.store`` for reports; ``crawl_log`` for blocked and skipped
"""
from __future__ import annotations

import logging

from scrapy.exceptions import DropItem

from crawler.items import BlockedPage, ReportPage, SkippedLink

logger = logging.getLogger(__name__)


def parse(body: bytes, url: str, encoding: str | None) -> dict:
    """The one call into the parser (lead's ``pipelines`` package)."""
    from pipelines import parse_document
    return parse_document(body, url=url, encoding=encoding)


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
    def process_item(self, item, spider=None):
        if not isinstance(item, ReportPage):
            return item
        try:
            record = parse(item.body, item.final_url or item.url, item.encoding)
        except Exception as exc:  # a page the parser cannot read is still archived raw
            logger.exception("parse failed for %s", item.url)
            self.stats.inc_value("xxgk/parse_errors")
            record = {"title": item.list_title, "kind": "report", "warnings": [f"parse failed: {exc!r}"]}
        record = dict(record or {})
        if not record.get("title") and item.list_title:
            record["title"] = item.list_title
        if item.clicks is not None:
            record["clicks"] = item.clicks
        seen = {a.get("url") for a in record.get("attachments") or []}
        record["attachments"] = list(record.get("attachments") or []) + [
            a for a in item.attachments if a["url"] not in seen]
        item.record = record
        return item


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
        self.seen: dict[str, str] = {}

    def process_item(self, item, spider=None):
        if not isinstance(item, ReportPage):
            return item
        first = self.seen.setdefault(item.sha256, item.url)
        if first == item.url:
            first = self.spider.archive.url_with_bytes(item.sha256, item.url) or item.url
        if first != item.url:
            self.spider.archive.remember(item.url, item.portal, item.headers.get("ETag"),
                                         item.headers.get("Last-Modified"), item.sha256, item.http_status,
                                         item.fetched_at)
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
            spider.archive.remember(item.url, item.portal, item.headers.get("ETag"),
                                    item.headers.get("Last-Modified"), item.sha256, item.http_status,
                                    item.fetched_at)
            spider.mark_done(item.url)
        elif isinstance(item, BlockedPage):
            spider.log_event(item.portal, item.url, "blocked", item.reason, item.http_status)
        elif isinstance(item, SkippedLink):
            spider.log_event(item.portal, item.url, "skipped", item.reason, item.http_status, item.title,
                             item.list_url)
        return item
