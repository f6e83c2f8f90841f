"""The base portal spider: everything that is the same on every publishing platform.

Contract of a platform spider (subclass of :class:`PortalSpider`)
-----------------------------------------------------------------
A platform spider sets ``name`` and ``platform`` and may override these hooks; each
is called with the *running* spider as ``self`` (the ``portals`` spider calls the
hooks of each portal's platform class on itself), so hooks use only the helpers of
this base class:

``start_portal(portal)``
    requests for a portal: by default one list request per column URL, or the home
    page (column found by link text) when the registry gives no column.
``parse_list(response, portal)``
    yields :class:`Link` entries (an article: url, title, date) and requests for
    further list pages (built with :meth:`list_request`).  Default: rows with a date
    plus heuristic pagination.
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
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Request, Response

from crawler import classify
from crawler import portals as registry
from crawler.items import BlockedPage, ReportPage, SkippedLink

logger = logging.getLogger(__name__)

DATE_RE = re.compile(r"((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
ATTACHMENT_RE = re.compile(r"\.(pdf|docx?|wps|xlsx?|zip|rar|ofd|et)(?:$|[?#])", re.I)
REPORT_FILE_RE = re.compile(r"\.(pdf|docx?|wps)(?:$|[?#])", re.I)   # files the parser reads
PAGER_TEXT = re.compile(r"^(下一页|下页|后页|尾页|末页|next|»|>|\d{1,3})$", re.I)
PAGER_HREF = re.compile(r"(index_\d+\.s?html?|[?&](cur_?page|page|pageNo|pageIndex|pn|p)=\d+|/\d+\.html?$|_\d+\.s?html?$|list_\d+)",
                        re.I)
CHALLENGE_RE = re.compile(rb"\$_ts\s*=|__jsl_clearance|_\$[a-zA-Z]{2}\s*=|<noscript>.*?enable javascript", re.I | re.S)
HANDLED = [304, 403, 404, 410, 412, 521]


@dataclass
class Link:
    url: str
    title: str
    date: str | None = None


def norm_date(text: str | None) -> str | None:
    m = DATE_RE.search(text or "")
    if not m:
        return None
    y, mo, d = m.groups()
    return f"{y}-{int(mo):02d}-{int(d):02d}"


def clean(text: str | None) -> str:
    return re.sub(r"[\s\u3000\xa0]+", " ", text or "").strip()


class PortalSpider(scrapy.Spider):
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
        self.done: set[str] = set()
        self.summary: dict[str, dict[str, int]] = {}
        self.counter_values: dict[str, int | None] = {}
        self.run_id: int | None = None
        self.archive = None
        self._journal = None

    # -- setup -----------------------------------------------------------------
    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup(crawler.settings)
        return spider

    def setup(self, settings) -> None:
        from scrapy.utils.misc import load_object

        from crawler.archive import CrawlArchive
        path = self.registry_arg or settings.get("XXGK_REGISTRY")
        all_portals = registry.load(path)
        if self.url_arg:  # -a url=… : an unregistered portal on this spider's platform
            all_portals = [registry.Portal(region_code=self.region_arg or "000000", id="adhoc",
                                           name=urlsplit(self.url_arg).hostname or "adhoc",
                                           base_url=self.url_arg, platform=self.platform or "auto",
                                           columns=[self.url_arg], source="command line")]
            self.region_arg = None
        platform = self.platform if self.platform not in (None, "auto") else None
        self.portals = registry.select(all_portals, self.region_arg, self.portal_arg, platform)
        if self.platform == "auto":
            self.portals = registry.select(all_portals, self.region_arg, self.portal_arg, "auto") \
                if not self.portal_arg and not self.url_arg else self.portals
        self.by_id = {p.id: p for p in self.portals}
        self._hosts = {p.id: p.hosts for p in self.portals}
        self._all_hosts = set().union(*self._hosts.values()) if self._hosts else set()
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
        days = settings.getfloat("XXGK_REVALIDATE_DAYS", 7.0)
        self.revalidate_after = (datetime.now(timezone.utc) - timedelta(days=days)) if days > 0 else None
        self.run_id = self.archive.start_run(self.name)
        jobdir = settings.get("JOBDIR")
        if jobdir:
            os.makedirs(jobdir, exist_ok=True)
            jpath = Path(jobdir) / "xxgk-done.txt"
            if jpath.exists():
                self.done = set(jpath.read_text("utf-8").split())
                logger.info("resuming: %d reports already archived in this job", len(self.done))
            self._journal = open(jpath, "a", encoding="utf-8")
        for p in self.portals:
            self.summary[p.id] = {"reports": 0, "skipped": 0, "blocked": 0, "dead": 0, "lists": 0,
                                  "unchanged": 0, "fresh": 0, "refused": 0}

    # -- helpers used by platform hooks ------------------------------------------
    def portal(self, portal_id: str | None) -> registry.Portal | None:
        return self.by_id.get(portal_id or "")

    def allowed_hosts(self, portal_id: str | None) -> set[str]:
        if portal_id and portal_id in self._hosts:
            return self._hosts[portal_id]
        return self._all_hosts

    def count(self, portal: registry.Portal | str, key: str, n: int = 1) -> None:
        pid = portal if isinstance(portal, str) else portal.id
        self.summary.setdefault(pid, {}).setdefault(key, 0)
        self.summary[pid][key] += n
        self.crawler.stats.inc_value(f"xxgk/{key}", n)

    def portal_summary(self) -> dict:
        out = {}
        for pid, s in self.summary.items():
            p = self.portal(pid)
            out[pid] = {**s, "name": p.name if p else pid, "platform": self.detected.get(pid, p.platform if p else "")}
        return out

    def log_event(self, portal: str, url: str, event: str, reason: str, http_status=None, title=None,
                  list_url=None) -> None:
        if self.archive is not None:
            self.archive.log(self.run_id, portal, url, event, reason, http_status, title, list_url)

    def note_refused(self, request: Request, why: str) -> None:
        pid = request.meta.get("portal")
        if pid:
            self.count(pid, "refused")
            self.log_event(pid, request.url, "refused", why)

    def mark_done(self, url: str) -> None:
        """Journal a URL archived (or confirmed unchanged) by this job.  Only the journal of
        an interrupted run is held in memory (``self.done``): within a crawl ``seen_links``
        already keeps a URL from being asked twice, so a second in-memory copy of every
        URL would only make memory grow with the page count."""
        if self._journal:
            self._journal.write(url + "\n")
            self._journal.flush()

    def close_journal(self, reason: str) -> None:
        if self._journal:
            self._journal.close()
            self._journal = None
            if reason == "finished":  # a complete crawl: the next one starts afresh
                try:
                    os.remove(Path(self.settings.get("JOBDIR")) / "xxgk-done.txt")
                except OSError:
                    pass

    def fresh(self, url: str, link: Link) -> bool:
        """Validated recently enough, and listed as it was then: no request needed."""
        st = self.state.get(url)
        if st is None or self.revalidate_after is None or not st.validated_at:
            return False
        if (st.list_title or "") != (link.title or "") or (st.list_date or None) != (link.date or None):
            return False
        try:
            at = datetime.fromisoformat(st.validated_at)
        except ValueError:
            return False
        if at.tzinfo is None:
            at = at.replace(tzinfo=timezone.utc)
        return at > self.revalidate_after

    def confirmed_unchanged(self, portal: registry.Portal, url: str, link: Link | None, how: str) -> None:
        self.count(portal, "unchanged")
        self.crawler.stats.inc_value(f"xxgk/{how}")
        if self.archive is not None:
            self.archive.touch(url, link.title if link else None, link.date if link else None)
        self.mark_done(url)

    def hooks(self, portal: registry.Portal) -> type["PortalSpider"]:
        """The class whose hooks handle *portal*: this spider's own for a platform
        spider, else the platform spider registered for the portal's platform."""
        from crawler.spiders import PLATFORM_SPIDERS
        plat = self.detected.get(portal.id) or portal.platform
        if self.platform not in (None, "auto") and plat in (self.platform, "auto"):
            return type(self)
        return PLATFORM_SPIDERS.get(plat, PLATFORM_SPIDERS["auto"])

    def list_request(self, url: str, portal: registry.Portal, column: str | None = None, callback=None,
                     **kwargs) -> Request | None:
        """A list page: always re-read (``dont_filter``), but once per crawl."""
        key = url + "|" + (kwargs.get("body") or "" if isinstance(kwargs.get("body"), str) else "")
        if key in self.seen_lists:
            return None
        self.seen_lists.add(key)
        meta = {"portal": portal.id, "kind": "list", "handle_httpstatus_list": HANDLED, **kwargs.pop("meta", {})}
        return Request(url, callback=callback or self.on_list, dont_filter=True, meta=meta,
                       cb_kwargs={"portal_id": portal.id, "column": column or url}, **kwargs)

    # -- start -------------------------------------------------------------------
    async def start(self):
        for portal in self.portals:
            for req in self.hooks(portal).start_portal(self, portal):
                if req is not None:
                    yield req

    def start_portal(self, portal: registry.Portal):
        if portal.columns:
            for col in portal.columns:
                yield self.list_request(col, portal, col)
        else:
            from crawler.spiders.auto import AutoSpider
            yield from AutoSpider.start_portal(self, portal)

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

    def on_home(self, response: Response, portal_id: str, depth: int):
        """Auto-discovery: home page → 信息公开 → 年报 column, by link text."""
        from crawler.spiders.auto import find_column
        portal, blocked = self.answering_portal(response, portal_id)
        if blocked is not None:
            yield blocked
        if portal is None:
            return
        columns, sections = find_column(response)
        if columns:
            for col in columns[:3]:
                if col not in portal.columns:
                    portal.columns.append(col)
                self.crawler.stats.set_value(f"xxgk/discovered/{portal.id}", col)
                logger.info("portal %s: report column found at %s", portal.id, col)
                req = self.list_request(col, portal, col)
                if req is not None:
                    yield req
            return
        if depth < 2:
            for url in sections[:3]:
                yield Request(url, callback=self.on_home, dont_filter=True,
                              meta={"portal": portal.id, "kind": "home", "handle_httpstatus_list": HANDLED},
                              cb_kwargs={"portal_id": portal.id, "depth": depth + 1})
        elif depth == 2:
            self.log_event(portal.id, response.url, "skipped", "no report column found")

    def on_list(self, response: Response, portal_id: str, column: str):
        portal, blocked = self.answering_portal(response, portal_id)
        if blocked is not None:
            yield blocked
        if portal is None:
            return
        if response.status != 200:
            self.count(portal, "dead")
            yield SkippedLink(portal=portal.id, region_code=portal.region_code, url=response.url, title=None,
                              reason=f"list page HTTP {response.status}", http_status=response.status)
            return
        self.count(portal, "lists")
        for x in self.hooks(portal).parse_list(self, response, portal):
            if isinstance(x, Link):
                yield from self.on_link(x, portal, response.url, column)
            elif x is not None:
                yield x

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
        headers = {"Referer": list_url}
        st = self.state.get(url)
        if st is not None:
            if st.etag:
                headers["If-None-Match"] = st.etag
            if st.last_modified:
                headers["If-Modified-Since"] = st.last_modified
        yield Request(url, callback=self.on_article, errback=self.on_article_error, headers=headers,
                      meta={"portal": portal.id, "kind": "article", "handle_httpstatus_list": HANDLED},
                      cb_kwargs={"portal_id": portal.id, "link": link, "list_url": list_url, "column": column})

    def on_article_error(self, failure):
        request = failure.request
        pid = request.meta.get("portal")
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
        url = response.request.url if not response.meta.get("redirect_urls") else response.meta["redirect_urls"][0]
        if response.status == 304:
            self.confirmed_unchanged(portal, url, link, "not_modified")
            return
        if response.status != 200:
            self.count(portal, "dead")
            yield SkippedLink(portal=portal.id, region_code=portal.region_code, url=url, title=link.title,
                              reason="dead_link", list_url=list_url, http_status=response.status)
            return
        sha = hashlib.sha256(response.body).hexdigest()
        st = self.state.get(url)
        if st is not None and st.sha256 == sha:
            self.confirmed_unchanged(portal, url, link, "content_unchanged")
            return
        hooks = self.hooks(portal)
        item = ReportPage(
            portal=portal.id, region_code=portal.region_code,
            platform=self.detected.get(portal.id, portal.platform if hooks.platform is None else hooks.platform),
            url=url, final_url=response.url, http_status=response.status,
            headers={k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()},
            body=response.body, encoding=getattr(response, "encoding", None), list_url=list_url,
            list_title=link.title, list_date=link.date, column=column,
            attachments=self.attachments(response))
        self.count(portal, "reports")
        counter = hooks.counter_url(self, response, portal) if hasattr(response, "text") else None
        if counter and counter in self.counter_values:
            # the same article at a second URL: the counter is called once per crawl
            item.clicks = self.counter_values[counter]
            yield item
        elif counter:
            self.counter_values[counter] = None
            yield Request(counter, callback=self.on_counter, errback=self.on_counter_error,
                          headers={"Referer": response.url}, dont_filter=True,
                          meta={"portal": portal.id, "kind": "counter", "dont_retry": True},
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
        links = generic_links(response)
        yield from links
        for url in generic_pages(response, {l.url for l in links}):
            yield self.list_request(url, portal, response.request.cb_kwargs.get("column"))

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


# ----------------------------------------------------------------------------- generic
def _text_upto(node, limit: int) -> str:
    """The node's text as ``clean(" ".join(node.css("::text")))`` gives it, read only up to
    about *limit* characters: a row holding a whole page is not read once per anchor."""
    pieces, size = [], 0
    for t in node.root.itertext():
        t = clean(t)
        if t:
            pieces.append(t)
            size += len(t) + 1
            if size > limit:
                break
    return " ".join(pieces)


def _row_of(a):
    """The list row an anchor sits in (li, tr, dd, or a div/p holding a date)."""
    node = a
    for _ in range(4):
        parent = node.xpath("..")
        if not parent:
            return None
        node = parent[0]
        tag = node.root.tag if hasattr(node.root, "tag") else ""
        if tag in ("li", "tr", "dd", "dl", "p", "div", "td"):
            text = _text_upto(node, 400)
            if DATE_RE.search(text) and len(text) < 400:
                return node
            if tag in ("li", "tr", "dd"):
                return node
    return None


def generic_links(response: Response):
    """Article links of a list page: anchors in rows that show a date (real list rows
    always do), or, failing that, anchors whose text names a report."""
    links: dict[str, Link] = {}
    if not hasattr(response, "css"):
        return []
    for a in response.css("a[href]"):
        href = a.attrib.get("href", "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        title = clean(a.attrib.get("title") or " ".join(a.css("::text").getall()))
        if len(title) < 6:
            continue
        url = response.urljoin(href)
        row = _row_of(a)
        date = norm_date(_text_upto(row, 2000)) if row is not None else None
        if date is None and classify.classify_title(title)[0] != "report":
            continue
        if PAGER_HREF.search(href) and not date:
            continue
        prev = links.get(url)
        if prev is None or (not prev.title and title):
            links[url] = Link(url=url, title=title, date=date)
    return list(links.values())


def generic_pages(response: Response, articles: set[str] = frozenset()) -> list[str]:
    """Further list pages: script pagers (TRS ``createPageHTML``, ``countPage``) and
    pager links (下一页, page numbers) that stay in the column."""
    out: list[str] = []
    text = response.text if hasattr(response, "text") else ""
    base = response.url
    m = re.search(r"createPageHTML\(\s*(?:['\"][^'\"]*['\"]\s*,\s*)?(\d+)\s*,\s*(\d+)\s*,\s*['\"]([^'\"]+)['\"]\s*,\s*['\"]([^'\"]+)['\"]",
                  text)
    if m:
        total, _, prefix, ext = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
        out += [urljoin(base, f"{prefix}.{ext}" if i == 0 else f"{prefix}_{i}.{ext}") for i in range(min(total, 500))]
    m = re.search(r"var\s+countPage\s*=\s*(\d+)", text)
    if m:
        out += [urljoin(base, "index.html" if i == 0 else f"index_{i}.html") for i in range(min(int(m.group(1)), 500))]
    if hasattr(response, "css"):
        col_dir = urlsplit(base).path.rsplit("/", 1)[0]
        for a in response.css("a[href]"):
            label = clean(" ".join(a.css("::text").getall()))
            href = a.attrib.get("href", "").strip()
            if not href or href.startswith(("javascript:", "#")):
                continue
            if not PAGER_TEXT.match(label) and not (PAGER_HREF.search(href) and len(label) <= 4):
                continue
            url = response.urljoin(href)
            path = urlsplit(url).path
            if url in articles or not PAGER_HREF.search(url):
                continue
            if urlsplit(url).netloc != urlsplit(base).netloc:
                continue
            # stay in the column: same directory (or its page sub-directory), same script
            if path.rsplit("/", 1)[0].startswith(col_dir) or path == urlsplit(base).path or \
                    col_dir.startswith(path.rsplit("/", 1)[0] + "/"):
                out.append(url)
    seen, uniq = set(), []
    for u in out:
        if u not in seen and u != base:
            seen.add(u)
            uniq.append(u)
    return uniq
