"""Downloader middlewares: the crawler's manners.

* :class:`PortalGuardMiddleware` refuses requests that leave the portal's site, go
  to a private or loopback address (unless ``XXGK_ALLOW_PRIVATE_HOSTS``), or belong to
  a portal already recorded as blocked.
* :class:`BackoffRetryMiddleware` is Scrapy's retry with an exponential pause
  (``RETRY_BACKOFF_BASE`` × 2ⁿ, at most ``RETRY_BACKOFF_MAX``) before each retry.
"""
from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

from crawler.portals import netloc

logger = logging.getLogger(__name__)


def is_private_host(hostname: str | None) -> bool:
    if not hostname:
        return True
    h = hostname.strip("[]").lower()
    if h == "localhost" or h.endswith(".localhost") or h.endswith(".local"):
        return True
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        return False
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_unspecified


def host_allowed(url: str, allowed: set[str]) -> bool:
    """Same ``host:port`` as one of *allowed*, or (for names, not IPs) a sub-domain of
    its registrable part (``jb.zhecheng.gov.cn`` for ``www.zhecheng.gov.cn``)."""
    loc = netloc(url)
    if loc in allowed:
        return True
    host = (urlsplit(url).hostname or "").lower()
    try:
        ipaddress.ip_address(host)
        return False
    except ValueError:
        pass
    for a in allowed:
        ahost = a.split(":")[0]
        try:
            ipaddress.ip_address(ahost)
            continue
        except ValueError:
            pass
        base = ahost[4:] if ahost.startswith("www.") else ahost
        if base.count(".") >= 2 and (host == base or host.endswith("." + base)):
            return True
    return False


class PortalGuardMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        self.allow_private = crawler.settings.getbool("XXGK_ALLOW_PRIVATE_HOSTS")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _refuse(self, request: Request, why: str):
        self.crawler.stats.inc_value(f"xxgk/refused/{why}")
        spider = self.crawler.spider
        if hasattr(spider, "note_refused"):
            spider.note_refused(request, why)
        raise IgnoreRequest(f"refused ({why}): {request.url}")

    def process_request(self, request: Request, spider=None):
        spider = self.crawler.spider
        if urlsplit(request.url).scheme not in ("http", "https"):
            self._refuse(request, "scheme")
        if not self.allow_private and is_private_host(urlsplit(request.url).hostname):
            self._refuse(request, "private_address")
        portal_id = request.meta.get("portal")
        hosts_for = getattr(spider, "allowed_hosts", None)
        if hosts_for is not None:
            if not host_allowed(request.url, hosts_for(portal_id)):
                self._refuse(request, "offsite")
        if portal_id and portal_id in getattr(spider, "blocked", ()):
            self._refuse(request, "portal_blocked")
        return None


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings):
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    async def _pause(self, result):
        if isinstance(result, Request) and self.base > 0:
            n = result.meta.get("retry_times", 1)
            delay = min(self.base * 2 ** (n - 1), self.cap)
            self.crawler.stats.inc_value("xxgk/retry_backoff_seconds", delay)
            from twisted.internet import reactor
            await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))
        return result

    async def process_response(self, request, response, spider=None):
        return await self._pause(super().process_response(request, response))

    async def process_exception(self, request, exception, spider=None):
        return await self._pause(super().process_exception(request, exception))
