"""``xxgk portals discover URL``: fetch a portal's home page (politely: robots.txt,
the project's User-Agent, ≥1 s between requests, same site only), fingerprint the
platform and find the 信息公开 → 年报 column by link text."""
from __future__ import annotations

import time
import urllib.request
import urllib.robotparser
from urllib.parse import urljoin, urlsplit

from scrapy.http import HtmlResponse

from crawler import settings as S
from crawler.cli import UserError
from crawler.middlewares import host_allowed, is_private_host
from crawler.portals import netloc
from crawler.spiders.auto import find_column, fingerprint


def _fetch(url: str, allow_private: bool) -> HtmlResponse:
    if not allow_private and is_private_host(urlsplit(url).hostname):
        raise UserError(f"refusing private or loopback address: {url}")
    req = urllib.request.Request(url, headers={"User-Agent": S.USER_AGENT})
    with urllib.request.urlopen(req, timeout=S.DOWNLOAD_TIMEOUT) as r:
        body = r.read(S.DOWNLOAD_MAXSIZE)
        return HtmlResponse(url=r.geturl(), body=body, headers={"Content-Type": r.headers.get("Content-Type", "")})


def discover(url: str, allow_private: bool = False, delay: float = 1.0, max_pages: int = 4) -> dict:
    if not allow_private and is_private_host(urlsplit(url).hostname):
        return {"url": url, "platform": None, "column": None, "visited": [],
                "errors": [f"refusing private or loopback address: {url}"]}
    robots = urllib.robotparser.RobotFileParser(urljoin(url, "/robots.txt"))
    try:  # with our User-Agent, not urllib's
        req = urllib.request.Request(urljoin(url, "/robots.txt"), headers={"User-Agent": S.USER_AGENT})
        with urllib.request.urlopen(req, timeout=S.DOWNLOAD_TIMEOUT) as r:
            robots.parse(r.read(512 * 1024).decode("utf-8", "replace").splitlines())
    except Exception:
        robots = None
    allowed = {netloc(url)}
    queue, seen, result = [url], set(), {"url": url, "platform": None, "column": None, "visited": []}
    while queue and len(seen) < max_pages:
        page = queue.pop(0)
        if page in seen or not host_allowed(page, allowed):
            continue
        if robots is not None and not robots.can_fetch(S.USER_AGENT, page):
            continue
        if seen:
            time.sleep(delay)
        seen.add(page)
        try:
            response = _fetch(page, allow_private)
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            result.setdefault("errors", []).append(f"{page}: {exc}")
            continue
        result["visited"].append(page)
        if response.status in (412, 521):
            result["blocked"] = True
            break
        result["platform"] = result["platform"] or fingerprint(response.body)
        columns, sections = find_column(response)
        if columns:
            result["column"], result["how"] = columns[0]
            if not result["platform"] or result["platform"] == "smallcms":
                try:
                    time.sleep(delay)
                    result["platform"] = fingerprint(_fetch(result["column"], allow_private).body) or result["platform"]
                except Exception:
                    pass
            break
        queue += [s for s in sections if s not in seen]
    return result
