"""Sample portals laid out as the real columns the first eight do not copy (issue 11):
what a column really holds on portals never seen.

* ``years``    a column whose page links one sub-list per year ("2024年度", "2023年度",
               "2022年") — the column page itself lists no report; one year has two pages.
* ``hub``      registered as ``auto`` with its home page only: 首页 → 政府信息公开 →
               法定主动公开内容 → 政府信息公开年报 (the column is three hubs deep).
* ``depts``    a column with sub-columns 政府年报 / 部门年报 / 乡镇年报, the last two listing
               one sub-list per department or township (several agencies under one portal).
* ``split``    TRS: the list is ``<dl><dd><a href="./YYYYMM/tYYYYMMDD_N.htm" title="full">short…</a>
               </dd><dd>date</dd></dl>`` (the real county page that yielded nothing), page 2 at
               ``index_1.htm``; one report split over ``t…_1.htm`` / ``t…_2.htm`` pages.
* ``frame``    the column page is an empty frame around a same-site ``<iframe>`` list of
               ``<div>`` rows, paged by 下一页 ``?page=N``; one link of the list is malformed.
* ``endless``  a 下一页 chain that never ends (every page links one more): the page cap stops it.
* ``search``   no column linked anywhere; the site's own search form finds the reports.

Reports are the seed report (托里县, ``seed/tuoli-2023-report.txt``) re-titled per agency and
year, as the VSB sample does; each site mixes in non-reports of the real columns.
"""
from __future__ import annotations

import html
import re

from . import content
from .content import Doc, non_report
from .sites import Reply, Site, html_reply


def report(agency: str, year: int, date: str, note: str = "") -> Doc:
    body = content.text_docs()["tuoli"].body_html
    return Doc(title=f"{agency}{year}年政府信息公开工作年度报告", date=date, agency=agency, year=year,
               body_html=(f"<p>{html.escape(note)}</p>" if note else "") + body,
               source="seed/tuoli-2023-report.txt (re-titled)")


def li_rows(entries, prefix: str = "") -> str:
    return "\n".join(f'<li><a href="{prefix}{e.path}" title="{html.escape(e.doc.title)}">{html.escape(e.doc.title)}</a>'
                     f'<span class="date">{e.doc.date}</span></li>' for e in entries)


def page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head><body>'
            f'<div class="nav"><a href="/">首页</a></div>{body}</body></html>')


class LayoutSite(Site):
    """Articles rendered in one plain TRS-like template, with ETag / Last-Modified."""

    conditional = True

    def render_article(self, entry):
        d = entry.doc
        return html_reply(page(d.title, f'<h1>{html.escape(d.title)}</h1><div class="info">发布日期：{d.date}'
                                        f' 来源：{html.escape(d.agency)}</div><div class="TRS_Editor">{d.body_html}</div>'))


# ------------------------------------------------------------------ per-year sub-lists
class YearsSite(LayoutSite):
    """A column linking one sub-list per year (2024年度, 2023年度, 2022年); the column page lists no report."""

    key = "years"
    platform = "trs"
    region_code = "411402"
    name = "梁园区人民政府（样例·逐年子栏目）"
    level = "district"
    page_size = 3
    column_paths = ["/zfxxgk/zfxxgknb/index.html"]
    YEARS = {"2024": "2024年度", "2023": "2023年度", "2022": "2022年"}

    def build(self):
        agencies = ["梁园区人民政府", "梁园区财政局", "梁园区教育局", "梁园区卫生健康委员会", "梁园区平台镇人民政府"]
        n = 0
        for year in (2024, 2023, 2022):
            count = 4 if year == 2023 else 2       # 2023: two pages of the sub-list
            for i in range(count):
                n += 1
                date = f"{year + 1}-01-{10 + i:02d}"
                self.add(f"/zfxxgk/zfxxgknb/{year}/{date[:7].replace('-', '')}/t{date.replace('-', '')}_{5000 + n}.html",
                         report(agencies[i], year, date))
        self.add("/zfxxgk/zfxxgknb/2023/202401/t20240120_5100.html",
                 non_report(content.NON_REPORTS[0][0], "梁园区", 2023, "2024-01-20"))

    def year_of(self, e) -> str:
        return e.path.split("/")[3]

    def list_page(self, path, query, body):
        if path == "/zfxxgk/zfxxgknb/index.html":
            tabs = "".join(f'<li><a href="./{y}/index.html">{t}</a></li>' for y, t in self.YEARS.items())
            return html_reply(page("政府信息公开年报", f'<div class="position">当前位置：首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div>'
                                                     f'<ul class="year-tabs">{tabs}</ul><div class="list">请选择年度</div>'))
        m = re.fullmatch(r"/zfxxgk/zfxxgknb/(\d{4})/index(?:_(\d+))?\.html", path)
        if not m or m.group(1) not in self.YEARS:
            return None
        entries = [e for e in self.listed() if self.year_of(e) == m.group(1)]
        pages = self.pages(entries)
        n = int(m.group(2) or 0)
        if n >= len(pages):
            return None
        rows = "\n".join(f'<li><a href="./{e.path.split("/", 4)[4]}">{html.escape(e.doc.title)}</a>'
                         f'<span>{e.doc.date}</span></li>' for e in pages[n])
        tabs = "".join(f'<a href="../{y}/index.html">{t}</a> ' for y, t in self.YEARS.items())
        return html_reply(page(f"{m.group(1)}年度", f'<div class="tabs">{tabs}</div><ul class="list">{rows}</ul>'
                                                   f'<script>createPageHTML({len(pages)}, {n}, "index", "html");</script>'))


# ------------------------------------------------------------------ hub → hub → column
class HubSite(LayoutSite):
    """Registered ``auto`` with its home page only: 首页 → 政府信息公开 → 法定主动公开内容 → 政府信息公开年报."""

    key = "hub"
    platform = "smallcms"
    registry_platform = "auto"
    region_code = "411403"
    name = "睢阳区人民政府（样例·信息公开三级入口）"
    level = "district"
    page_size = 4
    column_paths = ["/zfxxgk/fdzdgknr/ndbg/index.html"]

    def build(self):
        for i, (agency, year) in enumerate([("睢阳区人民政府", 2024), ("睢阳区人民政府", 2023), ("睢阳区民政局", 2024),
                                            ("睢阳区古宋街道办事处", 2024), ("睢阳区民政局", 2023)]):
            self.add(f"/zfxxgk/fdzdgknr/ndbg/content_{7000 + i}.html", report(agency, year, f"{year + 1}-01-2{i}"))
        self.add("/zfxxgk/fdzdgknr/ndbg/content_7100.html",
                 non_report(content.NON_REPORTS[1][0], "睢阳区", 2024, "2025-01-30"))
        self.static["/zfxxgk/index.html"] = html_reply(page("政府信息公开", (
            '<ul class="menu"><li><a href="/zfxxgk/zn/index.html">政府信息公开指南</a></li>'
            '<li><a href="/zfxxgk/zd/index.html">政府信息公开制度</a></li>'
            '<li><a href="/zfxxgk/fdzdgknr/index.html">法定主动公开内容</a></li>'
            '<li><a href="/zfxxgk/ysqgk/index.html">依申请公开</a></li></ul>')))
        self.static["/zfxxgk/fdzdgknr/index.html"] = html_reply(page("法定主动公开内容", (
            '<ul class="menu"><li><a href="/zfxxgk/fdzdgknr/jgzn/index.html">机构职能</a></li>'
            '<li><a href="/zfxxgk/fdzdgknr/zcwj/index.html">政策文件</a></li>'
            '<li><a href="/zfxxgk/fdzdgknr/ndbg/index.html">政府信息公开年报</a></li></ul>')))

    def home(self):
        return page(self.name, '<div class="topnav"><a href="/xwzx/index.html">新闻中心</a> '
                               '<a href="/zfxxgk/index.html">政府信息公开</a> <a href="/hdjl/index.html">互动交流</a></div>')

    def list_page(self, path, query, body):
        m = re.fullmatch(r"/zfxxgk/fdzdgknr/ndbg/index(?:_(\d+))?\.html", path)
        if not m:
            return None
        pages = self.pages()
        n = int(m.group(1) or 1)
        if not 0 < n <= len(pages):
            return None
        pager = "".join(f'<a href="index{"" if i == 1 else f"_{i}"}.html">{i}</a> ' for i in range(1, len(pages) + 1))
        if n < len(pages):
            pager += f'<a href="index_{n + 1}.html">下一页</a>'
        return html_reply(page("政府信息公开年报", f'<ul class="list">{li_rows(pages[n - 1])}</ul><div class="page">{pager}</div>'))


# ------------------------------------------------------ department and township sub-columns
class DeptsSite(LayoutSite):
    """A column with 政府年报 / 部门年报 / 乡镇年报 sub-columns, one sub-list per department and township."""

    key = "depts"
    platform = "smallcms"
    region_code = "411421"
    name = "民权县人民政府（样例·部门乡镇子栏目）"
    column_paths = ["/xxgk/nb/index.html"]
    UNITS = {"zfnb": ("政府年报", {"": "民权县人民政府"}),
             "bmnb": ("部门年报", {"czj": "民权县财政局", "jyj": "民权县教育局", "wjw": "民权县卫生健康委员会"}),
             "xznb": ("乡镇年报", {"cgz": "民权县城关镇人民政府", "lzx": "民权县老颜集乡人民政府"})}

    def build(self):
        n = 0
        for kind, (_, units) in self.UNITS.items():
            for code, agency in units.items():
                for year in (2024, 2023):
                    n += 1
                    sub = f"{kind}/{code}/" if code else f"{kind}/"
                    self.add(f"/xxgk/nb/{sub}{year + 1}0{n % 9 + 1}/{9000 + n}.html",
                             report(agency, year, f"{year + 1}-02-{n:02d}"))
        self.add("/xxgk/nb/bmnb/czj/20250301/9100.html",
                 non_report(content.NON_REPORTS[0][0], "民权县财政局", 2024, "2025-03-01"))

    def unit_entries(self, kind: str, code: str):
        prefix = f"/xxgk/nb/{kind}/{code}/" if code else f"/xxgk/nb/{kind}/"
        return [e for e in self.listed() if e.path.startswith(prefix)
                and (code or not re.match(r"/xxgk/nb/\w+/[a-z]+/", e.path))]

    def tabs(self) -> str:
        return "".join(f'<li><a href="/xxgk/nb/{k}/index.html">{t}</a></li>' for k, (t, _) in self.UNITS.items())

    def list_page(self, path, query, body):
        if path == "/xxgk/nb/index.html":
            return html_reply(page("政府信息公开年报", f'<ul class="sub-columns">{self.tabs()}</ul><p>请选择栏目</p>'))
        m = re.fullmatch(r"/xxgk/nb/(\w+)/(?:(\w+)/)?index\.html", path)
        if not m or m.group(1) not in self.UNITS:
            return None
        kind, code = m.group(1), m.group(2) or ""
        title, units = self.UNITS[kind]
        if kind != "zfnb" and not code:     # 部门年报 / 乡镇年报: a list of units, no report
            links = "".join(f'<li><a href="{c}/index.html">{html.escape(a.replace("民权县", ""))}</a></li>'
                            for c, a in units.items())
            return html_reply(page(title, f'<ul class="sub-columns">{self.tabs()}</ul><ul class="units">{links}</ul>'))
        if code and code not in units:
            return None
        rows = "\n".join(f'<tr><td><a href="{e.path}">{html.escape(e.doc.title)}</a></td><td>{e.doc.date}</td></tr>'
                         for e in self.unit_entries(kind, code))
        return html_reply(page(title, f'<table class="list">{rows}</table>'))


# ------------------------------------------------- TRS dl/dd list and a split article
class SplitSite(LayoutSite):
    """TRS dl/dd list (./YYYYMM/tYYYYMMDD_N.htm, full title in title=, date in the next dd), index_1.htm; a report over three pages."""

    key = "split"
    platform = "trs"
    region_code = "411422"
    name = "睢县人民政府（样例·TRS 分页文章）"
    page_size = 3
    column_paths = ["/zfxxgk/zfxxgknb/index.htm"]
    SPLIT = "/zfxxgk/zfxxgknb/202501/t20250115_300001.htm"
    PART_MARKERS = ["（第二页）五、政府信息公开行政复议、行政诉讼情况", "（第三页）七、其他需要报告的事项"]

    def build(self):
        agencies = ["睢县人民政府", "睢县发展和改革委员会", "睢县自然资源局", "睢县人民政府", "睢县蓼堤镇人民政府"]
        for i, (agency, year) in enumerate(zip(agencies, (2024, 2024, 2024, 2023, 2023))):
            date = f"{year + 1}-01-{15 - i:02d}"
            d = date.replace("-", "")
            self.add(f"/zfxxgk/zfxxgknb/{d[:6]}/t{d}_{300001 + i}.htm", report(agency, year, date))
        self.add("/zfxxgk/zfxxgknb/202501/t20250116_300100.htm",
                 non_report(content.NON_REPORTS[2][0], "睢县", 2024, "2025-01-16"))

    def list_page(self, path, query, body):
        m = re.fullmatch(r"/zfxxgk/zfxxgknb/index(?:_(\d+))?\.htm", path)
        if not m:
            return None
        pages = self.pages()
        n = int(m.group(1) or 0)
        if n >= len(pages):
            return None
        rows = "\n".join(
            f'<dl><dd><a href=".{e.path[len("/zfxxgk/zfxxgknb"):]}" target="_blank" title="{html.escape(e.doc.title)}">'
            f'{html.escape(e.doc.title[:12])}…</a></dd><dd class="time">{e.doc.date}</dd></dl>' for e in pages[n])
        return html_reply(page("政府信息公开年报", f'<div class="gl_list">{rows}</div><div class="page"><script>'
                                                   f'createPageHTML({len(pages)}, {n}, "index", "htm");</script></div>'))

    def render_article(self, entry):
        if entry.path != self.SPLIT:
            return super().render_article(entry)
        d = entry.doc
        return html_reply(page(d.title, f'<h1>{html.escape(d.title)}</h1><div class="TRS_Editor">{d.body_html}</div>'
                                        f'<div class="page"><script>createPageHTML(3, 0, "t20250115_300001", "htm");</script></div>'))

    def handle(self, method, raw_path, headers, body):
        m = re.fullmatch(re.escape(self.SPLIT[:-4]) + r"_(\d)\.htm", raw_path)
        if m and int(m.group(1)) in (1, 2):
            i = int(m.group(1))
            return html_reply(page("续页", f'<div class="TRS_Editor"><p>{self.PART_MARKERS[i - 1]}</p></div>'
                                          f'<script>createPageHTML(3, {i}, "t20250115_300001", "htm");</script>'))
        return super().handle(method, raw_path, headers, body)


# ------------------------------------------------------------- an empty frame around an iframe
class FrameSite(LayoutSite):
    """The column page is an empty frame around a same-site iframe list of div rows (下一页 ?page=N); one malformed link."""

    key = "frame"
    platform = "smallcms"
    region_code = "411423"
    name = "宁陵县人民政府（样例·iframe 列表）"
    page_size = 3
    column_paths = ["/xxgk/xxgknb/index.html"]

    def build(self):
        for i, (agency, year) in enumerate([("宁陵县人民政府", 2024), ("宁陵县人民政府", 2023), ("宁陵县水利局", 2024),
                                            ("宁陵县张弓镇人民政府", 2024), ("宁陵县水利局", 2023)]):
            self.add(f"/xxgk/xxgknb/show.php?id={400 + i}", report(agency, year, f"{year + 1}-01-0{i + 1}"))
        self.add("/xxgk/xxgknb/show.php?id=499", non_report(content.NON_REPORTS[3][0], "宁陵县", 2024, "2025-01-09"))

    def list_page(self, path, query, body):
        if path == "/xxgk/xxgknb/index.html":
            return html_reply(page("政府信息公开年报", '<div class="main"><h2>政府信息公开年报</h2>'
                                                     '<iframe src="list.php?page=1" width="100%" height="800" frameborder="0"></iframe></div>'))
        if path != "/xxgk/xxgknb/list.php":
            return None
        pages = self.pages()
        n = int((query.get("page") or ["1"])[0])
        if not 0 < n <= len(pages):
            return None
        rows = "".join(f'<div class="row"><a href="{e.path.rsplit("/", 1)[1]}">{html.escape(e.doc.title)}</a>'
                       f'<div class="date">{e.doc.date}</div></div>' for e in pages[n - 1])
        if n == 1:     # a malformed link among the rows: skipped alone, the rows after it are read
            rows = ('<div class="row"><a href="http://[::1/xxgk/broken.html">宁陵县2019年政府信息公开工作年度报告</a>'
                    '<div class="date">2020-01-05</div></div>') + rows
        nxt = f'<a href="list.php?page={n + 1}">下一页</a>' if n < len(pages) else ""
        return html_reply(f'<html><head><meta charset="utf-8"></head><body><div class="list">{rows}</div>'
                          f'<div class="pager">{nxt}</div></body></html>')


# ----------------------------------------------------------------- an endless 下一页 chain
class EndlessSite(LayoutSite):
    """A 下一页 chain that never ends (each page links one more); reports on the first two pages."""

    key = "endless"
    platform = "smallcms"
    region_code = "411424"
    name = "柘城县某局（样例·无尽翻页）"
    level = "department"
    page_size = 3
    column_paths = ["/news/list.php?catid=9&page=1"]
    MAX_LIST_PAGES = 12         # the registry row's cap (params max_list_pages)

    def build(self):
        for i, year in enumerate((2024, 2023, 2022, 2021, 2020)):
            self.add(f"/news/show.php?id={600 + i}", report("柘城县城市管理局", year, f"{year + 1}-01-1{i}"))
        self.add("/news/show.php?id=699", non_report(content.NON_REPORTS[0][0], "柘城县城市管理局", 2024, "2025-01-20"))

    def registry_row(self):
        return {**super().registry_row(), "params": f"max_list_pages={self.MAX_LIST_PAGES}"}

    def list_page(self, path, query, body):
        if path != "/news/list.php":
            return None
        n = int((query.get("page") or ["1"])[0])
        pages = self.pages()
        entries = pages[n - 1] if n <= len(pages) else []
        rows = li_rows(entries).replace('href="/news/', 'href="')
        return html_reply(page("通知公告", f'<ul class="list">{rows or "<li>暂无内容</li>"}</ul>'
                                          f'<div class="pages"><a href="list.php?catid=9&amp;page={n + 1}">下一页</a></div>'))


# --------------------------------------------------------------- the site's own search
class SearchSite(LayoutSite):
    """Registered ``auto``: no column linked anywhere; a search form on the 政府信息公开 page finds the reports."""

    key = "search"
    platform = "smallcms"
    registry_platform = "auto"
    region_code = "411425"
    name = "虞城县人民政府（样例·站内搜索）"
    page_size = 10
    column_paths = []

    def build(self):
        for i, (agency, year) in enumerate([("虞城县人民政府", 2024), ("虞城县人民政府", 2023), ("虞城县审计局", 2024)]):
            self.add(f"/art/{year + 1}/1/{20 + i}/art_{800 + i}.html", report(agency, year, f"{year + 1}-01-{20 + i}"))
        self.add("/art/2025/1/29/art_899.html", non_report(content.NON_REPORTS[0][0], "虞城县", 2024, "2025-01-29"))
        self.static["/zfxxgk/index.html"] = html_reply(page("政府信息公开", (
            '<form action="/search/index.jsp" method="get"><input type="text" name="searchword">'
            '<input type="submit" value="搜索"></form>'
            '<ul class="menu"><li><a href="/zfxxgk/zn/index.html">政府信息公开指南</a></li></ul>')))

    def home(self):
        return page(self.name, '<div class="topnav"><a href="/zfxxgk/index.html">政府信息公开</a></div>')

    def list_page(self, path, query, body):
        if path != "/search/index.jsp":
            return None
        q = (query.get("searchword") or [""])[0]
        hits = [e for e in self.listed() if q and (q in e.doc.title or "年度报告" in q and "年度报告" in e.doc.title)]
        return html_reply(page("搜索结果", f'<p>共找到{len(hits)}条结果</p><ul class="results">{li_rows(hits)}</ul>'))


LAYOUT_SITES = [YearsSite, HubSite, DeptsSite, SplitSite, FrameSite, EndlessSite, SearchSite]
