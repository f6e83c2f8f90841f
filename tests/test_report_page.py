"""The archive as a journalist reads it (issue 15), in headless Chromium: the report page, the
agency across years, the region's late reports, each reached from the home page in three
clicks or fewer. The archive is `xxgk demo`'s (the sample portals crawled), plus a second
version of one report whose bytes carry script (it must never run) and whose numbers changed.
Screenshots go to artifacts/report_page/.
"""
from __future__ import annotations

import http.server
import json
import re
import threading
import subprocess
import sys
import urllib.parse
import urllib.request
import zlib
import xml.etree.ElementTree as ET

import pytest

from tests.browser_helpers import REPO, cli_env, free_port, launch_chromium, needs_chromium, serving

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = needs_chromium

COUNTY = "江苏省淮安市洪泽区"
GONE = "洪泽区教育局2021年政府信息公开工作年度报告"
TITLE_2024 = "淮安市洪泽区人民政府2024年政府信息公开工作年度报告"
HOSTILE = (b"<script>alert('stored script ran')</script>"
           b"<img src=x onerror=\"alert('stored onerror ran')\">"
           b"<img src=\"http://127.0.0.1:PORT/external.png\"><link rel=stylesheet href=\"http://127.0.0.1:PORT/x.css\">")


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: list = []

    def do_GET(self):  # noqa: N802
        _Counter.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def elsewhere():
    """A server the stored page tries to load from: it must see no request."""
    server = http.server.HTTPServer(("127.0.0.1", free_port()), _Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture(scope="module")
def archive(tmp_path_factory, elsewhere):
    db = tmp_path_factory.mktemp("report_page") / "demo.db"
    demo = subprocess.run([sys.executable, "-m", "crawler.cli", "demo", "--db", str(db)], check=True,
                          env=cli_env(), cwd=REPO, capture_output=True, timeout=600, text=True)
    (db.parent / "demo.out").write_text(demo.stdout, encoding="utf-8")
    from db.store import Archive
    from pipelines import parse_document

    a = Archive(db)
    rid, url, raw, comp, code = a.db.execute(
        "select r.id, r.url, v.raw, v.raw_compression, r.region_code from reports r "
        "join versions v on v.id = r.version_id "
        "where r.title = ? and v.content_type like 'text/html%'", (TITLE_2024,)).fetchone()
    old = zlib.decompress(raw) if comp == "zlib" else raw
    # the portal edits the report after publication: one number and one sentence change, and
    # its page now carries script and external loads
    hostile = HOSTILE.replace(b"PORT", str(elsewhere).encode())
    new = old.replace(b"<body>", b"<body>" + hostile, 1) if b"<body>" in old else hostile + old
    record = parse_document(new, url=url)
    record["applications"]["new_received"]["natural_person"] += 7
    record["applications"]["new_received"]["total"] += 7
    record["sections"][0]["text"] += "\n本报告于发布后修改。"
    a.store(record, new, {"url": url, "region_code": code, "fetched_at": "2099-01-01T00:00:00+00:00"})
    # a report its portal no longer lists: not seen for months before the portal's last crawl
    a.db.execute("UPDATE reports SET last_seen = '2000-01-01T00:00:00+00:00' WHERE title = ?", (GONE,))
    a.close()
    return db, rid


@pytest.fixture(scope="module")
def served(archive):
    with serving(archive[0]) as base:
        yield base


def _db(path):
    import sqlite3
    return sqlite3.connect(path)


def test_report_page(archive, served, artifacts_dir):
    db_path, rid = archive
    shots = artifacts_dir / "report_page"
    shots.mkdir(parents=True, exist_ok=True)
    conn = _db(db_path)
    vid, old_vid = conn.execute("select version_id, (select min(id) from versions where report_id = ?) "
                                "from reports where id = ?", (rid, rid)).fetchone()
    assert vid != old_vid
    cells = {(t, r, c): (v, raw, d) for t, r, c, v, raw, d in conn.execute(
        "select table_name, row_key, col_key, value, raw, derived from cells where version_id = ?", (vid,))}
    dialogs = []
    with sync_api.sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{served}/report/{rid}")
        page.wait_for_load_state("networkidle")
        body = page.inner_text("body")
        # metadata, linked agency and region
        assert TITLE_2024 in body
        assert page.locator("a.agency-link").inner_text() == "淮安市洪泽区人民政府"
        assert page.locator("a.region-link").inner_text() == COUNTY
        assert "2025-01-24" in body and "报告年度 Report year" in body
        # the click series: one point per observation
        n_clicks = conn.execute("select count(*) from click_observations where report_id = ?", (rid,)).fetchone()[0]
        assert n_clicks and page.locator("svg.clicks-chart circle").count() == n_clicks
        # the national template's Chinese labels
        for label in ("表三 收到和处理政府信息公开申请情况", "一、本年新收政府信息公开申请数量", "自然人",
                      "法人或其他组织", "商业企业", "（七）总计", "四、结转下年度继续办理",
                      "表四 政府信息公开行政复议、行政诉讼情况", "结果维持", "复议后起诉",
                      "表二 主动公开政府信息情况", "行政许可", "第二十条第（一）项"):
            assert label in body, label
        # every number of the page is its cells row: value, hover and link
        shown = page.eval_on_selector_all(
            "section.xxgk-table td.num", "tds => tds.map(td => [td.title, td.innerText, "
            "td.querySelector('a') && td.querySelector('a').getAttribute('href')])")
        assert len(shown) == len(cells) > 150
        for title, text, href in shown:
            key = tuple(urllib.parse.unquote(p.replace("~", "%")) for p in href.rsplit("/", 1)[1].split(","))
            assert int(key[0]) == vid
            value, raw, derived = cells[key[1:]]
            assert text.replace(",", "") == str(value), (key, text, value)
            assert (f"printed as “{raw}”" in title) if raw else ("blank" in title)
            assert ("derived" in title) == bool(derived)
        t3 = page.locator("#applications tr[data-row=new_received] td").all_inner_texts()
        assert t3[0].replace(",", "") == str(cells[("applications", "new_received", "natural_person")][0])
        # a cell's link opens its cells row
        first = page.locator("#applications tr[data-row=new_received] td a").first
        href = first.get_attribute("href")
        # checks in words, the changes between versions
        assert "核对 Checks" in body and "表三：新收 + 上年结转 = 总计 + 结转下年度" in body
        assert f"version {old_vid} → {vid}" in body
        change = page.locator("div.change").inner_text()
        assert "一、本年新收政府信息公开申请数量" in change and "自然人" in change
        assert "本报告于发布后修改。" in change
        # no horizontal scroll at 1400 px
        assert page.evaluate("document.documentElement.scrollWidth") <= 1400
        # the original: sandboxed, scripts and external loads blocked
        frame_el = page.locator("iframe.original")
        assert frame_el.get_attribute("sandbox") == ""
        frame_el.scroll_into_view_if_needed()
        page.wait_for_timeout(800)
        frame = next(f for f in page.frames if "/original/" in f.url)
        assert "淮安市洪泽区" in frame.inner_text("body")
        page.screenshot(path=str(shots / "report.png"), full_page=True)
        with urllib.request.urlopen(f"{served}/report/{rid}/original/{vid}") as resp:
            csp = resp.headers["Content-Security-Policy"]
        assert csp.startswith("sandbox") and "default-src 'none'" in csp and "script-src" not in csp
        page.goto(served + href)
        assert "cells" in page.url and "new_received" in page.inner_text("body")
        browser.close()
    assert dialogs == [], dialogs
    assert _Counter.hits == [], _Counter.hits


def test_three_clicks_from_home(archive, served, artifacts_dir):
    """Home → a county → its report (table 3, original); → the agency across years; the
    county's late or missing reports: each within three clicks."""
    db_path, rid = archive
    shots = artifacts_dir / "report_page"
    shots.mkdir(parents=True, exist_ok=True)
    conn = _db(db_path)
    with sync_api.sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        # 1 click: the regions; 2: the county, where its late or missing reports are listed
        page.goto(served + "/")
        page.get_by_role("link", name="地区 Regions").click()
        page.get_by_role("link", name=COUNTY, exact=True).click()
        assert page.url.endswith("/region/320813")
        late = page.locator("#late").inner_text()
        missing = {a for (a,) in conn.execute(
            "select agency from coverage_agencies where region_code = '320813' and status in ('late', 'missing')")}
        assert missing and all(a in late for a in missing)
        page.screenshot(path=str(shots / "region.png"), full_page=True)
        # 3: the county government's 2024 report, its table 3 in Chinese next to the original
        page.locator("#agencies a[href^='/report/']").filter(has_text="按时").last.click()
        assert re.search(r"/report/\d+$", page.url)
        assert "一、本年新收政府信息公开申请数量" in page.inner_text("#applications")
        assert page.locator("iframe.original").count() == 1
        # home → regions → county → the agency across years (3 clicks): 2023 next to 2024
        page.goto(served + "/")
        page.get_by_role("link", name="地区 Regions").click()
        page.get_by_role("link", name=COUNTY, exact=True).click()
        page.locator("#agencies a[href^='/agency/']", has_text="人民政府").first.click()
        assert re.search(r"/agency/\d+$", page.url)
        heads = page.locator("#compare-t3 thead th").all_inner_texts()
        assert "2023" in heads and "2024" in heads, heads
        t3 = page.locator("#compare-t3").inner_text()
        assert "一、本年新收政府信息公开申请数量" in t3
        assert page.locator("#compare-t3 td.changed").count() > 0
        assert "表四 行政复议、行政诉讼情况" in page.inner_text("body")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1400
        page.screenshot(path=str(shots / "agency.png"), full_page=True)
        browser.close()


def test_search_snippets_highlighted(archive, served, artifacts_dir):
    """Ranked report and section search show where the terms occur, highlighted; the stored
    text is escaped (the XSS-looking section text is shown as text)."""
    shots = artifacts_dir / "report_page"
    shots.mkdir(parents=True, exist_ok=True)
    dbname = archive[0].stem
    with sync_api.sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        for query, term in (("search_reports", "行政复议"), ("search_sections", "复议"), ("search_reports", "依申请公开")):
            page.goto(f"{served}/{dbname}/{query}?q={urllib.parse.quote(term)}")
            marks = page.locator("td.col-snippet mark").all_inner_texts()
            assert marks and all(m == term for m in marks), (query, term, marks[:5])
            rows = page.locator("table.rows-and-columns tbody tr").count()
            assert page.locator("td.col-snippet").count() == rows > 0
            # the SQL is folded away; the first column links to the report page
            assert page.locator("textarea#sql-editor, pre.wrapped-sql").count() == 0 or "show" in page.inner_text("h3")
            href = page.locator("td.col-report_id a").first.get_attribute("href")
            assert re.fullmatch(r"/report/\d+", href)
            page.screenshot(path=str(shots / f"{query}-{term}.png"), full_page=True)
        browser.close()


def test_demo_summary_agrees_with_failed_checks_query(archive, served):
    """`xxgk demo` prints the failed checks by name; the failed_checks query lists the same
    rows (corrected for the one version the fixture stored after the demo)."""
    db_path, rid = archive
    out = (db_path.parent / "demo.out").read_text(encoding="utf-8")
    m = re.search(r"failed checks (\d+) in (\d+) reports \(([^)]*); query failed_checks\)", out)
    assert m, out
    printed = {n: int(c) for n, c in re.findall(r"(\w+) (\d+)", m.group(3))}
    assert sum(printed.values()) == int(m.group(1))
    conn = _db(db_path)
    old_vid = conn.execute("select min(id) from versions where report_id = ?", (rid,)).fetchone()[0]

    def fails(vid):
        return [n for (n,) in conn.execute("select name from checks where version_id = ? and status = 'fail'", (vid,))]

    new_vid = conn.execute("select version_id from reports where id = ?", (rid,)).fetchone()[0]
    dbname = db_path.stem
    for name in set(printed) | {"applications_balance"}:
        with urllib.request.urlopen(f"{served}/{dbname}/failed_checks.json?_shape=array&check_name={name}") as r:
            got = len(json.load(r))
        assert got - fails(new_vid).count(name) + fails(old_vid).count(name) == printed.get(name, 0), name
    with urllib.request.urlopen(f"{served}/{dbname}/failed_checks.json?_shape=array&check_name=") as r:
        total = len(json.load(r))
    assert total - len(fails(new_vid)) + len(fails(old_vid)) == int(m.group(1))


def test_changes_and_atom_feeds(archive, served):
    """What changed: the edited report (a new version, its changed cells counted), the report
    gone from its portal (with when it was last seen); the same as Atom feeds of the region
    and of the agency."""
    db_path, rid = archive
    dbname = db_path.stem
    with urllib.request.urlopen(f"{served}/{dbname}/archive_changes.json?_shape=array&since=") as r:
        rows = json.load(r)
    edited = [x for x in rows if x["change"] == "new version" and x["report_id"] == rid]
    assert len(edited) == 1 and edited[0]["detail"].startswith("2 table cells differ"), edited
    assert edited[0]["变化"] == "报告被修改"
    gone = [x for x in rows if x["change"] == "disappeared"]
    assert [x["title"] for x in gone] == [GONE] and gone[0]["detail"] == "last seen 2000-01-01T00:00:00+00:00"
    # every report the demo stored in its crawl is new since the start of that crawl
    conn = _db(db_path)
    assert {x["report_id"] for x in rows if x["change"] == "new report"} == {
        i for (i,) in conn.execute("select id from reports")}
    atom = "{http://www.w3.org/2005/Atom}"
    agency_id = conn.execute("select agency_id from reports where id = ?", (rid,)).fetchone()[0]
    for path in (f"feed_region.atom?region_code=320813", f"feed_agency.atom?agency_id={agency_id}"):
        with urllib.request.urlopen(f"{served}/{dbname}/{path}") as r:
            assert r.headers["content-type"].startswith("application/xml") or "atom" in r.headers["content-type"]
            feed = ET.fromstring(r.read())
        titles = [e.findtext(atom + "title") for e in feed.iter(atom + "entry")]
        assert f"报告被修改：{TITLE_2024}" in titles, (path, titles)
        links = [e.find(atom + "link").get("href") for e in feed.iter(atom + "entry")]
        assert f"/report/{rid}" in links
    with urllib.request.urlopen(f"{served}/{dbname}/feed_region.atom?region_code=320813") as r:
        titles = [e.findtext(atom + "title") for e in ET.fromstring(r.read()).iter(atom + "entry")]
    assert f"已从网站消失：{GONE}" in titles


def test_dashboard_one_tier_of_publishers(archive, served, artifacts_dir):
    """The overview adds up one tier of publishers (county governments by default), one report
    per publisher and year, without the sample province: the figure equals that sum of cells."""
    db_path, _ = archive
    conn = _db(db_path)
    first = {}
    for rid, entity, year, region, level, rlevel, value in conn.execute(
            "select r.id, a.entity_key, r.report_year, r.region_code, a.level, rg.level, c.value from reports r "
            "join agencies a on a.id = r.agency_id left join regions rg on rg.code = a.linked_region_code "
            "join cells c on c.version_id = r.version_id and c.table_name = 'applications' "
            "and c.row_key = 'new_received' and c.col_key = 'total' "
            "where r.report_year is not null and coalesce(r.kind, 'report') = 'report' order by r.id"):
        if (entity, year) not in first:
            first[(entity, year)] = (region, level, rlevel, value)
    expected = sum(v for region, level, rlevel, v in first.values()
                   if not (region or "").startswith("99") and level == "government" and rlevel == "county")
    everything = sum(v for (_, _, _, v) in first.values())
    assert 0 < expected < everything
    shots = artifacts_dir / "report_page"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(served + "/-/dashboards/overview")
        page.wait_for_url("**tier=county_government**")
        page.wait_for_function(f"document.body.innerText.includes('{expected} 件')", timeout=20000)
        page.screenshot(path=str(shots / "dashboard-county-governments.png"), full_page=True)
        browser.close()


def test_region_late_reports_match_the_query(archive, served):
    """The county's late reports on its page are the late_reports rows of its region (any
    year: 柘城县's 2017 reports were published after 31 March 2018)."""
    db_path, _ = archive
    dbname = db_path.stem
    with urllib.request.urlopen(f"{served}/{dbname}/late_reports.json?_shape=array") as r:
        rows = json.load(r)
    expected = sorted((x["agency"], x["report_year"], x["days_late"]) for x in rows if x["region"] == "河南省商丘市柘城县")
    assert expected and all(d > 0 for _, _, d in expected)
    with sync_api.sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(served + "/region/411424")
        shown = page.eval_on_selector_all(
            "#late tr.status-late", "trs => trs.map(tr => Array.from(tr.cells).map(td => td.innerText.trim()))")
        browser.close()
    assert sorted((r[1], int(r[0]), int(r[6])) for r in shown) == expected


def test_every_report_page_fits_1400px(archive, served):
    """No report of the demo (pages, files, old layouts, a notice) scrolls sideways at 1400 px."""
    conn = _db(archive[0])
    ids = [i for (i,) in conn.execute("select id from reports")]
    wide = []
    with sync_api.sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        for i in ids:
            page.goto(f"{served}/report/{i}")
            assert page.locator("h1").count() == 1
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 1400:
                wide.append((i, width))
        browser.close()
    assert len(ids) > 40 and wide == []
