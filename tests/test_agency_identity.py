"""One agency per body (issue 15): the spellings the corpus and the sample portals really use
for one body get one identity key; different bodies keep theirs; merges are recorded and can
be undone."""
from __future__ import annotations

import pytest

from db import identity
from db.register import refresh
from db.store import Archive

# (region the agency is linked to, spellings of one body) — as published: the labelled corpus
# names 淮安市洪泽区人民政府 and 洪泽区人民政府 for the same 2023/2024 reports; 吉林市林业局 (corpus)
# is 市林业局 on its portal; 政府办公室 / 人民政府办 are both in use for the office
SAME = [
    ("320813", ["淮安市洪泽区人民政府", "洪泽区人民政府", "江苏省淮安市洪泽区人民政府", "洪泽区政府",
                "淮安市 洪泽区人民政府"]),
    ("220200", ["吉林市林业局", "市林业局", "吉林省吉林市林业局"]),
    ("411424", ["柘城县人民政府办公室", "柘城县政府办", "柘城县人民政府办"]),
    ("654224", ["托里县政务服务中心", "塔城地区托里县政务服务中心", "新疆托里县政务服务中心"]),
    ("411424", ["柘城县“互联网+”经济发展促进中心", "柘城县 \"互联网+\"经济发展促进中心"]),
]
APART = [
    (("洪泽区人民政府", "320813"), ("洪泽区教育局", "320813")),
    (("淮安市人民政府", "320800"), ("洪泽区人民政府", "320813")),
    (("托里县教育局", "654224"), ("洪泽区教育局", "320813")),
    (("塔城市财政局", "654224"), ("托里县财政局", "654224")),  # names another region: kept whole
    (("柘城县财政局", "411424"), ("柘城县地方税务局", "411424")),
]


@pytest.mark.parametrize("code,names", SAME)
def test_spellings_of_one_body_share_a_key(code, names):
    keys = {identity.identity_key(n, code) for n in names}
    assert len(keys) == 1 and None not in keys, keys


@pytest.mark.parametrize("a,b", APART)
def test_different_bodies_keep_apart(a, b):
    assert identity.identity_key(*a) != identity.identity_key(*b)


def test_no_key_without_a_region():
    assert identity.identity_key("洪泽区人民政府", None) is None
    assert identity.identity_key(None, "320813") is None
    assert identity.identity_key("淮安市洪泽区人民政府", "320813") == "320813|政府"
    assert identity.identity_key("柘城县人民政府办公室", "411424") == "411424|政府办"


def _store(a, name, year, code, url):
    a.store({"title": f"{name}{year}年政府信息公开工作年度报告", "agency": name, "report_year": year,
             "publish_date": f"{year + 1}-01-20"}, url.encode(), {"url": url, "region_code": code})


def test_merge_recorded_and_reversible(tmp_path):
    a = Archive(tmp_path / "a.db")
    _store(a, "洪泽区人民政府", 2022, "320813", "http://t.invalid/hz/2022")
    _store(a, "淮安市洪泽区人民政府", 2023, "320800", "http://t.invalid/hz/2023")
    _store(a, "洪泽区教育局", 2023, "320813", "http://t.invalid/hz/edu")
    _store(a, "淮安市洪泽区教育局", 2024, "320813", "http://t.invalid/hz/edu2024")
    refresh(a)
    db = a.db
    rows = {name: (i, key, merged, entity) for i, name, key, merged, entity in db.execute(
        "select id, name, identity_key, merged_into, entity_key from agencies").fetchall()}
    gov, gov2 = rows["洪泽区人民政府"], rows["淮安市洪泽区人民政府"]
    edu, edu2 = rows["洪泽区教育局"], rows["淮安市洪泽区教育局"]
    assert gov[1] == gov2[1] == "320813|政府" and gov2[2] == gov[0] and gov[2] is None
    assert edu2[2] == edu[0] and edu2[3] == edu[3] == f"agency:{edu[0]}"
    # every spelling kept, each merge recorded
    aliases = {n for (n,) in db.execute("select name from agency_aliases")}
    assert aliases == set(rows)
    merges = db.execute("select agency_id, into_agency_id, identity_key, undone_at from agency_merges "
                        "order by id").fetchall()
    assert merges == [(gov2[0], gov[0], "320813|政府", None), (edu2[0], edu[0], "320813|教育局", None)]
    # one row per body in publishers, with every spelling and the reports of all of them
    bodies = {r[0]: r[1:] for r in db.execute("select agency_id, spellings, reports from publishers")}
    assert set(bodies) == {gov[0], edu[0]}
    assert set(bodies[gov[0]][0].split(" / ")) == {"洪泽区人民政府", "淮安市洪泽区人民政府"} and bodies[gov[0]][1] == 2
    # the coverage register sees one department with two years
    years = db.execute("select report_year, status from coverage_agencies where entity_key = ? "
                       "order by report_year", (edu[3],)).fetchall()
    assert [y for y, s in years if s != "missing"] == [2023, 2024]
    # undone: its own publisher again, and a later refresh keeps it apart
    assert identity.unmerge(a.db, edu2[0]) is True
    refresh(a)
    merged, entity = db.execute("select merged_into, entity_key from agencies where id = ?", (edu2[0],)).fetchone()
    assert merged is None and entity == f"agency:{edu2[0]}"
    assert db.execute("select undone_at is not null from agency_merges where agency_id = ?",
                      (edu2[0],)).fetchone() == (1,)
    assert identity.unmerge(a.db, edu2[0]) is False
    # refreshing again adds no merge
    refresh(a)
    assert db.execute("select count(*) from agency_merges").fetchone() == (2,)


def test_older_archive_gets_labels_and_identity(tmp_path):
    """An archive from before the reader's migrations: opened, it has the labels, the pivots and
    the identity columns; its next refresh merges its spellings."""
    from db import labels, schema

    path = tmp_path / "old.db"
    before = [f for _, f in schema.MIGRATIONS].index(schema._m_reader_labels)
    db = schema.open_archive(path, target=before)
    assert "labels" not in db.table_names() and "identity_key" not in db["agencies"].columns_dict
    db.close()
    a = Archive(path)
    assert a.db.execute("select count(*) from labels").fetchone() == (len(labels.LABELS),)
    assert {"applications_by_row", "reviews_by_block", "active_disclosure_by_row", "publishers"} <= set(a.db.view_names())
    _store(a, "洪泽区人民政府", 2022, "320813", "http://t.invalid/old/2022")
    _store(a, "淮安市洪泽区人民政府", 2023, "320813", "http://t.invalid/old/2023")
    refresh(a)
    assert a.db.execute("select count(*) from publishers").fetchone() == (1,)
