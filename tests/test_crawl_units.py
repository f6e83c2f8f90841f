"""Unit tests of the crawler's pure parts: title classification, the off-site and
private-address rules, the registry, fingerprints and discovery."""
from __future__ import annotations

import pytest

from crawler import portals
from crawler.classify import classify_title
from crawler.middlewares import host_allowed, is_private_host


@pytest.mark.parametrize("title", [
    "柘城县扶贫办2017年政府信息年度报告", "柘城县人民医院2017年政务信息公开报告", "市林业局2018年政务公开年度报告",
    "柘城县地方税务局 2017年度政府信息公开报告", "柘城县皇集乡2017年政务公开工作年度报告",
    "托里县政务服务中心2023年政府信息公开工作年度报告", "鄂尔多斯市2018年政府信息公开年度报告",
])
def test_report_titles(title):
    assert classify_title(title) == ("report", "")


@pytest.mark.parametrize("title,reason", [
    ("《2023年政府信息公开工作年度报告》解读", "interpretation"),
    ("（图解）托里县2023年政府信息公开工作年度报告", "infographic"),
    ("一图读懂示范区2017年重点工作", "infographic"),
    ("柘城县起台镇2017年度报告编制公布工作总结", "notice"),
    ("2020年度吉林省安图县林业局-安图县林业局政府网站工作年度报表", "other_report"),
    ("信息公开年报", "not_report"),
    ("2016，恩格贝，精彩继续！", "not_report"),
])
def test_non_report_titles(title, reason):
    assert classify_title(title) == ("skip", reason)


def test_offsite_rule():
    allowed = {"www.zhecheng.gov.cn"}
    assert host_allowed("http://www.zhecheng.gov.cn/a.html", allowed)
    assert host_allowed("http://jb.zhecheng.gov.cn/a.html", allowed)
    assert not host_allowed("http://www.gov.cn/", allowed)
    assert not host_allowed("http://evilzhecheng.gov.cn/", allowed)
    assert host_allowed("http://127.0.0.1:8765/x", {"127.0.0.1:8765"})
    assert not host_allowed("http://127.0.0.1:8766/x", {"127.0.0.1:8765"})


def test_private_addresses():
    for h in ("127.0.0.1", "10.1.2.3", "192.168.0.1", "localhost", "::1", "169.254.1.1"):
        assert is_private_host(h), h
    assert not is_private_host("www.zhecheng.gov.cn")
    assert not is_private_host("8.8.8.8")


def test_shipped_registry_invents_no_url():
    # the national registry (crawler/national.py; its own tests: tests/test_registry.py)
    rows = portals.load()
    crawlable = [p for p in rows if p.crawlable]
    assert "zhecheng" in [p.id for p in crawlable]
    assert all(p.source for p in rows)
    for p in rows:
        assert len(p.region_code) == 6 and p.region_code.isdigit()
    assert [p.id for p in portals.select(rows, region="411424")] == ["zhecheng"]
    # 托里县: the county's portal (both public lists), not the department row without a URL
    assert [p.id for p in portals.select(rows, region="654224")] == ["654224"]
    assert not next(p for p in rows if p.id == "tuoli-zwfw").crawlable


def test_discover_on_sample_portal():
    from crawler.discover import discover
    from crawler.sample_portals import SamplePortals
    with SamplePortals(sites=["vsb", "empire"]) as sp:
        r = discover(sp["vsb"].base_url, allow_private=True, delay=0)
        assert r["column"] == sp["vsb"].url("/xxgk/xxgknb.htm") and r["platform"] == "smallcms"
        r = discover(sp["empire"].base_url, allow_private=True, delay=0)
        assert r["column"] == sp["empire"].url("/xxgk/xxgknb/index.html")
        assert all("xxgk-archive" in x["headers"]["user-agent"] for x in sp["vsb"].log)
        sp.clear_logs()
        r = discover(sp["vsb"].base_url, allow_private=False)
        assert r["column"] is None and "refusing private" in r["errors"][0]
        assert sp["vsb"].log == []


def test_merge_stats_keeps_each_portals_best_verdict():
    """A distributed crawl: a worker that never got a request of a portal says no_column; the
    worker that read its list knows better. Counts add up, columns are united, per-column
    link counts summed."""
    from crawler.distributed import merge_stats
    col = {"url": "http://a/nb/", "how": "link text: 政府信息公开年报", "via": "http://a/"}
    sub = {"url": "http://a/nb/2024/", "how": "year: 2024年度", "via": "http://a/nb/"}
    w1 = {"finish_reason": "finished", "downloader/request_count": 3, "xxgk/portals": {
        "a": {"reports": 0, "lists": 0, "status": "no_column", "status_reason": "no report column found from the home page",
              "columns": [], "platform": None, "how_found": ""},
        "b": {"reports": 0, "lists": 0, "unreachable": 1, "status": "unreachable", "status_reason": "DNS lookup failed",
              "columns": [], "platform": "auto", "how_found": ""}}}
    w2 = {"finish_reason": "finished", "downloader/request_count": 5, "xxgk/portals": {
        "a": {"reports": 2, "lists": 1, "status": "ok", "status_reason": "1 list pages read", "columns": [col],
              "platform": "trs", "how_found": col["how"], "column_links": {"http://a/nb/": 2}},
        "b": {"reports": 0, "lists": 0, "status": "no_column", "status_reason": "no report column found from the home page",
              "columns": [], "platform": "auto", "how_found": ""}}}
    w3 = {"finish_reason": "finished", "xxgk/portals": {
        "a": {"reports": 1, "lists": 1, "status": "ok", "status_reason": "1 list pages read", "columns": [col, sub],
              "platform": "trs", "how_found": col["how"], "column_links": {"http://a/nb/": 1}}}}
    out = merge_stats({"w1": w1, "w2": w2, "w3": w3})
    a, b = out["xxgk/portals"]["a"], out["xxgk/portals"]["b"]
    assert (a["status"], a["status_reason"], a["platform"], a["how_found"]) == \
        ("ok", "1 list pages read", "trs", "link text: 政府信息公开年报")
    assert a["columns"] == [col, sub] and a["column_links"] == {"http://a/nb/": 3}
    assert (a["reports"], a["lists"]) == (3, 2)
    assert (b["status"], b["status_reason"], b["unreachable"]) == ("unreachable", "DNS lookup failed", 1)
    assert out["downloader/request_count"] == 8 and out["finish_reason"] == "finished"


def test_progress_tracker_forgets_dropped_requests():
    """A request the duplicate filter drops was never queued: its portal can still be done."""
    from types import SimpleNamespace

    from scrapy.http import Request
    from scrapy.utils.test import get_crawler

    from crawler.extensions import PortalProgressMiddleware
    mw = PortalProgressMiddleware(get_crawler())
    home = Request("http://a/", meta={"portal": "a", "kind": "home"})
    dup = Request("http://a/t1.html", meta={"portal": "a", "kind": "article"})
    mw.request_scheduled(home)
    mw.request_scheduled(dup)
    mw.request_dropped(dup)          # scheduled, then refused by the duplicate filter
    assert mw.pending("a") == 1 and mw.done() == 0
    mw.process_request(home)
    assert mw.pending("a") == 1      # in flight now
    mw.process_response(home, SimpleNamespace(status=200))
    assert mw.pending("a") == 0 and mw.done() == 1
