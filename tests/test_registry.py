"""The national registry (crawler/national.py → crawler/portals.csv): built from the two
public lists copied in crawler/data/, every enabled row cited, disagreements kept disabled,
the rows registered before the lists kept."""
from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlsplit

import pytest

from crawler import national
from crawler import portals as registry

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
