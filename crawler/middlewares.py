"""Downloader middlewares: the crawler's manners.

* :class:`PortalGuardMiddleware` refuses requests that leave the portal's site, go
  to a private or loopback address, or belong to a portal already recorded as blocked.
  A host is read as the resolver reads it (``2130706433``, ``0x7f000001``, ``0177.1``,
  ``127.1``, ``[::ffff:127.0.0.1]``, ``localhost.`` are all 127.0.0.1); redirects are
  requests too, so each hop is checked.
* :class:`GuardedResolver` (the ``DNS_RESOLVER``) checks the addresses a *name* resolves
  to when the connection is made, so a name (or a sub-domain of a portal's own domain)
  pointing at a private address is refused as well.  ``XXGK_ALLOW_PRIVATE_HOSTS`` (the
  sample portals' setting) lets loopback through, nothing else.
* :class:`BackoffRetryMiddleware` is Scrapy's retry with an exponential pause
  (``RETRY_BACKOFF_BASE`` × 2ⁿ, at most ``RETRY_BACKOFF_MAX``) before each retry, within
  a time budget per URL (``XXGK_URL_TIME_BUDGET`` seconds from its first attempt, across
  retries): a retry's timeout is what is left of it, and no retry starts past it, so a
  server that trickles bytes costs its site's one slot that long, not timeout × retries.
"""
from __future__ import annotations

import ipaddress
import logging
import re
import socket
import time
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.error import DNSLookupError
from twisted.internet.task import deferLater

from crawler.portals import netloc

logger = logging.getLogger(__name__)


_NUMERIC_HOST = re.compile(r"[0-9a-fx.]+")   # what inet_aton may read as an IPv4 address


def host_address(hostname: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host names literally, in any of its spellings, else None (a name).

    Decimal (2130706433), hex (0x7f000001), octal (0177.0.0.1) and short (127.1) IPv4
    are read with ``inet_aton`` semantics, as resolvers and browsers read them;
    IPv4-mapped IPv6 is its IPv4 address; brackets and trailing dots are dropped.
    """
    h = (hostname or "").strip().strip("[]").rstrip(".").lower()
    if not h:
        return None
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        if not (_NUMERIC_HOST.fullmatch(h) and h[0].isdigit()):
            return None
        try:
            ip = ipaddress.IPv4Address(socket.inet_aton(h))
        except OSError:
            return None
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return mapped
    return ip


def address_refused(ip, allow_loopback: bool = False) -> str | None:
    """Why *ip* may not be crawled (None: a public address)."""
    if ip.is_loopback:
        return None if allow_loopback else "loopback"
    if ip.is_unspecified or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_private \
            or not ip.is_global:
        return "private"
    return None


def is_private_host(hostname: str | None, allow_loopback: bool = False) -> bool:
    """Whether the host, as written in a URL, is a private or loopback address or name."""
    h = (hostname or "").strip().strip("[]").rstrip(".").lower()
    if not h:
        return True
    if h == "localhost" or h.endswith(".localhost") or h.endswith(".local"):
        return not (allow_loopback and (h == "localhost" or h.endswith(".localhost")))
    ip = host_address(h)
    return ip is not None and address_refused(ip, allow_loopback) is not None


#: names the resolver refused in this process (name -> address): the guard refuses their
#: requests before they connect, and turns their lookup failure into a refusal
REFUSED_NAMES: dict[str, str] = {}


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing names that resolve to private addresses
    (checked on every lookup, cached or not, so on every connection).  Built from the
    crawler *process* (one reactor for all its crawls): it has settings, no stats; a
    refusal is logged and fails the request with ``DNSLookupError``."""

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow_loopback = crawler.settings.getbool("XXGK_ALLOW_PRIVATE_HOSTS")
        return resolver

    allow_loopback = False

    def getHostByName(self, name: str, timeout=()):
        d = super().getHostByName(name, timeout)
        d.addCallback(self._check, name)
        return d

    def _check(self, address: str, name: str) -> str:
        ip = host_address(address)
        why = "unreadable" if ip is None else address_refused(ip, self.allow_loopback)
        if why:
            if name.lower() not in REFUSED_NAMES:
                logger.warning("refused: %s resolves to %s (%s address)", name, address, why)
            REFUSED_NAMES[name.lower()] = address
            raise DNSLookupError(f"refused: {name} resolves to a {why} address ({address})")
        return address


def host_allowed(url: str, allowed: set[str]) -> bool:
    """Same ``host:port`` as one of *allowed*, or (for names, not IPs) a sub-domain of
    its registrable part (``jb.zhecheng.gov.cn`` for ``www.zhecheng.gov.cn``)."""
    loc = netloc(url)
    if loc in allowed:
        return True
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host_address(host) is not None:
        return False
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
        self.allow_loopback = crawler.settings.getbool("XXGK_ALLOW_PRIVATE_HOSTS")

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
        try:
            parts = urlsplit(request.url)
            hostname = parts.hostname
            parts.port   # noqa: B018 - raises on a port out of range
        except ValueError:
            self._refuse(request, "bad_url")
        if parts.scheme not in ("http", "https"):
            self._refuse(request, "scheme")
        if is_private_host(hostname, self.allow_loopback) or (hostname or "") in REFUSED_NAMES:
            self._refuse(request, "private_address")
        portal_id = request.meta.get("portal")
        hosts_for = getattr(spider, "allowed_hosts", None)
        if hosts_for is not None:
            if not host_allowed(request.url, hosts_for(portal_id)):
                self._refuse(request, "offsite")
        if portal_id and portal_id in getattr(spider, "blocked", ()):
            self._refuse(request, "portal_blocked")
        return None

    def process_exception(self, request: Request, exception, spider=None):
        """A lookup the resolver refused is a refusal, not a network error."""
        if (urlsplit(request.url).hostname or "") in REFUSED_NAMES:
            self._refuse(request, "private_address")
        return None


class BackoffRetryMiddleware(RetryMiddleware):
    FIRST = "xxgk_first_attempt"

    def __init__(self, settings):
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)
        self.budget = settings.getfloat("XXGK_URL_TIME_BUDGET", 0.0)   # 0: no budget

    def _delay(self, n: int) -> float:
        return min(self.base * 2 ** (n - 1), self.cap) if self.base > 0 else 0.0

    def _left(self, request: Request) -> float:
        return self.budget - (time.monotonic() - request.meta.get(self.FIRST, time.monotonic()))

    def process_request(self, request: Request, spider=None):
        if self.budget <= 0:
            return None
        request.meta.setdefault(self.FIRST, time.monotonic())
        if request.meta.get("retry_times"):
            left = self._left(request)
            timeout = request.meta.get("download_timeout") or left
            request.meta["download_timeout"] = max(1.0, min(timeout, left))
        return None

    def _within_budget(self, request: Request, result) -> bool:
        """False when the retry *result* would start past the URL's time budget."""
        if not isinstance(result, Request) or self.budget <= 0:
            return True
        if self._left(request) - self._delay(result.meta.get("retry_times", 1)) >= 1.0:
            return True
        self.crawler.stats.inc_value("xxgk/retry/time_budget_exceeded")
        logger.info("not retried: %s has used its %gs time budget", request.url, self.budget)
        return False

    async def _pause(self, result):
        if isinstance(result, Request) and self.base > 0:
            delay = self._delay(result.meta.get("retry_times", 1))
            self.crawler.stats.inc_value("xxgk/retry_backoff_seconds", delay)
            from twisted.internet import reactor
            await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))
        return result

    async def process_response(self, request, response, spider=None):
        result = super().process_response(request, response)
        if not self._within_budget(request, result):
            return response
        return await self._pause(result)

    async def process_exception(self, request, exception, spider=None):
        result = super().process_exception(request, exception)
        if not self._within_budget(request, result):
            return None
        return await self._pause(result)
