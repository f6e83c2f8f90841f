"""The report page's pure helpers (db/pages/report.py) and search snippets (db/snippet.py)."""
from __future__ import annotations

from db import labels as L
from db.pages.report import cell_url, check_view, clicks_svg, diff_versions, fmt_value
from db.snippet import snippet

LAB = L.label_map(L.LABELS)


def test_checks_in_words_with_the_gap():
    bal = check_view({"name": "applications_balance", "status": "fail",
                      "detail": "natural_person: 3+0 ≠ 2+0; total: 3+0 ≠ 2+0"}, LAB)
    assert bal["zh"].startswith("表三：新收 + 上年结转") and bal["status_words"] == "不符 fail"
    assert bal["gaps"] == ["自然人: 3 vs 2, off by 1", "总计: 3 vs 2, off by 1"]
    rev = check_view({"name": "review_total", "status": "fail", "detail": "10+1+0+0 = 11 ≠ 0"}, LAB)
    assert rev["gaps"] == ["10+1+0+0: 11 vs 0, off by 11"]
    ok = check_view({"name": "review_total", "status": "pass", "detail": "1+0+0+0 = 1"}, LAB)
    assert ok["gaps"] == [] and ok["status_words"] == "通过 pass"
    jump = check_view({"name": "crossyear_jump_reviews", "status": "warn", "detail": "reviews 30 vs 2"}, LAB)
    assert jump["zh"].startswith("跨年度：行政复议")


def test_cell_links_and_numbers():
    assert cell_url("demo", 12, "applications", "denied.state_secret", "natural_person") == \
        "/demo/cells/12,applications,denied~2Estate_secret,natural_person"
    assert fmt_value(1203) == "1,203" and fmt_value(7730.28) == "7,730.28" and fmt_value(None) == ""


def test_click_chart():
    chart = clicks_svg([{"observed_at": "2024-01-01", "clicks": 10}, {"observed_at": "2024-02-01", "clicks": 30}])
    first, last = chart["points"]
    assert first["y"] > last["y"] and first["x"] < last["x"] and chart["polyline"].count(",") == 2
    assert clicks_svg([]) is None


def test_version_changes():
    old = {"id": 1, "cells": {("applications", "new_received", "total"): {"value": 5}},
           "sections": [{"number": 1, "heading": "总体情况", "text": "甲。乙。"}]}
    new = {"id": 2, "cells": {("applications", "new_received", "total"): {"value": 7}},
           "sections": [{"number": 1, "heading": "总体情况", "text": "甲。丙。"}]}
    d = diff_versions(old, new, LAB)
    assert d["cells"] == [{"table": "表三", "row": "一、本年新收政府信息公开申请数量", "col": "总计", "old": "5", "new": "7"}]
    assert d["sections"][0]["removed"] == ["乙。"] and d["sections"][0]["added"] == ["丙。"]
    assert diff_versions(old, old, LAB)["same_content"]


def test_snippet_marks_every_term_in_a_window():
    assert snippet("本机关收到行政复议申请1件，复议结果维持。", "复议") == "本机关收到行政⟦复议⟧申请1件，⟦复议⟧结果维持。"
    long = "前" * 200 + "依申请公开" + "后" * 200
    s = snippet(long, "依申请公开")
    assert s.startswith("…") and s.endswith("…") and "⟦依申请公开⟧" in s and len(s) < 120
    assert snippet("ＡＰＰ上线", "app") == "⟦ＡＰＰ⟧上线"
    assert snippet("无关", "复议") is None and snippet(None, "复议") is None
