"""The sample portals themselves (served on 127.0.0.1 by the test process)."""
from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from crawler.sample_portals import SamplePortals
from crawler.sample_portals.layouts import LAYOUT_SITES


@pytest.fixture(scope="module")
def sp():
    with SamplePortals() as portals:
        yield portals


def get(url, data=None):
    try:
        with urllib.request.urlopen(url, data=data, timeout=10) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


LAYOUTS = {c.key for c in LAYOUT_SITES}


def test_at_least_five_platforms_each_with_three_list_pages(sp):
    platforms = {s.platform for s in sp.sites.values() if s.key != "blocked"}
    assert {"trs", "hanweb", "gkmlpt", "epoint", "smallcms"} <= platforms
    for site in sp.sites.values():
        if site.key in ("blocked", "empire") or site.key in LAYOUTS:   # the layouts: their own tests
            continue
        assert len(site.pages()) >= 3, site.key
    assert len(sp["empire"].pages(sp["empire"].main_list())) >= 3


def test_reports_of_several_years_and_departments(sp):
    for site in sp.sites.values():
        if site.key == "blocked":
            continue
        reports = [e.doc for e in site.expected_reports()]
        assert len({d.title for d in reports}) >= 3, site.key
        assert len({d.agency for d in reports}) >= 2 or site.key in ("trs", "endless"), site.key
    years = {e.doc.year for s in sp.sites.values() for e in s.expected_reports()}
    assert {2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024} <= years


def test_real_corpus_pages_are_served_byte_for_byte(sp):
    from crawler.sample_portals.content import DATA
    status, body, _ = get(sp["empire"].url("/xxgk/xxgknb/bmnb/2018-07-12/7477.html"))
    assert status == 200 and body == (DATA / "101.html").read_bytes()
    status, body, _ = get(sp["trs"].url("/xxgk/ndbg/201708/t20170804_633603.html"))
    assert status == 200 and body == (DATA / "120.html").read_bytes()


def test_gbk_site(sp):
    site = sp["phpcms"]
    status, body, headers = get(site.url(site.expected_reports()[0].path))
    assert status == 200 and "charset" not in headers.get("Content-Type", "")
    assert b"charset=gbk" in body
    assert "托里县政务服务中心".encode("gbk") in body


def test_robots_blocked_dead_redirect(sp):
    status, body, _ = get(sp["trs"].url("/robots.txt"))
    assert b"Disallow: /xxgk/ndbg/nbk/" in body
    status, body, _ = get(sp["blocked"].url("/xxgk/xxgknb/index.shtml"))
    assert status == 412 and b"$_ts" in body
    assert get(sp["empire"].url(sp["empire"].dead.path))[0] == 404
    moved = next(e for e in sp["trs"].entries if e.list_path)
    status, body, _ = get(sp["trs"].url(moved.list_path))  # urllib follows the 301
    assert status == 200 and body == moved.doc.raw


def test_counters_count():
    with SamplePortals(sites=["phpcms"]) as fresh:
        site = fresh["phpcms"]
        url = site.url("/api.php?op=count&id=1156&modelid=1")
        assert b"$('#hits').html('433');" in get(url)[1]
        assert b"$('#hits').html('434');" in get(url)[1]


def test_500_then_success():
    with SamplePortals(sites=["hanweb"]) as fresh:
        path = next(iter(fresh["hanweb"].fail_once))
        assert get(fresh["hanweb"].url(path))[0] == 500
        assert get(fresh["hanweb"].url(path))[0] == 200


def test_hanweb_dataproxy_pages(sp):
    site = sp["hanweb"]
    body = b"col=1&appid=1&webid=1&path=%2F&columnid=2345&unitid=68801"
    status, xml, _ = get(site.url("/module/web/jpage/dataproxy.jsp?startrecord=4&endrecord=6&perpage=3"), data=body)
    assert status == 200 and b"<totalrecord>" in xml and xml.count(b"<record>") == 3


def test_registry_rows(sp, tmp_path):
    from crawler import portals
    path = sp.write_registry(tmp_path / "p.csv")
    rows = portals.load(path)
    assert {p.platform for p in rows} >= {"trs", "hanweb", "gkmlpt", "epoint", "smallcms", "auto"}
    assert all(p.base_url.startswith("http://127.0.0.1:") for p in rows)
    vsb = next(p for p in rows if p.id == "sample-vsb")
    assert vsb.platform == "auto" and not vsb.columns   # found from the home page
