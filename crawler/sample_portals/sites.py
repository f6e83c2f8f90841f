"""The sample portals: one small site per publishing platform, realistic enough that a
spider passing on them has a fair chance on real portals built on the same platform.

Every site is a :class:`Site`: a table of paths → responses plus a few dynamic
endpoints (pagination APIs, counters).  Between them the sites have:

* ``trs``      TRS WCM, real pages docs/120–122; ``createPageHTML`` pager; robots.txt with a
               disallowed path holding a report; a moved article (301); ETag/Last-Modified.
* ``hanweb``   Hanweb JCMS; ``<datastore>`` first page + ``dataproxy.jsp`` POST paging; an
               article that answers 500 once; ``visit.jsp`` counter; 文字版 pages with their
               全真版 file (the real PDF of 001, a DOCX of 003) and one corrupt PDF (002 cut short).
* ``gkmlpt``   Guangdong gkmlpt; SID in the page; JSON list API.
* ``epoint``   Epoint; ``iList.jsp?cur_page=N``; a slow article; view-count REST call; two
               reports published only as a file, linked straight from the list (PDF, DOC).
* ``empire``   EmpireCMS (small CMS), real pages docs/101–115 of 柘城县; the same report at two
               URLs; a dead link (404); counter script pointing at the original host.
* ``phpcms``   PHPCMS (small CMS), **GBK**, the 托里县 seed; ``api.php?op=count`` counter that
               adds one per call.
* ``vsb``      VSB/博达 (small CMS) registered as ``auto`` with only its home page: the column
               must be found from 信息公开 → 年报 links; ``dynclicks.jsp`` counter.
* ``blocked``  answers everything with HTTP 412 and a 瑞数-style ``$_ts`` challenge.

Seven more, laid out as real columns these do not copy (per-year sub-lists, hubs,
department and township sub-columns, a split TRS article, an iframe list, an endless
下一页 chain, a search form), are in :mod:`.layouts` and appended to ``SITE_CLASSES``.
"""
from __future__ import annotations

import hashlib
import html
import json
import re
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from urllib.parse import parse_qs, urlsplit

from . import content
from .content import Doc, non_report


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def html_reply(text: str, encoding: str = "utf-8", content_type_charset: bool = True, **kw) -> Reply:
    ctype = f"text/html; charset={encoding}" if content_type_charset else "text/html"
    return Reply(body=text.encode(encoding, "xmlcharrefreplace"), headers={"Content-Type": ctype}, **kw)


@dataclass
class Entry:
    """An article of a site: where it lives, what the lists show, its counter."""

    path: str
    doc: Doc
    list_path: str | None = None      # path shown in lists when different (moved article)
    counter_id: str = ""
    clicks: int = 0


class Site:
    """Base of the sample sites.  Subclasses fill ``self.entries`` and ``self.static`` and
    implement ``list_page`` and ``article_page``."""

    key = "site"
    platform = "auto"
    registry_platform = None          # the platform written in the registry (default: platform)
    region_code = "000000"
    name = ""
    level = "county"
    encoding = "utf-8"
    page_size = 5
    conditional = False               # answer If-None-Match / If-Modified-Since with 304
    robots = "User-agent: *\nDisallow:\n"
    column_paths: list[str] = []

    def __init__(self):
        self.port = 0
        self.lock = threading.Lock()
        self.log: list[dict] = []
        self.entries: list[Entry] = []
        self.static: dict[str, Reply] = {}
        self.counters: dict[str, int] = {}
        self.fail_once: set[str] = set()
        self.slow: dict[str, float] = {}
        self.redirects: dict[str, str] = {}
        self.build()

    # -- to override ---------------------------------------------------------
    def build(self) -> None:
        raise NotImplementedError

    def list_page(self, path: str, query: dict, body: bytes) -> Reply | None:
        return None

    def home(self) -> str:
        return (f"<html><head><meta charset=\"{self.encoding}\"><title>{self.name}</title></head><body>"
                f"<div class=\"nav\"><a href=\"/\">首页</a> <a href=\"/xxgk/\">信息公开</a> <a href=\"/news/\">要闻动态</a></div>"
                f"<p>{self.name}门户网站（示例）</p></body></html>")

    def xxgk_home(self) -> str:
        col = self.column_paths[0] if self.column_paths else "/"
        return (f"<html><head><meta charset=\"{self.encoding}\"><title>信息公开-{self.name}</title></head><body>"
                f"<ul class=\"xxgk-nav\"><li><a href=\"/xxgk/zn/\">政府信息公开指南</a></li>"
                f"<li><a href=\"/xxgk/zd/\">政府信息公开制度</a></li>"
                f"<li><a href=\"{col}\">政府信息公开年报</a></li></ul></body></html>")

    # -- helpers ---------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, doc: Doc, counter_id: str = "", clicks: int = 0, list_path: str | None = None) -> Entry:
        e = Entry(path=path, doc=doc, counter_id=counter_id, list_path=list_path)
        self.entries.append(e)
        if counter_id:
            self.counters[counter_id] = clicks
        return e

    def listed(self) -> list[Entry]:
        """Entries in list order: newest first."""
        return sorted(self.entries, key=lambda e: (e.doc.date, e.doc.time, e.path), reverse=True)

    def pages(self, entries: list[Entry] | None = None) -> list[list[Entry]]:
        entries = self.listed() if entries is None else entries
        return [entries[i:i + self.page_size] for i in range(0, len(entries), self.page_size)] or [[]]

    def bump(self, counter_id: str) -> int:
        with self.lock:
            self.counters[counter_id] = self.counters.get(counter_id, 0) + 1
            return self.counters[counter_id]

    def expected_reports(self) -> list[Entry]:
        """The report entries a complete crawl must archive (robots-disallowed and dead
        ones excluded)."""
        return [e for e in self.entries if e.doc.is_report and not self.disallowed(e.path)
                and e.path in self.article_paths()]

    def article_paths(self) -> set[str]:
        return {e.path for e in self.entries}

    def disallowed(self, path: str) -> bool:
        for line in self.robots.splitlines():
            k, _, v = line.partition(":")
            if k.strip().lower() == "disallow" and v.strip() and path.startswith(v.strip()):
                return True
        return False

    def registry_row(self) -> dict[str, str]:
        return {
            "region_code": self.region_code, "id": f"sample-{self.key}", "name": self.name, "level": self.level,
            "base_url": self.base_url, "platform": self.registry_platform or self.platform,
            "columns": "" if self.registry_platform == "auto" else " ".join(self.url(p) for p in self.column_paths),
            "params": "",
            "source": "sample portal (crawler/sample_portals), content: " + ", ".join(
                sorted({e.doc.source for e in self.entries if e.doc.source})[:6]),
            "enabled": "1", "notes": self.__doc__.strip().splitlines()[0] if self.__doc__ else "",
        }

    # -- request handling ----------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(raw_path)
        path, query = parts.path, parse_qs(parts.query)
        if path == "/robots.txt":
            return Reply(body=self.robots.encode(), headers={"Content-Type": "text/plain"})
        if path in self.redirects:
            return Reply(status=301, headers={"Location": self.url(self.redirects[path])})
        key = raw_path if raw_path in self.fail_once else path
        if key in self.fail_once:
            with self.lock:
                if key in self.fail_once:
                    self.fail_once.discard(key)
                    return Reply(status=500, body=b"<html><body>500 Internal Server Error</body></html>",
                                 headers={"Content-Type": "text/html"})
        if path == "/":
            return html_reply(self.home(), self.encoding)
        if path == "/xxgk/":
            return html_reply(self.xxgk_home(), self.encoding)
        reply = self.list_page(path, query, body)
        if reply is None:
            reply = self.counter(path, query)
        if reply is None:
            entry = next((e for e in self.entries if e.path == path or e.path == raw_path), None)
            if entry is not None:
                reply = self.serve_article(entry, headers)
        if reply is None and path in self.static:
            reply = self.static[path]
        if reply is None:
            return Reply(status=404, body=b"<html><head><title>404</title></head><body>404 Not Found</body></html>",
                         headers={"Content-Type": "text/html"})
        if path in self.slow or raw_path in self.slow:
            reply.delay = self.slow.get(path, self.slow.get(raw_path, 0))
        return reply

    def counter(self, path: str, query: dict) -> Reply | None:
        return None

    def render_article(self, entry: Entry) -> Reply:
        raise NotImplementedError

    def serve_article(self, entry: Entry, headers: dict[str, str]) -> Reply:
        if entry.doc.file is not None:   # a report published only as a file
            reply = Reply(body=entry.doc.file, headers={"Content-Type": content.file_type(entry.path)})
        else:
            reply = self.render_article(entry)
        if self.conditional:
            etag = '"' + hashlib.md5(reply.body).hexdigest()[:16] + '"'
            lm = formatdate(time.mktime(time.strptime(entry.doc.date + " " + entry.doc.time, "%Y-%m-%d %H:%M:%S")),
                            usegmt=True)
            reply.headers.update({"ETag": etag, "Last-Modified": lm})
            if headers.get("if-none-match") == etag or (
                    "if-none-match" not in headers and headers.get("if-modified-since") == lm):
                return Reply(status=304, headers={"ETag": etag, "Last-Modified": lm})
        return reply

    def attachment_links(self, doc: Doc, prefix: str) -> str:
        if not doc.attachments:
            return ""
        items = "".join(f'<li><a href="{prefix}{html.escape(f)}">{html.escape(t)}</a></li>' for f, t in doc.attachments)
        return f'<div class="attachments"><p>附件：</p><ul>{items}</ul></div>'

    def add_attachment_files(self, doc: Doc, prefix: str, files: dict[str, bytes] | None = None) -> None:
        for f, _ in doc.attachments:
            body = (files or {}).get(f) or b"%PDF-1.4\n% sample attachment " + f.encode() + b"\n%%EOF\n"
            self.static[prefix + f] = Reply(body=body, headers={"Content-Type": content.file_type(f)})


def _fixtures(platform: str) -> list[Doc]:
    return content.fixture_docs().get(platform, [])


# --------------------------------------------------------------------------- TRS
class TrsSite(Site):
    """TRS WCM sample (吉林市林业局 pages docs/120–122): createPageHTML pager, robots.txt, 301."""

    key = "trs"
    platform = "trs"
    region_code = "220200"
    name = "吉林市林业局（样例·TRS）"
    level = "department"
    page_size = 3
    conditional = True
    robots = "User-agent: *\nDisallow: /xxgk/ndbg/nbk/\nDisallow: /was5/\n"
    column_paths = ["/xxgk/ndbg/index.html"]

    def build(self):
        for path, doc in content.jilin_trs_docs():
            self.add(path, doc)
        # the 2019-03-07 re-posting was moved: lists still show the old .shtml address
        moved = next(e for e in self.entries if e.path.endswith("633608.html"))
        moved.list_path = moved.path.replace(".html", ".shtml")
        self.redirects[moved.list_path] = moved.path
        for i, doc in enumerate(_fixtures("trs")):
            d = doc.date.replace("-", "")
            self.add(f"/xxgk/ndbg/{d[:6]}/t{d}_{700000 + i}.html", doc)
        # non-reports of the real column (docs/123)
        nr = [("吉林市林业局2021年预算公开", "2021-02-26"), ("2020年度吉林市林业局政府网站工作年度报表", "2021-01-08"),
              ("2019年度吉林市林业局政府网站工作年度报表", "2020-01-13"), ("提案议案办理结果公开", "2018-12-24"),
              ("吉林市林业局政府信息公开指南", "2018-06-01")]
        for i, (t, date) in enumerate(nr):
            d = date.replace("-", "")
            self.add(f"/xxgk/ndbg/{d[:6]}/t{d}_{800000 + i}.html",
                     Doc(title=t, date=date, is_report=False, body_html=f"<p>{t}</p>"))
        self.add("/xxgk/ndbg/202401/t20240125_900001.html",
                 non_report(content.NON_REPORTS[0][0], "吉林市林业局", 2023, "2024-01-25"))
        # a report inside a path robots.txt disallows: must never be fetched
        self.add("/xxgk/ndbg/nbk/202402/t20240201_900002.html",
                 Doc(title="吉林市林业局2023年政府信息公开工作年度报告（内部库）", date="2024-02-01",
                     body_html="<p>robots.txt 禁止抓取的路径</p>"))

    def list_page(self, path, query, body):
        m = re.fullmatch(r"/xxgk/ndbg/index(?:_(\d+))?\.html", path)
        if not m:
            return None
        pages = self.pages()
        n = int(m.group(1) or 0)
        if n >= len(pages):
            return None
        rows = "\n".join(
            f'<li><span> {e.doc.date} </span><a href=".{(e.list_path or e.path)[len("/xxgk/ndbg"):]}">'
            f'<a href=".{(e.list_path or e.path)[len("/xxgk/ndbg"):]}">{html.escape(e.doc.title)}</a></li>'
            for e in pages[n])
        page = f"""<!DOCTYPE html><html><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="SiteName" content="吉林市林业局"><meta name="ColumnName" content="年度报告">
<title>年度报告</title>
<script type="text/javascript">
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){{
  if(_nPageCount == null || _nPageCount<=1){{ return; }}
  var nCurrIndex = _nCurrIndex || 0;
  if(nCurrIndex == 0) document.write("<span>首页</span>&nbsp;");
  else document.write("<a href=\\""+_sPageName+"."+_sPageExt+"\\">首页</a>&nbsp;");
  for(var i=0; i<_nPageCount; i++){{ /* … */ }}
}}
</script></head><body>
<div class="nav"><a href="../../index.html">网站首页</a> <a href="../bmwj/index.html">信息公开</a></div>
<div class="list"><ul>
{rows}
</ul></div>
<div class="page"><script>createPageHTML({len(pages)}, {n}, "index", "html");</script></div>
</body></html>"""
        return html_reply(page)

    def render_article(self, entry):
        if entry.doc.raw is not None:
            return Reply(body=entry.doc.raw, headers={"Content-Type": "text/html; charset=utf-8"})
        d = entry.doc
        page = f"""<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="ArticleTitle" content="{html.escape(d.title)}"><meta name="PubDate" content="{d.date} {d.time[:5]}">
<title>{html.escape(d.title)}</title></head><body>
<h1>{html.escape(d.title)}</h1><div class="z2"> 来源：{html.escape(d.agency or '吉林市林业局')}    时间：{d.date} {d.time[:5]}</div>
<div class="TRS_Editor">{d.body_html}</div>{self.attachment_links(d, './')}</body></html>"""
        return html_reply(page)


# ------------------------------------------------------------------------ Hanweb
class HanwebSite(Site):
    """Hanweb JCMS sample (淮安 reports, labelled/001–003): datastore XML + dataproxy.jsp."""

    key = "hanweb"
    platform = "hanweb"
    region_code = "320800"
    name = "淮安市人民政府（样例·大汉）"
    level = "city"
    page_size = 2
    conditional = True
    col_id = 2345
    unit_id = 68801
    column_paths = [f"/col/col{2345}/index.html"]

    def build(self):
        docs = content.text_docs()
        n = 100
        # 文字版 pages with their 全真版 file: the real PDF of 001, the Word file of 003
        # (built from the same text), and for 002 a PDF cut short in transit (corrupt)
        files = {"001": ("P020250328391712.pdf", "（全真版）", content.data_file("001.pdf")),
                 "002": ("P020240126553048.pdf", "（全真版）", content.damaged("002.pdf")),
                 "003": ("P020250124604187.docx", "（Word版）", content.data_file("report_003.docx"))}
        self.copies: dict[str, str] = {}
        for key in ("001", "002", "003"):
            doc = docs[key]
            y, m, d = (int(x) for x in doc.date.split("-"))
            n += 1
            self.add(f"/art/{y}/{m}/{d}/art_{self.col_id}_{n}.html", doc, counter_id=str(n), clicks=40 + n)
            fname, label, data = files[key]
            doc.attachments = [(fname, doc.title + label + fname[fname.rindex("."):])]
            self.add_attachment_files(doc, f"/picture/0/{y}{m:02d}{d:02d}/", {fname: data})
            self.copies[key] = f"/picture/0/{y}{m:02d}{d:02d}/{fname}"
        for doc in _fixtures("hanweb"):
            y, m, d = (int(x) for x in doc.date.split("-"))
            n += 1
            self.add(f"/art/{y}/{m}/{d}/art_{self.col_id}_{n}.html", doc, counter_id=str(n), clicks=10 * n)
        for i, (tpl, _) in enumerate(content.NON_REPORTS):
            n += 1
            doc = non_report(tpl, "淮安市", 2024 - (i % 2), f"2025-0{1 + i % 3}-1{i}")
            y, m, d = (int(x) for x in doc.date.split("-"))
            self.add(f"/art/{y}/{m}/{d}/art_{self.col_id}_{n}.html", doc, counter_id=str(n), clicks=5)
        # the newest report answers 500 once, then works
        self.fail_once.add(next(e.path for e in self.listed() if e.doc.is_report))

    def record(self, e: Entry) -> str:
        return (f'<record><![CDATA[<li><a href="{e.path}" title="{html.escape(e.doc.title)}" target="_blank">'
                f'{html.escape(e.doc.title)}</a><span>{e.doc.date}</span></li>]]></record>')

    def list_page(self, path, query, body):
        listed = self.listed()
        if path == self.column_paths[0]:
            first = "".join(self.record(e) for e in listed[:self.page_size])
            params = (f"appid=1&amp;webid=1&amp;path=%2F&amp;columnid={self.col_id}&amp;sourceContentType=1"
                      f"&amp;unitid={self.unit_id}&amp;webname=%E6%B7%AE%E5%AE%89&amp;permissiontype=0")
            page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="Generator" content="大汉版通">
<meta name="SiteName" content="淮安市人民政府"><meta name="ColumnName" content="政府信息公开年报">
<title>政府信息公开年报</title><script src="/module/jslib/jquery/jquery.js"></script>
<script src="/module/jslib/jquery/jpage/jquery.page.min.js"></script></head><body>
<div class="bt-left-nav"><a href="/">首页</a> &gt; <a href="/xxgk/">信息公开</a> &gt; 政府信息公开年报</div>
<div id="{self.unit_id}"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&{params}"></a>]]></nextgroup><recordset>{first}</recordset></datastore></script>
<script type="text/javascript">
$(document).ready(function(){{ $('#{self.unit_id}').jpage({{ dataStore: dataStore, perPage: {self.page_size}, totalRecord: {len(listed)},
  proxyUrl: '/module/web/jpage/dataproxy.jsp', groupSize: 3, barPosition: 'bottom' }}); }});
</script></div></body></html>"""
            return html_reply(page)
        if path == "/module/web/jpage/dataproxy.jsp":
            form = parse_qs(body.decode("utf-8", "replace"))
            q = {**{k: v for k, v in query.items()}, **form}
            if q.get("columnid", [""])[0] != str(self.col_id):
                return Reply(status=200, body=b"<datastore><totalrecord>0</totalrecord></datastore>",
                             headers={"Content-Type": "text/xml; charset=utf-8"})
            start = int(q.get("startrecord", ["1"])[0])
            end = int(q.get("endrecord", [str(self.page_size)])[0])
            per = int(q.get("perpage", [str(self.page_size)])[0])
            recs = "".join(self.record(e) for e in listed[start - 1:end])
            total_pages = -(-len(listed) // per)
            xml = (f"<?xml version=\"1.0\" encoding=\"utf-8\"?><datastore><totalrecord>{len(listed)}</totalrecord>"
                   f"<totalpage>{total_pages}</totalpage><recordset>{recs}</recordset></datastore>")
            return Reply(body=xml.encode(), headers={"Content-Type": "text/xml; charset=utf-8"})
        return None

    def counter(self, path, query):
        if path == "/module/visitcount/visit.jsp":
            n = self.bump(query.get("i_articleid", [""])[0])
            return html_reply(f"<html><body>{n}</body></html>")
        return None

    def render_article(self, entry):
        d = entry.doc
        if d.raw is not None:
            return Reply(body=d.raw, headers={"Content-Type": "text/html; charset=utf-8"})
        y, m, day = d.date.split("-")
        page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="Generator" content="大汉版通">
<meta name="Maketime" content="{d.date} {d.time}"><meta name="ArticleTitle" content="{html.escape(d.title)}">
<meta name="ContentSource" content="{html.escape(d.agency)}"><title>{html.escape(d.title)}</title></head><body>
<div class="main-txt"><h1 class="title">{html.escape(d.title)}</h1>
<div class="sub">发布日期：{d.date} {d.time[:5]}　信息来源：<!--<$[信息来源]>begin-->{html.escape(d.agency)}<!--<$[信息来源]>end-->
　浏览次数：<iframe src="/module/visitcount/visit.jsp?type=3&i_webid=1&i_columnid={self.col_id}&i_articleid={entry.counter_id}" width="60" height="20" frameborder="0" scrolling="no"></iframe></div>
<div id="zoom"><!--ZJEG_RSS.content.begin--><meta name="ContentStart">{d.body_html}<meta name="ContentEnd"><!--ZJEG_RSS.content.end--></div>
{self.attachment_links(d, f"/picture/0/{y}{m}{day}/")}</div></body></html>"""
        return html_reply(page)


# ------------------------------------------------------------------------ gkmlpt
class GkmlptSite(Site):
    """Guangdong gkmlpt sample: SID in the page, JSON list API."""

    key = "gkmlpt"
    platform = "gkmlpt"
    region_code = "440100"
    name = "样例区人民政府（样例·广东政府信息公开目录平台）"
    level = "district"
    page_size = 3
    cat_id = 2155
    sid = "755123"
    column_paths = [f"/gkmlpt/index#{2155}"]

    def build(self):
        docs = content.text_docs()
        pool = _fixtures("gkmlpt") or [docs["002"], docs["tuoli"]]
        n = 2155400
        for doc in pool:
            n += 1
            self.add(f"/gkmlpt/content/2/{self.cat_id}/post_{n}.html", doc)
        for i, (tpl, _) in enumerate(content.NON_REPORTS):
            n += 1
            self.add(f"/gkmlpt/content/2/{self.cat_id}/post_{n}.html",
                     non_report(tpl, "样例区", 2023 + i % 2, f"2024-0{1 + i}-15"))
        # department reports of several years (the same text published again each year is
        # what small departments really do; the title and date differ)
        for year in (2020, 2021, 2022):
            n += 1
            self.add(f"/gkmlpt/content/2/{self.cat_id}/post_{n}.html",
                     content.Doc(title=f"样例区统计局{year}年政府信息公开工作年度报告", date=f"{year + 1}-01-2{year % 10}",
                                 agency="样例区统计局", body_html=docs["002"].body_html, year=year,
                                 source="corpus labelled/002.txt (re-titled)"))

    def list_page(self, path, query, body):
        if path == "/gkmlpt/index":
            page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开目录</title>
<script>window._CONFIG = {{ SID: '{self.sid}', DEPT_ID: '0', ROOT_URL: '/gkmlpt/' }};</script>
<script src="/gkmlpt/static/js/app.js"></script></head><body><div id="app"></div></body></html>"""
            return html_reply(page)
        m = re.fullmatch(r"/gkmlpt/api/all/(\d+)", path)
        if m:
            if m.group(1) != str(self.cat_id) or query.get("sid", [""])[0] != self.sid:
                return Reply(body=b'{"total":0,"articles":[]}', headers={"Content-Type": "application/json"})
            page = int(query.get("page", ["1"])[0])
            pages = self.pages()
            items = pages[page - 1] if 0 < page <= len(pages) else []
            data = {"total": len(self.entries), "page": page, "articles": [
                {"id": int(e.path.split("_")[-1].split(".")[0]), "title": e.doc.title, "url": self.url(e.path),
                 "publisher": e.doc.agency or "样例区人民政府", "display_publish_time": e.doc.date + " " + e.doc.time[:5],
                 "identifier": f"11440100MB2C{e.path[-12:-5]}/2024-00001"} for e in items]}
            return Reply(body=json.dumps(data, ensure_ascii=False).encode(), headers={"Content-Type": "application/json"})
        return None

    def render_article(self, entry):
        d = entry.doc
        if d.raw is not None:
            return Reply(body=d.raw, headers={"Content-Type": "text/html; charset=utf-8"})
        page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(d.title)}</title>
<meta name="ArticleTitle" content="{html.escape(d.title)}"><meta name="PubDate" content="{d.date} {d.time[:5]}"></head><body>
<div class="classify"><table><tr><td>索引号：</td><td>11440100MB2C/2024-0001</td><td>分类：</td><td>政府信息公开年报</td></tr>
<tr><td>发布机构：</td><td>{html.escape(d.agency)}</td><td>成文日期：</td><td>{d.date}</td></tr>
<tr><td>名称：</td><td colspan="3">{html.escape(d.title)}</td></tr></table></div>
<div class="content"><h1>{html.escape(d.title)}</h1><div class="article-content">{d.body_html}</div></div></body></html>"""
        return html_reply(page)


# ------------------------------------------------------------------------ Epoint
class EpointSite(Site):
    """Epoint sample: iList.jsp?cur_page=N, a slow article, view-count REST call."""

    key = "epoint"
    platform = "epoint"
    region_code = "320813"
    name = "淮安市洪泽区人民政府（样例·新点）"
    level = "district"
    page_size = 3
    column_paths = ["/info/iList.jsp?node_id=12&cat_id=3401&cur_page=1"]

    def build(self):
        docs = content.text_docs()
        pool = _fixtures("epoint") or [docs["003"], docs["002"]]
        for i, doc in enumerate(pool):
            self.add(f"/info/iInfo.jsp?cat_id=3401&info_id=a1b2c3d4-{i:04d}", doc, counter_id=f"a1b2c3d4-{i:04d}",
                     clicks=100 + i)
        for year, dept in ((2021, "洪泽区教育局"), (2022, "洪泽区卫生健康委员会"), (2023, "洪泽区老子山镇人民政府")):
            i += 1
            self.add(f"/info/iInfo.jsp?cat_id=3401&info_id=a1b2c3d4-{i:04d}",
                     content.Doc(title=f"{dept}{year}年政府信息公开工作年度报告", date=f"{year + 1}-01-1{year % 10}",
                                 agency=dept, body_html=docs["003"].body_html, year=year,
                                 source="corpus labelled/003.txt (re-titled)"),
                     counter_id=f"a1b2c3d4-{i:04d}", clicks=7)
        for j, (tpl, _) in enumerate(content.NON_REPORTS[:3]):
            i += 1
            self.add(f"/info/iInfo.jsp?cat_id=3401&info_id=a1b2c3d4-{i:04d}",
                     non_report(tpl, "洪泽区", 2023, f"2024-02-0{j + 1}"), counter_id=f"a1b2c3d4-{i:04d}")
        self.slow[next(e.path for e in self.listed() if e.doc.is_report)] = 1.5
        # reports published only as a file, linked straight from the list (the real PDF of
        # 002; 003 as the Word 97 file a county office uploads)
        self.file_reports = []
        for src, title, agency, date, path in (
                ("002.pdf", "洪泽区人民政府2023年政府信息公开工作年度报告", "洪泽区人民政府", "2024-01-26",
                 "/upload/info/2024/01/26/4f1e2d3c-hzq-2023.pdf"),
                ("report_003.doc", "淮安市洪泽区人民政府2024年政府信息公开工作年度报告", "淮安市洪泽区人民政府",
                 "2025-01-24", "/upload/info/2025/01/24/8a7b6c5d-hzq-2024.doc")):
            self.file_reports.append(self.add(path, content.Doc(
                title=title, date=date, agency=agency, file=content.data_file(src), year=int(title[title.index("20"):][:4]),
                source=f"corpus labelled/{src}" if src.endswith(".pdf") else f"tests/fixtures/attachments/{src}")))

    def list_page(self, path, query, body):
        if path != "/info/iList.jsp":
            return None
        if query.get("cat_id", [""])[0] != "3401":
            return None
        pages = self.pages()
        n = int(query.get("cur_page", ["1"])[0])
        if not 0 < n <= len(pages):
            return None
        rows = "\n".join(f'<li class="ewb-job-item clearfix"><a href="{html.escape(e.path)}" title="{html.escape(e.doc.title)}" '
                         f'target="_blank" class="ewb-job-name l">{html.escape(e.doc.title)}</a>'
                         f'<span class="ewb-job-date r">{e.doc.date}</span></li>' for e in pages[n - 1])
        nav = []
        if n > 1:
            nav.append(f'<a href="iList.jsp?node_id=12&amp;cat_id=3401&amp;cur_page={n - 1}" class="ewb-page-prev">上页</a>')
        nav.append(f'<span class="ewb-page-info">{n}/{len(pages)}</span>')
        if n < len(pages):
            nav.append(f'<a href="iList.jsp?node_id=12&amp;cat_id=3401&amp;cur_page={n + 1}" class="ewb-page-next">下页</a>')
        page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开年报</title>
<link rel="stylesheet" href="/css/ewb-common.css"></head><body>
<div class="ewb-container"><div class="ewb-location"><a href="/">首页</a> &gt; <a href="/xxgk/">信息公开</a> &gt; 年度报告</div>
<div class="ewb-job"><ul class="ewb-job-items">{rows}</ul></div>
<div class="ewb-page">{''.join(nav)}</div></div></body></html>"""
        return html_reply(page)

    def counter(self, path, query):
        if path == "/EWB-FRONT/rest/frontAppNotNeedLoginAction/getPageInfoViewCount":
            n = self.bump(query.get("infoid", [""])[0])
            return Reply(body=json.dumps({"custom": {"viewcount": n}}).encode(), headers={"Content-Type": "application/json"})
        return None

    def render_article(self, entry):
        d = entry.doc
        if d.raw is not None:
            return Reply(body=d.raw, headers={"Content-Type": "text/html; charset=utf-8"})
        page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(d.title)}</title>
<script src="/js/jquery.min.js"></script></head><body>
<div class="ewb-article"><h2 class="ewb-article-tt">{html.escape(d.title)}</h2>
<table class="ewb-article-info"><tr><td>索引号：</td><td>014116386/2024-00{entry.counter_id[-2:]}</td><td>文号：</td><td></td></tr>
<tr><td>发文日期：</td><td>{d.date}</td><td>信息来源：</td><td>{html.escape(d.agency)}</td></tr></table>
<div class="ewb-article-sources">发布时间：{d.date}　阅读次数：<span id="infoViewCount"></span></div>
<div class="ewb-article-detail">{d.body_html}</div></div>
<script>$.get("/EWB-FRONT/rest/frontAppNotNeedLoginAction/getPageInfoViewCount", {{infoid: "{entry.counter_id}"}},
 function (d) {{ $("#infoViewCount").text(d.custom.viewcount); }});</script></body></html>"""
        return html_reply(page)


# ------------------------------------------------------------------- EmpireCMS
class EmpireSite(Site):
    """EmpireCMS sample (柘城县, real pages docs/101–115): same report at two URLs, a 404."""

    key = "empire"
    platform = "smallcms"
    region_code = "411424"
    name = "柘城县人民政府（样例·帝国CMS）"
    page_size = 5
    conditional = True
    column_paths = ["/xxgk/xxgknb/index.html", "/xxgk/xxgknb/xznb/index.html"]

    def build(self):
        for path, doc in content.zhecheng_docs():
            self.add(path, doc)
        # township column (docs/119): a notice about compiling reports and a dead link
        self.xznb = [
            self.add("/xxgk/xxgknb/xznb/2018-07-12/7553.html",
                     Doc(title="柘城县起台镇2017年度报告编制公布工作总结", date="2018-03-13", is_report=False,
                         body_html="<p>起台镇2017年度报告编制公布工作总结</p>")),
        ]
        self.dead = Entry(path="/xxgk/xxgknb/xznb/2018-07-12/7564.html",
                          doc=Doc(title="柘城县伯岗镇2017年政府信息公开工作年度报告", date="2018-03-13"))
        # the same report, re-published in the township column at a second URL
        first = next(e for e in self.entries if e.path.endswith("/7477.html"))
        self.alias = self.add("/xxgk/xxgknb/xznb/2018-07-12/7477.html", first.doc)
        self.xznb.append(self.alias)

    def expected_reports(self):
        return [e for e in self.entries if e.doc.is_report and e is not self.alias]

    def main_list(self) -> list[Entry]:
        return [e for e in self.listed() if e is not self.alias] + [self.dead]

    def render_list(self, entries: list[Entry], n: int, total: int, depth: str) -> str:
        rows = "\n".join(f"""<li>
                            <a href="{e.path}" >{html.escape(e.doc.title)}</a>
                            <span class="time">
                          {e.doc.date}
                            </span> </li>""" for e in entries)
        pager = [f'<a title="Total record">&nbsp;<b>{total}</b> </a>&nbsp;&nbsp;&nbsp;']
        pages = -(-total // self.page_size)
        for i in range(1, pages + 1):
            name = "index.html" if i == 1 else f"index_{i}.html"
            pager.append(f"<b>{i}</b>&nbsp;" if i == n else f'<a href="{name}">{i}</a>&nbsp;')
        if n < pages:
            pager.append(f'<a href="index_{n + 1}.html">下一页</a>&nbsp;<a href="index_{pages}.html">尾页</a>')
        return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>信息公开年报</title></head><body>
<div class="curmb"> 当前位置：<a href="/">首页</a>&nbsp;>&nbsp;<a href="/xxgk/">信息公开</a>&nbsp;>&nbsp;<a href="index.html">信息公开年报</a></div>
<ul class="sideMenu"><li class="level_1"><a class="a1" href="{depth}zfnb/index.html">政府年报</a></li>
<li class="level_1"><a class="a1" href="{depth}xznb/index.html">乡镇年报</a></li>
<li class="level_1"><a class="a1" href="{depth}bmnb/index.html">部门年报</a></li></ul>
<div class="mainContent"><div class="news_list"><ul>
{rows}
<div style="text-align:center;">{''.join(pager)}</div></ul>
<div class="pagediv" id="page_div"></div></div></div></body></html>"""

    def list_page(self, path, query, body):
        m = re.fullmatch(r"/xxgk/xxgknb/(?:(xznb|bmnb|zfnb)/)?index(?:_(\d+))?\.html", path)
        if not m:
            return None
        sub = {"xznb": self.xznb + [self.dead], "zfnb": [],     # the sub-tabs of the real column (docs/116)
               "bmnb": [e for e in self.main_list() if "/bmnb/" in e.path]}
        entries = sub[m.group(1)] if m.group(1) else self.main_list()
        n = int(m.group(2) or 1)
        chunks = self.pages(entries)
        if not 0 < n <= len(chunks):
            return None
        return html_reply(self.render_list(chunks[n - 1], n, len(entries), "../" if m.group(1) else ""))

    def render_article(self, entry):
        d = entry.doc
        if d.raw is not None:
            return Reply(body=d.raw, headers={"Content-Type": "text/html"})
        return html_reply(f"<html><head><meta charset=\"utf-8\"><title>{html.escape(d.title)}</title></head>"
                          f"<body><h1>{html.escape(d.title)}</h1>{d.body_html}</body></html>")

    def counter(self, path, query):
        if path == "/e/public/ViewClick/":
            n = self.bump(query.get("id", [""])[0])
            return Reply(body=f"document.write('{n}');".encode(), headers={"Content-Type": "application/javascript"})
        return None


# ---------------------------------------------------------------------- PHPCMS
class PhpcmsSite(Site):
    """PHPCMS sample in GBK (托里县, the seed): api.php?op=count counter adds one per call."""

    key = "phpcms"
    platform = "smallcms"
    region_code = "654224"
    name = "托里县人民政府（样例·PHPCMS）"
    encoding = "gbk"
    page_size = 3
    column_paths = ["/index.php?m=content&c=index&a=lists&catid=67"]

    def build(self):
        docs = content.text_docs()
        seed = docs["tuoli"]
        self.add("/html/2024/xxgknb_0129/1156.html", seed, counter_id="1156", clicks=432)
        n = 1156
        for doc in _fixtures("smallcms"):
            n += 1
            self.add(f"/html/{doc.date[:4]}/xxgknb_{doc.date[5:7]}{doc.date[8:10]}/{n}.html", doc, counter_id=str(n),
                     clicks=n % 97)
        for year, dept, date in ((2021, "托里县教育局", "2022-01-18"), (2022, "托里县卫生健康委员会", "2023-01-20"),
                                 (2023, "托里县铁厂沟镇人民政府", "2024-01-22")):
            n += 1
            self.add(f"/html/{date[:4]}/xxgknb_{date[5:7]}{date[8:10]}/{n}.html",
                     content.Doc(title=f"{dept}{year}年政府信息公开工作年度报告", date=date, agency=dept,
                                 body_html=seed.body_html, year=year, source="seed/tuoli-2023-report.txt (re-titled)"),
                     counter_id=str(n), clicks=20)
        for i, (tpl, _) in enumerate(content.NON_REPORTS):
            n += 1
            date = f"2024-02-0{i + 1}"
            self.add(f"/html/2024/xxgknb_02{date[-2:]}/{n}.html", non_report(tpl, "托里县", 2023, date),
                     counter_id=str(n), clicks=3)

    def list_page(self, path, query, body):
        if path != "/index.php" or query.get("a") != ["lists"] or query.get("catid") != ["67"]:
            return None
        pages = self.pages()
        n = int(query.get("page", ["1"])[0])
        if not 0 < n <= len(pages):
            return None
        rows = "\n".join(f'<li><span class="rt">{e.doc.date}</span><a href="{e.path}" target="_blank">'
                         f'{html.escape(e.doc.title)}</a></li>' for e in pages[n - 1])
        links = [f'<a class="a1">{len(self.entries)}条</a>']
        if n > 1:
            links.append(f'<a href="/index.php?m=content&amp;c=index&amp;a=lists&amp;catid=67&amp;page={n - 1}" class="a1">上一页</a>')
        for i in range(1, len(pages) + 1):
            links.append(f"<span>{i}</span>" if i == n else
                         f'<a href="/index.php?m=content&amp;c=index&amp;a=lists&amp;catid=67&amp;page={i}">{i}</a>')
        if n < len(pages):
            links.append(f'<a href="/index.php?m=content&amp;c=index&amp;a=lists&amp;catid=67&amp;page={n + 1}" class="a1">下一页</a>')
        page = f"""<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk">
<title>政府信息公开年报 - 托里县人民政府</title></head><body>
<div class="crumbs"><a href="/">首页</a><span> &gt; </span><a href="/xxgk/">信息公开</a> &gt; 政府信息公开年报</div>
<div class="list lh24 f14"><ul>{rows}</ul></div>
<div id="pages" class="text-c">{''.join(links)}</div></body></html>"""
        return html_reply(page, "gbk", content_type_charset=False)

    def counter(self, path, query):
        if path == "/api.php" and query.get("op") == ["count"]:
            n = self.bump(query.get("id", [""])[0])
            js = f"$('#todaydowns').html('1');$('#weekdowns').html('1');$('#monthdowns').html('1');$('#hits').html('{n}');"
            return Reply(body=js.encode(), headers={"Content-Type": "text/javascript"})
        return None

    def render_article(self, entry):
        d = entry.doc
        page = f"""<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk">
<title>{html.escape(d.title)} - 托里县人民政府</title></head><body>
<div class="header">{time.strftime('%Y年%m月%d日')} 星期日 |</div>
<div id="Article"><h1>{html.escape(d.title)}<br/>
<span>日期:{d.date} {d.time} 来源:{html.escape(d.agency)} 点击:<span id="hits"></span>次</span></h1>
<div class="content">{d.body_html}</div></div>
<script language="JavaScript" src="/api.php?op=count&id={entry.counter_id}&modelid=1"></script></body></html>"""
        return html_reply(page, "gbk", content_type_charset=False)


# ------------------------------------------------------------------------- VSB
class VsbSite(Site):
    """VSB/博达 sample registered as ``auto`` with its home page only."""

    key = "vsb"
    platform = "smallcms"
    registry_platform = "auto"
    region_code = "654201"
    name = "塔城市人民政府（样例·VSB，auto）"
    page_size = 3
    column_paths = ["/xxgk/xxgknb.htm"]

    def build(self):
        docs = content.text_docs()
        n = 1000
        for year in (2019, 2020, 2021, 2022, 2023):
            n += 1
            dept = "塔城市人民政府" if year % 2 else "塔城市财政局"
            self.add(f"/info/1012/{n}.htm",
                     content.Doc(title=f"{dept}{year}年政府信息公开工作年度报告", date=f"{year + 1}-01-2{year % 10}",
                                 agency=dept, body_html=docs["tuoli"].body_html, year=year,
                                 source="seed/tuoli-2023-report.txt (re-titled)"), counter_id=str(n), clicks=n - 990)
        for i, (tpl, _) in enumerate(content.NON_REPORTS[:2]):
            n += 1
            self.add(f"/info/1012/{n}.htm", non_report(tpl, "塔城市", 2023, f"2024-02-1{i}"), counter_id=str(n))

    def home(self):
        return ("<html><head><meta charset=\"utf-8\"><meta name=\"generator\" content=\"VSB\"><title>塔城市人民政府</title></head>"
                "<body><div class=\"nav\"><a href=\"index.htm\">首页</a> <a href=\"xxgk.htm\">政府信息公开</a>"
                " <a href=\"zwdt.htm\">政务动态</a></div></body></html>")

    def list_page(self, path, query, body):
        if path == "/xxgk.htm":
            return html_reply("<html><head><meta charset=\"utf-8\"><title>政府信息公开</title></head><body>"
                              "<ul><li><a href=\"xxgk/xxgkzn.htm\">政府信息公开指南</a></li>"
                              "<li><a href=\"xxgk/xxgknb.htm\">政府信息公开年报</a></li></ul></body></html>")
        pages = self.pages()
        total = len(pages)
        if path == "/xxgk/xxgknb.htm":
            n = 1
        else:
            m = re.fullmatch(r"/xxgk/xxgknb/(\d+)\.htm", path)
            if not m:
                return None
            # VSB numbers pages downwards: list.htm, then N-1.htm … 1.htm
            n = total - int(m.group(1)) + 1
            if not 1 < n <= total:
                return None
        prefix = "" if n == 1 else "../"
        rows = "\n".join(f'<li id="line_u5_{i}"><a href="{prefix}../info/1012/{e.path.rsplit("/", 1)[1]}">'
                         f'{html.escape(e.doc.title)}</a><span>{e.doc.date}</span></li>'
                         for i, e in enumerate(pages[n - 1]))
        links = [f"共{len(self.entries)}条&nbsp;&nbsp;{n}/{total}&nbsp;"]
        if n < total:
            nxt = total - n
            links.append(f'<a href="{"xxgknb/" if n == 1 else ""}{nxt}.htm" class="Next">下页</a>')
        page = f"""<html><head><meta charset="utf-8"><title>政府信息公开年报-塔城市人民政府</title></head><body>
<div class="list"><ul>{rows}</ul></div><div class="pb_sys_common pb_sys_normal">{''.join(links)}</div></body></html>"""
        return html_reply(page)

    def counter(self, path, query):
        if path == "/system/resource/code/news/click/dynclicks.jsp":
            n = self.bump(query.get("clickid", [""])[0])
            return Reply(body=str(n).encode(), headers={"Content-Type": "text/html"})
        return None

    def render_article(self, entry):
        d = entry.doc
        page = f"""<html><head><meta charset="utf-8"><title>{html.escape(d.title)}-塔城市人民政府</title>
<script type="text/javascript" src="/system/resource/js/dynclicks.js"></script></head><body>
<form name="_newscontent_fromname"><div align="center"><h1>{html.escape(d.title)}</h1></div>
<div class="info">发布时间：{d.date}　来源：{html.escape(d.agency)}　点击：<script>_showDynClicks("wbnews", 1573201234, {entry.counter_id})</script></div>
<div id="vsb_content"><div class="v_news_content">{d.body_html}</div></div></form></body></html>"""
        return html_reply(page)


# --------------------------------------------------------------------- blocked
class BlockedSite(Site):
    """A portal behind a 瑞数-style JavaScript challenge: HTTP 412 for everything."""

    key = "blocked"
    platform = "trs"
    region_code = "654221"
    name = "额敏县人民政府（样例·412 挑战）"
    column_paths = ["/xxgk/xxgknb/index.shtml"]

    def build(self):
        pass

    def handle(self, method, raw_path, headers, body):
        page = ("<!DOCTYPE html><html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">"
                "<meta id=\"9DhefwqGPrzGxEp9hPaoag\" content=\"...\"><script type=\"text/javascript\">"
                "$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=37891;$_ts.cd=\"qErcrGAlcqlmqSpq...\";</script>"
                "<script type=\"text/javascript\" charset=\"utf-8\" src=\"/AvnQgZdYBaha/f1Cd8qX8MmKN.b1ad8a1.js\" r='m'></script>"
                "</head><body></body></html>")
        return Reply(status=412, body=page.encode(), headers={"Content-Type": "text/html; charset=utf-8"})


SITE_CLASSES = [TrsSite, HanwebSite, GkmlptSite, EpointSite, EmpireSite, PhpcmsSite, VsbSite, BlockedSite]

# the layouts of issue 11 (per-year sub-lists, hubs, department sub-columns, …): crawler/sample_portals/layouts.py
from .layouts import LAYOUT_SITES  # noqa: E402  (they build on Site)

SITE_CLASSES += LAYOUT_SITES
