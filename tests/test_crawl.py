"""The spiders against the sample portals on 127.0.0.1 (never a real site).

One full crawl of every sample portal and one incremental re-crawl are shared by
the module; resume-after-kill and the private-address rule use their own crawls."""
from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import zlib
from collections import Counter

import pytest

from crawler.sample_portals import SamplePortals
from tests.tools import needs
from tests.crawl_helpers import REPO, article_url, crawl_cmd, last_run_stats, query, run_crawl, wait_for_reports


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("crawl")
    with SamplePortals() as sp:
        registry = sp.write_registry(tmp / "portals.csv")
        db = tmp / "archive.db"
        run_crawl(registry, db)
        first = {k: list(s.log) for k, s in sp.sites.items()}
        stats1 = last_run_stats(db)
        sp.clear_logs()
        # the second crawl re-validates every article (conditional requests, content check)
        run_crawl(registry, db, settings={"XXGK_REVALIDATE_DAYS": "0"})
        second = {k: list(s.log) for k, s in sp.sites.items()}
        stats2 = last_run_stats(db)
        sp.clear_logs()
        # the third, within the re-validation window, asks only the lists
        run_crawl(registry, db)
        third = {k: list(s.log) for k, s in sp.sites.items()}
        stats3 = last_run_stats(db)
        yield {"sp": sp, "db": db, "registry": registry, "first": first, "second": second, "third": third,
               "stats1": stats1, "stats2": stats2, "stats3": stats3}


def stored_urls(db) -> set[str]:
    return {u for (u,) in query(db, "SELECT url FROM reports")}


PORTALS = ["trs", "hanweb", "gkmlpt", "epoint", "empire", "phpcms", "vsb",
           # the layouts of issue 11 (crawler/sample_portals/layouts.py)
           "years", "hub", "depts", "split", "frame", "endless", "search"]
PAGED = [k for k in PORTALS if k not in ("hub", "split", "search")]   # three list pages or more


@pytest.mark.parametrize("key", PORTALS)
def test_every_report_found(crawled, key):
    site = crawled["sp"][key]
    expected = {article_url(site, e) for e in site.expected_reports()}
    stored = stored_urls(crawled["db"])
    if key == "empire":   # the report at two URLs: whichever came first is archived
        twins = {site.url(site.alias.path), site.url(site.alias.path.replace("/xznb/", "/bmnb/"))}
        assert len(twins & stored) == 1
        expected -= twins
    assert expected and expected <= stored


@pytest.mark.parametrize("key", PORTALS)
def test_non_reports_skipped_not_fetched(crawled, key):
    site = crawled["sp"][key]
    fetched = {r["path"] for r in crawled["first"][key]}
    non_reports = [e for e in site.entries if not e.doc.is_report]
    assert non_reports
    for e in non_reports:
        assert e.path not in fetched, e.doc.title
    skipped = {u for (u,) in query(crawled["db"], "SELECT url FROM crawl_log WHERE event='skipped' AND portal=?",
                                   f"sample-{key}")}
    assert {site.url(e.path) for e in non_reports} <= skipped


@pytest.mark.parametrize("key", PAGED)
def test_pagination_complete(crawled, key):
    lists = crawled["stats1"]["xxgk/portals"][f"sample-{key}"]["lists"]
    assert lists >= 3, key


@needs("libreoffice")   # one sample report is published only as a DOC
def test_stored_only_reports_of_sample_portals(crawled):
    kinds = query(crawled["db"], "SELECT DISTINCT kind FROM reports")
    assert kinds == [("report",)]
    n_expected = sum(len(crawled["sp"][k].expected_reports()) for k in PORTALS)
    assert len(stored_urls(crawled["db"])) == n_expected


def test_encoding_gbk_portal(crawled):
    site = crawled["sp"]["phpcms"]
    rows = dict(query(crawled["db"], "SELECT url, title FROM reports WHERE url LIKE ?", site.url("/%")))
    for e in site.expected_reports():
        assert rows[site.url(e.path)] == e.doc.title


def test_clicks_from_counters(crawled):
    sp, db = crawled["sp"], crawled["db"]
    clicks = dict(query(db, "SELECT url, clicks FROM reports"))
    seed = sp["phpcms"].entries[0]
    assert clicks[sp["phpcms"].url(seed.path)] == 433           # 432 + this crawl's one call
    for key in ("hanweb", "vsb"):
        for e in sp[key].expected_reports():
            if e.doc.raw is None:
                assert clicks[sp[key].url(e.path)] is not None
    # every counter was called once per article in the first crawl
    for key in ("phpcms", "hanweb", "vsb", "epoint"):
        calls = Counter(r["path"] for r in crawled["first"][key]
                        if "count" in r["path"].lower() or "visit" in r["path"] or "click" in r["path"])
        assert calls and max(calls.values()) == 1, key


def test_blocked_portal_recorded_not_bypassed(crawled):
    rows = query(crawled["db"], "SELECT event, http_status FROM crawl_log WHERE portal='sample-blocked'")
    assert ("blocked", 412) in rows
    log = crawled["first"]["blocked"]
    assert len(log) <= 2 and all(r["status"] == 412 for r in log)   # robots.txt + the column, no retry
    assert crawled["stats1"]["xxgk/portals"]["sample-blocked"]["blocked"] == 1


def test_robots_obeyed(crawled):
    paths = [r["path"] for r in crawled["first"]["trs"]]
    assert paths.count("/robots.txt") == 1
    assert not any(p.startswith("/xxgk/ndbg/nbk/") for p in paths)
    assert any(r[0] == "robots_disallowed" for r in query(crawled["db"], "SELECT reason FROM crawl_log"))


def test_retry_after_500(crawled):
    site = crawled["sp"]["hanweb"]
    path = next(e.path for e in site.listed() if e.doc.is_report)
    statuses = [r["status"] for r in crawled["first"]["hanweb"] if r["path"] == path]
    assert statuses == [500, 200]
    assert site.url(path) in stored_urls(crawled["db"])


def test_redirect_followed(crawled):
    site = crawled["sp"]["trs"]
    moved = next(e for e in site.entries if e.list_path)
    # stored under its final URL, the list's URL kept as its alias
    row = query(crawled["db"], "SELECT v.final_url FROM reports r JOIN versions v ON v.id = r.version_id WHERE r.url=?",
                site.url(moved.path))
    assert row == [(site.url(moved.path),)]
    assert query(crawled["db"], "SELECT count(*) FROM reports WHERE url=?", site.url(moved.list_path)) == [(0,)]
    assert query(crawled["db"], "SELECT report_url, portal FROM report_aliases WHERE url=?",
                 site.url(moved.list_path)) == [(site.url(moved.path), "sample-trs")]


def test_same_report_at_two_urls_stored_once(crawled):
    site = crawled["sp"]["empire"]
    urls = stored_urls(crawled["db"])
    twins = {site.url(site.alias.path), site.url(site.alias.path.replace("/xznb/", "/bmnb/"))}
    assert len(twins & urls) == 1
    assert any(r[0].startswith("duplicate of") for r in query(crawled["db"], "SELECT reason FROM crawl_log"))


def test_dead_link_recorded(crawled):
    site = crawled["sp"]["empire"]
    rows = query(crawled["db"], "SELECT reason, http_status FROM crawl_log WHERE url=?", site.url(site.dead.path))
    assert ("dead_link", 404) in rows


def test_nothing_fetched_twice(crawled):
    for key, log in crawled["first"].items():
        seen = Counter((r["method"], r["path"]) for r in log if r["status"] != 500)
        dup = {k: v for k, v in seen.items() if v > 1}
        assert not dup, (key, dup)


def test_no_request_leaves_the_portal(crawled):
    stats = crawled["stats1"]
    # the real 柘城 pages call their counter on www.zhecheng.gov.cn: refused, not fetched
    assert stats.get("xxgk/refused/offsite", 0) >= 15
    assert "downloader/exception_type_count/twisted.internet.error.DNSLookupError" not in stats


def test_incremental_second_crawl(crawled):
    db, s1, s2 = crawled["db"], crawled["stats1"], crawled["stats2"]
    assert query(db, "SELECT count(*) FROM versions")[0][0] == len(stored_urls(db))   # no new version
    assert s2.get("xxgk/reports", 0) == 0
    assert s2["xxgk/unchanged"] == s1["xxgk/reports"] - s1.get("xxgk/duplicate", 0) + s1.get("xxgk/duplicate", 0)
    assert s2.get("xxgk/not_modified", 0) >= 20                       # 304 answers to conditional requests
    bytes1 = sum(r["bytes"] for log in crawled["first"].values() for r in log)
    bytes2 = sum(r["bytes"] for log in crawled["second"].values() for r in log)
    counters2 = sum(1 for log in crawled["second"].values() for r in log if "count" in r["path"].lower()
                    or "visit.jsp" in r["path"] or "dynclicks" in r["path"])
    assert counters2 == 0                                              # unchanged articles: no counter call
    assert bytes2 < bytes1 / 2, (bytes1, bytes2)
    reqs1 = sum(len(v) for v in crawled["first"].values())
    reqs2 = sum(len(v) for v in crawled["second"].values())
    assert reqs2 < reqs1
    runs = query(db, "SELECT count(*) FROM crawl_runs WHERE finished IS NOT NULL")[0][0]
    assert runs == 3


def test_incremental_skip_within_revalidation_window(crawled):
    """Third crawl, default window: list pages re-read, no article, file or counter requested."""
    db, s1, s3 = crawled["db"], crawled["stats1"], crawled["stats3"]
    sp = crawled["sp"]
    assert query(db, "SELECT count(*) FROM versions")[0][0] == len(stored_urls(db))
    assert s3.get("xxgk/reports", 0) == 0 and s3.get("xxgk/not_modified", 0) == 0
    # a moved report's state is kept under its final URL and its list URL (the alias): one listed
    archived = query(db, "SELECT count(*) FROM crawl_fetch_state WHERE validated_at IS NOT NULL"
                         " AND url NOT IN (SELECT report_url FROM report_aliases)")[0][0]
    assert s3["xxgk/fresh"] == archived == s1["xxgk/reports"]
    article_paths = {sp[k].url(e.list_path or e.path) for k in PORTALS for e in sp[k].expected_reports()}
    for key, log in crawled["third"].items():
        asked = {sp[key].url(r["path"]) for r in log}
        assert not asked & article_paths, key
        assert not any(r["path"].endswith((".pdf", ".doc", ".docx")) for r in log), key
    for key in PORTALS:   # lists are always re-read
        assert s3["xxgk/portals"][f"sample-{key}"]["lists"] == s1["xxgk/portals"][f"sample-{key}"]["lists"]
    reqs1 = sum(len(v) for v in crawled["first"].values())
    reqs3 = sum(len(v) for v in crawled["third"].values())
    assert reqs3 < reqs1 / 2, (reqs1, reqs3)


def test_changed_list_entry_is_revalidated(tmp_path):
    """An entry whose title changed in the list is asked again (conditionally) within the window."""
    with SamplePortals(sites=["trs"]) as sp:
        site = sp["trs"]
        registry = sp.write_registry(tmp_path / "p.csv")
        db = tmp_path / "a.db"
        run_crawl(registry, db)
        entry = next(e for e in site.expected_reports() if e.doc.raw is not None and not e.list_path)
        entry.doc.title += "（更新）"
        sp.clear_logs()
        run_crawl(registry, db)
        asked = [r for r in site.log if r["path"] == entry.path]
        assert len(asked) == 1 and asked[0]["status"] == 304          # conditional, answered 304
        others = {e.path for e in site.expected_reports()} - {entry.path}
        assert not any(r["path"] in others for r in site.log)        # the rest: fresh, not asked
        stats = last_run_stats(db)
        assert stats["xxgk/not_modified"] == 1 and stats["xxgk/fresh"] == len(others)
        sp.clear_logs()
        run_crawl(registry, db)                                        # the new title was recorded
        assert not any(r["path"] == entry.path for r in site.log)


def test_private_addresses_refused_by_default(tmp_path):
    with SamplePortals(sites=["phpcms"]) as sp:
        registry = sp.write_registry(tmp_path / "p.csv")
        run_crawl(registry, tmp_path / "a.db", settings={"XXGK_ALLOW_PRIVATE_HOSTS": "0"})
        assert sp["phpcms"].log == []
        assert last_run_stats(tmp_path / "a.db").get("xxgk/refused/private_address", 0) >= 1


def test_auto_spider_on_unregistered_portal(tmp_path):
    """``scrapy crawl auto -a url=…``: a portal the registry does not know."""
    with SamplePortals(sites=["hanweb"]) as sp:
        site = sp["hanweb"]
        registry = sp.write_registry(tmp_path / "p.csv")
        db = tmp_path / "a.db"
        run_crawl(registry, db, spider="auto", args={"url": site.url(site.column_paths[0])})
        expected = {site.url(e.path) for e in site.expected_reports()}
        assert expected <= stored_urls(db)
        assert last_run_stats(db)["xxgk/portals"]["adhoc"]["platform"] == "hanweb"


def test_resume_after_kill_9(tmp_path):
    with SamplePortals(sites=["empire"]) as sp:
        site = sp["empire"]
        registry = sp.write_registry(tmp_path / "p.csv")
        db, jobdir = tmp_path / "a.db", tmp_path / "job"
        cmd = crawl_cmd(registry, db, settings={"JOBDIR": str(jobdir), "DOWNLOAD_DELAY": "0.3"})
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        wait_for_reports(db, 5, proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        before = stored_urls(db)
        assert 5 <= len(before) < len(site.expected_reports())
        first_paths = {r["path"] for r in site.log}
        sp.clear_logs()
        run_crawl(registry, db, settings={"JOBDIR": str(jobdir), "DOWNLOAD_DELAY": "0"})
        expected = {site.url(e.path) for e in site.expected_reports()}
        assert expected <= stored_urls(db)
        refetched = {site.url(r["path"]) for r in site.log} & before
        assert not refetched, refetched                      # archived before the kill: not fetched again
        assert first_paths


def test_resume_after_sigint(tmp_path):
    """SIGINT (Ctrl-C) once some reports are stored: Scrapy shuts down gracefully, keeps its
    JOBDIR (request queue, seen fingerprints, the journal of archived reports) and the run
    is recorded as ``shutdown``; the resumed crawl archives every report and fetches nothing
    that was stored before the interrupt."""
    with SamplePortals(sites=["empire"]) as sp:
        site = sp["empire"]
        registry = sp.write_registry(tmp_path / "p.csv")
        db, jobdir = tmp_path / "a.db", tmp_path / "job"
        cmd = crawl_cmd(registry, db, settings={"JOBDIR": str(jobdir), "DOWNLOAD_DELAY": "0.3"})
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        wait_for_reports(db, 5, proc)
        os.kill(proc.pid, signal.SIGINT)          # once, as Ctrl-C: a graceful shutdown
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
        assert "Traceback" not in err, err[-5000:]
        stats = last_run_stats(db)
        assert stats["finish_reason"] == "shutdown"
        assert (jobdir / "xxgk-done.txt").exists() and (jobdir / "requests.seen").exists()
        before = stored_urls(db)
        expected = {site.url(e.path) for e in site.expected_reports()}
        assert 5 <= len(before) < len(expected)
        assert set((jobdir / "xxgk-done.txt").read_text("utf-8").split()) >= before
        sp.clear_logs()
        run_crawl(registry, db, settings={"JOBDIR": str(jobdir), "DOWNLOAD_DELAY": "0"})
        assert expected <= stored_urls(db)                   # nothing lost
        refetched = {site.url(r["path"]) for r in site.log} & before
        assert not refetched, refetched                      # stored before the interrupt: not fetched again
        assert last_run_stats(db)["finish_reason"] == "finished"
        assert query(db, "SELECT count(*) FROM versions")[0][0] == len(stored_urls(db))   # each stored once


def test_xxgk_crawl_command_alerts_on_blocked_portal(tmp_path):
    import sys
    with SamplePortals(sites=["blocked", "gkmlpt"]) as sp:
        registry = sp.write_registry(tmp_path / "p.csv")
        cmd = [sys.executable, "-m", "crawler.cli", "crawl", "--db", str(tmp_path / "a.db"), "--fail-on-alert",
               "-a", f"registry={registry}", "-s", "XXGK_ALLOW_PRIVATE_HOSTS=1", "-s", "DOWNLOAD_DELAY=0",
               "-L", "WARNING"]
        r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)
        assert r.returncode == 1 and "sample-blocked: blocked" in r.stderr
        assert len(sp["gkmlpt"].log) > 5


# ----------------------------------------------------------------- issue 11: reach
def columns_found(crawled, key) -> list[tuple[str, str, str | None]]:
    """(path, how, via path) of what the first crawl found for a sample portal."""
    site = crawled["sp"][key]
    cut = len(site.base_url) - 1
    return [(c["url"][cut:], c["how"], c["via"] and c["via"][cut:])
            for c in crawled["stats1"]["xxgk/portals"][f"sample-{key}"]["columns"]]


def stored_of(crawled, key) -> set[str]:
    return {u for u in stored_urls(crawled["db"]) if u.startswith(crawled["sp"][key].base_url)}


@pytest.mark.parametrize("key", ["years", "hub", "depts", "split", "frame", "endless", "search"])
def test_layouts_exact_reports(crawled, key):
    """Exactly the reports each new layout holds: none missed, nothing else stored."""
    site = crawled["sp"][key]
    assert stored_of(crawled, key) == {site.url(e.path) for e in site.expected_reports()}
    s = crawled["stats1"]["xxgk/portals"][f"sample-{key}"]
    assert s["status"] == "ok" and s["reports"] == len(site.expected_reports())


def test_per_year_sub_lists(crawled):
    assert columns_found(crawled, "years") == [
        ("/zfxxgk/zfxxgknb/index.html", "registry", None),
        ("/zfxxgk/zfxxgknb/2024/index.html", "year: 2024年度", "/zfxxgk/zfxxgknb/index.html"),
        ("/zfxxgk/zfxxgknb/2023/index.html", "year: 2023年度", "/zfxxgk/zfxxgknb/index.html"),
        ("/zfxxgk/zfxxgknb/2022/index.html", "year: 2022年", "/zfxxgk/zfxxgknb/index.html")]
    asked = {r["path"] for r in crawled["first"]["years"]}
    assert "/zfxxgk/zfxxgknb/2023/index_1.html" in asked          # a year's own second page
    years = {y for (y,) in query(crawled["db"], "SELECT report_year FROM reports WHERE url LIKE ?",
                                   crawled["sp"]["years"].base_url + "%")}
    assert years == {2022, 2023, 2024}


def test_hub_to_column_discovered(crawled):
    assert columns_found(crawled, "hub") == [
        ("/zfxxgk/fdzdgknr/ndbg/index.html", "link text: 政府信息公开年报", "/zfxxgk/fdzdgknr/index.html")]
    asked = [r["path"] for r in crawled["first"]["hub"] if r["path"] != "/robots.txt"]
    assert asked[:3] == ["/", "/zfxxgk/index.html", "/zfxxgk/fdzdgknr/index.html"]
    assert "/zfxxgk/zn/index.html" not in asked                      # only hubs are followed


def test_department_and_township_sub_columns(crawled):
    found = columns_found(crawled, "depts")
    # the registry's column first; its sub-columns and their agencies in the order they answered
    assert found[0] == ("/xxgk/nb/index.html", "registry", None)
    assert sorted((p, how) for p, how, _ in found) == sorted([
        ("/xxgk/nb/index.html", "registry"),
        ("/xxgk/nb/zfnb/index.html", "subcolumn: 政府年报"), ("/xxgk/nb/bmnb/index.html", "subcolumn: 部门年报"),
        ("/xxgk/nb/xznb/index.html", "subcolumn: 乡镇年报"),
        ("/xxgk/nb/xznb/cgz/index.html", "agency: 城关镇人民政府"), ("/xxgk/nb/xznb/lzx/index.html", "agency: 老颜集乡人民政府"),
        ("/xxgk/nb/bmnb/czj/index.html", "agency: 财政局"), ("/xxgk/nb/bmnb/jyj/index.html", "agency: 教育局"),
        ("/xxgk/nb/bmnb/wjw/index.html", "agency: 卫生健康委员会")])
    titles = {t for (t,) in query(crawled["db"], "SELECT title FROM reports WHERE url LIKE ?",
                                   crawled["sp"]["depts"].base_url + "%")}
    agencies = {a for _, (_, units) in crawled["sp"]["depts"].UNITS.items() for a in units.values()}
    assert {a for a in agencies if any(t.startswith(a) for t in titles)} == agencies   # six agencies, one portal


def test_trs_dl_dd_list_and_split_article(crawled):
    site = crawled["sp"]["split"]
    asked = [r["path"] for r in crawled["first"]["split"]]
    assert "/zfxxgk/zfxxgknb/index_1.htm" in asked
    assert {p for p in asked if re.search(r"_300001_\d\.htm$", p)} == {
        "/zfxxgk/zfxxgknb/202501/t20250115_300001_1.htm", "/zfxxgk/zfxxgknb/202501/t20250115_300001_2.htm"}
    # titles: the full title of title=, not the cut text
    rows = query(crawled["db"], "SELECT list_title, list_date FROM crawl_fetch_state WHERE url LIKE ?", site.base_url + "%")
    assert sorted(rows) == sorted((e.doc.title, e.doc.date) for e in site.expected_reports())
    raw = query(crawled["db"], "SELECT v.raw FROM reports r JOIN versions v ON v.id = r.version_id WHERE r.url = ?",
                site.url(site.SPLIT))[0][0]
    text = zlib.decompress(raw).decode("utf-8")
    assert all(m in text for m in site.PART_MARKERS)                  # one report from its three pages


def test_iframe_list_and_malformed_link(crawled):
    assert columns_found(crawled, "frame") == [
        ("/xxgk/xxgknb/index.html", "registry", None),
        ("/xxgk/xxgknb/list.php?page=1", "iframe", "/xxgk/xxgknb/index.html")]
    rows = query(crawled["db"], "SELECT url, reason FROM crawl_log WHERE portal = 'sample-frame' AND reason LIKE 'malformed%'"
                                " AND run_id = (SELECT min(id) FROM crawl_runs)")
    assert rows == [("http://[::1/xxgk/broken.html", "malformed link: Invalid IPv6 URL")]


def test_endless_pagination_capped_with_alert(crawled):
    site = crawled["sp"]["endless"]
    lists = [r["path"] for r in crawled["first"]["endless"] if r["path"].startswith("/news/list.php")]
    assert len(lists) == site.MAX_LIST_PAGES == crawled["stats1"]["xxgk/portals"]["sample-endless"]["lists"]
    rows = query(crawled["db"], "SELECT event, url FROM crawl_log WHERE portal = 'sample-endless' AND event = 'capped'")
    assert rows and {r[1] for r in rows} == {site.url(f"/news/list.php?catid=9&page={site.MAX_LIST_PAGES + 1}")}
    (alerts,), = query(crawled["db"], "SELECT alerts FROM crawl_runs ORDER BY id LIMIT 1")
    assert [a["portal"] for a in json.loads(alerts) if a["check"] == "list_capped"] == ["sample-endless"]
    # one alert for the cap, nothing else wrong with the portal
    assert [a["check"] for a in json.loads(alerts) if a["portal"] == "sample-endless"] == ["list_capped"]
    assert crawled["stats1"]["xxgk/portals"]["sample-endless"]["capped"] == 1


def test_sub_lists_the_crawler_cannot_read_raise_sublists_empty(tmp_path):
    """Per-year sub-lists whose pages draw their list with a script (no link in the markup):
    followed, none names an article — one sublists_empty alert from the real crawl's stats."""
    with SamplePortals(sites=["years"]) as sp:
        site = sp["years"]
        plain = site.list_page

        def scripted(path, query, body):
            reply = plain(path, query, body)
            if reply is None or path == site.column_paths[0]:
                return reply
            text = reply.body.decode("utf-8")
            rows = re.findall(r'<li><a href="([^"]+)">([^<]+)</a>', text)
            data = json.dumps([{"u": u, "t": t} for u, t in rows], ensure_ascii=False)
            text = re.sub(r'<ul class="list">.*?</ul>', f'<ul class="list" id="list"></ul><script>var rows = {data};'
                          '</script>', text, flags=re.S)
            return dataclasses.replace(reply, body=text.encode("utf-8"))
        site.list_page = scripted
        registry = sp.write_registry(tmp_path / "p.csv")
        db = tmp_path / "a.db"
        run_crawl(registry, db)
    s = last_run_stats(db)["xxgk/portals"]["sample-years"]
    assert (s["sublists"], s["sublist_links"], s["reports"]) == (3, 0, 0)
    assert s["column_links"] == {site.url(site.column_paths[0]): 0}
    (alerts,), = query(db, "SELECT alerts FROM crawl_runs")
    empty = [a for a in json.loads(alerts) if a["check"] == "sublists_empty"]
    assert [(a["portal"], a["value"], a["threshold"]) for a in empty] == [("sample-years", 0, 3)]


def test_search_form_as_last_resort(crawled):
    found = columns_found(crawled, "search")
    assert [(p.split("?")[0], how, via) for p, how, via in found] == [
        ("/search/index.jsp", "search", "/search/index.jsp")]
    asked = [r["path"] for r in crawled["first"]["search"]]
    assert sum(1 for p in asked if p.startswith("/search/")) == 1     # one search, after the hubs were exhausted


def test_etag_stored_and_sent(crawled):
    site = crawled["sp"]["trs"]
    etags = query(crawled["db"], "SELECT count(*), count(etag) FROM crawl_fetch_state WHERE url LIKE ?",
                  site.base_url + "%")[0]
    assert etags[0] > 0 and etags[1] == etags[0]     # Scrapy spells it "Etag": stored all the same
    sent = [r["headers"].get("if-none-match") for r in crawled["second"]["trs"] if "/t20" in r["path"]]
    assert sent and all(sent)


def test_portals_table_after_the_sample_crawls(crawled):
    """The archive's portals table (db/portals.py) after the three crawls: every sample portal
    ok (the blocked one blocked), its columns as the spider found them, each with how and via."""
    from db import portals as portal_table
    from db.schema import open_archive
    arch = open_archive(crawled["db"])
    rows = {pid: portal_table.get(arch, pid) for pid in crawled["stats1"]["xxgk/portals"]}
    assert {pid: r["status"] for pid, r in rows.items()} == {
        **{f"sample-{k}": "ok" for k in PORTALS}, "sample-blocked": "blocked"}
    for key in ("years", "hub", "depts", "split", "frame", "endless", "search"):
        r = rows[f"sample-{key}"]
        site = crawled["sp"][key]
        cut = len(site.base_url) - 1
        assert sorted((c["url"][cut:], c["how"], c["via"] and c["via"][cut:]) for c in r["columns"]) == \
            sorted(columns_found(crawled, key)), key
        assert r["columns_by"] == "crawl" and r["reports"] == len(site.expected_reports()) and r["last_ok_at"]
    # a discovered column is remembered with how it was found; the next crawls start from it
    hub = rows["sample-hub"]
    assert hub["how_found"] == "archive (link text: 政府信息公开年报)"
    assert portal_table.starting_columns(hub["columns"]) == hub["columns"]
    assert "/" not in [r["path"] for r in crawled["second"]["hub"]]
    assert "/" not in [r["path"] for r in crawled["third"]["hub"]]
    assert crawled["stats2"]["xxgk/portals"]["sample-hub"]["columns"] == \
        crawled["stats1"]["xxgk/portals"]["sample-hub"]["columns"]
    # sub-lists are kept for a person to see, the crawl starts from the column that links them
    years = portal_table.starting_columns(rows["sample-years"]["columns"])
    assert [c["how"] for c in years] == ["registry"]


def test_portal_status_of_every_sample(crawled):
    st = {pid: s["status"] for pid, s in crawled["stats1"]["xxgk/portals"].items()}
    assert st == {**{f"sample-{k}": "ok" for k in PORTALS}, "sample-blocked": "blocked"}


def test_unreachable_and_no_column(tmp_path):
    """A portal that does not answer and one with no column anywhere: each recorded with
    its status, the crawl goes on."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead_port = s.getsockname()[1]
    s.close()
    with SamplePortals(sites=["frame", "trs"]) as sp:
        site = sp["frame"]
        registry = tmp_path / "p.csv"
        registry.write_text(
            "region_code,id,name,level,base_url,platform,columns,params,source,enabled,notes\n"
            f"411401,gone,无应答,county,http://127.0.0.1:{dead_port}/,auto,,,test,1,\n"
            f"411402,nocol,无栏目,county,{site.url('/xxgk/xxgknb/list.php?page=2')},auto,,,test,1,\n"
            f"411403,robo,禁抓,county,{sp['trs'].url('/xxgk/ndbg/nbk/')},auto,,,test,1,\n", "utf-8")
        db = tmp_path / "a.db"
        run_crawl(registry, db, settings={"RETRY_TIMES": "0"})
    portals = last_run_stats(db)["xxgk/portals"]
    assert portals["gone"]["status"] == "unreachable" and "ConnectionRefused" in portals["gone"]["status_reason"]
    assert portals["nocol"]["status"] == "no_column" and portals["nocol"]["columns"] == []
    assert portals["robo"]["status"] == "robots" and "robots.txt" in portals["robo"]["status_reason"]
    assert (portals["gone"]["unreachable"], portals["robo"]["robots_pages"]) == (1, 1)
    # the archive's portals table holds the same verdicts (db.portals.STATUSES)
    rows = query(db, "SELECT id, status, columns FROM portals ORDER BY id")
    assert rows == [("gone", "unreachable", "[]"), ("nocol", "no_column", "[]"), ("robo", "robots", "[]")]
    assert query(db, "SELECT portal, reason FROM crawl_log WHERE event = 'skipped' AND reason LIKE '%column%'") == [
        ("nocol", "no report column found")]


def test_page_cap_setting_and_time_budget(tmp_path):
    """XXGK_MAX_LIST_PAGES per column (each sub-list its own), XXGK_PORTAL_TIME_BUDGET per portal:
    both stop a column, logged as `capped`, with the list_capped alert."""
    with SamplePortals(sites=["years", "endless"]) as sp:
        registry = sp.write_registry(tmp_path / "p.csv")
        db = tmp_path / "a.db"
        run_crawl(registry, db, args={"portal": "sample-years"}, settings={"XXGK_MAX_LIST_PAGES": "1"})
        asked = {r["path"] for r in sp["years"].log}
        assert "/zfxxgk/zfxxgknb/2023/index.html" in asked and "/zfxxgk/zfxxgknb/2023/index_1.html" not in asked
        rows = query(db, "SELECT reason FROM crawl_log WHERE event = 'capped'")
        assert rows == [(f"column {sp['years'].url('/zfxxgk/zfxxgknb/2023/index.html')} reached 1 list pages "
                         "(XXGK_MAX_LIST_PAGES)",)]
        run_crawl(registry, db, args={"portal": "sample-endless"},
                  settings={"XXGK_PORTAL_TIME_BUDGET": "1", "DOWNLOAD_DELAY": "0.4", "RANDOMIZE_DOWNLOAD_DELAY": "0"})
        lists = [r for r in sp["endless"].log if r["path"].startswith("/news/list.php")]
        assert 1 < len(lists) < sp["endless"].MAX_LIST_PAGES
        rows = query(db, "SELECT portal, reason FROM crawl_log WHERE event = 'capped' AND portal = 'sample-endless'")
        assert rows == [("sample-endless", "portal time budget of 1 s spent")]
        (alerts,), = query(db, "SELECT alerts FROM crawl_runs ORDER BY id DESC LIMIT 1")
        assert [a["check"] for a in json.loads(alerts) if a["portal"] == "sample-endless"] == ["list_capped"]
