"""One base spider per publishing platform.  Each is a few hooks on top of
:class:`~crawler.spiders.base.PortalSpider` (read its docstring for the contract);
a portal of that platform is a registry row, not code."""
from __future__ import annotations

import json
import math
import re
from urllib.parse import parse_qs, urlencode, urlsplit

from parsel import Selector
from scrapy.http import Response

from crawler.spiders import counters
from crawler.spiders.base import Link, PortalSpider, clean, norm_date


def cdata_records(text: str):
    """The CDATA of each ``<record>…</record>`` of a Hanweb datastore (a scan with
    str.find: linear however the records are broken)."""
    pos = 0
    while (i := text.find("<record>", pos)) >= 0 and (j := text.find("</record>", i)) >= 0:
        body = text[i + 8:j].strip()
        if body.startswith("<![CDATA[") and body.endswith("]]>"):
            yield body[9:-3]
        pos = j + 9


class TrsSpider(PortalSpider):
    """TRS WCM (拓尔思): lists ``index.html``, ``index_1.html`` … written by the inline
    ``createPageHTML(total, current, "index", "html")`` (or ``countPage``); articles
    ``./YYYYMM/tYYYYMMDD_ID.html``; no counter."""

    name = "trs"
    platform = "trs"

    def counter_url(self, response, portal):
        return None


class HanwebSpider(PortalSpider):
    """Hanweb 大汉 JCMS: the column page holds the first records in a
    ``<script type="text/xml"><datastore>`` block; the rest come from POST
    ``/module/web/jpage/dataproxy.jsp?startrecord=&endrecord=&perpage=`` answering the same
    XML with ``<totalrecord>``.  Counter: ``/module/visitcount/visit.jsp``."""

    name = "hanweb"
    platform = "hanweb"
    GROUP = 3  # pages per dataproxy call, as the jpage script does

    def parse_list(self, response: Response, portal):
        text = response.text
        for rec in cdata_records(text):
            sel = Selector(text=rec)
            for a in sel.css("a[href]"):
                title = clean(a.attrib.get("title") or " ".join(a.css("::text").getall()))
                if title:
                    yield Link(url=response.urljoin(a.attrib["href"]), title=title,
                               date=norm_date(clean(" ".join(sel.css("::text").getall()))))
        column = response.request.cb_kwargs.get("column")
        hw = response.meta.get("hanweb")
        if hw is None:  # the column page: find the unit's parameters and ask the proxy
            form = {}
            m = re.search(r"dataproxy\.jsp\?([^\"'\]<>]+)", text)
            if m:
                form = {k: v[0] for k, v in parse_qs(m.group(1).replace("&amp;", "&")).items()}
                form.pop("page", None)
            if not form.get("columnid"):
                c = re.search(r"/col/col(\d+)/", response.url) or re.search(r"columnid\s*[:=]\s*['\"]?(\d+)", text)
                u = re.search(r"<div id=\"(\d+)\">\s*<script type=\"text/xml\">", text) or \
                    re.search(r"unitid\s*[:=]\s*['\"]?(\d+)", text)
                if not c:
                    return
                form.update(columnid=c.group(1), unitid=u.group(1) if u else "", appid=form.get("appid", "1"),
                            webid=form.get("webid", "1"), path="/", sourceContentType="1", permissiontype="0")
            form.setdefault("col", "1")
            p = re.search(r"perPage\s*:\s*['\"]?(\d+)", text)
            per = int(p.group(1)) if p else 15
            hw = {"form": form, "per": per, "start": 1}
            yield HanwebSpider.hanweb_proxy(self, response, portal, column, hw, 1)
        elif hw["start"] == 1:  # first proxy answer: the total tells how many more to ask
            m = re.search(r"<totalrecord>(\d+)</totalrecord>", text)
            total = int(m.group(1)) if m else 0
            group = hw["per"] * HanwebSpider.GROUP
            for start in range(group + 1, min(total, 100000) + 1, group):
                yield HanwebSpider.hanweb_proxy(self, response, portal, column, hw, start)

    def hanweb_proxy(self, response, portal, column, hw, start):
        group = hw["per"] * HanwebSpider.GROUP
        q = urlencode({"startrecord": start, "endrecord": start + group - 1, "perpage": hw["per"]})
        return self.list_request(response.urljoin(f"/module/web/jpage/dataproxy.jsp?{q}"), portal, column,
                                 method="POST", body=urlencode(hw["form"]),
                                 headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
                                          "Referer": response.url},
                                 meta={"hanweb": {**hw, "start": start}})

    def counter_url(self, response, portal):
        return counters.hanweb(response)


class GkmlptSpider(PortalSpider):
    """Guangdong gkmlpt (政府信息公开目录平台): the page holds ``SID``; the list is JSON from
    ``/gkmlpt/api/all/{catId}?page=N&sid=SID``.  The column URL carries the category as its
    fragment (``/gkmlpt/index#2155``, as in the browser) or ``params: cat_id=``."""

    name = "gkmlpt"
    platform = "gkmlpt"

    def parse_list(self, response: Response, portal):
        column = response.request.cb_kwargs.get("column") or response.url
        if "/gkmlpt/api/" in response.url:
            try:
                data = json.loads(response.text)
            except ValueError:
                return
            arts = data.get("articles") or []
            for a in arts:
                if a.get("url") and a.get("title"):
                    yield Link(url=response.urljoin(a["url"]), title=clean(a["title"]),
                               date=norm_date(a.get("display_publish_time") or str(a.get("date") or "")))
            q = parse_qs(urlsplit(response.url).query)
            if q.get("page", ["1"])[0] == "1" and arts:
                pages = math.ceil(int(data.get("total") or 0) / len(arts))
                for n in range(2, min(pages, 2000) + 1):
                    yield self.list_request(response.url.replace("page=1", f"page={n}", 1), portal, column)
            return
        m = re.search(r"SID\s*[:=]\s*['\"]([^'\"]+)['\"]", response.text)
        cat = urlsplit(column).fragment or portal.params.get("cat_id")
        if not cat:
            c = re.search(r"/gkmlpt/(?:index|mindex)?#(\d+)", response.text)
            cat = c.group(1) if c else None
        if not (m and cat and cat.isdigit()):
            yield from PortalSpider.parse_list(self, response, portal)
            return
        yield self.list_request(response.urljoin(f"/gkmlpt/api/all/{cat}?page=1&sid={m.group(1)}"), portal, column)

    def counter_url(self, response, portal):
        return None


class EpointSpider(PortalSpider):
    """Epoint 新点 (``ewb-`` classes): lists ``/info/iList.jsp?…&cur_page=N`` with items in
    ``div.ewb-job li`` and a 下页 link; view counts from a ``…ViewCount`` REST call."""

    name = "epoint"
    platform = "epoint"

    def parse_list(self, response: Response, portal):
        yield from PortalSpider.parse_list(self, response, portal)    # rows and pager links
        m = re.search(r"(\d{1,6})\s{0,9}/\s{0,9}(\d{1,6})", " ".join(response.css(".ewb-page ::text, .pages ::text").getall()))
        if m and "cur_page=" in response.url:      # "1/7": every cur_page, the pager may show only a few
            column = response.request.cb_kwargs.get("column")
            for n in range(1, min(int(m.group(2)), 1000) + 1):
                yield self.list_request(re.sub(r"cur_page=\d+", f"cur_page={n}", response.url), portal, column)

    def counter_url(self, response, portal):
        return counters.epoint(response)


class SmallCmsSpider(PortalSpider):
    """The small CMSs — PHPCMS, VSB/博达, EmpireCMS (帝国): plain HTML lists with pager
    links (``index_2.html``, ``&page=2``, ``list/2.htm``); the count is filled by a script:
    ``/api.php?op=count&id=…`` (``$('#hits').html('433')``), ``_showDynClicks(…)`` →
    ``dynclicks.jsp``, ``/e/public/ViewClick/?classid=…&id=…``."""

    name = "smallcms"
    platform = "smallcms"

    # lists: the base spider's rows and pager links

    def counter_url(self, response, portal):
        return counters.find_any(response, counters.SMALL_CMS)

