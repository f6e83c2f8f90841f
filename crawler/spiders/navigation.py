"""Navigation: from a portal to its report column(s) and through the column's list
pages.  Requests for list pages (:meth:`Navigation.list_request`), the start of each
portal, the home-page discovery by link text and the list callback that hands each
entry to the spider's report/skip decision.  A mixin of
:class:`~crawler.spiders.base.PortalSpider`."""
from __future__ import annotations

import logging

from scrapy.http import Request, Response

from crawler import portals as registry
from crawler.items import SkippedLink
from crawler.spiders.lists import Link

logger = logging.getLogger(__name__)

HANDLED = [304, 403, 404, 410, 412, 521]


class Navigation:
    """Needs ``self.seen_lists``, ``self.hooks``, ``self.answering_portal``, ``self.count``,
    ``self.on_link`` and ``self.log_event``."""

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
