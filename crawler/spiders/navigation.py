"""Navigation: from a portal to its report column(s) and through everything a column
holds.  A mixin of :class:`~crawler.spiders.base.PortalSpider`.

* the start of each portal: its registered columns, else discovery from the home page;
* discovery at crawl time, with the same manners as every request (these are Scrapy
  requests): the home page → 信息公开 hubs (政府信息公开 → 法定主动公开内容 → …) → the
  column by link text (政府信息公开年报, 年度报告 …) or by a platform's known column
  path *seen linked* (TRS ``zfxxgknb``, Hanweb ``col/colNNN`` …), at most
  ``MAX_HUB_DEPTH`` pages deep; as a last resort the site's own search form, only when
  a page of the portal shows one;
* list pages, each read once per crawl, with a per-column page cap
  (``XXGK_MAX_LIST_PAGES``) and a per-portal time budget (``XXGK_PORTAL_TIME_BUDGET``
  seconds) that stop an endless 下一页 chain (logged as ``capped`` in crawl_log, counted
  ``capped``; crawl health alerts ``list_capped``); the article links each column's pages
  (its sub-lists included) named, counted in ``column_links`` (alert ``column_emptied``);
* what a column page links besides articles: one sub-list per year, sub-columns per
  kind of body / department / township, the same-site ``<iframe>`` of an empty frame
  (:func:`crawler.spiders.lists.sub_lists`), each followed as a list of its own;
* what was found, per portal (:meth:`Navigation.portal_status`), in the vocabulary of
  :data:`db.portals.STATUSES`; a home or list page that failed is counted ``unreachable``
  (or ``robots_pages``) for the progress line.
"""
from __future__ import annotations

import logging
import time
from urllib.parse import urlencode, urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response

from crawler import portals as registry
from crawler.items import SkippedLink
from crawler.spiders.lists import Link, sub_lists
from db.portals import BLOCKED, NO_COLUMN, OK, ROBOTS, UNREACHABLE

logger = logging.getLogger(__name__)

HANDLED = [304, 403, 404, 410, 412, 521]
MAX_HUB_DEPTH = 3          # home → hub → hub → column
MAX_SUB_DEPTH = 2          # column → sub-column → per-year sub-list
SEARCH_QUERY = "政府信息公开工作年度报告"
SEARCH_FIELDS = ("searchword", "searchWord", "keyword", "keywords", "q", "query", "key", "wd", "word", "sw", "title",
                 "kw", "searchKey")


class OneLineRobotsErrors(logging.Filter):
    """Scrapy logs a portal whose robots.txt cannot be fetched (DNS, refused, timeout)
    as an ERROR with a traceback; an unreachable portal is an expected state of a national
    crawl (recorded as its status), so: one WARNING line naming the exception."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info:
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


_ROBOTS_LOGGER = logging.getLogger("scrapy.downloadermiddlewares.robotstxt")


class Navigation:
    """Needs ``self.seen_lists``, ``self.hooks``, ``self.answering_portal``, ``self.count``,
    ``self.on_link``, ``self.log_event`` and ``self.blocked``."""

    def nav_setup(self, settings) -> None:
        if not any(isinstance(f, OneLineRobotsErrors) for f in _ROBOTS_LOGGER.filters):
            _ROBOTS_LOGGER.addFilter(OneLineRobotsErrors())
        self.max_list_pages = settings.getint("XXGK_MAX_LIST_PAGES", 100)
        self.time_budget = settings.getfloat("XXGK_PORTAL_TIME_BUDGET", 3600.0)
        self.findings: dict[str, dict] = {}
        self._list_pages: dict[str, int] = {}
        self._started: dict[str, float] = {}
        self._capped: set[str] = set()
        self._column_root: dict[str, str] = {}     # sub-list → the column that linked it

    # -- what was found -----------------------------------------------------------
    def finding(self, portal: registry.Portal | str) -> dict:
        pid = portal if isinstance(portal, str) else portal.id
        f = self.findings.get(pid)
        if f is None:
            f = self.findings[pid] = {"platform": None, "columns": [], "errors": [], "pending": 0, "search": None,
                                      "column_found": False}
        return f

    def found_column(self, portal: registry.Portal, url: str, how: str, via: str | None = None) -> None:
        f = self.finding(portal)
        if all(c["url"] != url for c in f["columns"]):
            f["columns"].append({"url": url, "how": how, "via": via})

    def portal_status(self, portal_id: str) -> dict:
        """What this crawl found for a portal — the shape the ``portals`` table stores::

            {"status": "ok" | "no_column" | "unreachable" | "blocked" | "robots",   # db.portals.STATUSES
             "status_reason": "…",                 # why: the first failure, the lists read, …
             "platform": "trs" | … | None,         # fingerprinted, else the registry's
             "columns": [{"url", "how", "via"}],   # how: registry | link text: … | platform path: … |
                                                   #      year | subcolumn | agency | iframe | search
             "how_found": "…"}                     # in one phrase: the first column's how
        """
        f = self.finding(portal_id)
        s = self.summary.get(portal_id, {})
        p = self.portal(portal_id)
        errors = f["errors"]
        robots = [e for e in errors if e.startswith("robots: ")]
        if portal_id in self.blocked:
            status, why = BLOCKED, "JavaScript challenge (HTTP 412/521 or a challenge page): recorded, not solved"
        elif s.get("lists"):
            status, why = OK, f"{s['lists']} list pages read"
        elif robots:
            status, why = ROBOTS, robots[0][len("robots: "):]
        elif errors:
            status, why = UNREACHABLE, errors[0].removeprefix("unreachable: ")
        elif s.get("dead") and f["columns"]:
            status, why = NO_COLUMN, "the column page answered with an HTTP error"
        else:
            status, why = NO_COLUMN, "no report column found from the home page"
        platform = self.detected.get(portal_id) or f["platform"] or (p.platform if p else None)
        columns = list(f["columns"])
        return {"status": status, "status_reason": why, "platform": platform, "columns": columns,
                "how_found": columns[0]["how"] if columns else ""}

    # -- requests -------------------------------------------------------------------
    def portal_answered(self, portal_id: str) -> None:
        """Start the portal's clock at its first answer (not at its first request: a
        national crawl queues every portal's start at once, most wait their turn)."""
        self._started.setdefault(portal_id, time.monotonic())

    def over_budget(self, portal: registry.Portal, url: str) -> bool:
        """The portal's time budget is spent: no more requests for it (logged once)."""
        started = self._started.get(portal.id)
        if started is None or not self.time_budget or time.monotonic() - started <= self.time_budget:
            return False
        self.cap(portal, url, f"portal time budget of {self.time_budget:.0f} s spent", portal.id)
        return True

    def cap(self, portal: registry.Portal, url: str, reason: str, key: str) -> None:
        if key in self._capped:
            return
        self._capped.add(key)
        self.count(portal, "capped")
        logger.warning("portal %s: %s — stopped at %s", portal.id, reason, url)
        self.log_event(portal.id, url, "capped", reason)

    def list_request(self, url: str, portal: registry.Portal, column: str | None = None, callback=None,
                     **kwargs) -> Request | None:
        """A list page: always re-read (``dont_filter``), but once per crawl, at most
        ``XXGK_MAX_LIST_PAGES`` per column, within the portal's time budget."""
        key = url + "|" + (kwargs.get("body") or "" if isinstance(kwargs.get("body"), str) else "")
        if key in self.seen_lists:
            return None
        column = column or url
        n = self._list_pages.get(column, 0)
        cap = self.max_list_pages
        try:   # a registry row may set its own: params max_list_pages=N
            cap = int(portal.params.get("max_list_pages", cap))
        except (TypeError, ValueError):
            pass
        if cap and n >= cap:
            self.cap(portal, url, f"column {column} reached {cap} list pages (XXGK_MAX_LIST_PAGES)", "col " + column)
            return None
        if self.over_budget(portal, url):
            return None
        self._list_pages[column] = n + 1
        self.seen_lists.add(key)
        meta = {"portal": portal.id, "kind": "list", "handle_httpstatus_list": HANDLED, **kwargs.pop("meta", {})}
        return Request(url, callback=callback or self.on_list, errback=self.on_nav_error, dont_filter=True,
                       meta=meta, cb_kwargs={"portal_id": portal.id, "column": column}, **kwargs)

    def home_request(self, url: str, portal: registry.Portal, depth: int, via: str | None = None) -> Request | None:
        if url in self.seen_lists or self.over_budget(portal, url):
            return None
        self.seen_lists.add(url)
        self.finding(portal)["pending"] += 1
        return Request(url, callback=self.on_home, errback=self.on_nav_error, dont_filter=True,
                       meta={"portal": portal.id, "kind": "home", "handle_httpstatus_list": HANDLED},
                       cb_kwargs={"portal_id": portal.id, "depth": depth})

    # -- start -------------------------------------------------------------------
    async def start(self):
        for portal in self.portals:
            for req in self.hooks(portal).start_portal(self, portal):
                if req is not None:
                    yield req

    def start_portal(self, portal: registry.Portal):
        if portal.columns:
            for col in portal.columns:
                self.found_column(portal, col, "registry")
                yield self.list_request(col, portal, col)
        elif portal.base_url:
            yield self.home_request(portal.base_url, portal, 0)

    # -- callbacks ---------------------------------------------------------------
    def on_nav_error(self, failure):
        """A home, hub or list page that could not be fetched: robots.txt, DNS, refused
        connection, timeout.  Recorded for the portal's status; the crawl goes on."""
        request = failure.request
        pid = request.meta.get("portal")
        portal = self.portal(pid)
        if portal is None:
            return []
        robots = failure.check(IgnoreRequest) and "robots" in str(failure.value).lower()
        why = ("robots.txt disallows " if robots else "unreachable: ") + (
            str(failure.value) if robots else f"{type(failure.value).__name__}: {failure.value}")[:200]
        f = self.finding(portal)
        kind = request.meta.get("kind")
        if robots or kind == "list" or request.cb_kwargs.get("depth", 0) == 0:   # not a hub link that failed
            f["errors"].append(("robots: " if robots else "") + why)
            self.count(portal, "robots_pages" if robots else "unreachable")
        self.log_event(portal.id, request.url, "skipped", f"{kind} page {why}")
        out = []
        if kind == "home":
            f["pending"] -= 1
            out += list(self.discovery_done(portal))
        return out

    def on_home(self, response: Response, portal_id: str, depth: int):
        """Discovery: home page → 信息公开 hubs → 年报 column, by link text or a platform's
        known column path seen linked; the site's search form as a last resort."""
        from crawler.spiders.auto import find_column, find_search, fingerprint
        portal = self.portal(portal_id)
        if portal is not None:
            self.finding(portal)["pending"] -= 1
            self.portal_answered(portal.id)
        portal, blocked = self.answering_portal(response, portal_id)
        if blocked is not None:
            yield blocked
        if portal is None:
            return
        f = self.finding(portal)
        if response.status != 200:
            if depth == 0:    # the home page itself; a dead hub link is only logged
                f["errors"].append(f"unreachable: {response.url} answered HTTP {response.status}")
                self.count(portal, "unreachable")
            self.log_event(portal.id, response.url, "skipped",
                           f"{'home' if depth == 0 else 'hub'} page HTTP {response.status}", response.status)
            yield from self.discovery_done(portal)
            return
        f["platform"] = f["platform"] or fingerprint(response.body)
        if f["column_found"]:
            return
        columns, sections = find_column(response, f["platform"])
        if columns:
            f["column_found"] = True
            for col, how in columns[:3]:
                if col not in portal.columns:
                    portal.columns.append(col)
                self.found_column(portal, col, how, response.url)
                self.crawler.stats.set_value(f"xxgk/discovered/{portal.id}", col)
                logger.info("portal %s: report column found at %s (%s)", portal.id, col, how)
                req = self.list_request(col, portal, col)
                if req is not None:
                    yield req
            return
        if f["search"] is None:
            f["search"] = find_search(response)
        if depth < MAX_HUB_DEPTH - 1:
            for url in sections[:4]:
                req = self.home_request(url, portal, depth + 1)
                if req is not None:
                    yield req
        yield from self.discovery_done(portal)

    def discovery_done(self, portal: registry.Portal):
        """When no discovery request of the portal is pending and no column was found:
        the site's search form if one was seen, else "no report column found"."""
        f = self.finding(portal)
        if f["pending"] > 0 or f["column_found"]:
            return
        f["column_found"] = True      # discovery is over either way
        if f["search"]:
            action, field = f["search"]
            url = action + ("&" if "?" in action else "?") + urlencode({field: SEARCH_QUERY})
            self.found_column(portal, url, "search", action)
            logger.info("portal %s: no report column found; searching the site at %s", portal.id, url)
            req = self.list_request(url, portal, url)
            if req is not None:
                yield req
        elif not f["errors"]:
            self.log_event(portal.id, portal.base_url, "skipped", "no report column found")

    def on_list(self, response: Response, portal_id: str, column: str):
        self.portal_answered(portal_id)
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
        found = [x for x in self.hooks(portal).parse_list(self, response, portal) if x is not None]
        articles = {x.url for x in found if isinstance(x, Link)}
        if response.meta.get("sub_depth"):
            self.count(portal, "sublist_links", len(articles))
        # the article links each column named, its pages and sub-lists together (column_emptied)
        root = self._column_root.get(column, column)
        per_column = self.summary.setdefault(portal.id, {}).setdefault("column_links", {})
        per_column[root] = per_column.get(root, 0) + len(articles)
        # sub-lists first: Scrapy's queue is last in, first out, so the list's own
        # articles are asked before the sub-lists are read
        yield from self.follow_sub_lists(response, portal, articles)
        for x in found:
            if isinstance(x, Link):
                yield from self.on_link(x, portal, response.url, column)
            else:
                yield x

    def follow_sub_lists(self, response: Response, portal: registry.Portal, articles: set[str]):
        """Sub-lists a column page links (per year, per department or township, an iframe)."""
        depth = response.meta.get("sub_depth", 0)
        if not isinstance(response, HtmlResponse) or depth >= MAX_SUB_DEPTH or response.meta.get("hanweb"):
            return
        for s in sub_lists(response, articles):
            if s.how == "iframe" and articles:
                continue          # an iframe beside a list is furniture, not the list
            if urlsplit(s.url).netloc != urlsplit(response.url).netloc:
                continue
            req = self.list_request(s.url, portal, s.url, meta={"sub_depth": depth + 1})
            column = response.request.cb_kwargs.get("column") or response.url
            if s.url not in portal.columns:   # a column of the portal's own is its own root,
                # whichever page happens to link it first (column_emptied compares runs)
                self._column_root.setdefault(s.url, self._column_root.get(column, column))
            if req is not None:
                self.found_column(portal, s.url, f"{s.how}: {s.text}" if s.text else s.how, response.url)
                self.count(portal, "sublists")
                yield req
