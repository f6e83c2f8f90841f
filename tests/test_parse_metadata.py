"""The publisher's metadata wins over any wrapper's (issue 12, item 2).

Fixtures: tests/fixtures/shapes/collector_*.html are real pages (corpus/docs/101.html; the TRS
report page built on labelled/001) nested verbatim inside a third-party collector's page
(tests/fixtures/shapes/sources.json says what was done); the inline snippets reproduce the
markup of real portals (reference/portal-patterns.md: meta tags, xxgk header tables, the
metadata line).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines import parse_document
from pipelines import metadata as md
from pipelines.document import from_html
from tests.expected import field_diffs

FIX = Path(__file__).parent / "fixtures"
SHAPES = FIX / "shapes"
MANIFEST = {d["file"]: d for d in json.loads((FIX / "public" / "corpus" / "manifest.json").read_text("utf-8"))}


def test_collector_copy_of_a_real_page_reads_the_original():
    """docs/101.html inside a collector's page: its title, date, source — not the collector's."""
    doc = MANIFEST["docs/101.html"]
    record = parse_document((SHAPES / "collector_zhecheng_gszj_2017.html").read_bytes())
    assert record["title"] == doc["title"] == "柘城县工商质监局 2017年信息公开年度报告"
    assert record["agency"] == "柘城县工商质监局"
    assert record["report_year"] == 2017
    assert record["publish_date"] == "2018-04-02"                      # not 采集时间 2024-11-02
    assert record["publish_datetime"] == doc["published"].replace(" ", "T") + "+08:00"
    assert record["source"] == doc["content_source"] == "县工商质监局"  # not the URL, not 网页采集
    assert record["clicks"] is None                                    # 阅读：1,024 is the collector's
    assert record["kind"] == "report"
    assert record["template"] == "old"
    assert record["applications"] is None
    assert record["list_title"] is None and record["list_date"] is None
    assert record["warnings"] == []
    # the same page parsed bare gives the same metadata
    bare = parse_document((FIX / "public" / "corpus" / "docs" / "101.html").read_bytes())
    for k in ("title", "agency", "report_year", "publish_date", "publish_datetime", "source", "clicks"):
        assert bare[k] == record[k], k


def test_collector_copy_of_a_trs_page_keeps_every_field():
    """The TRS page (labelled/001's numbers) inside a collector: the nested ArticleTitle /
    PubDate / ContentSource win over the collector's PubDate and ContentSource; every table
    value still reads."""
    expected = json.loads((FIX / "reports" / "trs_qinghuai_city_2024.expected.json").read_text("utf-8"))
    record = parse_document((SHAPES / "collector_qinghuai_city_2024.html").read_bytes())
    n, diffs = field_diffs(record, expected)
    assert diffs == []
    assert n > 100
    assert record["publish_datetime"] == "2025-03-21T16:05:33+08:00"   # PubDate's minutes, the line's seconds
    assert record["source"] == "清淮市人民政府办公室"


def test_nested_page_titles_and_meta():
    doc = from_html((SHAPES / "collector_qinghuai_city_2024.html").read_text("utf-8"))
    assert doc.nested is True
    assert doc.page_titles[0] != doc.page_titles[-1]
    assert doc.page_titles[-1].startswith("标题：")               # the collector's, last
    assert doc.meta["contentsource"] == "清淮市人民政府办公室"      # the collector's 网页采集 is ignored
    assert doc.meta["pubdate"] == "2025-03-21 16:05"


PAGE = """<html><head><meta charset="utf-8"><title>{title}</title>{meta}</head><body>
<div class="top">今天是：2025年1月6日 星期一</div>
{header}
<div class="article"><h1>{h1}</h1><div class="info">{line}</div>
<div id="zoom"><p>一、总体情况</p><p>2024年，本局认真贯彻《条例》。</p>
<p>二、主动公开政府信息情况</p><p>见下表。</p><p>三、收到和处理政府信息公开申请情况</p><p>无。</p>
<p>四、政府信息公开行政复议、行政诉讼情况</p><p>无。</p></div></div>
<div class="foot">更新时间：2025-02-28 12:00:00 网站标识码 0000000000</div></body></html>"""


def page(title="某县水利局2024年政府信息公开工作年度报告_某县人民政府", meta="", header="", h1=None, line=""):
    h1 = "某县水利局2024年政府信息公开工作年度报告" if h1 is None else h1
    return PAGE.format(title=title, meta=meta, header=header, h1=h1, line=line).encode("utf-8")


def test_cms_fields_win_over_the_metadata_line_with_a_warning():
    rec = parse_document(page(meta='<meta name="PubDate" content="2025-01-20 09:30">'
                                   '<meta name="ContentSource" content="某县水利局">',
                              line="发布时间：2025-01-21 10:00:00 来源：县政府办 浏览次数：33"))
    assert rec["publish_date"] == "2025-01-20"
    assert rec["publish_datetime"] == "2025-01-20T09:30:00+08:00"
    assert rec["source"] == "某县水利局"
    assert rec["clicks"] == 33
    assert any("meta pubdate says 2025-01-20" in w for w in rec["warnings"])


def test_publishtime_element():
    rec = parse_document(page(header="<publishtime>2025-01-18 08:00:00</publishtime>",
                              line="来源：某县水利局"))
    assert rec["publish_date"] == "2025-01-18"
    assert rec["publish_datetime"] == "2025-01-18T08:00:00+08:00"
    assert rec["source"] == "某县水利局"


def test_header_table_without_colons():
    header = ("<table class='xxgk'><tr><td>索引号</td><td>000000000/2025-00001</td><td>主题分类</td><td>年报</td></tr>"
              "<tr><td>发布机构</td><td>某县水利局</td><td>成文日期</td><td>2025-01-10</td></tr>"
              "<tr><td>名称</td><td>某县水利局2024年政府信息公开工作年度报告</td><td>公开日期</td><td>2025-01-15</td></tr>"
              "</table>")
    rec = parse_document(page(header=header, h1=""))
    assert rec["title"] == "某县水利局2024年政府信息公开工作年度报告"
    assert rec["publish_date"] == "2025-01-15"                 # 公开日期 over 成文日期
    assert rec["publish_datetime"] is None
    assert rec["source"] == "某县水利局"
    assert rec["agency"] == "某县水利局"
    # only 成文日期: that one, never the footer's 更新时间 or the top bar's render date
    rec = parse_document(page(header=header.replace("公开日期", "有效性").replace("2025-01-15", "有效")))
    assert rec["publish_date"] == "2025-01-10"


def test_never_a_collection_update_or_render_date():
    rec = parse_document(page(line="采集时间：2025-03-01 10:00:00　更新时间：2025-03-02"))
    assert rec["publish_date"] is None
    rec = parse_document(page(line="生成时间：2025-03-01 抓取时间：2025-03-01 收录时间：2025-03-01 日期：2025-01-09"))
    assert rec["publish_date"] == "2025-01-09"


@pytest.mark.parametrize("raw, title", [
    ("标题：某县水利局2024年政府信息公开工作年度报告-县水利局", "某县水利局2024年政府信息公开工作年度报告"),
    ("标题: 某县水利局2024年政府信息公开工作年度报告 - 某县人民政府网", "某县水利局2024年政府信息公开工作年度报告"),
    ("某县水利局2024年政府信息公开工作年度报告_某县人民政府", "某县水利局2024年政府信息公开工作年度报告"),
    ("某县水利局2024年政府信息公开工作年度报告|中国某县", "某县水利局2024年政府信息公开工作年度报告"),
    ("某县水利局2024年政府信息公开工作年度报告-图解", "某县水利局2024年政府信息公开工作年度报告-图解"),  # a tag stays
    ("某县2023-2024年度政府信息公开工作年度报告", "某县2023-2024年度政府信息公开工作年度报告"),
])
def test_clean_title(raw, title):
    assert md.clean_title(raw) == title


def test_collector_header_title_in_the_body_is_cleaned():
    rec = parse_document(page(title="标题：某县水利局2024年政府信息公开工作年度报告-县水利局", h1="",
                              line="标题：某县水利局2024年政府信息公开工作年度报告-县水利局 来源：http://www.example.gov.cn/a.html"
                                   " 采集时间：2025-04-01 08:00:00"))
    assert rec["title"] == "某县水利局2024年政府信息公开工作年度报告"
    assert rec["agency"] == "某县水利局"
    assert rec["source"] is None                 # a URL is not a publisher
    assert rec["publish_date"] is None           # the collection date is not the publish date


def test_header_fields():
    rows = [["索引号：", "X/2025-1", "发布机构：", "某局"], ["公开日期：2025-01-02", "文号：", "", "成文日期：", "2025-01-01"]]
    assert md.header_fields(rows) == {"索引号": "X/2025-1", "发布机构": "某局", "公开日期": "2025-01-02",
                                      "成文日期": "2025-01-01"}


# ------------------------------------------------------------------ the list entry as evidence

BODY = page(meta='<meta name="PubDate" content="2025-01-20 09:30">')


def test_list_entry_agrees():
    rec = parse_document(BODY, list_title="某县水利局2024年政府信息公开工作年度报告", list_date="2025-01-20")
    assert rec["list_title"] == "某县水利局2024年政府信息公开工作年度报告"
    assert rec["list_date"] == "2025-01-20"
    assert not any("list entry" in w for w in rec["warnings"])
    rec = parse_document(BODY, list_title="某县水利局2024年政府信息公开工作…", list_date="2025/1/20")
    assert rec["list_date"] == "2025-01-20"
    assert not any("list entry" in w for w in rec["warnings"])
    rec = parse_document(BODY, list_title="某县水利局2024年政府信息公开", list_date="[2025-01-20]")   # cut, no …
    assert rec["list_date"] == "2025-01-20"
    assert not any("list entry" in w for w in rec["warnings"])
    rec = parse_document(BODY, list_title="某县水利局2024年", list_date="01-20")   # too short to be a cut
    assert rec["list_date"] == "01-20"                                             # kept as printed
    assert [w for w in rec["warnings"] if "list entry" in w] == [
        "list entry's title differs from the document's: '某县水利局2024年' vs '某县水利局2024年政府信息公开工作年度报告'"]


def test_list_entry_disagrees_is_a_warning_and_the_page_wins():
    rec = parse_document(BODY, list_title="某县水利局2023年政府信息公开工作年度报告", list_date="2025-02-01")
    assert rec["title"] == "某县水利局2024年政府信息公开工作年度报告"
    assert rec["publish_date"] == "2025-01-20"
    assert rec["list_title"] == "某县水利局2023年政府信息公开工作年度报告"
    assert rec["list_date"] == "2025-02-01"
    assert any("list entry's title differs" in w for w in rec["warnings"])
    assert any("list entry's date differs from the document's: 2025-02-01 vs 2025-01-20" in w for w in rec["warnings"])


def test_list_entry_fills_what_the_page_lacks():
    text = "一、总体情况\n本局认真贯彻《条例》。\n二、主动公开政府信息情况\n三、收到和处理政府信息公开申请情况\n".encode()
    rec = parse_document(text, list_title="某县水利局2024年政府信息公开工作年度报告", list_date="2025-01-22")
    assert rec["title"] == "某县水利局2024年政府信息公开工作年度报告"
    assert rec["agency"] == "某县水利局"
    assert rec["report_year"] == 2024
    assert rec["publish_date"] == "2025-01-22"
    assert "title taken from the list entry: 某县水利局2024年政府信息公开工作年度报告" in rec["warnings"]
    assert "publish_date taken from the list entry: 2025-01-22" in rec["warnings"]


def test_parse_pipeline_passes_the_list_entry(monkeypatch):
    from crawler import itempipelines

    seen = {}

    def fake(body, url, encoding=None, list_title=None, list_date=None, content_type=None):
        seen.update(list_title=list_title, list_date=list_date)
        return {"title": "t", "kind": "report", "warnings": []}

    monkeypatch.setattr("pipelines.parse_document", fake)
    assert itempipelines.parse(b"x", "http://h/a", None, "列表标题", "2025-01-02")["title"] == "t"
    assert seen == {"list_title": "列表标题", "list_date": "2025-01-02"}


def test_a_stray_meta_in_body_is_not_a_nested_page():
    html = ('<html><head><title>某县水利局2024年政府信息公开工作年度报告</title>'
            '<meta name="PubDate" content="2025-01-20 09:30"></head><body>'
            '<meta name="viewport" content="width=device-width"><h1>某县水利局2024年政府信息公开工作年度报告</h1>'
            '<p>一、总体情况</p><p>二、主动公开政府信息情况</p><p>三、收到和处理政府信息公开申请情况</p></body></html>')
    doc = from_html(html)
    assert doc.nested is False
    assert doc.meta["pubdate"] == "2025-01-20 09:30"
    assert parse_document(html.encode())["publish_datetime"] == "2025-01-20T09:30:00+08:00"


def test_iso_datetime_meta():
    rec = parse_document(page(meta='<meta property="article:published_time" content="2025-01-19T08:05:09+08:00">'))
    assert rec["publish_datetime"] == "2025-01-19T08:05:09+08:00"


def test_reparse_keeps_the_list_entry(tmp_path):
    from db.store import Archive

    with Archive(tmp_path / "a.db") as archive:
        record = parse_document(BODY, list_title="某县水利局2023年政府信息公开工作年度报告", list_date="2025-02-01")
        record["parser_version"] = "0"
        res = archive.store(record, BODY, {"url": "http://127.0.0.1/r.html"})
        assert archive.reparse(version_ids=[res.version_id]) == {"reparsed": 1, "failed": 0, "readable": 1}
        stored = json.loads(archive.db.execute("SELECT record, warnings FROM versions WHERE id = ?",
                                               (res.version_id,)).fetchone()[0])
        assert stored["list_title"] == "某县水利局2023年政府信息公开工作年度报告"
        assert stored["list_date"] == "2025-02-01"
        assert any("list entry's date differs" in w for w in stored["warnings"])


@pytest.mark.parametrize("markup, title", [
    # a heading broken by <br>, and a title in two centred paragraphs: joined
    ("<h1>某县水利局<br>2024年政府信息公开工作年度报告</h1>", "某县水利局2024年政府信息公开工作年度报告"),
    ("<div class='t'><p>某县水利局</p><p>2024年政府信息公开工作年度报告</p></div>", "某县水利局2024年政府信息公开工作年度报告"),
    # the last menu item above the heading is not part of the title
    ("<ul class='nav'><li><a>互动交流</a></li></ul><div class='t'><h1>某县水利局2024年政府信息公开工作年度报告</h1></div>",
     "某县水利局2024年政府信息公开工作年度报告"),
])
def test_html_title_joins(markup, title):
    html = (f"<html><head><title>首页</title></head><body>{markup}"
            "<div id='zoom'><p>一、总体情况</p><p>本局认真贯彻《条例》。</p><p>二、主动公开政府信息情况</p>"
            "<p>三、收到和处理政府信息公开申请情况</p></div></body></html>")
    assert parse_document(html.encode())["title"] == title


def test_header_and_line_dates_disagreeing_is_a_warning():
    header = "<table><tr><td>发布机构：</td><td>某县水利局</td><td>公开日期：</td><td>2025-01-15</td></tr></table>"
    rec = parse_document(page(header=header, line="发布时间：2025-01-16 08:00"))
    assert rec["publish_date"] == "2025-01-15"
    assert rec["publish_datetime"] is None
    assert "publish date: header 公开日期 says 2025-01-15, 发布时间 2025-01-16; header 公开日期 kept" in rec["warnings"]
    # 成文日期 is another date, not a disagreement
    header = header.replace("公开日期", "成文日期").replace("2025-01-15", "2025-01-02")
    rec = parse_document(page(header=header, line="发布时间：2025-01-16 08:00"))
    assert rec["publish_datetime"] == "2025-01-16T08:00:00+08:00"
    assert not any(w.startswith("publish date") for w in rec["warnings"])


def test_flattened_collector_page_its_meta_date_is_the_collection_date():
    """A collector that copies the original's text into its own page (no second <title>):
    its PubDate meta is the 采集时间 it prints, so it is not the publish date."""
    rec = parse_document(page(title="标题：某县水利局2024年政府信息公开工作年度报告-县水利局",
                              meta='<meta name="PubDate" content="2025-04-01 08:00:00">',
                              header="<div>标题：某县水利局2024年政府信息公开工作年度报告-县水利局</div>"
                                     "<div>来源：http://www.example.gov.cn/a.html</div><div>采集时间：2025-04-01 08:00:00</div>",
                              line="发布日期：2025-01-21 来源：某县水利局"))
    assert rec["title"] == "某县水利局2024年政府信息公开工作年度报告"
    assert rec["publish_date"] == "2025-01-21"
    assert rec["source"] == "某县水利局"
