"""The generic spider for portals registered as ``auto`` (or not registered at all:
``scrapy crawl auto -a url=…``): it fingerprints the platform from the first page and
then uses that platform's hooks; failing a fingerprint it follows the column by link
text (信息公开 → 年报) and paginates heuristically."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from scrapy.http import Response

from crawler import portals as registry
from crawler.spiders.base import PortalSpider
from crawler.spiders.lists import SKIP_HREF, TRS_ARTICLE, clean, safe_url
from crawler.spiders.navigation import SEARCH_FIELDS

FINGERPRINTS: list[tuple[str, re.Pattern[bytes]]] = [
    ("hanweb", re.compile(rb"\xe5\xa4\xa7\xe6\xb1\x89\xe7\x89\x88\xe9\x80\x9a|/module/jslib/|<datastore>|dataproxy\.jsp")),
    ("gkmlpt", re.compile(rb"/gkmlpt/|\bSID\s*:\s*['\"]")),
    ("epoint", re.compile(rb"class=\"ewb-|iList\.jsp|EWB-FRONT")),
    ("trs", re.compile(rb"createPageHTML|TRS_Editor|var\s+countPage|/t20\d{6}_\d+\.s?html")),
    ("smallcms", re.compile(rb"api\.php\?op=count|/e/public/ViewClick|_showDynClicks|dynclicks|pb_sys_|vsb_content|"
                            rb"content=\"VSB|phpcms|news_list")),
]
# the whole link text: 年报, 年度报告, 政府信息公开年报, 政务公开工作年度报告 … (not 统计年报)
COLUMN_TEXT = re.compile(r"^(政府)?(信息公开|政务公开)?(工作)?(年度报告|年报)(专栏|栏目)?$")
XXGK_TEXT = re.compile(r"^(政府)?(信息公开|政务公开)(目录|专栏|平台|专题)?$|^法定主动公开(内容|目录)?$|^主动公开(目录|内容)?$")
HUB_FIRST = re.compile(r"法定主动公开|主动公开")       # the deeper hub: tried first
# a platform's column paths, accepted only when seen linked (never requested blind)
KNOWN_COLUMN_PATH = re.compile(r"/(zfxxgknb|xxgknb|zwgknb|gknb|xxgkndbg|ndbg)(/|\.s?html?$|$)|"
                               r"/(zfxxgkndbg|xxgk/nb|zfxxgk/nb)(/|$)", re.I)
KNOWN_HUB_PATH = re.compile(r"/gkmlpt/(index|mindex)?$|/(zfxxgk|xxgk|zwgk)/?(index\.s?html?)?$", re.I)


def fingerprint(body: bytes) -> str | None:
    for platform, pat in FINGERPRINTS:
        if pat.search(body):
            return platform
    return None


def find_column(response: Response, platform: str | None = None) -> tuple[list[tuple[str, str]], list[str]]:
    """([(column URL, how found)], [信息公开 hub URLs]) of a home or hub page: a column by
    its link text (政府信息公开年报, 年度报告 …) or by a platform's known column path
    (TRS ``zfxxgknb`` …) that the page links; hubs by link text (政府信息公开,
    法定主动公开内容 …) or known hub path (``/gkmlpt/index``), deeper hubs first."""
    columns: dict[str, str] = {}
    first, sections = [], []
    if not hasattr(response, "css"):
        return [], []
    for a in response.css("a[href]"):
        href = a.attrib.get("href", "").strip()
        if not href or href.lower().startswith(SKIP_HREF):
            continue
        text = clean(a.attrib.get("title") or " ".join(a.css("::text").getall())).replace(" ", "")
        url, _ = safe_url(response.url, href)
        if url is None or len(text) > 16:
            continue
        has_year = bool(re.search(r"(19|20)\d\d", text))
        path = urlsplit(url).path
        if text and not has_year and COLUMN_TEXT.search(text):
            columns.setdefault(url, f"link text: {text}")
        elif KNOWN_COLUMN_PATH.search(path) and not has_year and not TRS_ARTICLE.search(path):
            columns.setdefault(url, f"platform path: {path}" + (f" ({platform})" if platform else ""))
        elif text and XXGK_TEXT.search(text):
            (first if HUB_FIRST.search(text) else sections).append(url)
        elif KNOWN_HUB_PATH.search(path) and urlsplit(url).netloc == urlsplit(response.url).netloc:
            sections.append(url)
    hubs = [u for u in dict.fromkeys(first + sections) if u.split("#")[0] != response.url]
    return list(columns.items()), hubs


def find_search(response: Response) -> tuple[str, str] | None:
    """(action URL, query field) of a same-site GET search form on the page, or None."""
    if not hasattr(response, "css"):
        return None
    host = urlsplit(response.url).netloc
    for form in response.css("form"):
        if (form.attrib.get("method") or "get").lower() != "get":
            continue
        action, _ = safe_url(response.url, form.attrib.get("action") or response.url)
        if action is None or urlsplit(action).netloc != host:
            continue
        names = [n for n in form.css("input::attr(name)").getall()]
        field = next((n for n in SEARCH_FIELDS if n in names), None)
        if field:
            return action.split("#")[0], field
    return None


class AutoSpider(PortalSpider):
    """Fingerprint, else follow the column by link text and paginate heuristically."""

    name = "auto"
    platform = "auto"

    def parse_list(self, response: Response, portal: registry.Portal):
        from crawler.spiders import PLATFORM_SPIDERS
        platform = self.detected.get(portal.id) or fingerprint(response.body)
        if platform:
            self.detected[portal.id] = platform
            self.crawler.stats.set_value(f"xxgk/detected/{portal.id}", platform)
            yield from PLATFORM_SPIDERS[platform].parse_list(self, response, portal)
        else:
            yield from PortalSpider.parse_list(self, response, portal)
