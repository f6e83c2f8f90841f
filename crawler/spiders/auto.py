"""The generic spider for portals registered as ``auto`` (or not registered at all:
``scrapy crawl auto -a url=…``): it fingerprints the platform from the first page and
then uses that platform's hooks; failing a fingerprint it follows the column by link
text (信息公开 → 年报) and paginates heuristically."""
from __future__ import annotations

import re

from scrapy.http import Request, Response

from crawler import portals as registry
from crawler.spiders.base import HANDLED, PortalSpider, clean

FINGERPRINTS: list[tuple[str, re.Pattern[bytes]]] = [
    ("hanweb", re.compile(rb"\xe5\xa4\xa7\xe6\xb1\x89\xe7\x89\x88\xe9\x80\x9a|/module/jslib/|<datastore>|dataproxy\.jsp")),
    ("gkmlpt", re.compile(rb"/gkmlpt/|\bSID\s*:\s*['\"]")),
    ("epoint", re.compile(rb"class=\"ewb-|iList\.jsp|EWB-FRONT")),
    ("trs", re.compile(rb"createPageHTML|TRS_Editor|var\s+countPage|/t20\d{6}_\d+\.s?html")),
    ("smallcms", re.compile(rb"api\.php\?op=count|/e/public/ViewClick|_showDynClicks|dynclicks|pb_sys_|vsb_content|"
                            rb"content=\"VSB|phpcms|news_list")),
]
COLUMN_TEXT = re.compile(r"(信息公开|政务公开)?(工作)?(年度报告|年报)$")
XXGK_TEXT = re.compile(r"^(政府)?(信息公开|政务公开)(目录|专栏|平台)?$|^信息公开$|^政务公开$")


def fingerprint(body: bytes) -> str | None:
    for platform, pat in FINGERPRINTS:
        if pat.search(body):
            return platform
    return None


def find_column(response: Response) -> tuple[list[str], list[str]]:
    """(column links, 信息公开 links) of a home or section page, by link text."""
    columns, sections = [], []
    if not hasattr(response, "css"):
        return columns, sections
    for a in response.css("a[href]"):
        href = a.attrib.get("href", "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        text = clean(a.attrib.get("title") or " ".join(a.css("::text").getall())).replace(" ", "")
        if not text or len(text) > 16 or re.search(r"(19|20)\d\d", text):
            continue
        url = response.urljoin(href)
        if COLUMN_TEXT.search(text):
            columns.append(url)
        elif XXGK_TEXT.search(text):
            sections.append(url)
    return list(dict.fromkeys(columns)), list(dict.fromkeys(sections))


class AutoSpider(PortalSpider):
    """Fingerprint, else follow the column by link text and paginate heuristically."""

    name = "auto"
    platform = "auto"

    def start_portal(self, portal: registry.Portal):
        if portal.columns:
            for col in portal.columns:
                yield self.list_request(col, portal, col)
        elif portal.base_url:
            yield Request(portal.base_url, callback=self.on_home, dont_filter=True,
                          meta={"portal": portal.id, "kind": "home", "handle_httpstatus_list": HANDLED},
                          cb_kwargs={"portal_id": portal.id, "depth": 0})

    def parse_list(self, response: Response, portal: registry.Portal):
        from crawler.spiders import PLATFORM_SPIDERS
        platform = self.detected.get(portal.id) or fingerprint(response.body)
        if platform:
            self.detected[portal.id] = platform
            self.crawler.stats.set_value(f"xxgk/detected/{portal.id}", platform)
            yield from PLATFORM_SPIDERS[platform].parse_list(self, response, portal)
        else:
            yield from PortalSpider.parse_list(self, response, portal)
