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
from pipelines.detached import number_run, readings
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
    before its number, so every table-2 cell reads as the hand-checked record has it; table 3's
    161 numbers, printed apart from its labels (four rows cell by cell, then bands of 10, 4 and
    2 rows column by column), are read back in the one order the table's identities allow."""
    expected = json.loads((FIX / "public" / "corpus" / SOURCES[name]["expected"]).read_text("utf-8"))
    record = parse_document((SHAPES / name).read_bytes())
    n, diffs = field_diffs(record, expected)
    assert diffs == [] and n > 60
    assert record["title"] == expected["title"]
    assert record["agency"] == expected["agency"]
    assert record["report_year"] == expected["report_year"]
    assert record["template"] == "2021"
    assert record["active_disclosure"] == expected["active_disclosure"]
    assert record["reviews_litigation"] == expected["reviews_litigation"]
    # the hand-checked record lists the key rows; the layout text of the same PDF (corpus
    # labelled/NNN.txt) gives every row: the two extractions agree cell for cell
    layout = parse_document((FIX.parent.parent / SOURCES[name]["from"].split(" ")[0].replace(".pdf", ".txt"))
                            .read_bytes())
    assert len(record["applications"]) == 23          # （六）其他处理 is one merged row here
    assert record["applications"] == layout["applications"]
    for row, cells in expected["applications"].items():
        assert record["applications"][row] == cells
    assert record["warnings"] == ["applications: 161 numbers printed apart from the labels of 23 rows (one cell a "
                                  "line): read as a 23×7 grid in the one order that satisfies the table's identities"]
    checks = {c["name"]: c["status"] for c in record["checks"]}
    assert checks["tables_read"] == "pass" and checks["applications_balance"] == "pass"
    assert checks["applications_total_column"] == checks["applications_total_handled"] == "pass"
    assert record["balance_ok"] is True
    # labelled/002 prints table-4 totals of 0 beside parts that are not: read as printed, flagged
    review = "fail" if expected["reviews_litigation"]["review"]["total"] == 0 else "pass"
    assert checks["review_total"] == review


def _cells_a_line(grid, bands):
    """A grid printed the pdftotext way: bands of rows, ``("row", k)`` cell by cell or
    ``("col", k)`` column by column (a column's k cells one block)."""
    out, r = [], 0
    for how, k in bands:
        if how == "row":
            out += [x for row in grid[r:r + k] for v in row for x in ("", str(v))]
        else:
            out += [x for c in range(len(grid[0])) for x in [""] + [str(row[c]) for row in grid[r:r + k]]]
        r += k
    return from_text("\n".join(out) + "\n").lines


def test_readings_follow_the_blocks():
    grid = [[1, 2, 3], [4, 5, 9], [0, 1, 1], [2, 2, 4]]
    lines = _cells_a_line(grid, [("row", 1), ("col", 3)])
    run = number_run(lines)
    assert run.starts == [0, 1, 2, 3, 6, 9, 12]
    orders = readings(run, 4, 3, row_ok=None)
    # row 0 alone; rows 1-3 by columns or cell by cell (a block of three starts each column)
    assert len(orders) == 2
    got = [[[run.numbers()[o[i * 3 + c]] for c in range(3)] for i in range(4)] for o in orders]
    assert grid in got
    assert readings(run, 4, 3) == [orders[got.index(grid)]]      # only it keeps every row's sum
    # every cell its own block: cell by cell only
    lines = _cells_a_line(grid, [("row", 4)])
    assert len(readings(number_run(lines), 4, 3, row_ok=None)) == 1


def test_table4_one_cell_a_line_ambiguous_is_left_out():
    """Fifteen numbers with no empty line between them may be the one template row or the three
    blocks printed by columns; here both make every block add up, with different numbers."""
    numbers = [0, 0, 8, 0, 8, 5, 0, 0, 3, 8, 0, 5, 8, 8, 21]
    head = "四、政府信息公开行政复议、行政诉讼情况\n行政复议\n结果维持\n结果纠正\n其他结果\n尚未审结\n总计\n\n"
    body = "三、收到和处理政府信息公开申请情况\n见上表。\n"
    text = "某县人民政府2023年政府信息公开工作年度报告\n一、总体情况\n概况。\n" + body + head
    record = parse_document(text + "\n".join(map(str, numbers)) + "\n五、存在的主要问题及改进情况\n无。\n")
    assert record["reviews_litigation"] is None
    assert any(w.startswith("reviews_litigation: fifteen numbers") and w.endswith("table left out")
               for w in record["warnings"])
    # the same numbers each a block of its own: the template's one row, as printed
    record = parse_document(text + "\n\n".join(map(str, numbers)) + "\n五、存在的主要问题及改进情况\n无。\n")
    assert record["reviews_litigation"]["review"] == dict(zip(("upheld", "corrected", "other", "pending", "total"),
                                                              numbers[:5]))


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


@pytest.mark.parametrize("change, why", [
    (lambda lines: lines.remove("10"), "do not make a grid of the rows by 7 columns"),          # a number lost
    (lambda lines: lines.__setitem__(lines.index("10"), "12"), "no order of reading them satisfies"),  # misprinted
])
def test_pdftotext_table3_that_no_order_explains_is_left_out(change, why):
    lines = (SHAPES / "pdftotext_hongze_2023.txt").read_text("utf-8").split("\n")
    change(lines)
    record = parse_document("\n".join(lines))
    assert record["applications"] is None
    assert any(w.startswith("applications: ") and why in w and w.endswith("table left out") for w in record["warnings"])
    read = next(c for c in record["checks"] if c["name"] == "tables_read")
    assert read["status"] == "warn" and "applications" in read["detail"]
    assert record["active_disclosure"] is not None and record["reviews_litigation"] is not None
