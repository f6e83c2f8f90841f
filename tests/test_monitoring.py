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
