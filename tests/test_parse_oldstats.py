"""The pre-2019 statistics table read into ``old_statistics`` (issue 12, item 5).

* corpus/docs/122.html: a real 2018 report (吉林市林业局 via a re-host) whose appended 附表 is
  the Jilin form 指标 | 累计数 | 18年发生数 with a group column and 不填 cells;
* tests/fixtures/shapes/oldstats_zhecheng_gszj_2017.{html,txt}: the real 2017 report
  corpus/docs/101.html with the national table (指标名称 / 计量单位 / 本年度 / 历年累计) appended,
  filled with the numbers its own text states, as Word-pasted HTML and as layout text
  (make_shapes.py; sources.json cites them).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from db.store import Archive
from pipelines import parse_document
from pipelines.document import from_text
from pipelines.oldstats import label_key, read_old_statistics

FIX = Path(__file__).parent / "fixtures"
SHAPES = FIX / "shapes"

ZHECHENG = {
    "active_disclosed": 135, "via_gazette": 45, "via_website": 50, "via_weibo": 40, "via_wechat": 0,
    "applications_received": 0, "applications_in_person": 0, "applications_online": 0,
    "applications_answered": 0, "reviews": 0, "litigation": 0, "fees": 0, "offices": 1,
    "reading_points": 1, "staff": 2, "staff_full_time": 1, "staff_part_time": 1, "meetings": 5,
    "trainings": 3, "trainees": 12,
}
ZHECHENG_UNITS = {
    "active_disclosed": "条", "via_gazette": "条", "via_website": "条", "via_weibo": "条", "via_wechat": "条",
    "applications_received": "件", "applications_in_person": "件", "applications_online": "件",
    "applications_answered": "件", "reviews": "件", "litigation": "件", "fees": "万元", "offices": "个",
    "reading_points": "个", "staff": "人", "staff_full_time": "人", "staff_part_time": "人", "meetings": "次",
    "trainings": "次", "trainees": "人次",
}


@pytest.mark.parametrize("name", ["oldstats_zhecheng_gszj_2017.html", "oldstats_zhecheng_gszj_2017.txt"])
def test_national_table(name):
    record = parse_document((SHAPES / name).read_bytes())
    assert record["title"].replace(" ", "") == "柘城县工商质监局2017年信息公开年度报告"
    assert record["agency"] == "柘城县工商质监局"
    assert record["report_year"] == 2017
    assert record["kind"] == "report"
    assert record["template"] == "old"
    assert record["old_statistics"] == {k: {"this_year": v} for k, v in ZHECHENG.items()}
    assert record["old_statistics_units"] == ZHECHENG_UNITS
    assert record["raw_cells"]["old_statistics"]["active_disclosed"] == {"this_year": "135"}
    # an empty cell (主动公开规范性文件数 —, every 历年累计) is absent, not 0
    assert "active_normative" not in record["old_statistics"]
    for t in ("active_disclosure", "applications", "reviews_litigation"):
        assert record[t] is None
    assert record["warnings"] == []
    if name.endswith(".html"):
        assert record["publish_date"] == "2018-04-02"
        assert record["source"] == "县工商质监局"
        assert len(record["sections"]) == 7
    # the table's group rows (一、主动公开情况 二、依申请公开情况 …) are rows of the statistics
    # table, not sections: the report's own headings keep their meanings
    expected = {".html": [2, 3, 4, None, None, None, 5], ".txt": [2, 3, 4]}[name[name.rindex("."):]]
    assert [s["template_section"] for s in record["sections"]] == expected
    assert record["sections"][0]["heading"] == "政府信息主动公开情况"


JILIN = {
    "staff": {"this_year": 2}, "staff_full_time": {"this_year": 0}, "staff_part_time": {"this_year": 2},
    "trainings": {"cumulative": 3, "this_year": 1}, "trainees": {"cumulative": 60, "this_year": 16},
    "active_disclosed": {"cumulative": 130, "this_year": 6},
    "公开信息总数": {"cumulative": 130, "this_year": 6},
    "规范性文件类信息数": {"cumulative": 53, "this_year": 3},
    "规划计划和完成情况类信息数": {"cumulative": 16, "this_year": 0},
    "公共资金使用和监督类信息数": {"cumulative": 0, "this_year": 0},
    "机构调整和人员变动类信息数": {"cumulative": 12, "this_year": 0},
    "其他类信息数": {"cumulative": 49, "this_year": 3},
    "与公众利益密切相关事项类信息数": {"cumulative": 0, "this_year": 0},
    "在信息公开专栏或信息公开网站发布信息数": {"cumulative": 130, "this_year": 6},
    "文件信息从生成到网上公开不超过20个工作日的数量": {"cumulative": 130, "this_year": 6},
    "超过20个工作日的数量": {"cumulative": 0, "this_year": 0},
    "文件信息从生成到向公共查阅点报送不超过30个工作日的数量": {"cumulative": 130, "this_year": 6},
    "超过30个工作日的数量": {"cumulative": 0, "this_year": 0},
}


def test_real_jilin_form():
    """docs/122.html: 不填 and empty cells absent; both columns read; the 18年发生数 column is this_year."""
    record = parse_document((FIX / "public" / "corpus" / "docs" / "122.html").read_bytes())
    assert record["kind"] == "report"
    assert record["template"] == "old"
    assert record["report_year"] == 2018
    assert record["old_statistics"] == JILIN
    assert record["old_statistics_units"] == {}          # the form has no unit column
    assert record["raw_cells"]["old_statistics"]["trainees"] == {"cumulative": "60", "this_year": "16"}


def test_reports_without_the_table_have_none():
    for name in ("101.html", "120.html", "121.html"):
        record = parse_document((FIX / "public" / "corpus" / "docs" / name).read_bytes())
        assert record["old_statistics"] is None and record["old_statistics_units"] is None
    record = parse_document((FIX / "reports" / "trs_qinghuai_city_2024.html").read_bytes())
    assert record["old_statistics"] is None


def test_text_row_numbers_that_fit_no_column_are_left_out_with_a_warning():
    text = ("指标名称            单位     本年度     历年累计\n"
            "主动公开政府信息数    条       12        340\n"
            "收到申请数           件       1 2 3\n")
    stats = read_old_statistics(from_text(text).lines)
    assert stats.values == {"active_disclosed": {"this_year": 12, "cumulative": 340}}
    assert stats.units == {"active_disclosed": "条"}
    assert stats.warnings and "fit no column" in stats.warnings[0]


def test_one_number_placed_by_its_column():
    text = ("指标名称            单位     本年度     历年累计\n"
            "主动公开政府信息数    条                 340\n")
    assert read_old_statistics(from_text(text).lines).values == {"active_disclosed": {"cumulative": 340}}


@pytest.mark.parametrize("label, key", [
    ("（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）", "主动公开政府信息数"),
    ("其中：⑴县（市）区、开发区本级公开信息数★", "县区、开发区本级公开信息数"),
    ("4.公开信息总数★", "公开信息总数"),
    ("Ⅱ纠错数", "纠错数"),
    ("②申请内容不明数", "申请内容不明数"),
])
def test_label_keys(label, key):
    assert label_key(label) == key


def test_stored_and_shown(tmp_path):
    record = parse_document((SHAPES / "oldstats_zhecheng_gszj_2017.html").read_bytes())
    with Archive(tmp_path / "a.db") as archive:
        res = archive.store(record, b"<html>", {"url": "http://127.0.0.1/old.html"})
        rows = archive.db.execute(
            "SELECT row_key, col_key, value, raw FROM cells WHERE version_id = ? AND table_name = 'old_statistics' "
            "ORDER BY row_key", (res.version_id,)).fetchall()
        assert len(rows) == len(ZHECHENG)
        assert ("active_disclosed", "this_year", 135, "135") in rows
        stored = json.loads(archive.db.execute("SELECT record FROM versions WHERE id = ?",
                                               (res.version_id,)).fetchone()[0])
        assert stored["old_statistics_units"]["fees"] == "万元"
        assert "old_statistics" not in stored          # the numbers live in cells
        report = archive.db.execute("SELECT template, kind FROM reports WHERE id = ?", (res.report_id,)).fetchone()
        assert report == ("old", "report")
        # shown: the Datasette canned query lists them with their units
        meta = json.loads((Path(__file__).parent.parent / "metadata.json").read_text("utf-8"))
        sql = next(db["queries"]["old_statistics"]["sql"] for db in meta["databases"].values()
                   if "old_statistics" in db.get("queries", {}))
        shown = archive.db.execute(sql).fetchall()
        assert len(shown) == len(ZHECHENG)
        assert [(r[0], r[1], r[3], r[4], r[5], r[7]) for r in shown if r[3] == "fees"] == [
            (2017, "柘城县工商质监局", "fees", "this_year", 0, "万元")]


def test_flattened_table_one_cell_a_line():
    """The national table as flattened text (one cell a line, the seed's shape), built from
    the same real report's numbers."""
    from tests.fixtures.shapes.make_shapes import OLD_ROWS

    lines = ["指标名称", "计量单位", "本年度", "历年累计"]
    for label, unit, n in OLD_ROWS:
        lines.append(label)
        if unit is not None:
            lines += [unit, n or "—", "—"]
    stats = read_old_statistics(from_text("\n".join(lines)).lines)
    assert stats.values == {k: {"this_year": v} for k, v in ZHECHENG.items()}
    assert stats.units == ZHECHENG_UNITS
    assert stats.warnings == []
    # a row whose numbers do not fill its columns is left out, with a warning
    stats = read_old_statistics(from_text("指标名称\n单位\n本年度\n历年累计\n收到申请数\n件\n3\n主动公开政府信息数\n条\n5\n7").lines)
    assert stats.values == {"active_disclosed": {"this_year": 5, "cumulative": 7}}
    assert any("收到申请数" in w and "1 of 2" in w for w in stats.warnings)
