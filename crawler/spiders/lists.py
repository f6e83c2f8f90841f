"""List pages: the article entries (:class:`Link`) and further pages of a column list.

Pure functions over a Scrapy response (or parsel selector): no requests, no state.
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
            text = clean(" ".join(node.css("::text").getall()))
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
        date = norm_date(clean(" ".join(row.css("::text").getall()))) if row is not None else None
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
