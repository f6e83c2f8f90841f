"""The coverage dashboard (issue 7) in a real browser: `xxgk serve` on an archive built from the
fixture reports, the seed, the labelled corpus and the crafted cross-year fixtures, driven by
headless Chromium (Debian's chromium through Playwright's bundled driver; no `playwright install`).
Screenshots go to artifacts/dashboards/.
"""
from __future__ import annotations

import os
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.browser_helpers import dashboard_sql, launch_chromium, needs_chromium, serving

from tests.test_crossyear_fixtures import FIXTURES, base_record, build, variant

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = needs_chromium
REPO = Path(__file__).resolve().parent.parent
XSS_AGENCY = "<img src=x onerror=\"alert('xss')\">测试局"


@pytest.fixture(scope="module")
def served(tmp_path_factory, shared_dir):
    tmp = tmp_path_factory.mktemp("dashboards")
    db = tmp / "archive.db"
    archive = build(db)
    # a publisher whose name carries markup, failing a cross-year check: shown, never run
    base = base_record()
    for year, co in ((2022, None), (2023, 99)):
        rec = variant(base, XSS_AGENCY, year, f"{year + 1}-01-20",
                      changes={("applications", "carried_over", "total"): co} if co else None)
        archive.store(rec, f"xss {year}".encode(), {"url": f"http://test.invalid/xss/{year}"})
    from db.register import refresh

    refresh(archive)
    archive.db.close()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cli = [sys.executable, "-m", "crawler.cli"]
    subprocess.run([*cli, "load", str(FIXTURES), str(shared_dir / "seed"), str(shared_dir / "corpus/labelled"),
                    "--db", str(db)], check=True, env=env, capture_output=True)
    with serving(db) as base_url:
        yield base_url


CHARTS = ["status-grid", "status-per-year", "coverage-province", "coverage-prefecture",
          "application-trends", "outcome-mix", "corrected-share"]


def test_coverage_dashboard(served, artifacts_dir):
    shots = artifacts_dir / "dashboards"
    shots.mkdir(parents=True, exist_ok=True)
    dialogs, errors = [], []
    with sync_api.sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: errors.append(str(e)))

        # 1. the dashboard: every chart draws, the metrics and the cross-year table fill in
        page.goto(served + "/-/dashboards/coverage")
        for slug in CHARTS:
            page.wait_for_selector(f"#chart-{slug} canvas, #chart-{slug} svg.marks", timeout=30000)
        page.wait_for_selector("#chart-crossyear-table table", timeout=30000)
        page.wait_for_function(
            "document.querySelector('#chart-missing-count') && "
            "/\\d/.test(document.querySelector('#chart-missing-count').innerText)", timeout=30000)
        page.wait_for_timeout(500)
        body = page.inner_text("body")
        assert "Who published what, when" in body
        table = page.inner_text("#chart-crossyear-table")
        assert "托里县交通运输局" in table and "crossyear_carried_over" in table
        assert "crossyear_text_reuse" in table
        assert XSS_AGENCY in table  # shown as text
        assert page.locator("#chart-crossyear-table img").count() == 0
        page.screenshot(path=str(shots / "1-coverage-dashboard.png"), full_page=True)

        # 2. one chart on its own page: who published which year
        page.goto(served + "/-/dashboards/coverage/status-grid")
        page.wait_for_selector(".chart-container canvas, .chart-container svg.marks", timeout=30000)
        page.wait_for_timeout(500)
        page.screenshot(path=str(shots / "2-status-grid.png"), full_page=True)

        # 3. the canned queries: missing and late, cross-year failures, text reuse, provinces
        page.goto(served + "/archive/coverage_missing_late")
        body = page.inner_text("body")
        assert "托里县民政局" in body and "missing" in body and "late" in body
        page.screenshot(path=str(shots / "3-missing-late.png"), full_page=True)
        page.goto(served + "/archive/crossyear_failures")
        assert "托里县交通运输局" in page.inner_text("body")
        page.screenshot(path=str(shots / "4-crossyear-failures.png"), full_page=True)
        page.goto(served + "/archive/text_reuse")
        body = page.inner_text("body")
        assert "托里县交通运输局" in body and "总体情况" in body
        page.screenshot(path=str(shots / "5-text-reuse.png"), full_page=True)
        page.goto(served + "/archive/coverage_by_province")
        assert "新疆维吾尔自治区" in page.inner_text("body")
        page.screenshot(path=str(shots / "6-coverage-by-province.png"), full_page=True)

        # 4. the register views, faceted
        page.goto(served + "/archive/coverage_agencies?status=late")
        assert "托里县自然资源局" in page.inner_text("body")
        page.screenshot(path=str(shots / "7-coverage-agencies-late.png"), full_page=True)
        page.goto(served + "/archive/coverage_regions?covered=1&report_year=2023&region_code__startswith=6542")
        assert "托里县" in page.inner_text("body")
        page.screenshot(path=str(shots / "8-coverage-regions-covered.png"), full_page=True)
        browser.close()
    assert dialogs == [], dialogs
    assert errors == [], errors


def test_dashboard_json(served):
    """Every chart's query answers through Datasette (as the dashboard's scripts ask for it)."""
    import json

    meta = json.loads((REPO / "metadata.json").read_text("utf-8"))
    charts = meta["plugins"]["datasette-dashboards"]["coverage"]["charts"]
    for slug, chart in charts.items():
        sql = dashboard_sql(chart["query"], {})  # as the dashboard runs it with no filter set
        url = served + "/archive.json?" + urllib.parse.urlencode({"sql": sql, "_shape": "array"})
        rows = json.loads(urllib.request.urlopen(url, timeout=30).read())
        assert rows, slug
