"""End to end in a real browser: `xxgk serve` on a loaded archive, driven by headless Chromium.

Needs Debian's chromium (/usr/bin/chromium, .ci/apt-packages.txt) and the `playwright`
Python package (its bundled driver only; no `playwright install`). Screenshots go to
artifacts/browser/.
"""
from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.browser_helpers import launch_chromium, needs_chromium, serving

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = needs_chromium

XSS = b"<html><body><script>alert('raw html rendered')</script><img src=x onerror=\"alert('img')\"></body></html>"


@pytest.fixture(scope="module")
def served(tmp_path_factory, shared_dir):
    tmp = tmp_path_factory.mktemp("browser")
    db = tmp / "archive.db"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    cli = [sys.executable, "-m", "crawler.cli"]
    subprocess.run([*cli, "load", str(shared_dir / "seed"), str(shared_dir / "corpus/labelled"),
                    "--db", str(db)], check=True, env=env, capture_output=True)
    # a report page whose raw HTML carries script: it must never run or render
    from db.store import Archive

    Archive(db).store({"title": "含脚本的页面2023年政府信息公开工作年度报告", "agency": "测试局", "report_year": 2023,
                       "sections": [{"number": 1, "heading": "总体情况", "text": "<script>alert(1)</script>行政复议"}]},
                      XSS, {"url": "http://example.invalid/xss.html"})
    with serving(db) as base:
        yield base


def test_browse_search_facet_query_chart(served, artifacts_dir):
    shots = artifacts_dir / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    dialogs = []
    with sync_api.sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

        # 1. the reports table, searched for 复议 through Datasette's own search box
        page.goto(served + "/archive/reports")
        page.fill("input[name=_search]", "复议")
        page.locator("input[name=_search]").press("Enter")
        page.wait_for_url("**_search=**")
        body = page.inner_text("body")
        assert "托里县政务服务中心2023年政府信息公开工作年度报告" in body
        page.screenshot(path=str(shots / "1-search-fuyi.png"), full_page=True)

        # 2. open a report from the results
        page.locator("table.rows-and-columns tbody tr td.type-pk a").first.click()
        page.wait_for_load_state()
        assert "/archive/reports/" in page.url
        assert "年度报告" in page.inner_text("body")
        page.screenshot(path=str(shots / "2-report.png"), full_page=True)

        # 3. click a facet
        page.goto(served + "/archive/reports")
        facet = page.locator(".facet-info[data-column=report_year] li a").first
        facet.click()
        page.wait_for_url("**report_year=**")
        assert "report_year" in page.url
        page.screenshot(path=str(shots / "3-facet-year.png"), full_page=True)

        # 4. a canned query
        page.goto(served + "/archive/applications_by_year_and_region")
        assert "applications_received" in page.inner_text("body")
        page.screenshot(path=str(shots / "4-canned-query.png"), full_page=True)
        page.goto(served + "/archive/search_reports?q=%E5%A4%8D%E8%AE%AE")
        assert "托里县政务服务中心" in page.inner_text("body")
        page.screenshot(path=str(shots / "4b-ranked-search.png"), full_page=True)

        # 5. the charts render (Vega draws an svg or canvas in each chart)
        page.goto(served + "/-/dashboards/overview")
        page.wait_for_selector("#applications-over-years canvas, #applications-over-years svg, "
                               ".dashboard-card canvas, .dashboard-card svg", timeout=20000)
        assert page.locator("canvas, svg.marks").count() >= 1
        page.screenshot(path=str(shots / "5-dashboard.png"), full_page=True)

        # 6. stored raw HTML is never rendered: the version row and the section text
        page.goto(served + "/archive/versions?report_id__exact=5")
        page.goto(served + "/archive/sections?_search=%E8%A1%8C%E6%94%BF%E5%A4%8D%E8%AE%AE")
        page.screenshot(path=str(shots / "6-escaped.png"), full_page=True)
        browser.close()
    assert dialogs == [], dialogs


def test_raw_html_not_rendered(served):
    html = urllib.request.urlopen(served + "/archive/versions").read().decode()
    assert "<script>alert" not in html and "onerror=\"alert" not in html
    html = urllib.request.urlopen(served + "/archive/sections?_search=%E5%A4%8D%E8%AE%AE").read().decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)" in html
    # the blob is offered as a download, never as a page
    with urllib.request.urlopen(served + "/archive/versions/5.blob?_blob_column=raw") as r:
        assert "html" not in r.headers.get("content-type", "")
