"""List pages: the article entries (:class:`Link`), further pages of the same list, and
the sub-lists a column page links (one per year, per department or township, an
iframe holding the list).

Pure functions over a Scrapy response (or anything with ``.url``, ``.text`` and
``.css``): no requests, no state.  The markups real portals use are all read the
same way — an anchor, the row it sits in (``<li>``, ``<tr>``, ``<dl>``/``<dd>``,
``<div>``/``<p>``) and a date in the row, in the anchor's text, in a sibling element
(``<dd>2024-01-15</dd>`` after the link's ``<dd>``), or nowhere; the full title in
``title=`` when the text is cut ("…").
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from scrapy.http import Response

from crawler import classify

DATE_RE = re.compile(r"((?:19|20)\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
ATTACHMENT_RE = re.compile(r"\.(pdf|docx?|wps|xlsx?|zip|rar|ofd|et)(?:$|[?#])", re.I)
REPORT_FILE_RE = re.compile(r"\.(pdf|docx?|wps)(?:$|[?#])", re.I)   # files the parser reads
PAGER_TEXT = re.compile(r"^(下一页|下页|后页|尾页|末页|next|»|>|\d{1,3})$", re.I)
PAGER_HREF = re.compile(r"(index_\d+\.s?html?|[?&](cur_?page|page|pageNo|pageIndex|pn|p)=\d+|/\d+\.html?$|_\d+\.s?html?$|list_\d+)",
                        re.I)
# unmistakably a list page (the loose ``_N.html`` / ``/N.html`` of PAGER_HREF also match
# articles: TRS ``t20240115_12345.htm``, EmpireCMS ``/7477.html``)
LIST_PAGE_HREF = re.compile(r"(index_\d+\.s?html?$|[?&](cur_?page|page|pageNo|pageIndex|pn)=\d+|list_\d+\.s?html?$)", re.I)
TRS_ARTICLE = re.compile(r"/t\d{8}_\d+(?:_\d+)?\.s?html?$", re.I)
NEXT_TEXT = re.compile(r"^(下一页|下页|后页|next|»|>)$", re.I)
SKIP_HREF = ("javascript:", "#", "mailto:", "tel:", "data:")
# sub-lists of a column: one per year, per kind of body, or per department/township
YEAR_TEXT = re.compile(r"^((?:19|20)\d\d)\s*年?度?(政府)?(信息公开|政务公开)?(工作)?(年度报告|年报)?$")
SUBCOLUMN_TEXT = re.compile(r"^(本级|政府|部门|单位|乡镇|街道|乡镇街道|乡镇（街道）|镇街|县直|市直|区直|县直部门|市直部门|区直部门|"
                            r"县级部门|市级部门|区级部门|其他)(信息公开|政务公开)?(工作)?(年度报告|年报)$")
AGENCY_TEXT = re.compile(r"^[\u4e00-\u9fa5（）()]{2,24}(局|委|办|办公室|院|镇|乡|街道|街道办事处|中心|政府|委员会|所|处|站|队|馆|会)$")


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


def safe_url(base: str, href: str) -> tuple[str | None, str | None]:
    """(absolute URL, None), or (None, why) for a link that cannot be requested
    (``http://[::1/x``, a port out of range, no host, not http)."""
    try:
        url = urljoin(base, href.strip())
        parts = urlsplit(url)
        parts.port   # raises ValueError for a port out of range or not a number
    except ValueError as exc:
        return None, f"malformed link: {exc}"
    if parts.scheme not in ("http", "https"):
        return None, f"not an http link: {parts.scheme or 'no scheme'}"
    if not parts.hostname:
        return None, "malformed link: no host"
    return url, None


def _anchors(response):
    if not hasattr(response, "css"):
        return []
    return response.css("a[href]")


def link_title(a) -> str:
    """The full title: ``title=`` when the text is cut short or absent, else the text."""
    text = clean(" ".join(a.css("::text").getall()))
    attr = clean(a.attrib.get("title"))
    if attr and (not text or classify.is_truncated(text) or len(attr) >= len(text)
                 or attr.startswith(text.rstrip(".…"))):
        return attr
    return text


def _tag(node) -> str:
    tag = getattr(node.root, "tag", "")
    return tag if isinstance(tag, str) else ""


def _text(node) -> str:
    return clean(" ".join(node.css("::text").getall()))


def _other_link(sel, href: str, cache: dict | None = None) -> bool:
    """*sel* is, or holds, a link to somewhere other than *href* (a duplicated anchor to
    the same article — ``<a href=x><a href=x>title</a>`` — is the same link).  *cache*
    keeps each element's links, so a page is walked once however many anchors it has."""
    el = sel.root
    hrefs = cache.get(el) if cache is not None else None
    if hrefs is None:
        hrefs = frozenset(sel.xpath("self::a/@href | .//a/@href").getall())
        if cache is not None:
            cache[el] = hrefs
    return bool(hrefs - {href})


def _date_of(a, crowded: dict | None = None) -> str | None:
    """The date shown with an anchor: in the anchor's own text, in the row it sits in
    (the highest ancestor, up to four levels, holding no link elsewhere), or in the
    sibling elements of that row up to the next link (``<dd>`` pairs, ``<td>``s, a
    ``<span>`` before the link)."""
    own = norm_date(_text(a))
    if own:
        return own
    href = a.attrib.get("href", "")
    node = a
    for _ in range(4):
        parent = node.xpath("..")
        if not parent or _tag(parent[0]) in ("body", "html", "ul", "ol", "table", "tbody"):
            break
        if _other_link(parent[0], href, crowded):
            break
        node = parent[0]
        text = _text(node)
        if len(text) < 400:
            d = norm_date(text)
            if d:
                return d
    for axis in ("following-sibling::node()[1][self::text()]", "preceding-sibling::node()[1][self::text()]"):
        d = norm_date(" ".join(node.xpath(axis).getall()))    # "<a>…</a> 2024-01-15<br>"
        if d:
            return d
    for axis in ("following-sibling::*[position() <= 3]", "preceding-sibling::*[position() <= 2]"):
        for sib in node.xpath(axis):   # nearest first on both axes
            if _other_link(sib, href, crowded):
                break
            d = norm_date(_text(sib))
            if d:
                return d
    return None


def generic_links(response: Response, bad: list | None = None) -> list[Link]:
    """Article links of a list page: anchors shown with a date (real list rows always
    have one), or, failing that, anchors whose title names a report.  A link that cannot
    be requested is left out and, when *bad* is a list, added to it as ``(href, why)``:
    one malformed link never costs the rest of the page."""
    links: dict[str, Link] = {}
    crowded: dict = {}      # element → the links it holds (walked once per element)
    for a in _anchors(response):
        href = a.attrib.get("href", "").strip()
        if not href or href.lower().startswith(SKIP_HREF):
            continue
        title = link_title(a)
        if len(title) < 6:
            continue
        url, why = safe_url(response.url, href)
        if url is None:
            if bad is not None:
                bad.append((href, why))
            continue
        date = _date_of(a, crowded)
        if date is None and classify.classify_title(title)[0] != "report" and not classify.maybe_report(title):
            continue
        if LIST_PAGE_HREF.search(href) and not date and not TRS_ARTICLE.search(href):
            continue
        if date and len(title) > 10 and norm_date(title) == date:    # "标题 2024-01-15" in the anchor
            stripped = clean(DATE_RE.sub("", title).strip(" []()（）【】-"))
            if len(stripped) >= 6:
                title = stripped
        prev = links.get(url)
        if prev is None or (not prev.title and title) or (prev.date is None and date):
            links[url] = Link(url=url, title=title if prev is None or len(title) >= len(prev.title) else prev.title,
                              date=date or (prev.date if prev else None))
    return list(links.values())


def generic_pages(response: Response, articles: set[str] = frozenset()) -> list[str]:
    """Further list pages: script pagers (TRS ``createPageHTML``, ``countPage``) and
    pager links (下一页, page numbers, ``?page=N``) that stay in the column."""
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
    col_dir = urlsplit(base).path.rsplit("/", 1)[0]
    for a in _anchors(response):
        label = clean(" ".join(a.css("::text").getall()))
        href = a.attrib.get("href", "").strip()
        if not href or href.lower().startswith(SKIP_HREF):
            continue
        if not PAGER_TEXT.match(label) and not (PAGER_HREF.search(href) and len(label) <= 4):
            continue
        url, _ = safe_url(base, href)
        if url is None or url in articles or TRS_ARTICLE.search(urlsplit(url).path):
            continue
        if not PAGER_HREF.search(url) and not NEXT_TEXT.match(label):
            continue
        path = urlsplit(url).path
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


@dataclass
class SubList:
    url: str
    text: str
    how: str          # "year" | "subcolumn" | "agency" | "iframe"


def sub_lists(response: Response, articles: set[str] = frozenset()) -> list[SubList]:
    """The sub-lists a column page links: one per year ("2024年度", "2023年"), per kind
    of body ("部门年报", "乡镇年报"), per department or township (an agency name linking
    a list under the column's own directory), and a same-site ``<iframe>`` holding the
    list.  Only links seen on the page: nothing is guessed."""
    base = response.url
    host = urlsplit(base).netloc
    col_dir = urlsplit(base).path.rsplit("/", 1)[0] + "/"
    out: dict[str, SubList] = {}
    for a in _anchors(response):
        href = a.attrib.get("href", "").strip()
        if not href or href.lower().startswith(SKIP_HREF):
            continue
        text = clean(a.attrib.get("title") or " ".join(a.css("::text").getall())).replace(" ", "")
        if not text or len(text) > 24:
            continue
        url, _ = safe_url(base, href)
        if url is None or url in articles or urlsplit(url).netloc != host or url.split("#")[0] == base:
            continue
        path = urlsplit(url).path
        if TRS_ARTICLE.search(path) or ATTACHMENT_RE.search(path):
            continue
        inside = path.startswith(col_dir) and path != urlsplit(base).path
        if YEAR_TEXT.match(text) and (inside or "/col/col" in path):
            how = "year"
        elif SUBCOLUMN_TEXT.match(text):
            how = "subcolumn"
        elif inside and AGENCY_TEXT.match(text) and not re.search(r"(19|20)\d\d", text):
            how = "agency"
        else:
            continue
        out.setdefault(url, SubList(url, text, how))
    if hasattr(response, "css"):
        for src in response.css("iframe::attr(src), frame::attr(src)").getall():
            url, _ = safe_url(base, src)
            if url and urlsplit(url).netloc == host and url != base:
                out.setdefault(url, SubList(url, "", "iframe"))
    return list(out.values())


def article_pages(response: Response) -> list[str]:
    """The further pages of an article split over ``t…_1.html``, ``t…_2.html`` (TRS
    ``createPageHTML(n, 0, "t20240115_123", "html")`` in the article page)."""
    text = response.text if hasattr(response, "text") else ""
    name = urlsplit(response.url).path.rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0]
    m = re.search(r"createPageHTML\(\s*(\d+)\s*,\s*0\s*,\s*['\"]" + re.escape(stem) + r"['\"]\s*,\s*['\"](\w+)['\"]", text)
    if not m:
        return []
    return [urljoin(response.url, f"{stem}_{i}.{m.group(2)}") for i in range(1, min(int(m.group(1)), 50))]


CONTENT_SELECTORS = (".TRS_Editor", "#zoom", ".article-content", ".content", "#content", ".zw", "#UCAP-CONTENT",
                     ".v_news_content", "article", "body")


def _content(sel):
    for css in CONTENT_SELECTORS:
        node = sel.css(css)
        if node:
            return node[0]
    return None


def join_article_pages(first: bytes, encoding: str | None, parts: list[str]) -> bytes:
    """One page from an article split over several: the first page with the content
    (``.TRS_Editor``, ``#zoom`` …) of each further page appended to its own content,
    as UTF-8 (the charset declaration rewritten to match)."""
    import lxml.html
    from parsel import Selector

    text = first.decode(encoding or "utf-8", "replace")
    doc = lxml.html.document_fromstring(text)
    target = None
    for css in CONTENT_SELECTORS:
        found = doc.cssselect(css)
        if found:
            target = found[0]
            break
    for part in parts:
        node = _content(Selector(text=part))
        if node is None or target is None:
            continue
        for child in lxml.html.fragments_fromstring(node.get()) or []:
            if isinstance(child, str):
                continue
            if child.tag == target.tag and child.get("class") == target.get("class") and child.get("id") == target.get("id"):
                for sub in list(child):      # the container itself: its children only
                    target.append(sub)
                if child.text and child.text.strip():
                    p = lxml.html.Element("p")
                    p.text = child.text
                    target.append(p)
            else:
                target.append(child)
    for meta in doc.xpath("//meta[@charset]"):
        meta.set("charset", "utf-8")
    for meta in doc.xpath("//meta[@http-equiv]"):
        if meta.get("http-equiv", "").lower() == "content-type":
            meta.set("content", "text/html; charset=utf-8")
    return lxml.html.tostring(doc, encoding="utf-8", doctype="<!DOCTYPE html>")
