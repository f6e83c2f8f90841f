"""Text other tools extracted from real reports (issue 12, item 4).

tests/fixtures/shapes/extract_* are the real PDF reports of corpus/labelled (their layout
text) in the shapes other extractions give: page footers in every common form, a title
broken over three lines, row labels printed apart from their numbers, markdown with one
table per row and invented header rows (make_shapes.py builds them, sources.json cites
them). Each must reproduce the hand-checked record of its PDF field for field.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines import parse_document
from pipelines.document import PAGE_FOOTER, from_text, reattach_labels
from tests.expected import field_diffs

FIX = Path(__file__).parent / "fixtures"
SHAPES = FIX / "shapes"
SOURCES = json.loads((SHAPES / "sources.json").read_text("utf-8"))
EXTRACTS = sorted(name for name in SOURCES if name.startswith("extract_"))


def test_every_extract_is_cited():
    on_disk = sorted(p.name for p in SHAPES.iterdir() if p.name.startswith("extract_"))
    # every document here is cited: in sources.json, or by a NAME.source.json beside it
    documents = {p for p in SHAPES.iterdir() if p.suffix in (".txt", ".md", ".html") and p.name != "README.md"}
    uncited = {p.name for p in documents
               if p.name not in SOURCES and not p.with_name(p.name.split(".")[0] + ".source.json").exists()}
    assert uncited == set()
    assert on_disk == EXTRACTS
    for name in EXTRACTS:
        assert SOURCES[name]["from"].startswith("tests/fixtures/public/corpus/labelled/")


@pytest.mark.parametrize("name", EXTRACTS)
def test_extract_reproduces_the_hand_checked_record(name):
    expected = json.loads((FIX / "public" / "corpus" / SOURCES[name]["expected"]).read_text("utf-8"))
    record = parse_document((SHAPES / name).read_bytes())
    n, diffs = field_diffs(record, expected)
    assert diffs == []
    assert n > 60
    assert record["kind"] == "report"
    assert record["format"] == "text"
    assert record["warnings"] == []


@pytest.mark.parametrize("footer", [
    "-3-", " - 3 - ", "— 3 —", "–3–", "－3－", "——3——", "第3页", "第 3 页", "第 3 页 共 12 页", "第3页/共12页",
    "第3页，共12页", "共12页 第3页", "3/12", " 3 / 12 ", "— 3/12 —", "Page 3", "page 3 of 12", "- 第3页 -",
])
def test_page_footers(footer):
    assert PAGE_FOOTER.match(footer)
    doc = from_text(f"行政许可  5\n{footer}\n行政处罚  7\n")
    assert [line.text for line in doc.lines] == ["行政许可 5", "行政处罚 7"]


@pytest.mark.parametrize("value", ["-2", "3", "12", "2023", "-", "3.5", "第三页的说明", "共3项", "1/2/3"])
def test_values_are_not_footers(value):
    assert not PAGE_FOOTER.match(value)


def test_title_over_three_lines_is_joined():
    name = "extract_hongze_2023_title_split.txt"
    text = (SHAPES / name).read_text("utf-8")
    assert "    2023 年政府信息公开\n        工作年度报告\n" in text       # the fixture is split
    assert parse_document(text)["title"] == "洪泽区人民政府2023年政府信息公开工作年度报告"


@pytest.mark.parametrize("head, title", [
    ("某县人民政府\n2023年政府信息公开工作年度报告", "某县人民政府2023年政府信息公开工作年度报告"),
    ("某县人民政府2023年政府信息\n公开工作年度报告", "某县人民政府2023年政府信息公开工作年度报告"),
    ("某县交通运输局2023年度\n政府信息公开\n工作年度报告", "某县交通运输局2023年度政府信息公开工作年度报告"),
    # a date line above is not part of the title
    ("发布日期：2024-01-05\n某县人民政府2023年政府信息公开工作年度报告", "某县人民政府2023年政府信息公开工作年度报告"),
])
def test_title_joins(head, title):
    body = "\n一、总体情况\n本年度工作情况。\n二、主动公开政府信息情况\n三、收到和处理政府信息公开申请情况\n"
    assert parse_document(head + body)["title"] == title


def test_detached_labels_are_put_back_by_position():
    text = ("信息内容   本年制发件数  本年废止件数  现行有效件数\n规章\n行政规范性文件\n"
            "                 0       0       2\n                 3       1       8\n")
    lines = from_text(text).lines
    assert [line.text for line in lines] == ["信息内容 本年制发件数 本年废止件数 现行有效件数",
                                             "规章 0 0 2", "行政规范性文件 3 1 8"]
    cols = [c.col for c in lines[2].cells]
    assert cols == sorted(cols)


def test_detached_labels_more_numbers_than_labels_are_left_alone():
    text = "规章\n行政规范性文件\n        0  0  2\n        3  1  8\n        4  4  4\n"
    assert [line.text for line in from_text(text).lines] == ["规章", "行政规范性文件", "0 0 2", "3 1 8", "4 4 4"]


def test_flattened_text_is_not_reattached():
    """One cell a line (the seed's shape): labels and numbers all start at column 0."""
    lines = from_text("信息内容\n处理决定数量\n行政许可\n23\n16,508\n").lines
    assert reattach_labels(lines) is lines
    assert [line.text for line in lines] == ["信息内容", "处理决定数量", "行政许可", "23", "16,508"]


def test_markdown_rows_are_grid_rows():
    text = ("## 三、收到和处理政府信息公开申请情况\n\n"
            "| Column1 | Column2 | Column3 |\n|---|:---:|---|\n| 一、本年新收政府信息公开申请数量 | 3 | **4** |\n\n"
            "| 0 | 1 | 2 |\n| --- | --- | --- |\n| 二、上年结转政府信息公开申请数量 | 0 |  |\n")
    lines = from_text(text).lines
    assert [line.text for line in lines] == ["三、收到和处理政府信息公开申请情况",
                                             "一、本年新收政府信息公开申请数量 3 4", "二、上年结转政府信息公开申请数量 0"]
    assert lines[1].table == lines[2].table == 0
    assert [c.text for c in lines[2].cells] == ["二、上年结转政府信息公开申请数量", "0", ""]   # the blank cell kept
    assert [c.col for c in lines[2].cells] == [0, 1, 2]


@pytest.mark.parametrize("dump", [
    "某县人民政府2023年政府信息公开工作年度报告 本报告由某县人民政府办公室根据《条例》编制。一、总体情况 2023年，……",
    "标题：某县人民政府2023年政府信息公开工作年度报告发布时间：2024-01-20 来源：县政府办 本报告由……编制。",
    "某县人民政府2023年政府信息公开工作年度报告根据《中华人民共和国政府信息公开条例》规定编制本报告。" * 2,
])
def test_title_at_the_start_of_a_one_line_dump(dump):
    assert parse_document(dump)["title"] == "某县人民政府2023年政府信息公开工作年度报告"


def test_markdown_cell_line_breaks():
    lines = from_text("| （三）不予公开<br>1.属于国家秘密 | 2 | 0 |\n").lines
    assert [c.text for c in lines[0].cells] == ["（三）不予公开 1.属于国家秘密", "2", "0"]


# ------------------------------------------------------------------ property: detached labels

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

ROW_LABELS = ["规章", "行政规范性文件", "行政许可", "行政处罚", "行政强制", "行政事业性收费", "（一）予以公开",
              "1.属于国家秘密", "2.其他法律行政法规禁止公开", "行政复议", "（七）总计", "四、结转下年度继续办理"]


@st.composite
def detached_tables(draw):
    k = draw(st.integers(2, 6))
    width = draw(st.integers(1, 4))
    labels = draw(st.lists(st.sampled_from(ROW_LABELS), min_size=k, max_size=k))
    rows = draw(st.lists(st.lists(st.integers(0, 99999), min_size=width, max_size=width), min_size=k, max_size=k))
    extra = draw(st.integers(0, 2))       # number lines beyond the labels: must be left alone
    more = draw(st.lists(st.lists(st.integers(0, 99), min_size=width, max_size=width), min_size=extra,
                         max_size=extra))
    return labels, rows, more


@settings(max_examples=150, deadline=None)
@given(detached_tables())
def test_property_detached_labels_exact_or_untouched(table):
    labels, rows, more = table
    text = "信息内容        本年制发件数  本年废止件数  现行有效件数\n" + "".join(f"{lab}\n" for lab in labels)
    text += "".join("                  " + "   ".join(str(n) for n in row) + "\n" for row in rows + more)
    got = [line.text for line in from_text(text).lines]
    if more:
        # more number lines than labels: nothing is paired (never a guess)
        assert got[1:1 + len(labels)] == labels
        assert len(got) == 1 + len(labels) + len(rows) + len(more)
    else:
        assert got[1:] == [" ".join([lab] + [str(n) for n in row]) for lab, row in zip(labels, rows)]


@pytest.mark.parametrize("name", ["pdftotext_hongze_2023.txt", "pdftotext_hongze_2024.txt"])
def test_pdftotext_numbers_printed_before_their_label(name):
    """`pdftotext` of the real PDFs: 本年处理决定数量 / 550 / 行政许可 — the label is put back
    before its number, so every table-2 cell reads as the hand-checked record has it."""
    expected = json.loads((FIX / "public" / "corpus" / SOURCES[name]["expected"]).read_text("utf-8"))
    record = parse_document((SHAPES / name).read_bytes())
    assert record["title"] == expected["title"]
    assert record["agency"] == expected["agency"]
    assert record["report_year"] == expected["report_year"]
    assert record["template"] == "2021"
    assert record["active_disclosure"] == expected["active_disclosure"]
    assert not any("active_disclosure" in w for w in record["warnings"])


def test_label_after_numbers_only_under_a_value_heading():
    text = "信息内容\n本年处理决定数量\n550\n行政许可\n第二十条第（六）项\n"
    assert [line.text for line in from_text(text).lines] == [
        "信息内容", "本年处理决定数量", "行政许可", "550", "第二十条第（六）项"]
    # table 4's single row under 总计, then a section heading: left as it is
    text = "尚未审结\n总计\n0\n0\n四、存在的主要问题及改进情况\n本年度……\n"
    assert [line.text for line in from_text(text).lines] == text.splitlines()


def test_one_line_dump_metadata():
    dump = ("某县人民政府2023年政府信息公开工作年度报告 发布时间：2024-01-20 10:00 来源：县政府办 浏览次数：33 "
            "采集时间：2025-02-02 08:00 本报告由某县人民政府办公室根据《条例》编制。一、总体情况 2023年，我县……。")
    record = parse_document(dump)
    assert record["title"] == "某县人民政府2023年政府信息公开工作年度报告"
    assert record["agency"] == "某县人民政府"
    assert record["report_year"] == 2023
    assert record["publish_datetime"] == "2024-01-20T10:00:00+08:00"
    assert record["source"] == "县政府办"
    assert record["clicks"] == 33
