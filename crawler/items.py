"""Typed items the spiders yield.

A spider never parses a report: it hands the raw bytes of the page to the item
pipelines (:mod:`crawler.itempipelines`), which call the parser and the archive.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from db.clock import now_iso


@dataclass(repr=False)
class ReportPage:
    """One downloaded page whose list title says it is an annual report."""

    portal: str                     # registry key (name) of the portal
    region_code: str                # GB/T 2260 code of the portal
    platform: str                   # platform the page was crawled with
    url: str                        # URL as linked from the list
    final_url: str                  # after redirects
    http_status: int
    headers: dict[str, str]
    body: bytes
    encoding: str | None            # encoding declared by HTTP or detected by Scrapy
    list_url: str | None = None     # the list page that linked it
    list_title: str | None = None   # title as shown in the list
    list_date: str | None = None    # date as shown in the list
    column: str | None = None       # the column (年报栏目) URL the list belongs to
    clicks: int | None = None       # from the counter endpoint, None when there is none
    attachments: list[dict] = field(default_factory=list)   # [{url, text}] seen by the spider
    attachment_only: bool = False   # the report is a file (PDF/DOC/…) linked straight from the list
    files: list[dict] = field(default_factory=list)   # download results (crawler.attachments)
    aliases: list[str] = field(default_factory=list)  # other URLs of it: the list's URL before a redirect
    fetched_at: str = field(default_factory=now_iso)
    record: dict | None = None      # filled by ParsePipeline

    def __repr__(self) -> str:
        return (f"ReportPage(portal={self.portal!r}, url={self.url!r}, status={self.http_status}, "
                f"bytes={len(self.body)}, title={self.list_title!r}, clicks={self.clicks})")

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


@dataclass
class BlockedPage:
    """A page that answered with an anti-bot challenge; the portal is skipped."""

    portal: str
    region_code: str
    url: str
    http_status: int
    reason: str                     # e.g. "412 JavaScript challenge ($_ts)"
    fetched_at: str = field(default_factory=now_iso)


@dataclass
class SkippedLink:
    """A link the crawler saw and deliberately did not archive (and why)."""

    portal: str
    region_code: str
    url: str
    title: str | None
    reason: str                     # interpretation | infographic | notice | not_report | dead_link | duplicate | ...
    list_url: str | None = None
    http_status: int | None = None
    fetched_at: str = field(default_factory=now_iso)
