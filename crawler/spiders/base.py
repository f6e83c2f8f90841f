"""The base portal spider: everything that is the same on every publishing platform.

Contract of a platform spider (subclass of :class:`PortalSpider`)
-----------------------------------------------------------------
A platform spider sets ``name`` and ``platform`` and may override these hooks; each
is called with the *running* spider as ``self`` (the ``portals`` spider calls the
hooks of each portal's platform class on itself), so hooks use only the helpers of
this base class:

``start_portal(portal)``
    requests for a portal: by default one list request per column URL, or the home
    page (discovery, :mod:`.navigation`) when the registry gives no column.
``parse_list(response, portal)``
    yields :class:`Link` entries (an article: url, title, date) and requests for
    further list pages (built with :meth:`list_request`, which applies the page cap and
    the time budget).  Default: rows in any markup (:func:`.lists.generic_links`),
    script and link pagination, malformed links recorded as skipped.  After it, the
    sub-lists the page links (per year, department, township, an iframe) are followed
    for every platform (:meth:`Navigation.follow_sub_lists`).
``counter_url(response, portal)``
    the click-counter URL of an article page, or ``None``.  Called once per article
    per crawl.
``read_clicks(text)``
    the count from the counter's answer.

Everything else is done here, identically for all platforms: portal selection
(``-a region=CODE_PREFIX``, ``-a portal=ID``, ``-a registry=FILE``), the report/skip
decision by title (:mod:`crawler.classify`), dead links, JavaScript challenges
(recorded as blocked, the portal skipped), conditional requests and the content
check (incremental crawls), the re-validation window, the resume journal, reports
published only as a file (an item whose file the attachments pipeline downloads),
and the items (:mod:`crawler.items`).
A spider never parses a report: items carry raw bytes to the item pipelines.

What a crawl found, per portal (for the registry's ``portals`` table)
----------------------------------------------------------------------
:meth:`portal_summary` — stored by the CrawlRunExtension as
``crawl_runs.stats["xxgk/portals"][portal_id]``, read by crawl health
(:mod:`crawler.monitoring`, which documents every key), written into the archive's
``portals`` table (:mod:`db.portals`) and printed by ``xxgk demo`` / ``xxgk crawl`` — holds
the counts (reports, unchanged, fresh, skipped, dead, lists, capped, malformed, sublists,
sublist_links, unreachable, robots_pages, …), ``column_links`` and, from
:meth:`Navigation.portal_status`::

    "status":        one of db.portals.STATUSES: "ok" | "no_column" | "unreachable" | "blocked" | "robots"
    "status_reason": why (the first failure, the list pages read, …)
    "platform":      fingerprinted platform, else the registry's
    "columns":       [{"url": …, "how": "registry" | "link text: 政府信息公开年报" |
                       "platform path: /zfxxgknb/ (trs)" | "year: 2024年度" | "subcolumn: 部门年报" |
                       "agency: 财政局" | "iframe" | "search" | an archive's remembered how,
                       "via": page it was linked from}]
    "how_found":     the first column's how

``status`` is ``ok`` once a list page of the portal was read.  Events the crawl log gets:
``skipped`` with reason ``no report column found``, ``… page unreachable: …``,
``robots.txt disallows …``, ``malformed link: …``; ``capped`` when the page cap or the
time budget stopped a column.

Modules (one job each)
----------------------
:mod:`.selection` which portals a crawl covers and which hooks handle each;
:mod:`.navigation` from a portal to its columns and through their list pages;
:mod:`.lists` reading a list page (entries and further pages; pure functions);
:mod:`.freshness` which listed article needs a request, and its conditional headers;
:mod:`.journal` the resume journal of a job; this module: the spider itself (the
report/skip decision, articles, challenges, counters, items).

Incremental crawls
------------------
List pages are always re-read.  An article whose list entry (URL, title, date) is the
same as when it was last *validated* — archived by an earlier crawl, or confirmed
unchanged by a 304 / the content check — less than ``XXGK_REVALIDATE_DAYS`` (default 7)
ago is not requested at all (counted as ``unchanged`` and ``fresh``).  Older, or with a changed list
entry, it gets a conditional request (ETag / Last-Modified) and, failing that, the
content check (same SHA-256 as archived); either confirmation renews the window.
``XXGK_REVALIDATE_DAYS=0`` re-validates every article on every crawl.  A click counter
is called only for an article whose page is downloaded (new or changed), once per
crawl: fresh and unchanged articles get no counter call.
"""
from __future__ import annotations

import hashlib
import logging
import re
from urllib.parse import urlsplit

import scrapy
from scrapy.settings import Settings
from scrapy.http import Request, Response

from crawler import classify
from crawler import portals as registry
from crawler.items import BlockedPage, ReportPage, SkippedLink
from crawler.spiders.freshness import Freshness, revalidate_after
from crawler.spiders.journal import Journal
from crawler.spiders.lists import (ATTACHMENT_RE, DATE_RE, PAGER_HREF, PAGER_TEXT, REPORT_FILE_RE, Link,  # noqa: F401
                                   article_pages, clean, generic_links, generic_pages, join_article_pages,
                                   norm_date)
from crawler.spiders.navigation import HANDLED, Navigation
from crawler.spiders.selection import PortalSelection

logger = logging.getLogger(__name__)

CHALLENGE_RE = re.compile(rb"\$_ts\s*=|__jsl_clearance|_\$[a-zA-Z]{2}\s*=|<noscript>.*?enable javascript", re.I | re.S)


CANONICAL_HEADERS = {"etag": "ETag", "last-modified": "Last-Modified", "content-type": "Content-Type",
                     "content-length": "Content-Length", "content-disposition": "Content-Disposition"}


def header_dict(response: Response) -> dict[str, str]:
    """The response headers with their usual spelling.  Scrapy normalises names
    (``Etag``), so a pipeline asking for ``ETag`` found nothing and conditional
    requests fell back to Last-Modified: names are matched case-insensitively here."""
    out = {}
    for k, v in response.headers.items():
        name = k.decode("latin-1")
        out[CANONICAL_HEADERS.get(name.lower(), name)] = b", ".join(v).decode("latin-1")
    return out


class PortalSpider(PortalSelection, Navigation, Freshness, scrapy.Spider):
    """Crawl every registered portal (``scrapy crawl portals``), each with its platform's
    hooks.  See the module docstring for the contract of platform spiders."""

    name = "portals"
    platform: str | None = None     # None: every portal, dispatched by its registry platform

    def __init__(self, region: str | None = None, portal: str | None = None, registry_file: str | None = None,
                 registry: str | None = None, url: str | None = None, db: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.region_arg, self.portal_arg = region, portal
        self.registry_arg = registry or registry_file
        self.url_arg = url
        self.db_arg = db
        self.blocked: set[str] = set()
        self.detected: dict[str, str] = {}
        self.seen_links: set[str] = set()
        self.seen_lists: set[str] = set()
        self.summary: dict[str, dict[str, int]] = {}
        self.counter_values: dict[str, int | None] = {}
        self.run_id: int | None = None
        self.archive = None
        self.journal = Journal(None)
        self.nav_setup(Settings())   # defaults; setup() applies the crawl's settings

    @property
    def done(self) -> set[str]:
        return self.journal.done

    # -- setup -----------------------------------------------------------------
    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup(crawler.settings)
        return spider

    def setup(self, settings) -> None:
        from scrapy.utils.misc import load_object

        from crawler.archive import CrawlArchive
        self.select(registry.load(self.registry_arg or settings.get("XXGK_REGISTRY")))
        self.incremental = settings.getbool("XXGK_INCREMENTAL", True)
        self.download_files = settings.getbool("XXGK_ATTACHMENTS", True)
        self.blocked_statuses = set(settings.getlist("XXGK_BLOCKED_STATUSES") and
                                    [int(s) for s in settings.getlist("XXGK_BLOCKED_STATUSES")])
        archive_cls = load_object(settings.get("XXGK_ARCHIVE_CLASS") or (   # distributed: a Redis proxy
            "crawler.distributed.RedisArchive" if settings.get("XXGK_REDIS_URL") else CrawlArchive))
        self.archive = archive_cls.from_settings(settings) if hasattr(archive_cls, "from_settings") \
            else archive_cls(self.db_arg or settings.get("XXGK_DB"))
        cache_mb = settings.getint("XXGK_SQLITE_CACHE_MB", 0)
        if cache_mb > 0 and hasattr(self.archive, "limit_cache"):
            self.archive.limit_cache(cache_mb)
        self.state = self.archive.fetch_state() if self.incremental else {}
        self.revalidate_after = revalidate_after(settings.getfloat("XXGK_REVALIDATE_DAYS", 7.0))
        self.run_id = self.archive.start_run(self.name)
        self.journal = Journal(settings.get("JOBDIR"))
        self.nav_setup(settings)
        for p in self.portals:
            self.summary[p.id] = {"reports": 0, "skipped": 0, "blocked": 0, "dead": 0, "lists": 0,
                                  "unchanged": 0, "fresh": 0, "refused": 0}

    # -- helpers used by platform hooks ------------------------------------------
    def count(self, portal: registry.Portal | str, key: str, n: int = 1) -> None:
        pid = portal if isinstance(portal, str) else portal.id
        self.summary.setdefault(pid, {}).setdefault(key, 0)
        self.summary[pid][key] += n
        self.crawler.stats.inc_value(f"xxgk/{key}", n)

    def portal_summary(self) -> dict:
        out = {}
        for pid, s in self.summary.items():
            p = self.portal(pid)
            st = self.portal_status(pid)
            out[pid] = {**s, "name": p.name if p else pid, **st,
                        "platform": self.detected.get(pid, st["platform"] or (p.platform if p else "")),
                        # where the crawl started: registry, archive (…) — else how it was discovered
                        "how_found": getattr(self, "xxgk_how_found", {}).get(pid) or st["how_found"]}
        return out

    def log_event(self, portal: str, url: str, event: str, reason: str, http_status=None, title=None,
                  list_url=None) -> None:
        if self.archive is not None:
            self.archive.log(self.run_id, portal, url, event, reason, http_status, title, list_url)

    def mark_done(self, url: str) -> None:
        """Journal a URL archived (or confirmed unchanged) by this job (:mod:`.journal`)."""
        self.journal.mark(url)

    def close_journal(self, reason: str) -> None:
        self.journal.close(reason)

    def note_refused(self, request: Request, why: str) -> None:
        pid = request.meta.get("portal")
        if pid:
            self.count(pid, "refused")
            self.log_event(pid, request.url, "refused", why)

    # -- callbacks ---------------------------------------------------------------
    def challenge(self, response: Response) -> str | None:
        if response.status in self.blocked_statuses:
            kind = "$_ts" if b"$_ts" in response.body else ("__jsl_clearance" if b"jsl" in response.body else "")
            return f"HTTP {response.status} JavaScript challenge {kind}".strip()
        if response.status == 200 and len(response.body) < 20000 and CHALLENGE_RE.search(response.body):
            return "JavaScript challenge page (HTTP 200)"
        return None

    def blocked_item(self, response: Response, portal: registry.Portal, reason: str):
        if portal.id not in self.blocked:
            self.blocked.add(portal.id)
            self.count(portal, "blocked")
            logger.warning("portal %s is behind a JavaScript challenge: recorded as blocked, skipped", portal.id)
        return BlockedPage(portal=portal.id, region_code=portal.region_code, url=response.url,
                           http_status=response.status, reason=reason)

    def answering_portal(self, response: Response, portal_id: str):
        """(portal, blocked item): the portal still to crawl, else None; the item that
        records a JavaScript challenge in this answer (the portal is then skipped)."""
        portal = self.portal(portal_id)
        if portal is None or portal.id in self.blocked:
            return None, None
        reason = self.challenge(response)
        if reason:
            return None, self.blocked_item(response, portal, reason)
        return portal, None

    def on_link(self, link: Link, portal: registry.Portal, list_url: str, column: str):
        url = link.url.split("#")[0]
        if url in self.seen_links:
            return
        self.seen_links.add(url)
        verdict, reason = classify.classify_title(link.title)
        if verdict != "report" and not classify.maybe_report(link.title):
            self.count(portal, "skipped")
            yield SkippedLink(portal=portal.id, region_code=portal.region_code, url=url, title=link.title,
                              reason=reason, list_url=list_url)
            return
        file_report = ATTACHMENT_RE.search(urlsplit(url).path)
        if file_report and not (REPORT_FILE_RE.search(urlsplit(url).path) and self.download_files):
            # a report published only as a file of a kind the parser does not read (or
            # downloading is switched off): recorded, not archived
            self.count(portal, "skipped")
            yield SkippedLink(portal=portal.id, region_code=portal.region_code, url=url, title=link.title,
                              reason="attachment_only", list_url=list_url)
            return
        if url in self.done:
            self.crawler.stats.inc_value("xxgk/resumed_skip")
            return
        if self.over_budget(portal, url):
            return
        if self.fresh(url, link):
            self.count(portal, "unchanged")   # known unchanged, so health checks see it listed
            self.count(portal, "fresh")       # … without asking: the re-validation window
            return
        if file_report:
            # a report published only as a file: the attachments pipeline downloads it
            # (conditionally, with the same manners) and the parse pipeline reads it
            hooks = self.hooks(portal)
            yield ReportPage(
                portal=portal.id, region_code=portal.region_code,
                platform=self.detected.get(portal.id, portal.platform if hooks.platform is None else hooks.platform),
                url=url, final_url=url, http_status=0, headers={}, body=b"", encoding=None, list_url=list_url,
                list_title=link.title, list_date=link.date, column=column, attachment_only=True,
                attachments=[{"url": url, "text": link.title}])
            return
        headers = {"Referer": list_url, **self.conditional_headers(url)}
        yield Request(url, callback=self.on_article, errback=self.on_article_error, headers=headers,
                      meta={"portal": portal.id, "kind": "article", "handle_httpstatus_list": HANDLED},
                      cb_kwargs={"portal_id": portal.id, "link": link, "list_url": list_url, "column": column})

    def on_article_error(self, failure):
        request = failure.request
        pid = request.meta.get("portal")
        if str(failure.value).startswith("refused ("):
            return []   # the portal guard refused it (e.g. the portal is blocked): counted and logged there
        if pid:
            robots = "robots.txt" in str(failure.value)
            self.count(pid, "robots" if robots else "dead")
            p = self.portal(pid)
            link = request.cb_kwargs.get("link")
            return [SkippedLink(portal=pid, region_code=p.region_code if p else "", url=request.url,
                                title=link.title if link else None,
                                reason="robots_disallowed" if robots else f"error: {failure.value!r}"[:200],
                                list_url=request.cb_kwargs.get("list_url"))]
        return []

    def on_article(self, response: Response, portal_id: str, link: Link, list_url: str, column: str):
        portal, blocked = self.answering_portal(response, portal_id)
        if blocked is not None:
            yield blocked
        if portal is None:
            return
        # a report reached through a redirect is the report at its final URL; the URL
        # the list gave is kept as its alias (and remembered for the next crawl's lists)
        first = response.meta["redirect_urls"][0] if response.meta.get("redirect_urls") else response.request.url
        url = response.url
        aliases = [first] if first != url else []
        if aliases:
            self.seen_links.add(url)
        if response.status == 304:
            self.confirmed_unchanged(portal, url, link, "not_modified")
            for alias in aliases:
                if self.archive is not None:
                    self.archive.touch(alias, link.title, link.date)
            return
        if response.status != 200:
            self.count(portal, "dead")
            yield SkippedLink(portal=portal.id, region_code=portal.region_code, url=first, title=link.title,
                              reason="dead_link", list_url=list_url, http_status=response.status)
            return
        sha = hashlib.sha256(response.body).hexdigest()
        st = self.state.get(url) or self.state.get(first)
        if st is not None and st.sha256 == sha and not article_pages(response):
            self.confirmed_unchanged(portal, url, link, "content_unchanged")
            return
        hooks = self.hooks(portal)
        item = ReportPage(
            portal=portal.id, region_code=portal.region_code,
            platform=self.detected.get(portal.id, portal.platform if hooks.platform is None else hooks.platform),
            url=url, final_url=response.url, http_status=response.status, headers=header_dict(response),
            body=response.body, encoding=getattr(response, "encoding", None), list_url=list_url,
            list_title=link.title, list_date=link.date, column=column,
            attachments=self.attachments(response), aliases=aliases)
        counter = hooks.counter_url(self, response, portal) if hasattr(response, "text") else None
        rest = article_pages(response)
        if rest:   # a TRS article split over t…_1.html, t…_2.html: fetched, then joined
            self.count(portal, "article_pages", len(rest))
            yield self.article_page_request(rest, item, [], counter)
            return
        yield from self.with_counter(item, counter)

    def article_page_request(self, rest: list[str], item: ReportPage, parts: list[str], counter: str | None):
        return Request(rest[0], callback=self.on_article_page, errback=self.on_article_page_error,
                       headers={"Referer": item.final_url}, dont_filter=True,
                       meta={"portal": item.portal, "kind": "article", "handle_httpstatus_list": HANDLED},
                       cb_kwargs={"item": item, "rest": rest[1:], "parts": parts, "counter": counter})

    def on_article_page(self, response: Response, item: ReportPage, rest: list[str], parts: list[str],
                        counter: str | None):
        """One more page of a split article: joined to the first page once all are read."""
        if response.status == 200 and hasattr(response, "text"):
            parts.append(response.text)
        else:
            self.log_event(item.portal, response.url, "skipped", f"article page HTTP {response.status}",
                           response.status, item.list_title, item.list_url)
        yield from self.more_pages(item, rest, parts, counter)

    def on_article_page_error(self, failure):
        kw = failure.request.cb_kwargs
        self.log_event(kw["item"].portal, failure.request.url, "skipped", f"article page error: {failure.value!r}"[:200])
        return list(self.more_pages(**kw))

    def more_pages(self, item: ReportPage, rest: list[str], parts: list[str], counter: str | None):
        if rest:
            yield self.article_page_request(rest, item, parts, counter)
            return
        if parts:
            item.body = join_article_pages(item.body, item.encoding, parts)
            item.encoding = "utf-8"
            # the validators of the first page do not vouch for the others: always re-read
            item.headers = {k: v for k, v in item.headers.items()
                            if k not in ("ETag", "Last-Modified", "Content-Length")}
            st = self.state.get(item.url)
            if st is not None and st.sha256 == item.sha256:
                self.confirmed_unchanged(item.portal, item.url, Link(item.url, item.list_title or "", item.list_date),
                                         "content_unchanged")
                return
        yield from self.with_counter(item, counter)

    def with_counter(self, item: ReportPage, counter: str | None):
        """The item, after its click counter when the page has one (once per crawl)."""
        self.count(item.portal, "reports")
        if counter and counter in self.counter_values:
            # the same article at a second URL: the counter is called once per crawl
            item.clicks = self.counter_values[counter]
            yield item
        elif counter:
            self.counter_values[counter] = None
            yield Request(counter, callback=self.on_counter, errback=self.on_counter_error,
                          headers={"Referer": item.final_url}, dont_filter=True,
                          meta={"portal": item.portal, "kind": "counter", "dont_retry": True},
                          cb_kwargs={"item": item}, priority=10)
        else:
            yield item

    def on_counter(self, response: Response, item: ReportPage):
        portal = self.portal(item.portal)
        try:
            item.clicks = self.hooks(portal).read_clicks(self, response.text) if response.status == 200 else None
        except (AttributeError, ValueError):
            item.clicks = None
        self.counter_values[response.request.url] = item.clicks
        yield item

    def on_counter_error(self, failure):
        item = failure.request.cb_kwargs["item"]
        return [item]

    def attachments(self, response: Response) -> list[dict]:
        out, seen = [], set()
        if not hasattr(response, "css"):
            return out
        for a in response.css("a[href]"):
            href = a.attrib.get("href", "").strip()
            if not href or href.startswith(("javascript:", "#", "mailto:")):
                continue
            url = response.urljoin(href)
            if ATTACHMENT_RE.search(urlsplit(url).path) and url not in seen:
                seen.add(url)
                out.append({"url": url, "text": clean(" ".join(a.css("::text").getall()))})
        return out

    # -- default hooks (generic list + pagination) --------------------------------
    def parse_list(self, response: Response, portal: registry.Portal):
        bad: list[tuple[str, str]] = []
        links = generic_links(response, bad)
        yield from links
        for href, why in bad:   # one bad link is recorded alone; the rest of the page is read
            self.count(portal, "malformed")
            logger.warning("portal %s: %s on %s: %r", portal.id, why, response.url, href)
            yield SkippedLink(portal=portal.id, region_code=portal.region_code, url=href[:500], title=None,
                              reason=why, list_url=response.url)
        for url in generic_pages(response, {l.url for l in links}):
            yield self.list_request(url, portal, response.request.cb_kwargs.get("column"),
                                    meta={"sub_depth": response.meta.get("sub_depth", 0)})

    def counter_url(self, response: Response, portal: registry.Portal) -> str | None:
        """Default: any counter pattern known on any platform."""
        from crawler.spiders import counters
        return counters.find_any(response)

    def read_clicks(self, text: str) -> int | None:
        for pat in (r"#hits'?\"?\)\.html\(['\"]?(\d{1,15})(?!\d)",
                    r"\"(?:viewcount|count|hits|clicks?|visitcount)\"\s*:\s*\"?(\d{1,15})(?!\d)",
                    r"write\(\s*['\"]?(\d{1,15})(?!\d)"):
            m = re.search(pat, text, re.I)
            if m:
                return int(m.group(1))
        stripped = re.sub(r"<[^<>]*>", " ", text)   # [^<>]: linear on "<<<<…"
        m = re.search(r"(?<!\d)\d{1,15}(?!\d)", stripped)   # a longer run is not a count
        return int(m.group(0)) if m else None
