"""Reports published as attachments (issue 5), crawled from the sample portals on 127.0.0.1.

* Epoint (洪泽区) lists two reports that are only a file: the real PDF of labelled/002 and
  the Word 97 file of labelled/003 — found, downloaded, parsed with their tables.
* Hanweb (淮安) publishes 文字版 pages with a 全真版 file: the real PDF of 001 and a DOCX of
  003 (copies agree), and for 002 a PDF cut short in transit (a warning, nothing lost).
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.sample_portals import SamplePortals
from crawler.sample_portals import content
from tests.tools import needs
from tests.crawl_helpers import REPO, last_run_stats, query, run_crawl


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("attach")
    with SamplePortals(sites=["hanweb", "epoint"]) as sp:
        registry = sp.write_registry(tmp / "portals.csv")
        db = tmp / "archive.db"
        run_crawl(registry, db)
        first = {k: list(s.log) for k, s in sp.sites.items()}
        stats1 = last_run_stats(db)
        sp.clear_logs()
        run_crawl(registry, db, settings={"XXGK_REVALIDATE_DAYS": "0"})
        second = {k: list(s.log) for k, s in sp.sites.items()}
        yield {"sp": sp, "db": db, "first": first, "second": second, "stats1": stats1,
               "stats2": last_run_stats(db)}


def report_row(db, url):
    rows = query(db, "SELECT r.id, r.title, r.kind, r.report_year, r.check_status, v.content_type, v.warnings "
                     "FROM reports r JOIN versions v ON v.id = r.version_id WHERE r.url = ?", url)
    assert rows, url
    return dict(zip(("id", "title", "kind", "year", "check_status", "content_type", "warnings"), rows[0]))


def tables_of(db, report_id) -> set[str]:
    return {t for (t,) in query(db, "SELECT DISTINCT c.table_name FROM cells c JOIN reports r "
                                    "ON r.version_id = c.version_id WHERE r.id = ?", report_id)}


@needs("libreoffice")   # one sample report is published only as a DOC
def test_attachment_only_reports_found_and_parsed(crawled):
    sp, db = crawled["sp"], crawled["db"]
    site = sp["epoint"]
    assert len(site.file_reports) == 2
    for e in site.file_reports:
        r = report_row(db, site.url(e.path))
        assert r["kind"] == "report" and r["title"] == e.doc.title and r["year"] == e.doc.year
        assert tables_of(db, r["id"]) == {"active_disclosure", "applications", "reviews_litigation"}
    types = {report_row(db, site.url(e.path))["content_type"] for e in site.file_reports}
    assert types == {"application/pdf", "application/msword"}
    # the real PDF reproduces its hand-checked numbers
    exp = json.loads((content.DATA / "002.expected.json").read_text("utf-8"))
    pdf = next(e for e in site.file_reports if e.path.endswith(".pdf"))
    rid = report_row(db, site.url(pdf.path))["id"]
    cells = dict(((row, col), v) for row, col, v in query(
        db, "SELECT c.row_key, c.col_key, c.value FROM cells c JOIN reports r ON r.version_id = c.version_id "
            "WHERE r.id = ? AND c.table_name = 'applications'", rid))
    for row, cols in exp["applications"].items():
        for col, v in cols.items():
            if not isinstance(v, dict):
                assert cells[(row, col)] == v, (row, col)
    assert crawled["stats1"]["xxgk/portals"]["sample-epoint"]["file_reports"] == 2


def test_attachments_table_rows(crawled):
    sp, db = crawled["sp"], crawled["db"]
    files_dir = Path(str(db) + ".files")
    rows = query(db, "SELECT a.report_id, r.url, a.url, a.sha256, a.size, a.mime, a.path, a.fetched_at, a.role, "
                     "a.status FROM attachments a JOIN reports r ON r.id = a.report_id")
    by_url = {r[2]: r for r in rows}
    served = {**{sp["epoint"].url(e.path): e.doc.file for e in sp["epoint"].file_reports},
              **{sp["hanweb"].url(p): sp["hanweb"].static[p].body for p in sp["hanweb"].copies.values()}}
    assert set(served) <= set(by_url)
    copies = sp["hanweb"].copies
    roles = {**{sp["epoint"].url(e.path): "report" for e in sp["epoint"].file_reports},
             sp["hanweb"].url(copies["001"]): "copy", sp["hanweb"].url(copies["003"]): "copy",
             sp["hanweb"].url(copies["002"]): "attachment"}       # 002: a corrupt file, not a copy
    for url, body in served.items():
        report_id, report_url, _, sha, size, mime, path, fetched_at, role, status = by_url[url]
        assert status == "downloaded" and fetched_at
        assert sha == hashlib.sha256(body).hexdigest() and size == len(body)
        assert (files_dir / path).read_bytes() == body               # stored under <archive>.files/
        assert path == f"full/{sha[:2]}/{sha}{Path(url).suffix}"
        assert mime in ("application/pdf", "application/msword",
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        assert role == roles[url]


def test_both_copies_agree(crawled):
    sp, db = crawled["sp"], crawled["db"]
    site = sp["hanweb"]
    for key in ("001", "003"):
        page = next(e for e in site.entries if e.doc.attachments and site.copies[key].endswith(e.doc.attachments[0][0]))
        r = report_row(db, site.url(page.path))
        checks = query(db, "SELECT c.status, c.detail FROM checks c JOIN reports r ON r.version_id = c.version_id "
                           "WHERE r.id = ? AND c.name = 'copies_agree'", r["id"])
        assert len(checks) == 1 and checks[0][0] == "pass", checks
        assert "cells agree" in checks[0][1]
        # both copies kept: the page in versions.raw, the file in the files folder
        assert query(db, "SELECT role, copies_check, tables FROM attachments WHERE report_id = ?", r["id"]) == [
            ("copy", "pass", 3)]


def test_corrupt_attachment_is_a_warning_and_nothing_is_lost(crawled):
    sp, db = crawled["sp"], crawled["db"]
    site = sp["hanweb"]
    page = next(e for e in site.entries if e.doc.attachments and site.copies["002"].endswith(e.doc.attachments[0][0]))
    r = report_row(db, site.url(page.path))
    assert r["kind"] == "report"
    assert tables_of(db, r["id"]) == {"active_disclosure", "applications", "reviews_litigation"}
    warnings = json.loads(r["warnings"])
    assert any("could not be read" in w and "P020240126553048.pdf" in w for w in warnings), warnings
    (row,) = query(db, "SELECT status, parsed_kind, role, error FROM attachments WHERE report_id = ?", r["id"])
    assert row[:3] == ("downloaded", "unreadable", "attachment") and "PDF" in row[3]
    assert crawled["stats1"]["xxgk/attachments/unreadable"] == 1
    # every other report of both portals is archived all the same
    expected = {s.url(e.path) for s in sp.sites.values() for e in s.expected_reports()}
    assert expected <= {u for (u,) in query(db, "SELECT url FROM reports")}


def test_each_file_fetched_once_and_not_again_when_unchanged(crawled):
    sp = crawled["sp"]
    for key, log in crawled["first"].items():
        files = [r["path"] for r in log if r["path"].endswith((".pdf", ".doc", ".docx"))]
        assert len(files) == len(set(files)), key
    # second crawl (every article re-validated): pages answer 304, so their attachments are
    # not asked again; the report files are re-validated and found unchanged
    hanweb2 = [r for r in crawled["second"]["hanweb"] if r["path"] in sp["hanweb"].copies.values()]
    assert hanweb2 == []
    s2 = crawled["stats2"]
    assert s2.get("xxgk/reports", 0) == 0
    db = crawled["db"]
    assert query(db, "SELECT count(*) FROM versions")[0][0] == query(db, "SELECT count(*) FROM reports")[0][0]


def test_attachment_requests_keep_the_manners(crawled):
    for key, log in crawled["first"].items():
        for r in log:
            if r["path"].endswith((".pdf", ".doc", ".docx")):
                assert "xxgk-archive" in r["headers"]["user-agent"]
                assert r["headers"].get("referer", "").startswith("http://127.0.0.1:")


def crafted_docx(delta: int = 1) -> tuple[bytes, str, str]:
    """report_003.docx with one number of table 3 changed (as a careless re-typing would)."""
    import docx
    d = docx.Document(io.BytesIO(content.data_file("report_003.docx")))
    table = max(d.tables, key=lambda t: len(t.rows))
    row = next(r for r in table.rows if r.cells[0].text.startswith("一、本年新收"))
    cell = row.cells[3]
    old = cell.text.strip()
    new = str(int(old) + delta)
    for p in cell.paragraphs:
        for i, run in enumerate(p.runs):
            run.text = new if i == 0 else ""
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue(), old, new


def test_copies_that_disagree_fail_naming_the_cell(tmp_path):
    body, old, new = crafted_docx()
    with SamplePortals(sites=["hanweb"]) as sp:
        site = sp["hanweb"]
        site.static[site.copies["003"]].body = body
        registry = sp.write_registry(tmp_path / "p.csv")
        db = tmp_path / "a.db"
        run_crawl(registry, db)
        page = next(e for e in site.entries if e.doc.attachments and site.copies["003"].endswith(e.doc.attachments[0][0]))
        r = report_row(db, site.url(page.path))
        (status, detail), = query(db, "SELECT c.status, c.detail FROM checks c JOIN reports r "
                                      "ON r.version_id = c.version_id WHERE r.id = ? AND c.name = 'copies_agree'", r["id"])
        assert status == "fail" and r["check_status"] == "fail"
        named = re.findall(r"((?:active_disclosure|applications|reviews_litigation)\.[\w.]+): (\S+) ≠ (\S+?)[;]?(?:\s|$)",
                           detail)
        assert named == [("applications.new_received.natural_person", old, new)], detail
        # both kept: the page's own numbers are stored, the file is in the attachments table
        (role, check, sha), = query(db, "SELECT role, copies_check, sha256 FROM attachments WHERE report_id = ?", r["id"])
        assert (role, check, sha) == ("copy", "fail", hashlib.sha256(body).hexdigest())


def test_size_limit_from_settings(tmp_path):
    with SamplePortals(sites=["hanweb"]) as sp:
        site = sp["hanweb"]
        registry = sp.write_registry(tmp_path / "p.csv")
        db = tmp_path / "a.db"
        run_crawl(registry, db, settings={"XXGK_ATTACHMENT_MAXSIZE": "100000"})
        big = site.url(site.copies["001"])                     # the real PDF, 412 kB
        (status, error, sha), = query(db, "SELECT status, error, sha256 FROM attachments WHERE url = ?", big)
        assert status == "failed" and sha is None and error
        expected = {site.url(e.path) for e in site.expected_reports()}
        assert expected <= {u for (u,) in query(db, "SELECT url FROM reports")}   # the page is kept


@needs("libreoffice")   # one sample report is published only as a DOC
def test_demo_stores_attachment_only_reports(tmp_path):
    db = tmp_path / "demo.db"
    r = subprocess.run([sys.executable, "-m", "crawler.cli", "demo", "--db", str(db)], cwd=REPO,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "2 reports read from a file" in r.stdout and "5 attachment files in" in r.stdout, r.stdout[-800:]
    rows = query(db, "SELECT r.id, r.title FROM attachments a JOIN reports r ON r.id = a.report_id "
                     "WHERE a.role = 'report'")
    assert {t for _, t in rows} == {"洪泽区人民政府2023年政府信息公开工作年度报告",
                                    "淮安市洪泽区人民政府2024年政府信息公开工作年度报告"}
    for rid, _ in rows:
        assert tables_of(db, rid) == {"active_disclosure", "applications", "reviews_litigation"}


def test_wrapper_page_takes_the_report_from_its_attachment(tmp_path):
    """A page that is only a title and an 附件 link: the report is read from the file."""
    from types import SimpleNamespace

    from crawler.itempipelines import ParsePipeline
    from crawler.items import ReportPage

    pdf = content.data_file("001.pdf")
    (tmp_path / "001.pdf").write_bytes(pdf)
    title = "淮安市人民政府2024年政府信息公开工作年度报告"
    page = (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1>"
            f"<p>发布日期：2025-03-28</p><p>附件：<a href='/f/001.pdf'>{title}.pdf</a></p></body></html>").encode()
    counted = {}
    spider = SimpleNamespace(count=lambda p, k, n=1: counted.__setitem__(k, counted.get(k, 0) + n))
    stats = SimpleNamespace(inc_value=lambda k, n=1: counted.__setitem__(k, counted.get(k, 0) + n))
    pipe = ParsePipeline(SimpleNamespace(stats=stats, spider=spider))
    item = ReportPage(portal="p", region_code="320800", platform="hanweb", url="http://h/a.html",
                      final_url="http://h/a.html", http_status=200, headers={}, body=page, encoding="utf-8",
                      list_title=title, attachments=[{"url": "http://h/f/001.pdf", "text": title + ".pdf"}])
    item.files = [{"url": "http://h/f/001.pdf", "status": "downloaded", "abspath": str(tmp_path / "001.pdf")}]
    rec = pipe.process_item(item).record
    assert rec["kind"] == "report" and rec["report_file"] == "http://h/f/001.pdf"
    assert all(rec.get(t) for t in ("active_disclosure", "applications", "reviews_litigation"))
    assert item.files[0]["role"] == "report" and counted["xxgk/reports_from_attachment"] == 1
    assert any("read from its attachment" in w for w in rec["warnings"])
