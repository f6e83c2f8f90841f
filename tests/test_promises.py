"""Promises of the README that once broke with the whole suite green (issue 14, item 6).

Each test here fails when its promise is broken on purpose (each was tried: the break made,
the test seen failing, the break reverted). They use public behaviour only — ``parse_document``,
the ``xxgk`` command, a crawl of sample portals, the archive's views — so that refactoring the
spiders or the parser's modules does not touch them.

| promise | broken by | test |
|---|---|---|
| the applications balance is checked | the check always passing | test_a_report_that_breaks_the_balance_fails_it |
| a blank table-4 total is derived from its parts | the derivation off | test_blank_table4_total_is_derived |
| a blank table-3 total is derived from its columns | the derivation off | test_blank_table3_total_is_derived |
| a challenge behind a 200 list page blocks the portal | no challenge check on articles | test_challenge_on_article_pages_blocks_the_portal |
| a counter is called once per crawl per article | the cache off (one article, two URLs) | test_counter_called_once_for_one_article_at_two_urls |
| a page's rendered date is never its publish date | the weekday guard off | test_rendered_date_is_not_a_publish_date |
| reparse never re-points a report at an older version | re-pointing every re-parsed version | test_reparse_never_points_a_report_at_an_older_version |
| a report published on the deadline day is on time | ``>=`` for ``>`` | test_published_on_the_deadline_day_is_on_time |
"""
from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from crawler.cli import main
from crawler.sample_portals import SamplePortals
from pipelines import parse_document
from tests.crawl_helpers import query, run_crawl

FIXTURES = Path(__file__).parent / "fixtures"
QINGHUAI = FIXTURES / "reports" / "trs_qinghuai_city_2024.html"   # a real report, tables 2-4 in full
SEED = FIXTURES / "public" / "seed" / "tuoli-2023-report.txt"          # the real seed, as text


def qinghuai_with(*replacements: tuple[str, str, int]) -> dict:
    """清淮市's real page with cells changed as a careless re-typing would (old, new, count)."""
    text = QINGHUAI.read_bytes().decode("utf-8")
    for old, new, count in replacements:
        assert text.count(old) >= count, old
        text = text.replace(old, new, count)
    return parse_document(text.encode("utf-8"), url="http://www.example.gov.cn/xxgk/ndbg/t20250120_1.html")


def checks(record: dict) -> dict:
    return {c["name"]: c for c in record["checks"]}


def cell(value: str) -> str:
    return f"font-family:宋体'>{value}</span>"


# ------------------------------------------------------------------ parser: checks and derivation
def test_the_real_report_passes_every_check():
    """The baseline: unchanged, 清淮市 2024 balances (3119+34 = 3050+103)."""
    record = parse_document(QINGHUAI.read_bytes())
    assert record["balance_ok"] is True
    assert {n: c["status"] for n, c in checks(record).items()} == {
        "applications_balance": "pass", "applications_total_column": "pass", "applications_total_handled": "pass",
        "review_total": "pass", "litigation_direct_total": "pass", "litigation_after_review_total": "pass",
        "tables_read": "pass"}   # every template row of tables 2, 3 and 4 read


def test_a_report_that_breaks_the_balance_fails_it():
    """五、结转下年度继续办理 printed as 110 instead of 103 (natural persons and the total, so the
    row still adds up across): new + carried over ≠ handled + carried forward, named by column."""
    record = qinghuai_with((cell("103"), cell("110"), 2))
    app = record["applications"]
    assert app["carried_forward"]["natural_person"] == 110 and app["carried_forward"]["total"] == 110
    bal = checks(record)["applications_balance"]
    assert bal["status"] == "fail"
    assert bal["detail"] == "natural_person: 3001+34 ≠ 2932+110; total: 3119+34 ≠ 3050+110"
    assert record["balance_ok"] is False
    assert checks(record)["applications_total_column"]["status"] == "pass"   # only the balance is broken


def test_blank_table4_total_is_derived():
    """行政复议 总计 left blank (351 in the real page): derived from its four parts, said so."""
    record = qinghuai_with((cell("351"), cell(""), 1))
    review = record["reviews_litigation"]["review"]
    assert review == {"upheld": 72, "corrected": 64, "other": 178, "pending": 37, "total": 351}
    assert ["reviews_litigation", "review", "total"] in record["derived_cells"]
    assert record["raw_cells"]["reviews_litigation"]["review"]["total"] == ""
    assert any("reviews_litigation.review.total was blank; derived from its four parts as 351" in w
               for w in record["warnings"])
    assert checks(record)["review_total"]["status"] == "pass"


def test_blank_table3_total_is_derived():
    """本年新收 总计 left blank (3119): derived from the six applicant columns."""
    record = qinghuai_with(("<span lang=EN-US>3</span><span lang=EN-US>,119</span>", "", 1))
    assert record["raw_cells"]["applications"]["new_received"]["total"] == ""
    assert record["applications"]["new_received"]["total"] == 3119
    assert ["applications", "new_received", "total"] in record["derived_cells"]
    assert checks(record)["applications_balance"]["status"] == "pass"


def test_rendered_date_is_not_a_publish_date():
    """A page's render date with its weekday beside a click count is not the publish date."""
    lines = SEED.read_text("utf-8").splitlines()
    assert lines[0] == "2024年05月19日 星期日 |" and lines[4].startswith("日期:2024-01-29")
    text = "\n".join(["2024年05月19日 星期日 | 浏览次数：12", *lines[1:4], *lines[5:]])
    record = parse_document(text.encode("utf-8"))
    assert record["kind"] == "report" and record["clicks"] == 12
    assert record["publish_date"] is None and record["publish_datetime"] is None
    # the same line without its weekday is a date on the metadata line
    record = parse_document("\n".join(["2024年01月29日 | 浏览次数：12", *lines[1:4], *lines[5:]]).encode("utf-8"))
    assert record["publish_date"] == "2024-01-29"


# ------------------------------------------------------------------ crawls of sample portals
CHALLENGE_PAGE = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><script>$_ts=window['$_ts'];"
                  "if(!$_ts)$_ts={};$_ts.nsd=37891;</script></head><body></body></html>").encode()


@pytest.mark.parametrize("status", [412, 521, 200])
def test_challenge_on_article_pages_blocks_the_portal(tmp_path, status):
    """The list page answers 200, each article a JavaScript challenge (412, 521, or a 200
    challenge page): recorded as blocked — not a dead link, nothing archived — and the portal
    is not crawled on (only requests already in the downloader still go out)."""
    from crawler.sample_portals.sites import Reply

    with SamplePortals(sites=["trs"]) as sp:
        site = sp["trs"]
        articles = site.article_paths()
        handle = site.handle

        def challenged(method, raw_path, headers, body):
            if raw_path.split("?")[0] in articles:
                return Reply(status=status, body=CHALLENGE_PAGE, headers={"Content-Type": "text/html; charset=utf-8"})
            return handle(method, raw_path, headers, body)

        site.handle = challenged
        db = tmp_path / "archive.db"
        run_crawl(sp.write_registry(tmp_path / "portals.csv"), db)
        asked = [r for r in site.log if r["path"].split("?")[0] in articles]
        lists = [r for r in site.log if r["status"] == 200]
    assert lists, "the list page was read"
    events = query(db, "SELECT event, reason, http_status FROM crawl_log WHERE portal = 'sample-trs'")
    blocked = [e for e in events if e[0] == "blocked"]
    assert blocked and all(e[2] == status for e in blocked), events
    assert "JavaScript challenge" in blocked[0][1]
    assert not [e for e in events if e[1] == "dead_link" or (e[1] or "").startswith("error")], events
    # what was already queued for the portal is refused unsent, logged as such (not as dead)
    assert {e[1] for e in events if e[0] == "refused"} <= {"portal_blocked"}
    assert query(db, "SELECT count(*) FROM reports")[0][0] == 0
    # not crawled on: only what was already handed to the downloader goes out (5 reports listed)
    assert 1 <= len(asked) <= 3, [r["path"] for r in asked]
    stats = json.loads(query(db, "SELECT stats FROM crawl_runs")[0][0])
    assert stats["xxgk/portals"]["sample-trs"]["blocked"] == 1
    assert stats["xxgk/portals"]["sample-trs"].get("dead", 0) == 0


def test_counter_called_once_for_one_article_at_two_urls(tmp_path):
    """柘城's report 7477 is listed at two URLs; its click counter (EmpireCMS ViewClick, on the
    real site's host, so refused and logged) is asked once in the crawl, not once per URL."""
    with SamplePortals(sites=["empire"]) as sp:
        site = sp["empire"]
        twins = {site.url(site.alias.path), site.url(site.alias.path.replace("/xznb/", "/bmnb/"))}
        db = tmp_path / "archive.db"
        run_crawl(sp.write_registry(tmp_path / "portals.csv"), db)
        fetched = [r["path"] for r in site.log if site.url(r["path"]) in twins]
    assert len(set(fetched)) == 2                                      # both URLs were downloaded
    counters = [u for (u,) in query(db, "SELECT url FROM crawl_log WHERE event = 'refused'") if "ViewClick" in u]
    ids = [re.search(r"[?&]id=(\d+)", u).group(1) for u in counters]
    assert ids.count("7477") == 1, counters
    assert len(ids) == len(set(ids))                                   # every counter once
    assert query(db, "SELECT count(*) FROM reports WHERE url IN (?, ?)", *twins)[0][0] == 1


# ------------------------------------------------------------------ the archive
def test_reparse_never_points_a_report_at_an_older_version(tmp_path, capsys):
    """Two versions of one report; only the older is re-parsed (it alone is outdated): the
    report stays on its newest version, with the newest title."""
    seed = SEED.read_bytes()
    page = tmp_path / "r.txt"
    (tmp_path / "r.source.json").write_text(json.dumps({"original_url": "http://x.gov.cn/r.html"}), "utf-8")
    page.write_bytes(seed)
    db = tmp_path / "a.db"
    assert main(["load", str(page), "--db", str(db)]) == 0
    page.write_bytes(seed.replace("托里县政务服务中心".encode(), "托里县政务服务中心（修订）".encode(), 1))
    assert main(["load", str(page), "--db", str(db)]) == 0
    conn = sqlite3.connect(db)
    old, new = [v for (v,) in conn.execute("SELECT id FROM versions ORDER BY id")]
    newest = conn.execute("SELECT version_id, title FROM reports").fetchone()
    assert newest[0] == new and "修订" in newest[1]
    with conn:
        conn.execute("UPDATE versions SET parser_version = '0.1' WHERE id = ?", (old,))
    capsys.readouterr()
    assert main(["reparse", "--db", str(db)]) == 0
    assert "1 version(s) re-parsed" in capsys.readouterr().out
    assert conn.execute("SELECT version_id, title FROM reports").fetchone() == newest
    assert conn.execute("SELECT parser_version FROM versions WHERE id = ?", (old,)).fetchone()[0] != "0.1"
    assert main(["reparse", "--db", str(db), "--all"]) == 0
    assert conn.execute("SELECT version_id, title FROM reports").fetchone() == newest


@pytest.mark.parametrize("agency, published, status, days_late", [
    ("托里县政务服务中心", "2024-01-31", "on_time", 0),    # a department: due 31 January
    ("托里县政务服务中心", "2024-02-01", "late", 1),
    ("托里县人民政府", "2024-03-31", "on_time", 0),        # a county government: due 31 March
    ("托里县人民政府", "2024-04-01", "late", 1),
])
def test_published_on_the_deadline_day_is_on_time(tmp_path, capsys, agency, published, status, days_late):
    """`xxgk load` of the 2023 report dated on (or the day after) its deadline; the coverage
    register says on time (late), days_late 0 (1)."""
    text = SEED.read_text("utf-8").replace("托里县政务服务中心", agency)
    text = text.replace("日期:2024-01-29 17:25:39", f"日期:{published} 10:00:00")
    page = tmp_path / "r.txt"
    page.write_text(text, "utf-8")
    db = tmp_path / "a.db"
    assert main(["load", str(page), "--db", str(db)]) == 0
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT publish_date, report_year FROM reports").fetchone() == (published, 2023)
    row = conn.execute("SELECT status, days_late FROM coverage_agencies WHERE agency = ? AND report_year = 2023",
                       (agency,)).fetchone()
    assert row == (status, days_late)
