"""Crawl health (crawler/monitoring.py): checks after every crawl, stored in
``crawl_runs.alerts``, the ``crawl_health`` canned query, ``xxgk crawl --fail-on-alert``."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

from crawler import monitoring
from crawler.sample_portals import SamplePortals
from tests.crawl_helpers import REPO, query


def summary(**kw):
    base = {"reports": 0, "unchanged": 0, "skipped": 0, "dead": 0, "lists": 3, "blocked": 0}
    return {**base, **kw}


def checks(alerts):
    return {(a["check"], a["portal"]) for a in alerts}


def test_checks_on_stats():
    prev = {"a": summary(reports=10, skipped=2), "b": summary(reports=20), "c": summary(reports=5)}
    stats = {"finish_reason": "finished", "xxgk/portals": {
        "a": summary(reports=0, lists=1),            # yielded 10 before, none now
        "b": summary(unchanged=12),                  # 20 listed before, 12 now: -40 %
        "c": summary(unchanged=5, dead=0),           # healthy
        "d": summary(reports=4, dead=4),             # half dead
    }}
    got = checks(monitoring.check(stats, prev))
    assert got == {("stopped_yielding", "a"), ("list_shrank", "a"), ("list_shrank", "b"), ("error_rate", "d")}
    # thresholds are settings
    got = checks(monitoring.check(stats, prev, {"XXGK_ALERT_SHRINK": "0.5", "XXGK_ALERT_ERROR_RATE": "0.6"}))
    assert got == {("stopped_yielding", "a"), ("list_shrank", "a")}
    # a portal that never yielded: the old "no report found" alert; blocked portals; the block rate
    stats = {"finish_reason": "shutdown", "xxgk/portals": {
        "e": summary(), "f": summary(blocked=1, lists=0), "g": summary(blocked=1, lists=0), "h": summary(reports=1)}}
    got = checks(monitoring.check(stats, {}))
    assert got == {("crawl_ended", None), ("no_reports", "e"), ("blocked", "f"), ("blocked", "g"),
                   ("block_rate", None)}
    assert monitoring.check({"finish_reason": "finished", "xxgk/portals": {"c": summary(reports=1, unchanged=4)}}, prev) == []


def crawl(registry, db, *extra):
    cmd = [sys.executable, "-m", "crawler.cli", "crawl", "--db", str(db), "--fail-on-alert",
           "-a", f"registry={registry}", "-s", "XXGK_ALLOW_PRIVATE_HOSTS=1", "-s", "DOWNLOAD_DELAY=0",
           "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "RETRY_BACKOFF_BASE=0.05", "-L", "WARNING", *extra]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=180)


def test_portal_that_breaks_between_two_crawls_fires_an_alert(tmp_path):
    with SamplePortals(sites=["gkmlpt", "trs"]) as sp:
        registry = sp.write_registry(tmp_path / "p.csv")
        db = tmp_path / "a.db"
        r = crawl(registry, db)
        assert r.returncode == 0, r.stderr[-3000:]            # healthy: no alert
        assert query(db, "SELECT alert_count, alerts FROM crawl_runs") == [(0, "[]")]
        n_trs = len(sp["trs"].entries)
        # between the crawls: gkmlpt's report column comes back empty (a broken CMS
        # template, a moved column), and trs loses two thirds of its list
        sp["gkmlpt"].entries.clear()
        del sp["trs"].entries[n_trs // 3:]
        r = crawl(registry, db)
        assert r.returncode == 1, r.stderr[-3000:]
        assert "alert: sample-gkmlpt: no report found" in r.stderr
        (alerts,), = query(db, "SELECT alerts FROM crawl_runs ORDER BY id DESC LIMIT 1")
        got = checks(json.loads(alerts))
        assert ("stopped_yielding", "sample-gkmlpt") in got
        assert ("list_shrank", "sample-trs") in got
        assert not any(p == "sample-trs" and c != "list_shrank" for c, p in got)
        # the canned query shows them (Datasette runs it read-only on the same file)
        sql = json.loads((REPO / "metadata.json").read_text("utf-8"))["databases"]["archive"]["queries"][
            "crawl_health"]["sql"]
        con = sqlite3.connect(db)
        con.row_factory = sqlite3.Row
        rows = [dict(r) for r in con.execute(sql)]
        con.close()
        assert rows[0]["run"] == 2 and {(r["check"], r["portal"]) for r in rows if r["run"] == 2} == got
        assert [(r["run"], r["alert_count"], r["check"]) for r in rows if r["run"] == 1] == [(1, 0, None)]


def test_column_sublist_and_cap_checks():
    """One alert per fault, from the names the spider sets (crawler/monitoring.py docstring)."""
    prev = {"a": summary(reports=10, column_links={"http://a/nb/": 8, "http://a/bmnb/": 2})}
    stats = {"finish_reason": "finished", "xxgk/portals": {
        # the department column named two reports last time and none now
        "a": summary(reports=8, column_links={"http://a/nb/": 8, "http://a/bmnb/": 0}),
        # five per-year sub-lists followed, none named an article
        "b": summary(unchanged=3, sublists=5, sublist_links=0),
        # sub-lists that yielded: healthy
        "c": summary(unchanged=3, sublists=5, sublist_links=7),
        # an endless 下一页 chain stopped by the page cap; two columns capped and the time budget
        "d": summary(reports=2, capped=1),
        "e": summary(reports=2, capped=3),
    }}
    alerts = monitoring.check(stats, prev)
    assert sorted((a["check"], a["portal"]) for a in alerts) == [
        ("column_emptied", "a"), ("list_capped", "d"), ("list_capped", "e"), ("sublists_empty", "b")]
    by = {(a["check"], a["portal"]): a for a in alerts}
    assert by[("column_emptied", "a")]["message"] == \
        "a: column http://a/bmnb/ names no article, 2 in its previous run"
    assert by[("sublists_empty", "b")]["value"] == 0 and by[("sublists_empty", "b")]["threshold"] == 5
    assert by[("sublists_empty", "b")]["message"] == ("b: 5 sub-lists linked from its column pages followed, "
                                                      "none named an article (a list layout the crawler does not read?)")
    assert by[("list_capped", "e")]["value"] == 3 and by[("list_capped", "e")]["threshold"] == 0
    assert by[("list_capped", "e")]["message"] == \
        "e: stopped by the list page cap or its time budget (see crawl_log event 'capped')"
    # a column missing from this run's counts while the portal's lists were read also fired
    stats = {"xxgk/portals": {"a": summary(reports=8, column_links={"http://a/nb/": 8})}}
    assert checks(monitoring.check(stats, prev)) == {("column_emptied", "a")}


def test_portal_status_from_the_summary():
    st = monitoring.portal_status
    assert st(summary()) == ("ok", "3 list pages read, 0 reports listed")
    assert st(summary(lists=0, blocked=1))[0] == "blocked"
    assert st(summary(lists=0, unreachable=2, unreachable_reason="DNS lookup failed")) == \
        ("unreachable", "DNS lookup failed")
    assert st(summary(lists=0, robots_pages=1))[0] == "robots"
    assert st(summary(lists=0, dead=1)) == ("no_column", "the column page answered with an HTTP error")
    assert st(summary(lists=0)) == ("no_column", "no report column found from the home page")
    assert st(summary(lists=0, refused=2))[0] == "unreachable"
    assert st(summary(lists=0, status="no_column", status_reason="searched 40 pages")) == \
        ("no_column", "searched 40 pages")


def test_progress_line_and_portal_records():
    from types import SimpleNamespace

    from crawler import extensions
    from crawler.portals import Portal
    stats = {"xxgk/reports": 40, "xxgk/unchanged": 100, "xxgk/dead": 3, "xxgk/unreachable": 2}
    assert extensions.progress_line(12, 48, stats, 750) == \
        "portals 12/48 · reports 40 new, 100 unchanged · errors 5 · 0:12:30 elapsed · ETA 0:37:30"
    assert extensions.progress_line(0, 48, {}, 3).endswith("0:00:03 elapsed · ETA ?")
    assert extensions.progress_line(48, 48, {}, 3661).endswith("1:01:01 elapsed · ETA 0:00:00")
    # what a closing crawl writes into the portals table
    a = Portal(region_code="110101", id="a", name="东城区", base_url="http://a.gov.cn/", columns=["http://a.gov.cn/nb/"])
    b = Portal(region_code="110102", id="b", name="西城区", base_url="http://b.gov.cn/")
    per_portal = {"a": summary(reports=2, lists=1), "b": summary(lists=0)}
    rows = extensions.portal_records(per_portal, {"a": a, "b": b}, {"a": "registry"})
    assert rows == [
        {"id": "a", "region_code": "110101", "name": "东城区", "platform": None,
         "columns": [{"url": "http://a.gov.cn/nb/", "how": "registry", "via": None}], "how_found": "registry", "status": "ok", "status_reason": "1 list pages read, 2 reports listed",
         "reports": 2, "lists": 1},
        {"id": "b", "region_code": "110102", "name": "西城区", "platform": None, "columns": [], "how_found": "",
         "status": "no_column", "status_reason": "no report column found from the home page", "reports": 0,
         "lists": 0}]
    # an interrupted crawl has no verdict on a portal it did not reach
    assert [r["id"] for r in extensions.portal_records(per_portal, {"a": a, "b": b}, {}, finished=False)] == ["a"]
    # the next crawl starts from the columns the archive knows, and may request their host
    spider = SimpleNamespace(portals=[a, b], _hosts={"a": a.hosts, "b": b.hosts}, _all_hosts=set())
    n = extensions.known_columns(spider, {"b": {"columns": [
        {"url": "http://xxgk.b.gov.cn/nb/", "how": "link text: 年度报告", "via": "http://b.gov.cn/"},
        {"url": "http://xxgk.b.gov.cn/nb/2024/", "how": "year: 2024年", "via": "http://xxgk.b.gov.cn/nb/"}],
        "how_found": "discovered"}})
    assert n == 1 and b.columns == ["http://xxgk.b.gov.cn/nb/"]   # a sub-list is found again on its column
    assert spider._hosts["b"] == {"b.gov.cn", "xxgk.b.gov.cn"} and "xxgk.b.gov.cn" in spider._all_hosts
    assert spider.xxgk_how_found == {"a": "registry", "b": "archive (link text: 年度报告)"}


def test_network_errors_are_one_line():
    import logging

    from scrapy.exceptions import CannotResolveHostError

    from crawler.extensions import OneLineNetworkErrors
    try:
        raise CannotResolveHostError("DNS lookup failed: no results for hostname lookup: x.invalid.")
    except CannotResolveHostError:
        import sys
        rec = logging.LogRecord("scrapy.core.scraper", logging.ERROR, __file__, 1, "Error downloading %s",
                                ("<GET http://x.invalid/>",), sys.exc_info())
    assert OneLineNetworkErrors().filter(rec) and rec.exc_info is None
    assert rec.getMessage() == ("Error downloading <GET http://x.invalid/>: CannotResolveHostError: "
                                "DNS lookup failed: no results for hostname lookup: x.invalid.")
    try:
        raise ValueError("a bug")
    except ValueError:
        import sys
        rec = logging.LogRecord("scrapy.core.scraper", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    assert OneLineNetworkErrors().filter(rec) and rec.exc_info is not None   # a bug keeps its traceback
