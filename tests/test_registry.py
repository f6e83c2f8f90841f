"""The national registry (crawler/national.py → crawler/portals.csv): built from the two
public lists copied in crawler/data/, every enabled row cited, disagreements kept disabled,
the rows registered before the lists kept."""
from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from crawler import national
from crawler import portals as registry
from crawler.sample_portals import SamplePortals
from db import portals as portal_table
from db.schema import open_archive
from tests.crawl_helpers import REPO, query

# crawler/portals.csv before the national lists were merged (commit 8bbc6b0): these rows keep
# their ids, columns, params and notes
BEFORE = """region_code,id,name,level,base_url,platform,columns,params,source,enabled,notes
411424,zhecheng,柘城县人民政府,county,http://www.zhecheng.gov.cn/,smallcms,http://www.zhecheng.gov.cn/xxgk/xxgknb/index.html http://www.zhecheng.gov.cn/xxgk/xxgknb/zfnb/index.html http://www.zhecheng.gov.cn/xxgk/xxgknb/xznb/index.html,cms=empirecms,corpus manifest,1,"EmpireCMS (帝国CMS)"
220200,jilin-lyj-rehost,吉林市林业局,department,https://www.atxlyj.cn/,trs,https://www.atxlyj.cn/xxgk/ndbg/index.html,,corpus manifest,0,SEO re-host
320813,hongze,淮安市洪泽区人民政府,district,,auto,,,corpus labelled/002.source.json,0,reports published as PDF attachments
"""


def _lists():
    rows = {}
    for path in (national.COUNTY_CSV, national.CITY_CSV):
        with open(path, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                rows[r["gb2260_code"]] = r
    return rows


def _site(url: str) -> str:
    host = re.match(r"[a-z0-9.-]*", urlsplit(url).hostname or "").group(0)   # list A has typos: "…gov.cn;"
    return host[4:] if host.startswith("www.") else host


@pytest.fixture(scope="module")
def committed():
    return registry.load(registry.DEFAULT_REGISTRY)


def test_committed_registry_is_the_build(committed):
    assert registry.dumps(national.rebuild(committed)) == registry.DEFAULT_REGISTRY.read_text(encoding="utf-8")
    assert national.check(committed) == []


def test_every_list_row_is_registered_once(committed):
    lists = _lists()
    assert len(lists) == 2841 + 367
    codes = [p.region_code for p in committed if p.level in national.GOVERNMENT_LEVELS]
    assert len(codes) == len(set(codes))
    ids = [p.id for p in committed]
    assert len(ids) == len(set(ids))
    renamed = {old: new for old, (new, _, _) in national.KNOWN_ERRORS.items() if new}
    assert set(codes) == {renamed.get(c, c) for c in lists}


def test_enabled_rows_cite_both_lists_and_agree(committed):
    lists = _lists()
    back = {new: old for old, (new, _, _) in national.KNOWN_ERRORS.items() if new}
    n_enabled = 0
    for p in committed:
        if not p.enabled:
            continue
        n_enabled += 1
        assert p.source and p.base_url, p.id
        row = lists.get(back.get(p.region_code, p.region_code))
        if row is None or p.level not in national.GOVERNMENT_LEVELS:
            continue
        assert row["hosts_agree"] == "same", p.id
        assert national.LIST_A in p.source and national.LIST_B in p.source, p.id
        assert row["url_a"] in p.source and row["url_b"] in p.source, p.id
        hosts = {_site(p.base_url), _site(row["url_a"]), _site(row["url_b"])}
        assert len(hosts) == 1, p.id
    # 2,733 county and 325 prefecture/province rows agree; zhecheng was enabled already
    assert n_enabled == 2733 + 325


def test_disagreements_and_single_sources_are_kept_disabled_with_a_reason(committed):
    lists = _lists()
    by_code = {p.region_code: p for p in committed if p.level in national.GOVERNMENT_LEVELS}
    disagree = [c for c, r in lists.items() if r["hosts_agree"] != "same"]
    assert len(disagree) == 94 + 14 + 8 + 34
    for code in disagree:
        p = by_code[code]
        assert not p.enabled and not p.crawlable
        assert "check by hand" in p.notes
        assert national.LIST_A in p.source and national.LIST_B in p.source
        if code not in national.KNOWN_ERRORS:
            assert p.base_url == ""   # no URL chosen for the person who checks


def test_known_errors_of_the_lists(committed):
    by_code = {p.region_code: p for p in committed}
    assert "540422" not in by_code and "540530" not in by_code
    assert by_code["540481"].name == "米林市" and by_code["540481"].enabled
    assert "old code 540422" in by_code["540481"].notes
    assert by_code["540581"].name == "错那市" and "old code 540530" in by_code["540581"].notes
    assert by_code["310107"].base_url == "http://www.shpt.gov.cn" and not by_code["310107"].enabled
    assert "Zhoushan" in by_code["310107"].notes
    for code, host in (("510402", "www.scdongqu.gov.cn"), ("510403", "www.pzhsxq.gov.cn")):
        assert urlsplit(by_code[code].base_url).hostname == host and not by_code[code].enabled
        assert "Tianjin" in by_code[code].notes


def test_rows_registered_before_keep_their_columns_and_notes():
    before = [registry.Portal.from_row(r) for r in csv.DictReader(io.StringIO(BEFORE))]
    built = {p.id: p for p in national.build(existing=before)}
    z = built["zhecheng"]
    assert z.columns == before[0].columns and z.params == {"cms": "empirecms"} and z.platform == "smallcms"
    assert z.notes == "EmpireCMS (帝国CMS)" and z.source.startswith("corpus manifest; " + national.LIST_A)
    assert "411424" not in built   # merged, not registered twice
    dep = built["jilin-lyj-rehost"]
    assert dep.__dict__ == before[1].__dict__   # a department row is not merged with its city
    h = built["hongze"]
    assert h.base_url == "http://www.hongze.gov.cn/" and h.enabled   # both lists name it
    assert h.notes.startswith("reports published as PDF attachments; base_url from the national lists")
    # a rebuild over its own output changes nothing
    again = national.rebuild(list(built.values()))
    assert registry.dumps(again) == registry.dumps(national.build(existing=before))


def test_an_edited_list_row_survives_a_rebuild(committed):
    rows = [registry.Portal(**{**p.__dict__, "columns": list(p.columns)}) for p in committed]
    p = next(p for p in rows if p.id == "510402")
    p.enabled, p.columns = True, ["http://www.scdongqu.gov.cn/xxgk/nb/"]
    out = {q.id: q for q in national.rebuild(rows)}
    assert out["510402"].enabled and out["510402"].columns == ["http://www.scdongqu.gov.cn/xxgk/nb/"]


def test_check_finds_what_makes_a_registry_unusable():
    p = registry.Portal(region_code="110101", id="x", name="东城区", base_url="http://a.gov.cn/", source="")
    q = registry.Portal(region_code="110101", id="x", name="东城区", base_url="", source="s")
    problems = national.check([p, q])
    assert "duplicate id x" in problems
    assert "code 110101 registered twice (x, x)" in problems
    assert "x enabled without a source" in problems and "x enabled without a URL" in problems


# ----------------------------------------------------------------------------- the crawl's side

OFFLINE = """region_code,id,name,level,base_url,platform,columns,params,source,enabled,notes
110101,110101,东城区,district,http://www.dongcheng.invalid/,auto,,,test: an unresolvable host,1,
110102,110102,西城区,district,https://www.xicheng.invalid/,auto,,,test: an unresolvable host,1,
110105,110105,朝阳区,district,http://www.chaoyang.invalid/,auto,http://www.chaoyang.invalid/xxgk/nb/,,test,1,
110106,110106,丰台区,district,,auto,,,test: no URL,0,
"""


def xxgk(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "crawler.cli", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


def test_offline_crawl_reports_each_portal_unreachable(tmp_path):
    reg = tmp_path / "offline.csv"
    reg.write_text(OFFLINE, encoding="utf-8")
    db = tmp_path / "a.db"
    r = xxgk("crawl", "--db", db, "--registry", reg, "--progress", "0.5", "-L", "WARNING")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    # the progress line, then one summary line per portal with its status and why
    assert "portals 3/3 · reports 0 new, 0 unchanged · errors 3 · " in r.stderr
    for pid, host in (("110101", "www.dongcheng.invalid"), ("110102", "www.xicheng.invalid"),
                      ("110105", "www.chaoyang.invalid")):
        line = next(l for l in r.stderr.splitlines() if l.startswith(pid + " "))
        assert line.startswith(f"{pid} (auto) unreachable: ") and f"DNS lookup failed: no results for hostname lookup: {host}" in line
    assert "portals: 3 unreachable" in r.stderr
    rows = query(db, "SELECT id, status, status_reason, columns, how_found, reports FROM portals ORDER BY id")
    assert [(x[0], x[1]) for x in rows] == [("110101", "unreachable"), ("110102", "unreachable"),
                                            ("110105", "unreachable")]
    assert all(x[2].startswith("CannotResolveHostError: DNS lookup failed") for x in rows)
    assert rows[2][3] == "[]" and rows[0][5] == 0   # no column found, none remembered
    # the coverage register says why each region's reports are not there: its portal did not answer
    # (an archive with no report has no year to cover: the years are set)
    from db.coverage import set_setting
    from db.store import Archive
    archive = Archive(db)
    with archive.db.atomic():
        set_setting(archive.db, "coverage_last_year", 2023)   # and the coverage tables follow
    archive.close()
    cov = query(db, "SELECT DISTINCT region_code, status, portal_status FROM coverage_regions "
                    "WHERE region_code IN ('110101', '110102', '110105', '110106') AND report_year = 2023")
    assert sorted(cov) == [(c, "portal_unreachable", "unreachable") for c in ("110101", "110102", "110105")] + [
        ("110106", "not_covered", None)]
    (alerts,), = query(db, "SELECT alerts FROM crawl_runs")
    assert {(a["check"], a["portal"]) for a in json.loads(alerts)} == {
        ("no_lists", "110101"), ("no_lists", "110102"), ("no_lists", "110105")}
    # the crawl did not retry a name that does not resolve: one try for robots.txt, one for the page
    stats = json.loads(query(db, "SELECT stats FROM crawl_runs")[0][0])
    assert stats.get("retry/count", 0) == 0 and stats["downloader/exception_count"] == 6


def test_crawl_remembers_the_column_it_discovered(tmp_path):
    with SamplePortals(sites=["vsb"]) as sp:
        reg = sp.write_registry(tmp_path / "p.csv")
        row = next(p for p in registry.load(reg))
        assert row.columns == []   # registered with its home page only
        db = tmp_path / "a.db"
        settings = ["-s", "XXGK_ALLOW_PRIVATE_HOSTS=1", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
                    "--progress", "0", "-L", "WARNING"]
        r = xxgk("crawl", "--db", db, "--registry", reg, *settings)
        assert r.returncode == 0, r.stderr[-3000:]
        got = portal_table.get(open_archive(db), row.id)
        col = sp["vsb"].base_url.rstrip("/") + sp["vsb"].column_paths[0]
        assert got["status"] == "ok" and portal_table.column_urls(got["columns"]) == [col]
        how = got["columns"][0]["how"]
        via = sp["vsb"].url("/xxgk.htm")   # the 信息公开 hub the home page links
        assert how.startswith("link text: ") and got["columns"][0]["via"] == via
        assert got["how_found"] == how and got["columns_by"] == "crawl"
        n_reports = sum(1 for e in sp["vsb"].entries if e.doc.is_report)   # the others are skipped by title
        assert got["reports"] == n_reports == 5 and got["lists"] >= 1 and got["last_ok_at"]
        sp.clear_logs()
        r = xxgk("crawl", "--db", db, "--registry", reg, *settings)
        assert r.returncode == 0, r.stderr[-3000:]
        paths = [x["path"] for x in sp.requests("vsb")]
        assert "/" not in paths and "/xxgk/" not in paths   # started from the known column
        got = portal_table.get(open_archive(db), row.id)
        # the column keeps how it was first found; the portal says it started from the archive
        assert got["status"] == "ok" and got["columns"] == [{"url": col, "how": how, "via": via}]
        assert got["how_found"] == f"archive ({how})"


def test_portals_command_shows_and_edits(tmp_path):
    reg = tmp_path / "r.csv"
    reg.write_text(OFFLINE, encoding="utf-8")
    db = tmp_path / "a.db"
    portal_table.record_crawl(open_archive(db), 7, [
        {"id": "110101", "status": "unreachable", "status_reason": "DNS lookup failed", "region_code": "110101"},
        {"id": "110105", "status": "ok", "columns": ["http://www.chaoyang.invalid/xxgk/nb/"], "how_found": "registry",
         "reports": 4, "lists": 2}], at="2026-12-01T00:00:00+00:00")
    r = xxgk("portals", "list", "--registry", reg, "--db", db)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 3 and "3 portals" in r.stderr
    assert lines[0].split()[:4] == ["110101", "110101", "auto", "unreachable"]
    assert lines[1].split()[:4] == ["110102", "110102", "auto", "never"]
    assert xxgk("portals", "list", "--registry", reg, "--db", db, "--status", "ok").stdout.split()[:4] == \
        ["110105", "110105", "auto", "ok"]
    assert "110106" in xxgk("portals", "list", "--registry", reg, "--db", db, "--all").stdout
    # a person gives a column; the archive keeps it as theirs
    r = xxgk("portals", "set-column", "--registry", reg, "--db", db, "110101", "http://www.dongcheng.invalid/gk/nb/")
    assert r.returncode == 0 and "1 column(s) set" in r.stdout
    got = portal_table.get(open_archive(db), "110101")
    assert portal_table.column_urls(got["columns"]) == ["http://www.dongcheng.invalid/gk/nb/"]
    assert got["columns_by"] == "person" and got["columns"][0]["how"] == got["how_found"]
    assert got["how_found"].startswith("set by hand")
    # …and a crawl never replaces it
    portal_table.record_crawl(open_archive(db), 8, [{"id": "110101", "status": "ok", "columns": ["http://x.invalid/"],
                                                      "how_found": "discovered"}])
    assert portal_table.column_urls(portal_table.get(open_archive(db), "110101")["columns"]) == \
        ["http://www.dongcheng.invalid/gk/nb/"]
    # a column a crawl found and that is gone is forgotten (discovered again); unreachable keeps it
    arch = open_archive(db)
    portal_table.record_crawl(arch, 9, [{"id": "110105", "status": "unreachable"}])
    assert portal_table.get(arch, "110105")["columns"] == [
        {"url": "http://www.chaoyang.invalid/xxgk/nb/", "how": "registry", "via": None}]
    portal_table.record_crawl(arch, 10, [{"id": "110105", "status": "no_column", "status_reason": "HTTP 404"}])
    assert portal_table.get(arch, "110105")["columns"] == [] and portal_table.known(arch)["110105"]["how_found"] is None
    portal_table.record_crawl(arch, 10, [{"id": "110101", "status": "no_column"}])   # a person's stay
    assert portal_table.column_urls(portal_table.get(arch, "110101")["columns"]) == \
        ["http://www.dongcheng.invalid/gk/nb/"]
    with pytest.raises(ValueError, match="unknown status 'gone'"):
        portal_table.record_crawl(arch, 11, [{"id": "110101", "status": "gone"}])
    r = xxgk("portals", "show", "--registry", reg, "--db", db, "110101")
    assert "columns_by    person" in r.stdout and "source       test: an unresolvable host" in r.stdout
    assert "    http://www.dongcheng.invalid/gk/nb/  (set by hand " in r.stdout   # each column with its how
    assert xxgk("portals", "set-column", "--registry", reg, "--db", db, "110101", "ftp://x").returncode == 2
    assert xxgk("portals", "set-column", "--registry", reg, "--db", db, "nope", "http://x/").stderr.startswith(
        "xxgk portals: no portal 'nope' in the registry")
    # enable / disable edit the registry file
    r = xxgk("portals", "enable", "--registry", reg, "110106")
    assert r.returncode == 2 and "has no URL" in r.stderr
    r = xxgk("portals", "enable", "--registry", reg, "110106", "--base-url", "http://www.bjft.invalid/")
    assert r.returncode == 0, r.stderr
    p = {q.id: q for q in registry.load(reg)}["110106"]
    assert p.enabled and p.base_url == "http://www.bjft.invalid/" and "set by hand" in p.notes
    assert xxgk("portals", "disable", "--registry", reg, "110101", "--reason", "moved").returncode == 0
    p = {q.id: q for q in registry.load(reg)}["110101"]
    assert not p.enabled and p.notes == "disabled: moved"


def test_every_command_names_its_arguments():
    import argparse

    from crawler.cli import build_parser
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, p in sub.choices.items():
        nested = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
        for q in ([*nested[0].choices.values()] if nested else [p]):
            text = q.format_help()
            assert " args" not in text and "ARGS" not in text, (name, text)
            for a in q._actions:
                if isinstance(a, argparse._SubParsersAction):
                    continue
                assert a.help, (q.prog, a.option_strings or a.dest)             # every option explained
                if not a.option_strings:
                    assert (a.metavar or a.dest) in text, (q.prog, a.dest)     # every argument named


def test_a_crawl_stopped_with_ctrl_c_ends_with_its_summary(tmp_path):
    import signal
    import time

    with SamplePortals(sites=["trs", "phpcms"]) as sp:
        reg = sp.write_registry(tmp_path / "p.csv")
        db = tmp_path / "a.db"
        cmd = [sys.executable, "-m", "crawler.cli", "crawl", "--db", str(db), "--registry", str(reg),
               "--progress", "0.5", "-s", "XXGK_ALLOW_PRIVATE_HOSTS=1", "-s", "DOWNLOAD_DELAY=0.5",
               "-s", "AUTOTHROTTLE_ENABLED=0", "-L", "WARNING"]
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while time.time() < deadline and not any("/xxgk/ndbg/2" in r["path"] for r in sp.requests("trs")):
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)   # what Ctrl-C sends
        out, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err, err[-4000:]
    assert " elapsed · ETA " in err                     # it showed its progress
    assert "alert: crawl ended: shutdown" in err
    lines = [l for l in err.splitlines() if l.startswith(("sample-trs ", "sample-phpcms "))]
    assert len(lines) == 2 and lines[0].startswith("sample-trs (trs) ok: ")   # the per-portal summary, as xxgk demo prints it
    # the archive recorded the verdicts it reached, nothing for what it did not
    rows = dict(query(db, "SELECT id, status FROM portals"))
    assert rows.get("sample-trs") == "ok" and set(rows.values()) <= {"ok"}
    (reason,), = query(db, "SELECT json_extract(stats, '$.finish_reason') FROM crawl_runs")
    assert reason == "shutdown"
