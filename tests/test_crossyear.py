"""Cross-year checks and text reuse (issue 7) on crafted fixtures: every check passes for a
publisher whose years agree, and fails (or warns) for one whose years contradict each other."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from db.crossyear import compare, run_cross_year_checks
from db.textreuse import similarity
from tests.test_crossyear_fixtures import FIXTURES, build

REPO = Path(__file__).resolve().parent.parent
ALL_CHECKS = {"crossyear_carried_over", "crossyear_in_force_regulations", "crossyear_in_force_normative",
              "crossyear_jump_applications", "crossyear_jump_reviews", "crossyear_jump_litigation",
              "crossyear_jump_licensing", "crossyear_jump_punishment", "crossyear_text_reuse"}


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return build(tmp_path_factory.mktemp("crossyear") / "archive.db")


def checks_of(archive, agency: str, year: int) -> dict[str, tuple[str, str]]:
    rows = archive.db.execute(
        """SELECT k.name, k.status, k.detail FROM checks k
           JOIN reports r ON r.id = k.report_id AND r.version_id = k.version_id
           JOIN agencies a ON a.id = r.agency_id
           WHERE a.name = ? AND r.report_year = ? AND k.name LIKE 'crossyear%'""", (agency, year)).fetchall()
    out = {n: (s, d) for n, s, d in rows}
    assert len(out) == len(rows), "one row per check"
    return out


def test_consistent_years_pass_every_check(archive):
    for year in (2022, 2023):
        got = checks_of(archive, "托里县自然资源局", year)
        assert set(got) == ALL_CHECKS, (year, set(got) ^ ALL_CHECKS)
        assert {s for s, _ in got.values()} == {"pass"}, got
    # the first year has nothing to compare with
    assert checks_of(archive, "托里县自然资源局", 2021) == {}
    detail = checks_of(archive, "托里县自然资源局", 2023)["crossyear_in_force_normative"][1]
    assert "9 + 2023 made 1 − repealed 0 = 10 = 2023 in_force 10" in detail


def test_contradicting_years_fail_every_check(archive):
    got = checks_of(archive, "托里县交通运输局", 2023)
    assert got["crossyear_carried_over"][0] == "fail"
    assert "carried_over.total 7" in got["crossyear_carried_over"][1]
    assert "carried_forward.total 2" in got["crossyear_carried_over"][1]
    assert got["crossyear_in_force_regulations"][0] == "fail"
    assert got["crossyear_in_force_normative"][0] == "fail"
    assert "≠ 2023 in_force 20" in got["crossyear_in_force_normative"][1]
    assert got["crossyear_jump_applications"][0] == "warn"
    assert "50 → 2023 600" in got["crossyear_jump_applications"][1]
    assert got["crossyear_jump_reviews"][0] == "warn"
    assert got["crossyear_jump_licensing"][0] == "pass"
    assert got["crossyear_text_reuse"][0] == "warn"
    assert "总体情况" in got["crossyear_text_reuse"][1]
    # the report's overall status shows it
    status = archive.db.execute(
        "SELECT check_status FROM reports WHERE title = '托里县交通运输局2023年政府信息公开工作年度报告'").fetchone()[0]
    assert status == "fail"


def test_carried_over_columns_differ_warns(archive):
    status, detail = checks_of(archive, "托里县教育局", 2023)["crossyear_carried_over"]
    assert status == "warn" and "natural_person 1≠2" in detail


def test_gap_year_compares_text_not_numbers(archive):
    got = checks_of(archive, "托里县民政局", 2023)
    assert set(got) == {"crossyear_text_reuse"} and got["crossyear_text_reuse"][0] == "warn"
    assert "2021" in got["crossyear_text_reuse"][1]


def test_government_name_variants_are_one_publisher(archive):
    keys = {k for (k,) in archive.db.execute(
        "SELECT entity_key FROM agencies WHERE name IN ('托里县人民政府', '塔城地区托里县人民政府')")}
    assert keys == {"gov:654224"}
    got = checks_of(archive, "塔城地区托里县人民政府", 2023)
    assert got["crossyear_carried_over"][0] == "pass"
    assert got["crossyear_text_reuse"][0] == "pass"


def test_levels_and_links(archive):
    rows = {n: (lvl, code) for n, lvl, code in archive.db.execute(
        "SELECT name, level, linked_region_code FROM agencies")}
    assert rows["托里县人民政府"] == ("government", "654224")
    assert rows["托里县托里镇人民政府"] == ("township", "654224")
    assert rows["托里县交通运输局"] == ("department", "654224")
    assert rows["湖滨区人民政府"] == ("government", "411202")


def test_rerun_is_idempotent_and_jump_factor_configurable(archive):
    def count():
        return archive.db.execute("SELECT count(*) FROM checks WHERE name LIKE 'crossyear%'").fetchone()[0]
    before = count()
    run_cross_year_checks(archive)
    assert count() == before
    n_sim = archive.db.execute("SELECT count(*) FROM section_similarity").fetchone()[0]
    # one publisher only, with a factor so large that nothing jumps
    agency_id = archive.db.execute("SELECT id FROM agencies WHERE name = '托里县交通运输局'").fetchone()[0]
    run_cross_year_checks(archive, agency_id=agency_id, jump_factor=100)
    assert checks_of(archive, "托里县交通运输局", 2023)["crossyear_jump_applications"][0] == "pass"
    assert count() == before
    assert archive.db.execute("SELECT count(*) FROM section_similarity").fetchone()[0] == n_sim
    run_cross_year_checks(archive, agency_id=agency_id)
    assert checks_of(archive, "托里县交通运输局", 2023)["crossyear_jump_applications"][0] == "warn"


def test_new_version_of_last_year_rechecks(archive):
    """Correcting last year's report (a new version) and rerunning replaces the failure: the
    totals agree now (the applicant columns still do not: a warning)."""
    from tests.test_crossyear_fixtures import base_record, variant

    base = base_record()
    fixed = variant(base, "托里县交通运输局", 2022, "2023-01-30", changes={
        ("applications", "carried_forward", "total"): 7})
    res = archive.store(fixed, b"corrected 2022", {"url": "http://test.invalid/托里县交通运输局/2022.html",
                                                   "region_code": "654224"})
    assert res.status == "changed"
    run_cross_year_checks(archive, agency_id=archive.db.execute(
        "SELECT agency_id FROM reports WHERE id = ?", (res.report_id,)).fetchone()[0])
    status, detail = checks_of(archive, "托里县交通运输局", 2023)["crossyear_carried_over"]
    assert status == "warn" and "carried_forward.total 7" in detail


def test_text_reuse_rows_and_query(archive):
    import json

    rows = archive.db.execute(
        """SELECT s.section_number, s.jaccard, s.prev_year FROM section_similarity s
           JOIN reports r ON r.id = s.report_id JOIN agencies a ON a.id = r.agency_id
           WHERE a.name = '托里县交通运输局' AND s.report_year = 2023""").fetchall()
    assert {n for n, _, _ in rows} == {1, 2, 3, 4, 5, 6}
    assert all(j >= 0.99 and py == 2022 for n, j, py in rows if n in (1, 5))
    meta = json.loads((REPO / "metadata.json").read_text("utf-8"))
    sql = meta["databases"]["archive"]["queries"]["text_reuse"]["sql"]
    listed = {r[2] for r in archive.db.execute(sql).fetchall()}
    assert "托里县交通运输局" in listed and "托里县自然资源局" not in listed


def test_text_reuse_rows_follow_reparsed_sections(tmp_path):
    """A refresh keeps the text-reuse rows of an unchanged pair of versions (their
    sections_hash) and compares again a pair whose sections changed (a re-parse): the rows are
    those a comparison from scratch gives."""
    from db.register import refresh
    from tests.test_crossyear_fixtures import base_record, variant

    archive = build(tmp_path / "archive.db")
    db = archive.db
    name = "托里县自然资源局"
    aid, vid = db.execute("SELECT a.id, r.version_id FROM reports r JOIN agencies a ON a.id = r.agency_id "
                          "WHERE a.name = ? AND r.report_year = 2023", (name,)).fetchone()

    def rows():
        return db.execute("SELECT * FROM section_similarity ORDER BY version_id, section_number").fetchall()

    def jaccard(number):
        return db.execute("SELECT jaccard FROM section_similarity WHERE version_id = ? AND section_number = ?",
                          (vid, number)).fetchone()[0]

    assert jaccard(1) < 0.8                  # 2023's own prose
    kept = rows()
    refresh(archive, agency_ids=[aid])      # nothing changed: the same rows, not compared again
    assert rows() == kept
    # 2023 re-parsed as the 2022 text (the base's prose): compared again
    again = variant(base_record(), name, 2023, "2024-02-15")
    archive.reparse(parse=lambda *a, **k: again, version_ids=[vid])
    refresh(archive, agency_ids=[aid])
    assert jaccard(1) == 1.0
    # a new version of the 2022 report: 2022's rows and 2023's are those of the new pairing
    old_2022 = db.execute("SELECT r.version_id FROM reports r WHERE r.agency_id = ? AND r.report_year = 2022",
                          (aid,)).fetchone()[0]
    archive.store(variant(base_record(), name, 2022, "2023-01-18"), b"2022 edited",
                  {"url": f"http://test.invalid/{name}/2022.html", "region_code": "654224"})
    refresh(archive, agency_ids=[aid])
    assert db.execute("SELECT count(*) FROM section_similarity WHERE version_id = ? OR prev_version_id = ?",
                      (old_2022, old_2022)).fetchone() == (0,)
    after = rows()
    with db.atomic():   # from scratch: no rows, and no record of what was compared
        db.execute("DELETE FROM section_similarity")
        db.execute("DELETE FROM crossyear_state")
    refresh(archive)
    assert rows() == after


def test_similarity_measure():
    a = "本年度共收到申请12件，全部按期答复。存在问题是解读形式单一，下一步将加强培训。"
    b = "本年度共收到申请35件，全部按期答复。存在问题是解读形式单一，下一步将加强培训。"
    jac, cont, n, pn = similarity(a, b)
    assert jac == 1.0 and cont == 1.0  # only the number changed
    jac, _, _, _ = similarity(a, "今年重点推进政务服务事项标准化建设，新建便民查阅点八处。")
    assert jac < 0.1
    assert similarity("", "x")[0] is None


def test_text_reuse_normalises_as_nfkc(shared_dir):
    """textreuse.nfkc (full-width forms mapped first, the rest only when needed) is NFKC: on
    every corpus text and on random strings of the characters NFKC changes or composes."""
    import random
    import unicodedata

    from db.textreuse import nfkc

    texts = [p.read_text("utf-8", errors="replace") for p in sorted(shared_dir.rglob("*"))
             if p.suffix in (".txt", ".html", ".htm")]
    assert len(texts) > 10 and sum(map(len, texts)) > 500_000
    rng = random.Random(7)
    pool = [chr(c) for c in [*range(0x20, 0x7F), *range(0xFF01, 0xFF5F), 0x3000, 0x0301, 0x0308, 0x0323,
                             0x2460, 0x2474, 0x3220, 0xFF76, 0xFF9E, 0x30AB, 0x3099, 0x1100, 0x1161,
                             0x4E00, 0x2F00, 0xFB01, 0x00BD, 0x212B, 0x1E9B, 0x3002, 0x2026]]
    texts += ["".join(rng.choice(pool) for _ in range(rng.randint(0, 12))) for _ in range(20000)]
    assert [nfkc(t) for t in texts] == [unicodedata.normalize("NFKC", t) for t in texts]


def test_compare_skips_missing_inputs():
    assert compare({}, {}, 2023, 5, 20) == []
    cur = {("applications", "carried_over", "total"): 3}
    prev = {("applications", "carried_forward", "total"): 3}
    (check,) = compare(cur, prev, 2023, 5, 20)
    assert check["name"] == "crossyear_carried_over" and check["status"] == "pass"
    (check,) = compare({("applications", "new_received", "total"): 19},
                       {("applications", "new_received", "total"): 0}, 2023, 5, 20)
    assert check["status"] == "pass"  # below the minimum size
    (check,) = compare({("applications", "new_received", "total"): 25},
                       {("applications", "new_received", "total"): 0}, 2023, 5, 20)
    assert check["status"] == "warn"


def test_xxgk_load_runs_cross_year_checks(tmp_path, shared_dir):
    """`xxgk load` runs the register after storing: the two 洪泽区 governments (2023 and 2024,
    differently named) are one publisher, and their cross-year checks are stored."""
    db = tmp_path / "load.db"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-m", "crawler.cli", "load", str(shared_dir / "corpus/labelled"),
                          str(FIXTURES), "--db", str(db)], check=True, env=env, capture_output=True, text=True)
    assert "cross-year checks:" in out.stdout
    from db.store import Archive

    a = Archive(db)
    names = {r[0] for r in a.db.execute(
        """SELECT k.name FROM checks k JOIN reports r ON r.id = k.report_id
           JOIN agencies ag ON ag.id = r.agency_id
           WHERE ag.entity_key = 'gov:320813' AND k.name LIKE 'crossyear%'""")}
    assert {"crossyear_carried_over", "crossyear_in_force_normative", "crossyear_jump_applications"} <= names
    assert a.db.execute("SELECT count(*) FROM registry_portals").fetchone()[0] >= 1


def test_only_reports_whose_inputs_changed_are_compared_again(tmp_path):
    """A refresh compares again only the reports whose inputs changed (their version, the
    version they are compared with, the settings): a new version of one year's report redoes
    that year and the next, the rest keep their rows — and the result is what a run from
    scratch (no crossyear_state) gives, row for row."""
    from tests.test_crossyear_fixtures import base_record, variant

    archive = build(tmp_path / "a.db")
    db = archive.db

    def rows():
        return sorted(db.execute("SELECT report_id, version_id, name, status, detail FROM checks "
                                 "WHERE name LIKE 'crossyear%'").fetchall()) + sorted(
            db.execute("SELECT * FROM section_similarity").fetchall())

    n_primary = db.execute("SELECT count(*) FROM crossyear_state").fetchone()[0]
    assert n_primary > 0
    again = run_cross_year_checks(archive)
    assert again.get("checks", 0) == 0 and again["unchanged"] == n_primary   # nothing changed: nothing compared
    fixed = variant(base_record(), "托里县交通运输局", 2022, "2023-01-30",
                    changes={("applications", "carried_forward", "total"): 7})
    res = archive.store(fixed, b"corrected 2022 again", {"url": "http://test.invalid/托里县交通运输局/2022.html",
                                                         "region_code": "654224"})
    agency = db.execute("SELECT agency_id FROM reports WHERE id = ?", (res.report_id,)).fetchone()[0]
    years = {y for (y,) in db.execute("SELECT report_year FROM reports WHERE agency_id = ?", (agency,))}
    result = run_cross_year_checks(archive, agency_id=agency)
    redone = {y for y in years if y in (2022, 2023)}
    assert result["unchanged"] == len(years) - len(redone)            # 2022 (new version) and 2023 only
    incremental = rows()
    # settings changed: every report compared again
    assert run_cross_year_checks(archive, jump_factor=100).get("unchanged", 0) == 0
    run_cross_year_checks(archive)
    with db.atomic():
        db.execute("DELETE FROM crossyear_state")
    run_cross_year_checks(archive)
    assert rows() == incremental


def test_checks_false_links_agencies_without_comparing(tmp_path):
    """refresh(checks=False): the agencies are linked to their regions (what the register and the
    dashboards read) and no report is compared — a bulk load's first refresh, checks later."""
    from db.register import refresh

    archive = build(tmp_path / "a.db")
    db = archive.db
    with db.atomic():
        db.execute("DELETE FROM checks WHERE name LIKE 'crossyear%'")
        db.execute("DELETE FROM crossyear_state")
        db.execute("UPDATE agencies SET linked_region_code = NULL, entity_key = NULL")
    result = refresh(archive, checks=False)
    assert result.get("checks", 0) == 0
    assert db.execute("SELECT count(*) FROM checks WHERE name LIKE 'crossyear%'").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM agencies WHERE linked_region_code IS NULL").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM agencies WHERE entity_key IS NULL").fetchone()[0] == 0
    refresh(archive)     # the checks, later
    assert db.execute("SELECT count(*) FROM checks WHERE name LIKE 'crossyear%'").fetchone()[0] > 0
