"""Downloading attachments: a subclass of Scrapy's FilesPipeline with the crawler's manners.

:class:`AttachmentsPipeline` runs first among the item pipelines.  For each
:class:`~crawler.items.ReportPage` it downloads

* the file of a report published only as a file (``item.attachment_only``: a list entry
  linking straight to a PDF / DOC / DOCX / WPS), and
* the attachment links of a report page (``item.attachments``: 附件 PDF, Word, WPS, Excel…),

through the engine, so every downloader middleware applies exactly as to pages:
robots.txt, the portal guard (other sites and private addresses refused), one request
at a time per site with the download delay, retries with backoff.  Per-request limits
come from settings: ``XXGK_ATTACHMENT_MAXSIZE`` (bytes, default 30 MB) and
``XXGK_ATTACHMENT_TIMEOUT`` (seconds, default 120).  One URL is downloaded once per
crawl, however many pages link it (the media pipeline's cache).

Files are stored content-addressed under the files folder next to the archive
(``XXGK_FILES_STORE``, default ``<archive>.files/``): ``full/<sha256[:2]>/<sha256><ext>``,
so a changed file never overwrites the copy an earlier version was parsed from.
A URL downloaded before is asked again with ``If-None-Match`` / ``If-Modified-Since``;
a 304 reuses the stored file.

Results land in ``item.files``, one dict per URL: ``url, text, status`` (``downloaded``,
``not_modified``, ``failed``, ``refused``), ``path`` (relative to the files folder),
``abspath``, ``sha256, size, mime, http_status, etag, last_modified, error, fetched_at``.
For an attachment-only report the pipeline also fills ``item.body`` (and decides, as the
spider does for pages, whether it is unchanged: then the item is dropped).
"""
from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from scrapy.exceptions import DropItem, IgnoreRequest
from scrapy.http import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.pipelines.files import FilesPipeline

from crawler.items import ReportPage
from db.clock import now_iso

logger = logging.getLogger(__name__)

MIME_BY_KIND = {"pdf": "application/pdf", "ole": "application/msword", "zip": "application/zip",
                "image": "image/*"}
EXT_MIME = {".pdf": "application/pdf", ".doc": "application/msword", ".wps": "application/vnd.ms-works",
            ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ".xls": "application/vnd.ms-excel", ".et": "application/vnd.ms-excel",
            ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ".zip": "application/zip", ".rar": "application/vnd.rar", ".ofd": "application/ofd"}
PARSEABLE = {"pdf", "zip", "ole"}   # what pipelines.parse_document reads (sniffed by content)


def files_dir(settings) -> str:
    """``XXGK_FILES_STORE``, else ``<XXGK_DB>.files`` next to the archive."""
    explicit = settings.get("XXGK_FILES_STORE") or settings.get("FILES_STORE")
    if explicit:
        return str(explicit)
    return str(Path(settings.get("XXGK_DB") or "archive.db").resolve()) + ".files"


def sniff(body: bytes) -> str:
    from pipelines.decode import sniff as _sniff
    return _sniff(body)


def mime_of(url: str, body: bytes, served: str | None) -> str:
    """The file's type by its content where that is unambiguous, else by name, else as served."""
    kind = sniff(body[:8192]) if body else ""
    ext = PurePosixPath(urlsplit(url).path).suffix.lower()
    if kind == "pdf":
        return "application/pdf"
    if kind in ("zip", "ole") and ext in EXT_MIME and ext not in (".pdf",):
        return EXT_MIME[ext]
    if kind in MIME_BY_KIND:
        return MIME_BY_KIND[kind]
    if served:
        return served.split(";")[0].strip()
    return EXT_MIME.get(ext) or mimetypes.guess_type(url)[0] or "application/octet-stream"


class AttachmentsPipeline(FilesPipeline):
    MEDIA_NAME = "attachment"

    def __init__(self, store_uri, download_func=None, *, crawler):
        super().__init__(store_uri, crawler=crawler)
        s = crawler.settings
        self.basedir = Path(store_uri)
        self.enabled = s.getbool("XXGK_ATTACHMENTS", True)
        self.maxsize = s.getint("XXGK_ATTACHMENT_MAXSIZE", 30 * 1024 * 1024)
        self.timeout = s.getfloat("XXGK_ATTACHMENT_TIMEOUT", 120)
        self.max_per_page = s.getint("XXGK_ATTACHMENTS_PER_PAGE", 20)
        self.errors: dict[str, str] = {}   # url -> why its download failed (this crawl)

    @classmethod
    def from_crawler(cls, crawler):
        cls._update_stores(crawler.settings)
        return cls(files_dir(crawler.settings), crawler=crawler)

    @property
    def spider(self):
        return self.crawler.spider

    # -- requests ---------------------------------------------------------------
    def get_media_requests(self, item, info):
        if not isinstance(item, ReportPage) or not self.enabled:
            return []
        wanted = item.attachments[:1] if item.attachment_only else item.attachments[:self.max_per_page]
        item.files = []
        requests = []
        archive = getattr(self.spider, "archive", None)
        for a in wanted:
            url = a["url"]
            entry = {"url": url, "text": a.get("text"), "status": "pending"}
            headers = {"Referer": item.list_url if item.attachment_only else (item.final_url or item.url)}
            prev = archive.last_attachment(url) if archive is not None else None
            if prev and prev.get("path") and (self.basedir / prev["path"]).is_file():
                if prev.get("etag"):
                    headers["If-None-Match"] = prev["etag"]
                if prev.get("last_modified"):
                    headers["If-Modified-Since"] = prev["last_modified"]
            else:
                prev = None
            item.files.append(entry)
            requests.append(Request(url, callback=NO_CALLBACK, headers=headers, meta={
                "portal": item.portal, "kind": "attachment", "download_maxsize": self.maxsize,
                "download_warnsize": min(self.maxsize, 10 * 1024 * 1024), "download_timeout": self.timeout,
                "xxgk_prev": prev}))
        return requests

    def media_to_download(self, request, info, *, item=None):
        return None   # whether to ask is decided by the spider (and the request is conditional)

    def file_path(self, request, response=None, info=None, *, item=None):
        ext = PurePosixPath(urlsplit(request.url).path).suffix.lower()
        if not ext or len(ext) > 6 or not ext[1:].isalnum():
            ext = ""
        digest = hashlib.sha256(response.body).hexdigest() if response is not None else \
            hashlib.sha1(request.url.encode()).hexdigest()
        return f"full/{digest[:2]}/{digest}{ext}"

    # -- answers ------------------------------------------------------------------
    async def media_downloaded(self, response, request, info, *, item=None):
        out = {"url": request.url, "final_url": response.url, "http_status": response.status,
               "fetched_at": now_iso(), "etag": _header(response, "ETag"),
               "last_modified": _header(response, "Last-Modified")}
        prev = request.meta.get("xxgk_prev")
        if response.status == 304 and prev:
            self.inc_stats("not_modified")
            return {**out, **{k: prev.get(k) for k in ("path", "sha256", "size", "mime")},
                    "etag": out["etag"] or prev.get("etag"), "last_modified": out["last_modified"] or prev.get("last_modified"),
                    "status": "not_modified", "abspath": str(self.basedir / prev["path"])}
        if response.status != 200:
            self.inc_stats("failed")
            return {**out, "status": "failed", "error": f"HTTP {response.status}"}
        body = response.body
        if not body:
            self.inc_stats("failed")
            return {**out, "status": "failed", "error": "empty file"}
        path = self.file_path(request, response=response, info=info, item=item)
        full = self.basedir / path
        if not full.exists():
            full.parent.mkdir(parents=True, exist_ok=True)
            tmp = full.with_suffix(full.suffix + ".part")
            tmp.write_bytes(body)
            os.replace(tmp, full)
        self.inc_stats("downloaded")
        return {**out, "status": "downloaded", "path": path, "abspath": str(full),
                "sha256": hashlib.sha256(body).hexdigest(), "size": len(body),
                "mime": mime_of(response.url, body, _header(response, "Content-Type"))}

    def media_failed(self, failure, request, info):
        """Refused (off-site, robots.txt, private address), too big, timed out: noted for
        :meth:`item_completed` (a warning, not a traceback; the item goes on)."""
        refused = isinstance(failure.value, IgnoreRequest)
        msg = str(failure.value) or type(failure.value).__name__
        if not refused:
            logger.warning("attachment %s could not be downloaded: %s", request.url, msg)
        self.errors[request.url] = ("refused: " if refused else "") + msg[:300]
        return None

    def item_completed(self, results, item, info):
        if not isinstance(item, ReportPage):
            return item
        for entry, (ok, value) in zip(item.files, results):
            if ok and isinstance(value, dict):
                entry.update(value)
            else:
                msg = str(getattr(value, "value", None) or self.errors.get(entry["url"]) or "download failed")
                entry.update(status="refused" if msg.startswith("refused") else "failed", error=msg[:300],
                             fetched_at=now_iso())
        spider = self.spider
        for f in item.files:
            spider.count(item.portal, "attachments" if f["status"] in ("downloaded", "not_modified")
                         else "attachments_failed")
        if item.attachment_only:
            return self._file_report(item)
        return item

    def _file_report(self, item: ReportPage) -> ReportPage:
        """A report that is only a file: dead, unchanged (dropped) or the item to parse."""
        spider = self.spider
        f = item.files[0] if item.files else {"status": "failed", "error": "not downloaded"}
        portal = spider.portal(item.portal)
        if f["status"] not in ("downloaded", "not_modified"):
            dead = f["status"] == "failed"
            spider.count(item.portal, "dead" if dead else "refused")
            spider.log_event(item.portal, item.url, "skipped",
                             ("dead_link" if str(f.get("http_status") or "").startswith("4") else
                              f"attachment_only: {f.get('error')}"), f.get("http_status"), item.list_title,
                             item.list_url)
            raise DropItem(f"report file not downloaded: {item.url} ({f.get('error')})")
        st = spider.state.get(item.url)
        if f["status"] == "not_modified" or (st is not None and st.sha256 == f.get("sha256")):
            from crawler.spiders.base import Link
            how = "not_modified" if f["status"] == "not_modified" else "content_unchanged"
            spider.confirmed_unchanged(portal or item.portal, item.url,
                                       Link(item.url, item.list_title or "", item.list_date), how)
            raise DropItem(f"report file unchanged: {item.url}")
        item.body = Path(f["abspath"]).read_bytes()
        item.final_url = f.get("final_url") or item.url
        item.http_status = 200
        item.headers = {k: v for k, v in (("Content-Type", f.get("mime")), ("ETag", f.get("etag")),
                                          ("Last-Modified", f.get("last_modified"))) if v}
        spider.count(item.portal, "reports")
        spider.count(item.portal, "file_reports")
        return item


def _header(response, name: str) -> str | None:
    v = response.headers.get(name)
    return v.decode("latin-1") if v else None
