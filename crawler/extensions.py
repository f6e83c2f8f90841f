"""Every crawl writes a ``crawl_runs`` row: opened when the spider opens, closed with
Scrapy's stats (plus a per-portal summary) when it closes — also on SIGINT."""
from __future__ import annotations

from scrapy import signals


class CrawlRunExtension:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider, reason):
        archive = getattr(spider, "archive", None)
        if archive is None or getattr(spider, "run_id", None) is None:
            return
        stats = dict(self.crawler.stats.get_stats())
        stats["finish_reason"] = reason
        stats["xxgk/portals"] = spider.portal_summary()
        archive.finish_run(spider.run_id, stats)
        spider.close_journal(reason)
