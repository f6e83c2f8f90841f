"""One test per quirk listed in the reference, on small cuts of real documents.

The cuts in tests/fixtures/quirks/ are verbatim slices of tests/fixtures/public/corpus and the
seed; the inline HTML snippets reproduce markup real portals serve.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from pipelines import parse_document
from pipelines.decode import decode_bytes
from pipelines.document import from_html, from_text
from pipelines.labels import match_active_row, match_application_row
from pipelines.metadata import agency_from_title, find_clicks, find_publish_date
from pipelines.tables import read_active_disclosure, read_applications, read_reviews
from pipelines.values import parse_value

QUIRKS = Path(__file__).parent / "fixtures" / "quirks"


def text_lines(name: str):
    return from_text((QUIRKS / name).read_text(encoding="utf-8")).lines


# ------------------------------------------------------------------ values

@pytest.mark.parametrize("cell, number", [
    ("0", 0), ("433", 433), ("3,119", 3119), ("１２３", 123), ("96171.6", 96171.6),
    ("22（其中修订16件）", 22), ("-18", -18), ("+3", 3), ("7545.00", 7545),
    ("12件", 12), ("251000元", 251000), ("减少2", -2),
])
def test_cell_values(cell, number):
    assert parse_value(cell).number == number


@pytest.mark.parametrize("cell", ["", "\xa0", " ", "/", "—", "——", "无", "-", "　"])
def test_blank_cells(cell):
    v = parse_value(cell)
    assert v is not None and v.blank


@pytest.mark.parametrize("cell", ["规章", "1.属于国家秘密", "本年新收政府信息公开申请数量", "第二十条第（一）项", "1."])
def test_labels_are_not_values(cell):
    assert parse_value(cell) is None


# ------------------------------------------------------------------ labels by meaning

@pytest.mark.parametrize("label, key", [
    ("2.其他法律行政止公开", "denied.law_forbidden"),           # the typo in labelled/002
    ("2、其他法律行政法规禁止公开", "denied.law_forbidden"),
    ("3.危及“三安全一稳定”", "denied.security_stability"),
    ("（三）不予公开1.属于国家秘密", "denied.state_secret"),     # group heading then sub-row
    ("（六）其他处理", "other"),                                  # the merged 2019-style row
    ("（六）其他处理1、申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "other.no_correction"),
    ("2、申请人逾期未按收费通知要求缴纳费用、行政机关不现处理其政府信息公开申请", "other.no_fee"),
    ("四、结转下年度继续办理", "carried_forward"),
    ("（七）总计", "total_handled"),
])
def test_application_labels(label, key):
    assert match_application_row(label, started=True, in_other_group=False) == (True, key)


def test_bare_other_only_inside_other_group():
    assert match_application_row("3、其他", started=True, in_other_group=True) == (True, "other.misc")
    assert match_application_row("3、其他", started=True, in_other_group=False) == (False, None)


def test_total_header_is_not_a_row_before_rows_start():
    assert match_application_row("申请人情况自然人总计", started=False, in_other_group=False)[1] is None


@pytest.mark.parametrize("label, key", [
    ("规范性文件", "normative_documents"), ("行政规范性文件", "normative_documents"), ("规章", "regulations"),
    ("行政事业性收费", "fees"), ("其他对外管理服务事项", "other_services"), ("政府集中采购", "procurement"),
])
def test_active_labels(label, key):
    assert match_active_row(label) == key


# ------------------------------------------------------------------ PDF layout text

def test_pdf_table3_page_footer_and_vertical_heading():
    """labelled/001: '-4 -' cuts through table 3; 三、本年度办理结果 runs down the left."""
    table = read_applications(text_lines("pdf_table3_page_footer_001.txt"))
    app = table.values
    assert len(app) == 25
    assert app["new_received"] == {"natural_person": 3001, "commercial": 53, "research": 0, "social_welfare": 0,
                                   "legal_services": 61, "other_org": 4, "total": 3119}
    assert app["unable.needs_creation"]["total"] == 11      # the row right after the footer
    assert app["other.no_correction"]["total"] == 71        # label over three lines
    assert app["other.misc"]["total"] == 110
    assert app["partially_granted"]["total"] == 454
    assert table.warnings == []


def test_pdf_table3_glued_value_and_merged_other_row():
    """labelled/002: '…重新出具0' glues the first value to the label; （六） is one row."""
    table = read_applications(text_lines("pdf_table3_glued_merged_other_002.txt"))
    app = table.values
    assert app["not_handled.confirm"] == {c: 0 for c in app["not_handled.confirm"]}
    assert "other" in app and "other.no_correction" not in app
    assert app["denied.law_forbidden"]["total"] == 0
    assert app["partially_granted"]["natural_person"] == 4
    assert app["total_handled"]["total"] == 21


def test_pdf_table4_fifteen_numbers():
    table = read_reviews(text_lines("pdf_table4_001.txt"))
    assert table.values["review"] == {"upheld": 72, "corrected": 64, "other": 178, "pending": 37, "total": 351}
    assert table.values["litigation_after_review"]["total"] == 20


def test_pdf_table2_footer_between_blocks():
    table = read_active_disclosure(text_lines("pdf_table2_footer_002.txt"), "2021")
    assert table.values["normative_documents"] == {"made": 0, "repealed": 5, "in_force": 5}
    assert table.values["punishment"] == {"decisions": 4119}
    assert table.values["fees"] == {"amount": 7730.28}


def test_layout_row_with_lost_blank_cells_is_realigned():
    """PDF layout text drops blank cells; the row is placed by the columns of full rows."""
    cols = [40, 48, 56, 64, 72, 80, 88]          # right edge of each of the seven columns

    def line(label, values):
        out = label + " " * (40 - len(label))
        chars = list(out + " " * 60)
        for end, v in zip(cols, values):
            if v is not None:
                chars[end - len(str(v)):end] = str(v)
        return "".join(chars).rstrip() + "\n"

    text = (line("一、本年新收政府信息公开申请数量", [5, 1, 0, 0, 0, 0, 6])
            + line("二、上年结转政府信息公开申请数量", [0] * 7)
            + line("（一）予以公开", [3, 1, 0, 0, 0, 0, 4])
            + line("（二）部分公开", [2, None, None, None, None, None, 2])
            + line("（七）总计", [5, 1, 0, 0, 0, 0, 6])
            + line("四、结转下年度继续办理", [0] * 7))
    table = read_applications(from_text(text).lines)
    assert table.values["partially_granted"] == {"natural_person": 2, "commercial": 0, "research": 0,
                                                 "social_welfare": 0, "legal_services": 0, "other_org": 0,
                                                 "total": 2}
    assert any("placed by column position" in w for w in table.warnings)


# ------------------------------------------------------------------ flattened text

def test_flattened_nbsp_cell_reads_as_blank_zero():
    table = read_applications(text_lines("flat_table3_nbsp_cell_seed.txt"))
    assert table.values["partially_granted"]["research"] == 0
    assert table.raw["partially_granted"]["research"] == ""
    assert len(table.values) == 24      # the seed's variant has two 其他处理 sub-rows


def test_flattened_rendered_date_is_not_publish_date():
    rec = parse_document((QUIRKS / "seed_head.txt").read_bytes())
    assert rec["publish_date"] == "2024-01-29"
    assert rec["publish_datetime"] == "2024-01-29T17:25:39+08:00"
    assert rec["clicks"] == 433 and rec["source"] == "托里县政务服务中心"


# ------------------------------------------------------------------ HTML

def _row(label, values, label_cols=1):
    tds = "".join(f"<td>{v}</td>" for v in values)
    return f"<tr><td colspan='{label_cols}'>{label}</td>{tds}</tr>"


def test_html_word_pasted_labels_split_over_spans_and_paragraphs():
    html = """<html><body><table class="MsoNormalTable">
    <tr><td><p class="MsoNormal"><span>本年新收政府</span></p><p><span>信息公开申请数量</span></p></td>
    <td><p><span>１</span></p></td><td>0</td><td>&nbsp;</td><td>0</td><td>0</td><td>0</td><td><span>1</span></td></tr>
    </table></body></html>"""
    table = read_applications(from_html(html).lines)
    assert table.values["new_received"]["natural_person"] == 1
    assert table.values["new_received"]["research"] == 0
    assert table.raw["new_received"]["research"] == ""


def test_html_rowspan_colspan_grid():
    """三、本年度办理结果 and （三）不予公开 span rows; labels repeat in the expanded grid."""
    html = ("<table><tr><td colspan='3'>一、本年新收政府信息公开申请数量</td>" + "<td>2</td>" * 6 + "<td>12</td></tr>"
            "<tr><td rowspan='3'>三、本年度办理结果</td><td rowspan='2'>（三）不予公开</td><td>1.属于国家秘密</td>"
            + "<td>1</td>" * 6 + "<td>6</td></tr>"
            "<tr><td>2.其他法律行政法规禁止公开</td>" + "<td>0</td>" * 7 + "</tr>"
            "<tr><td colspan='2'>（七）总计</td>" + "<td>1</td>" * 6 + "<td>6</td></tr></table>")
    table = read_applications(from_html(html).lines)
    assert table.values["denied.state_secret"]["total"] == 6
    assert table.values["denied.law_forbidden"]["total"] == 0
    assert table.values["total_handled"]["natural_person"] == 1


def test_html_table_split_in_two_with_repeated_header():
    head = "<tr><td>申请人情况</td><td>自然人</td><td>法人或其他组织</td><td>总计</td></tr>"
    html = ("<table>" + head + _row("一、本年新收政府信息公开申请数量", [1, 0, 0, 0, 0, 0, 1]) + "</table><p></p>"
            "<table>" + head + _row("（一）予以公开", [1, 0, 0, 0, 0, 0, 1]) + "</table>")
    table = read_applications(from_html(html).lines)
    assert table.values["new_received"]["total"] == 1
    assert table.values["granted"]["total"] == 1


def test_blank_total_is_derived_and_warned():
    html = "<table>" + _row("一、本年新收政府信息公开申请数量", [3, 1, 0, 0, 0, 0, ""]) + "</table>"
    table = read_applications(from_html(html).lines)
    assert table.values["new_received"]["total"] == 4
    assert ["applications", "new_received", "total"] in table.derived
    assert any("derived" in w for w in table.warnings)


def test_fee_in_yuan_converted_to_wan():
    html = "<table><tr><td>行政事业性收费</td><td>251000元</td></tr></table>"
    table = read_active_disclosure(from_html(html).lines, "2021")
    assert table.values["fees"]["amount"] == 25.1
    assert any("元" in w for w in table.warnings)


def test_header_rows_do_not_shift_table4():
    html = ("<table><tr><td colspan='5'>行政复议</td><td colspan='10'>行政诉讼</td><td></td></tr>"
            "<tr>" + "<td>结果维持</td><td>结果纠正</td><td>其他结果</td><td>尚未审结</td><td>总计</td>" * 3 + "</tr>"
            "<tr>" + "<td>无</td>" * 15 + "</tr><tr><td></td></tr></table>")
    table = read_reviews(from_html(html).lines)
    assert table.values["litigation_direct"] == {"upheld": 0, "corrected": 0, "other": 0, "pending": 0, "total": 0}


# ------------------------------------------------------------------ metadata

def test_script_filled_view_count_is_null():
    rec = parse_document((QUIRKS / "empirecms_meta_script_clicks_101.html").read_bytes())
    assert rec["clicks"] is None
    assert rec["publish_datetime"] == "2018-04-02T15:44:03+08:00"
    assert rec["source"] == "县工商质监局"
    assert rec["title"] == "柘城县工商质监局 2017年信息公开年度报告"
    assert rec["agency"] == "柘城县工商质监局"


def test_trs_metadata_line_and_minutes_only_time():
    rec = parse_document((QUIRKS / "trs_meta_120.html").read_bytes())
    assert rec["publish_date"] == "2017-05-30"
    assert rec["publish_datetime"] == "2017-05-30T10:57:00+08:00"
    assert rec["report_year"] == 2016


@pytest.mark.parametrize("line, clicks", [
    ("点击:433次", 433), ("浏览次数：1,203", 1203), ("阅读次数：88", 88), ("阅读量：1,203", 1203),
    ("[ 2024-01-29 ]  阅读量：12", 12), ("浏览次数：", None),
])
def test_click_spellings(line, clicks):
    assert find_clicks(line) == clicks


@pytest.mark.parametrize("line, date, dt", [
    ("日期:2024-01-29 17:25:39 来源:托里县政务服务中心", "2024-01-29", "2024-01-29 17:25:39"),
    ("发布时间：2024年01月29日  来源：县政府办  浏览次数：", "2024-01-29", None),
    ("[ 2024-01-29 ]  阅读量：1,203", "2024-01-29", None),
    ("2024年05月19日 星期日 |\n发布日期：2024/1/9", "2024-01-09", None),
    ("发布时间：二〇二四年一月二十九日", None, None),
])
def test_publish_date_spellings(line, date, dt):
    d, t, _ = find_publish_date(line, {})
    assert (d.isoformat() if d else None) == date
    assert (str(t) if t else None) == dt


def test_publish_date_long_tail_uses_dateparser():
    d, _, _ = find_publish_date("发布时间：29 January 2024", {})
    assert d is not None and d.isoformat() == "2024-01-29"


@pytest.mark.parametrize("title, agency", [
    ("托里县政务服务中心2023年政府信息公开工作年度报告", "托里县政务服务中心"),
    ("柘城县 “互联网+”经济发展促进中心 2017政府信息公开工作 年度报告", "柘城县“互联网+”经济发展促进中心"),
    ("（图解）湖滨区人民政府2024年政府信息公开工作年度报告", "湖滨区人民政府"),
    ("《清淮市人民政府2023年政府信息公开工作年度报告》解读", "清淮市人民政府"),
    ("关于做好2023年政府信息公开工作年度报告编制发布工作的通知", None),
])
def test_agency_from_title(title, agency):
    assert agency_from_title(title) == agency


# ------------------------------------------------------------------ encodings

REPORT_HTML = "<html><head>{meta}<title>某县2023年政府信息公开工作年度报告</title></head><body><p>一、总体情况</p></body></html>"


@pytest.mark.parametrize("meta, enc, expect", [
    ('<meta charset="gbk">', "gbk", "gbk"),
    ('<meta http-equiv="Content-Type" content="text/html; charset=utf-8">', "gbk", "gbk"),   # declared wrongly
    ("", "gbk", "gbk"),                                                                    # not declared
    ('<meta charset="gb2312">', "utf-8", "utf-8"),                                          # declared wrongly
    ("", "utf-8", "utf-8"),
    ("", "gb18030", "gb18030"),
])
def test_encodings(meta, enc, expect):
    html = REPORT_HTML.format(meta=meta)
    if enc == "gb18030":
        html = html.replace("某县", "𠀾县")   # a character outside GBK
    text, used, _ = decode_bytes(html.encode(enc))
    assert used == expect
    assert "政府信息公开工作年度报告" in text


def test_encoding_hint_is_honoured():
    data = "<p>一、总体情况。本机关依申请公开</p><p>二、主动公开政府信息情况</p>".encode("gbk")
    rec = parse_document(data, encoding="gbk")
    assert rec["encoding"] == "gbk"
    assert rec["sections"][0]["heading"] == "总体情况"


# ------------------------------------------------------------------ kinds

@pytest.mark.parametrize("title", [
    "《某县2023年政府信息公开工作年度报告》解读",
    "（图解）某县2023年政府信息公开工作年度报告",
    "某县2023年政府信息公开工作年度报告（图片版）",
    "关于做好2023年政府信息公开工作年度报告编制发布工作的通知",
])
def test_not_reports_get_no_tables(title):
    html = (f"<html><head><title>{title}</title></head><body><h1>{title}</h1>"
            "<p>一、总体情况</p><p>二、主动公开政府信息情况</p><p>本年新收政府信息公开申请12件</p></body></html>")
    rec = parse_document(html.encode())
    assert rec["kind"] == "not_report"
    assert rec["applications"] is None and rec["active_disclosure"] is None and rec["reviews_litigation"] is None
    assert rec["checks"] == []


def test_list_page_is_not_a_report():
    """docs/116: a 年报 column page listing reports is not itself a report."""
    rec = parse_document((QUIRKS / "empirecms_list_116.html").read_bytes())
    assert rec["kind"] == "not_report"
    assert rec["title"] == "信息公开年报"
    assert rec["applications"] is None and rec["report_year"] is None


# ------------------------------------------------------------------ cells run together

def _glue_seed_rows(text: str) -> str:
    """The seed as an extractor that loses the gaps between a row's cells would give it."""
    out, run = [], ""
    for cell in text.split("\n\n"):
        c = cell.strip("\n")
        if c.isdigit() or c == "\xa0":
            run += c.replace("\xa0", "")
            continue
        if run:
            out.append(run)
            run = ""
        out.append(c)
    if run:
        out.append(run)
    return "\n".join(out)


def test_run_together_rows_split_by_their_totals():
    seed = (QUIRKS / "seed_head.txt").read_text(encoding="utf-8") + \
        (QUIRKS / "flat_table3_nbsp_cell_seed.txt").read_text(encoding="utf-8")
    rec = parse_document(_glue_seed_rows(seed))
    app = rec["applications"]
    assert app["new_received"] == {c: 0 for c in app["new_received"]}
    assert "partially_granted" not in app      # six digits for seven cells: no unique split, left out
    assert any("left out" in w and "partially_granted" in w for w in rec["warnings"])
    assert any("run together" in w for w in rec["warnings"])


def test_run_together_table4_and_ambiguity():
    from pipelines.runs import split_runs
    # labelled/001's table 4 as plain extraction glues it: the first two blocks split uniquely
    assert split_runs(["7264178373511348126"], 2, 5) == [72, 64, 178, 37, 351, 13, 4, 8, 1, 26]
    assert split_runs(["1211620"], 1, 5) is None            # 12+1+1+6 = 1+2+11+6 = 20: refuse to guess
    assert split_runs(["30015300614", "3119"], 1, 7) == [3001, 53, 0, 0, 61, 4, 3119]
    assert split_runs(["12", "34"], 1, 7) is None            # too few digits for seven cells


def test_lone_negative_value_is_not_a_page_footer():
    """A flattened 2019-template row: 本年增/减 "-2" is a value; "-2-" would be a page footer."""
    cells = ["第二十条第（五）项", "信息内容", "上一年项目数量", "本年增/减", "处理决定数量",
             "其他对外管理服务事项", "23", "-2", "16,508", "-3-", "行政许可", "9", "—", "214"]
    table = read_active_disclosure(from_text("\n\n".join(cells)).lines, "2019")
    assert table.values["other_services"] == {"previous_items": 23, "change": -2, "decisions": 16508}
    assert table.values["licensing"] == {"previous_items": 9, "change": 0, "decisions": 214}


@pytest.mark.parametrize("page_title", [
    "某县2023年政府信息公开工作年度报告-某县人民政府门户网站",
    "某县2023年政府信息公开工作年度报告_某县人民政府",
    "某县人民政府 | 某县2023年政府信息公开工作年度报告",
])
def test_site_name_is_cut_from_the_page_title(page_title):
    html = (f"<html><head><title>{page_title}</title></head><body><p>发布时间：2024-03-28</p>"
            "<p>一、总体情况</p><p>二、主动公开政府信息情况</p><p>三、收到和处理政府信息公开申请情况</p></body></html>")
    rec = parse_document(html.encode())
    assert rec["title"] == "某县2023年政府信息公开工作年度报告"
    assert rec["agency"] == "某县" and rec["report_year"] == 2023
