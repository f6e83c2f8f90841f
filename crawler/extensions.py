"""Every crawl writes a ``crawl_runs`` row: opened when the spider opens, closed with
Scrapy's stats (plus a per-portal summary) when it closes — also on SIGINT — and
the crawl-health checks of :mod:`crawler.monitoring` (``crawl_runs.alerts``), then the
coverage register and cross-year checks of :mod:`db.register` for what the crawl stored."""
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
        # crawl health (crawler/monitoring.py): alerts into crawl_runs.alerts; a
        # distributed worker's archive is remote — the store-worker checks the whole crawl
        if getattr(archive, "local", True):
            from crawler import monitoring
            spider.xxgk_alerts = monitoring.after_crawl(archive.db, spider.run_id, stats, self.crawler.settings)
            # coverage register and cross-year checks for what this crawl stored
            registry = getattr(spider, "registry_arg", None) or self.crawler.settings.get("XXGK_REGISTRY")
            result = archive.refresh_register(registry)
            spider.logger.info("register refreshed: %s", result)
        spider.close_journal(reason)
