"""List parsing (:mod:`crawler.spiders.lists`) on real list pages of every platform we
have (tests/fixtures/lists, sources in its manifest) and on the markups real portals use."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from crawler.spiders.lists import Link, article_pages, generic_links, generic_pages, join_article_pages, sub_lists

LISTS = Path(__file__).parent / "fixtures" / "lists"
MANIFEST = json.loads((LISTS / "manifest.json").read_text("utf-8"))


def response(url: str, html: str | bytes) -> HtmlResponse:
    return HtmlResponse(url, body=html if isinstance(html, bytes) else html.encode("utf-8"), encoding="utf-8")


@pytest.mark.parametrize("page", MANIFEST, ids=[p["file"] for p in MANIFEST])
def test_real_list_page(page):
    r = response(page["url"], (LISTS / page["file"]).read_bytes())
    links = generic_links(r)
    assert [[l.url, l.title, l.date] for l in links] == page["entries"]
    assert generic_pages(r, {l.url for l in links}) == page["pages"]
    assert [[s.url, s.how, s.text] for s in sub_lists(r, {l.url for l in links})] == page["sub_lists"]
    assert page["source"]["repo"] and page["source"]["commit"]


def test_real_pages_cover_the_platforms_and_markups():
    assert {p["platform"] for p in MANIFEST} == {"EmpireCMS (帝国CMS)", "TRS WCM"}
    by_file = {Path(p["file"]).name: p for p in MANIFEST}
    assert len(by_file["116.html"]["entries"]) == 15 and len(by_file["124.html"]["entries"]) == 10
    # 123: a row whose link is javascript:; is no entry
    assert all(not e[0].startswith("javascript") for e in by_file["123.html"]["entries"])


def test_trs_dl_dd_list_of_the_issue():
    """The county TRS page that yielded no article: relative ./YYYYMM/t….htm links (which
    look like pager links ``_N.htm``), the full title in title=, the date in the next dd."""
    html = """<div class="list"><dl><dd><a href="./202401/t20240115_12345.htm" title="某县2023年政府信息公开工作年度报告"
    target="_blank">某县2023年政府信息公开工…</a></dd><dd>2024-01-15</dd></dl>
    <dl><dd><a href="./202301/t20230112_11111.htm" title="某县2022年政府信息公开工作年度报告">某县2022年政府信…</a></dd>
    <dd>2023-01-12</dd></dl></div><script>createPageHTML(2, 0, "index", "htm");</script>"""
    r = response("http://www.x.gov.cn/zfxxgk/zfxxgknb/index.htm", html)
    assert generic_links(r) == [
        Link("http://www.x.gov.cn/zfxxgk/zfxxgknb/202401/t20240115_12345.htm", "某县2023年政府信息公开工作年度报告", "2024-01-15"),
        Link("http://www.x.gov.cn/zfxxgk/zfxxgknb/202301/t20230112_11111.htm", "某县2022年政府信息公开工作年度报告", "2023-01-12")]
    assert generic_pages(r) == ["http://www.x.gov.cn/zfxxgk/zfxxgknb/index_1.htm"]


def test_one_dl_many_dd_pairs():
    html = """<dl><dd><a href="./202401/t20240115_1.html">甲县2023年政府信息公开工作年度报告</a></dd><dd>2024-01-15</dd>
    <dd><a href="./202301/t20230110_2.html">甲县2022年政府信息公开工作年度报告</a></dd><dd>2023-01-10</dd></dl>"""
    links = generic_links(response("http://a.gov.cn/nb/index.html", html))
    assert [(l.url.rsplit("/", 1)[1], l.date) for l in links] == [("t20240115_1.html", "2024-01-15"),
                                                                 ("t20230110_2.html", "2023-01-10")]


def test_date_inside_the_anchor_div_rows_and_no_date():
    html = """<dd><a href="./202601/t20260108_9.html">乙县2025年政府信息公开工作年度报告<span>2026-01-08</span></a></dd>
    <div class="row"><a href="/art/2025/1/20/art_1_2.html">乙县财政局2024年政府信息公开工作年度报告</a><div>2025年01月20日</div></div>
    <p><a href="/nb/3.html">乙县教育局2024年政府信息公开工作年度报告</a></p>
    <p><a href="/news/4.html">乙县召开全县工作会议</a></p>"""
    links = generic_links(response("http://b.gov.cn/nb/index.html", html))
    assert [(l.url, l.title, l.date) for l in links] == [
        ("http://b.gov.cn/nb/202601/t20260108_9.html", "乙县2025年政府信息公开工作年度报告", "2026-01-08"),
        ("http://b.gov.cn/art/2025/1/20/art_1_2.html", "乙县财政局2024年政府信息公开工作年度报告", "2025-01-20"),
        ("http://b.gov.cn/nb/3.html", "乙县教育局2024年政府信息公开工作年度报告", None)]   # no date: a report title


def test_malformed_links_skipped_alone():
    html = """<li><a href="http://[::1/x">丙县2019年政府信息公开工作年度报告</a><span>2020-01-01</span></li>
    <li><a href="http://host:99999/a.html">丙县2020年政府信息公开工作年度报告</a><span>2021-01-01</span></li>
    <li><a href="./202201/t20220101_3.html">丙县2021年政府信息公开工作年度报告</a><span>2022-01-01</span></li>"""
    bad = []
    links = generic_links(response("http://c.gov.cn/nb/index.html", html), bad)
    assert [l.url for l in links] == ["http://c.gov.cn/nb/202201/t20220101_3.html"]
    assert bad == [("http://[::1/x", "malformed link: Invalid IPv6 URL"),
                   ("http://host:99999/a.html", "malformed link: Port out of range 0-65535")]


def test_next_page_links_and_query_pages():
    html = """<li><a href="show.php?id=1">丁县2024年政府信息公开工作年度报告</a><span>2025-01-01</span></li>
    <div class="pages"><a href="list.php?catid=9&amp;page=2">下一页</a> <a href="/other/list.php?page=2">2</a></div>"""
    r = response("http://d.gov.cn/news/list.php?catid=9&page=1", html)
    assert generic_pages(r) == ["http://d.gov.cn/news/list.php?catid=9&page=2"]


def test_sub_lists_per_year_department_and_iframe():
    html = """<ul><li><a href="./2024/index.html">2024年度</a></li><li><a href="./2023/">2023年</a></li>
    <li><a href="/news/2024.html">2024年</a></li><li><a href="bmnb/index.html">部门年报</a></li>
    <li><a href="czj/index.html">县财政局</a></li><li><a href="/jgzn/czj.html">县财政局</a></li>
    <li><a href="http://other.gov.cn/nb/">乡镇年报</a></li></ul><iframe src="list.jsp?page=1"></iframe>"""
    subs = sub_lists(response("http://e.gov.cn/zfxxgk/nb/index.html", html))
    assert [(s.url, s.how, s.text) for s in subs] == [
        ("http://e.gov.cn/zfxxgk/nb/2024/index.html", "year", "2024年度"),
        ("http://e.gov.cn/zfxxgk/nb/2023/", "year", "2023年"),
        ("http://e.gov.cn/zfxxgk/nb/bmnb/index.html", "subcolumn", "部门年报"),
        ("http://e.gov.cn/zfxxgk/nb/czj/index.html", "agency", "县财政局"),
        ("http://e.gov.cn/zfxxgk/nb/list.jsp?page=1", "iframe", "")]        # nothing off the column or the site


def test_split_article_pages_joined():
    first = """<html><head><meta charset="gbk"></head><body><h1>戊县2024年政府信息公开工作年度报告</h1>
    <div class="TRS_Editor"><p>一、总体情况</p></div>
    <script>createPageHTML(3, 0, "t20250115_300001", "html");</script></body></html>"""
    r = response("http://f.gov.cn/nb/202501/t20250115_300001.html", first)
    assert article_pages(r) == ["http://f.gov.cn/nb/202501/t20250115_300001_1.html",
                                "http://f.gov.cn/nb/202501/t20250115_300001_2.html"]
    joined = join_article_pages(first.encode(), "utf-8", [
        '<div class="TRS_Editor"><p>五、行政复议</p><table><tr><td>1</td></tr></table></div>',
        '<div class="TRS_Editor"><p>七、其他</p></div>']).decode("utf-8")
    body = joined[joined.index('<div class="TRS_Editor">'):]
    assert body.index("一、总体情况") < body.index("五、行政复议") < body.index("<td>1</td>") < body.index("七、其他") \
        < body.index("</div>")
    assert '<meta charset="utf-8">' in joined
    assert article_pages(response("http://f.gov.cn/nb/202501/t20250116_1.html", "<p>x</p>")) == []


def test_find_column_by_text_known_path_and_hubs():
    from crawler.spiders.auto import find_column, find_search
    home = """<a href="/zwgk/index.html">政务公开</a> <a href="/xxgk/fdzdgknr/">法定主动公开内容</a>
    <a href="/col/col123/index.html">政府信息公开年度报告</a> <a href="/zfxxgk/zfxxgknb/"><img src="nb.png"></a>
    <a href="/news/t20240101_1.html">2023年政府信息公开工作年度报告</a> <a href="/zfxxgk/zn/">政府信息公开指南</a>"""
    columns, hubs = find_column(response("http://g.gov.cn/", home), "trs")
    assert columns == [("http://g.gov.cn/col/col123/index.html", "link text: 政府信息公开年度报告"),
                       ("http://g.gov.cn/zfxxgk/zfxxgknb/", "platform path: /zfxxgk/zfxxgknb/ (trs)")]
    assert hubs == ["http://g.gov.cn/xxgk/fdzdgknr/", "http://g.gov.cn/zwgk/index.html"]   # the deeper hub first
    form = """<form action="/search/index.jsp" method="get"><input name="searchword"></form>
    <form action="http://other.cn/s" method="get"><input name="q"></form>"""
    assert find_search(response("http://g.gov.cn/zfxxgk/", form)) == ("http://g.gov.cn/search/index.jsp", "searchword")
    assert find_search(response("http://g.gov.cn/", '<form method="post" action="/s"><input name="q"></form>')) is None


def test_column_text_is_the_whole_link_text():
    from crawler.spiders.auto import find_column
    page = """<a href="/tjnb/">统计年报</a> <a href="/qynb/">企业年报</a> <a href="/nb/">年报</a>
    <a href="/xxgknb/">政务公开工作年度报告</a>"""
    columns, _ = find_column(response("http://h.gov.cn/", page))
    assert [u for u, _ in columns] == ["http://h.gov.cn/nb/", "http://h.gov.cn/xxgknb/"]


def test_date_in_a_text_node_beside_the_link():
    html = """<div class="list"><a href="/a/1.html">己县2024年政府信息公开工作年度报告</a> 2025-01-15<br>
    <a href="/a/2.html">己县2023年政府信息公开工作年度报告</a> (2024-01-10)<br></div>"""
    links = generic_links(response("http://i.gov.cn/nb/", html))
    assert [(l.url, l.date) for l in links] == [("http://i.gov.cn/a/1.html", "2025-01-15"),
                                               ("http://i.gov.cn/a/2.html", "2024-01-10")]
