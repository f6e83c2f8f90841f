"""Issue 12, items 1, 3 and 6: tables found by their content, run-together cells, honest checks.

Fixtures in tests/fixtures/shapes are built by make_table_shapes.py from real reports (labelled/002
and the report pages built on the seed and labelled 001-003); each has a *.source.json.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipelines import parse_document
from pipelines.runtogether import read_applications_run, read_reviews_run, splits
from pipelines.sections import template_section
from tests.expected import field_diffs

SHAPES = Path(__file__).parent / "fixtures" / "shapes"
TABLES = ("active_disclosure", "applications", "reviews_litigation")


def _expected(path: Path) -> dict:
    return json.loads(path.with_name(path.name.rsplit(".", 1)[0] + ".expected.json").read_text(encoding="utf-8"))


# ------------------------------------------------------------------ item 1: renumbered sections

@pytest.mark.parametrize("name", ["renumbered_hongze_2023.txt", "renumbered_hubin_2023.html"])
def test_renumbered_report_keeps_every_section_and_finds_every_table(name):
    path = SHAPES / name
    record = parse_document(path.read_bytes())
    exp = _expected(path)
    n, diffs = field_diffs(record, exp)
    assert diffs == [] and n > 80
    assert [(s["number"], s["heading"], s["template_section"]) for s in record["sections"]] == \
        [(s["number"], s["heading"], s["template_section"]) for s in exp["sections"]]
    assert record["sections"][1]["text"].startswith("区政府办公室牵头")
    assert len(record["applications"]) == 23 and record["kind"] == "report"   # merged （六） row
    checks = {c["name"]: c["status"] for c in record["checks"]}
    assert checks["tables_read"] == "pass" and checks["applications_balance"] == "pass"
    # labelled/002 prints table-4 totals of 0 beside non-zero parts: still flagged
    assert checks["review_total"] == "fail"


@pytest.mark.parametrize("heading, meaning", [
    ("总体情况", 1), ("概述", 1), ("主动公开政府信息情况", 2), ("主动公开情况", 2),
    ("收到和处理政府信息公开申请情况", 3), ("依申请公开情况", 3), ("政府信息公开行政复议、行政诉讼情况", 4),
    ("存在的主要问题及改进情况", 5), ("存在问题及改进措施", 5), ("其他需要报告的事项", 6),
    ("工作机制保障", None), ("加强组织领导", None),
])
def test_sections_by_meaning(heading, meaning):
    assert template_section(heading) == meaning


def test_extra_sections_before_and_after_are_kept():
    text = ("某某局2023年政府信息公开工作年度报告\n一、总体情况\n概况。\n二、工作机制保障\n机制。\n三、特色亮点\n亮点。\n"
            "一、主动公开政府信息情况\n二、收到和处理政府信息公开申请情况\n三、政府信息公开行政复议、行政诉讼情况\n"
            "四、存在的主要问题及改进情况\n问题。\n五、其他需要报告的事项\n无。\n")
    record = parse_document(text)
    assert [(s["number"], s["template_section"]) for s in record["sections"]] == [
        (1, 1), (2, None), (3, None), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6)]


# ------------------------------------------------------------------ item 6: honest checks

def test_unread_tables_are_named_and_not_pass():
    text = ("某某局2023年政府信息公开工作年度报告\n一、总体情况\n本年度工作。\n二、主动公开政府信息情况\n见附件。\n"
            "三、收到和处理政府信息公开申请情况\n见附件。\n四、政府信息公开行政复议、行政诉讼情况\n见附件。\n"
            "五、存在的主要问题及改进情况\n无。\n六、其他需要报告的事项\n无。\n")
    record = parse_document(text)
    assert record["kind"] == "report"
    assert all(record[t] is None for t in TABLES)
    read = next(c for c in record["checks"] if c["name"] == "tables_read")
    assert read == {"name": "tables_read", "status": "warn",
                    "detail": "not read: active_disclosure, applications, reviews_litigation"}
    assert "standard tables incomplete — not read: active_disclosure, applications, reviews_litigation" \
        in record["warnings"]
    assert not any(c["status"] == "pass" for c in record["checks"])


def test_partly_read_table_names_missing_rows():
    path = SHAPES / "runtogether_trs_qinghuai_city_2024.txt"
    record = parse_document(path.read_bytes())
    read = next(c for c in record["checks"] if c["name"] == "tables_read")
    assert read["status"] == "warn"
    assert read["detail"] == ("not read: reviews_litigation; rows left out: "
                              "active_disclosure.regulations, active_disclosure.normative_documents")


# ------------------------------------------------------------------ item 3: run-together cells

RUNTOGETHER = sorted(SHAPES.glob("runtogether_*.txt"))


@pytest.mark.parametrize("path", RUNTOGETHER, ids=lambda p: p.stem)
def test_run_together_dump_exact_values_or_named_warnings(path):
    record = parse_document(path.read_bytes())
    exp = _expected(path)
    left_out = set(exp["left_out"])
    assert record["kind"] == "report" and record["template"] == exp["template"]
    # the whole report is one line: its headings are found inside it, each section with its text
    assert [(s["number"], s["heading"], s["template_section"]) for s in record["sections"]] == \
        [(s["number"], s["heading"], s["template_section"]) for s in exp["sections"]]
    read = 0
    for table in TABLES:
        for row, cells in exp[table].items():
            got = (record[table] or {}).get(row)
            if f"{table}.{row}" in left_out:
                assert got is None, f"{table}.{row} should be left out (ambiguous)"
                assert any((row in w or f"{table}: " in w and "table left out" in w) and "left out" in w
                           for w in record["warnings"]), row
                continue
            assert got == cells, f"{table}.{row}"
            read += 1
    assert read + len(left_out) == sum(len(exp[t]) for t in TABLES) and read >= 25
    status = next(c["status"] for c in record["checks"] if c["name"] == "tables_read")
    assert status == ("warn" if left_out else "pass")


@pytest.mark.parametrize("path", RUNTOGETHER, ids=lambda p: p.stem)
def test_run_together_dump_sections_have_the_page_text(path):
    """Each section of the one-line dump holds what the same section of the page it was
    dumped from holds (its whitespace gone); the last loses the page furniture after it."""
    record = parse_document(path.read_bytes())
    page = parse_document((SHAPES.parent / "reports" / (path.stem.replace("runtogether_", "") + ".html")).read_bytes())
    got, want = record["sections"], page["sections"]
    assert len(got) == len(want) == 6
    for s, p in zip(got[:-1], want[:-1]):
        assert s["text"] == re.sub(r"\s+", "", p["text"]), s["heading"]
    assert got[-1]["text"].startswith(re.sub(r"\s+", "", want[-1]["text"]))
    assert not re.search(r"相关链接|ICP备|版权所有|打印本页", got[-1]["text"])


@pytest.mark.parametrize("joiner", ["", " ", "。"])
def test_headings_inside_one_line(joiner):
    body = joiner.join([
        "某县人民政府2023年政府信息公开工作年度报告 发布时间：2024-01-20 来源：县政府办",
        "一、总体情况2023年，本县（一）主动公开政府信息情况。公开信息12条。",
        "二、主动公开政府信息情况第二十条第（一）项信息内容本年制发件数",
        "三、收到和处理政府信息公开申请情况申请人情况自然人一、本年新收政府信息公开申请数量5000005"
        "三、本年度办理结果（一）予以公开5000005四、结转下年度继续办理0000000",
        "四、政府信息公开行政复议、行政诉讼情况行政复议结果维持000000000000000",
        "五、存在的主要问题及改进情况仍有不足。", "六、其他需要报告的事项无。分享到：相关链接"])
    record = parse_document(body)
    got = [(s["number"], s["heading"], s["template_section"]) for s in record["sections"]]
    assert got == [(1, "总体情况", 1), (2, "主动公开政府信息情况", 2), (3, "收到和处理政府信息公开申请情况", 3),
                   (4, "政府信息公开行政复议、行政诉讼情况", 4), (5, "存在的主要问题及改进情况", 5),
                   (6, "其他需要报告的事项", 6)]
    texts = [s["text"].strip(" 。") for s in record["sections"]]
    assert texts[0] == "2023年，本县（一）主动公开政府信息情况。公开信息12条"     # （一）… is no heading
    assert texts[2].endswith("四、结转下年度继续办理0000000")      # table 3's own rows stay in it
    assert texts[4] == "仍有不足" and texts[5] == "无"
    assert record["publish_date"] == "2024-01-20" and record["source"] == "县政府办"


def test_heading_words_out_of_sequence_inside_a_line_are_text():
    """The template's heading words quoted in the text, numbered out of sequence, are no heading."""
    line = ("一、总体情况" + "本年度工作。" * 40 + "按照五、其他需要报告的事项的要求说明。"
            "二、主动公开政府信息情况本年度公开12条。")
    record = parse_document("某县人民政府2023年政府信息公开工作年度报告\n" + line)
    assert [(s["number"], s["heading"]) for s in record["sections"]] == [(1, "总体情况"), (2, "主动公开政府信息情况")]
    assert "五、其他需要报告的事项的要求" in record["sections"][0]["text"]


def test_issue_example_run_together_table3():
    """The shape of the issue's example: headers and rows with no separator at all."""
    text = ("申请人情况自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他"
            "一、本年新收政府信息公开申请数量2300000023二、上年结转政府信息公开申请数量1000001"
            "三、本年度办理结果（一）予以公开120000012（二）部分公开（区分处理的，只计这一情形，不计其他情形）3000003")
    values, raw, warnings = read_applications_run(text)
    # 23|0|0|0|0|0|0|23 would be eight cells: no split of 2300000023 into seven adds up
    assert "new_received" not in values
    assert values["carried_over"] == dict(zip(values["carried_over"], [1, 0, 0, 0, 0, 0, 1]))
    assert values["granted"]["natural_person"] == 12 and values["granted"]["total"] == 12
    assert values["partially_granted"]["total"] == 3
    assert any("new_received" in w and "left out" in w for w in warnings)


def _table3_text(rows: dict) -> str:
    """Table 3 as a dump prints it: labels and runs of digits, nothing between."""
    zero = "0000000"
    return "".join([
        "一、本年新收政府信息公开申请数量", rows.get("new_received", zero), "二、上年结转政府信息公开申请数量",
        rows.get("carried_over", zero), "三、本年度办理结果（一）予以公开", rows.get("granted", zero),
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", zero, "（三）不予公开",
        "".join(f"{i}.{label}{zero}" for i, label in enumerate(
            ["属于国家秘密", "其他法律行政法规禁止公开", "危及“三安全一稳定”", "保护第三方合法权益",
             "属于三类内部事务信息", "属于四类过程性信息", "属于行政执法案卷", "属于行政查询事项"], 1)),
        "（四）无法提供", "".join(f"{i}.{label}{zero}" for i, label in enumerate(
            ["本机关不掌握相关政府信息", "没有现成信息需要另行制作", "补正后申请内容仍不明确"], 1)),
        "（五）不予处理", "".join(f"{i}.{label}{zero}" for i, label in enumerate(
            ["信访举报投诉类申请", "重复申请", "要求提供公开出版物", "无正当理由大量反复申请",
             "要求行政机关确认或重新出具已获取信息"], 1)),
        f"（六）其他处理1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请{zero}",
        f"2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请{zero}",
        f"3.其他{zero}（七）总计", rows.get("total_handled", zero), "四、结转下年度继续办理",
        rows.get("carried_forward", zero), "四、政府信息公开行政复议、行政诉讼情况",
    ])


def test_identities_choose_the_split():
    """121160020 splits three ways (12+1+1+6, 1+2+11+6, 1+2+1+16 = 20); the total row printed
    with gaps fixes it, the result rows' sum fixes 予以公开 and the balance fixes 本年新收."""
    values, _, warnings = read_applications_run(_table3_text({
        "new_received": "121160020", "granted": "121160020", "total_handled": "12 1 1 6 0 0 20"}))
    want = dict(zip(values["total_handled"], [12, 1, 1, 6, 0, 0, 20]))
    assert values["total_handled"] == want
    assert values["granted"] == want and values["new_received"] == want
    assert len(values) == 25          # 26 rows but the （六） heading of its three sub-rows
    assert "applications: row granted has its cells run together; split by the table's identities" in warnings


def test_identities_that_cannot_choose_leave_rows_out():
    values, _, warnings = read_applications_run(_table3_text({
        "new_received": "121160020", "granted": "121160020", "total_handled": "121160020"}))
    for key in ("new_received", "granted", "total_handled"):
        assert key not in values
        assert f"applications: row {key} has its cells run together and 3 splits fit the table's identities; " \
               "left out" in warnings
    assert values["carried_over"]["total"] == 0 and len(values) == 22


def test_table4_run_that_splits_two_ways_is_left_out():
    text = "行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计未经复议直接起诉复议后起诉" \
           "结果维持结果纠正其他结果尚未审结总计结果维持结果纠正其他结果尚未审结总计" \
           "72641783735113481261211620"
    values, _, warnings = read_reviews_run(text)
    assert values == {}
    assert warnings == ["reviews_litigation: cells run together (72641783735113481261211620); 3 splits fit "
                        "each block's total; table left out"]


@pytest.mark.parametrize("tokens, size, blocks, expected", [
    (["00000"], 5, 1, [[0, 0, 0, 0, 0]]),
    (["1", "1", "0", "0", "2"], 5, 1, [[1, 1, 0, 0, 2]]),
    (["3,119", "0", "3,119"], 3, 1, [[3119, 0, 3119]]),
    (["11", "——", "2"], 5, 1, [[1, 1, 0, 0, 2]]),
])
def test_splits(tokens, size, blocks, expected):
    got = splits(tokens, size, blocks)
    if expected is None:
        assert not got
    else:
        assert got == expected


def test_no_wrong_number_in_any_dump():
    """Across every dump: a value the parser gives is the value in the source — never another."""
    for path in RUNTOGETHER:
        record = parse_document(path.read_bytes())
        exp = _expected(path)
        for table in TABLES:
            for row, cells in (record[table] or {}).items():
                assert exp[table].get(row) == cells, (path.name, table, row)
        assert not re.search(r"Traceback", json.dumps(record, ensure_ascii=False))


# ------------------------------------------------------------------ blank cells printed as 无 / - / /

def test_wu_is_one_blank_cell_each():
    """3无无无无无3 is seven cells: no blank can have been lost, so nothing is ambiguous."""
    values, _, warnings = read_applications_run(_table3_text({
        "new_received": "3无无无无无3", "granted": "2无1无无无3", "total_handled": "3无无无无无3"}))
    assert values["new_received"] == dict(zip(values["new_received"], [3, 0, 0, 0, 0, 0, 3]))
    assert values["granted"] == dict(zip(values["granted"], [2, 0, 1, 0, 0, 0, 3]))
    assert not any("new_received" in w for w in warnings)


def test_blank_read_as_0_only_where_the_row_adds_up():
    values, _, warnings = read_applications_run(_table3_text({
        "new_received": "5无无无无无无", "total_handled": "5无无无无无5", "granted": "5无无无无无5"}))
    assert "new_received" not in values          # the 总计 cell printed blank beside 5: not known to be 0
    assert "applications: row new_received has blank cells (5 ∅ ∅ ∅ ∅ ∅ ∅) that read as 0 do not add up " \
           "to its total; left out" in warnings
    assert values["granted"]["total"] == 5


@pytest.mark.parametrize("mark", ["-", "--", "/"])
def test_hyphen_blank_marks_are_no_minus_sign(mark):
    """1210-…-211 is 1 | 210 | … | 211, never 12 | 10 | … | -21 | 1: counts are never negative."""
    row = "1" + "210" + mark * 4 + "211"
    values, _, warnings = read_applications_run(_table3_text({"new_received": row, "total_handled": row,
                                                              "granted": row}))
    for key in ("new_received", "granted", "total_handled"):
        got = values.get(key)
        assert got is None or got == dict(zip(got, [1, 210, 0, 0, 0, 0, 211])), (key, got)
        assert got is not None or any(key in w and "left out" in w for w in warnings)
    assert all(v >= 0 for row_ in values.values() for v in row_.values())


def test_wu_table4_and_all_blank_rows():
    text = ("行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计未经复议直接起诉复议后起诉"
            "结果维持结果纠正其他结果尚未审结总计结果维持结果纠正其他结果尚未审结总计" + "1无无无1" + "无" * 5 + "无2无无2")
    values, _, warnings = read_reviews_run(text)
    assert values["review"] == {"upheld": 1, "corrected": 0, "other": 0, "pending": 0, "total": 1}
    assert values["litigation_after_review"]["corrected"] == 2 and warnings == []


def test_layout_row_with_lost_blank_cells_is_not_split_into_digits():
    """Layout text whose blank cells printed nothing: 0 0 1 1 2 | 0 0 _ 50 50 | 0 0 _ 1 1 (the
    blanks' places unknown: other or pending). 50 is never split into 5 and 0 to fill them."""
    text = ("某县人民政府2023年政府信息公开工作年度报告\n一、总体情况\n概况。\n"
            "四、政府信息公开行政复议、行政诉讼情况\n        行政复议                    行政诉讼\n"
            "  结果维持 结果纠正 其他结果 尚未审结 总计  未经复议直接起诉  复议后起诉\n"
            "         0       0       1       1       2       0       0              50      50"
            "               0       0       1       1\n五、存在的主要问题及改进情况\n无。\n")
    record = parse_document(text)
    assert record["reviews_litigation"] is None
    assert any(w.startswith("reviews_litigation:") and "left out" in w for w in record["warnings"])
