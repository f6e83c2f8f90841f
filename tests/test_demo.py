"""`xxgk demo` explains itself: every count in words, warnings collected into the summary,
the unreadable named (with the tool it lacks), files where .gitignore keeps them, and the
command that serves the demo archive."""
from __future__ import annotations

import fnmatch
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tools import needs

REPO = Path(__file__).resolve().parent.parent


def xxgk(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env=dict(os.environ, PYTHONPATH=str(REPO), **(env or {})))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    r = xxgk("demo", "--db", "demo.db", cwd=tmp)
    assert r.returncode == 0, r.stderr[-3000:]
    return tmp, r


def summary_block(stdout: str) -> str:
    return stdout[stdout.index("\nsummary ("):]


def test_every_count_says_what_it_is(demo):
    tmp, r = demo
    out = r.stdout
    # per portal: words after each number, no bare "refused 15" / "checks failed 12" columns
    empire = next(ln for ln in out.splitlines() if ln.startswith("sample-empire"))
    assert "15 link(s) refused (other sites, private addresses)" in empire
    assert "1 duplicate(s) (one report at two URLs)" in empire and "1 dead link(s)" in empire
    assert "BLOCKED by an anti-bot challenge" in next(ln for ln in out.splitlines() if ln.startswith("sample-blocked"))
    # each portal's status (db.portals.STATUSES) — the new layouts too, reached by discovery and sub-lists
    status = {ln.split(" ")[0]: ln.split(" ")[2].rstrip(":") for ln in out.splitlines() if ln.startswith("sample-")}
    assert status == {**{f"sample-{k}": "ok" for k in ("trs", "hanweb", "gkmlpt", "epoint", "empire", "phpcms", "vsb",
                                                       "years", "hub", "depts", "split", "frame", "endless", "search")},
                      "sample-blocked": "blocked"}
    for line in out.splitlines():
        assert not re.search(r"\b(refused|checks failed|dead|robots|skipped)\s+\d", line), line
    s = summary_block(out)
    assert "15 link(s) to other sites not followed" in s
    m = re.search(r"failed checks (\d+) in (\d+) reports \(([^)]*); query failed_checks\): a report's own "
                  r"numbers that do not add up", s)
    assert m, s
    named = dict((name, int(n)) for name, n in re.findall(r"(\w+) (\d+)", m.group(3)))
    con = sqlite3.connect(tmp / "demo.db")
    in_db = dict(con.execute("SELECT c.name, count(*) FROM checks c JOIN reports r ON r.version_id = c.version_id "
                             "WHERE c.status = 'fail' GROUP BY 1").fetchall())
    assert named == in_db and int(m.group(1)) == sum(in_db.values())
    assert named["litigation_after_review_total"] == 6 and named["review_total"] == 6
    words = {"infographic": "图解 / 图片版", "interpretation": "解读", "notice": "notices",
             "other_report": "other reports (not the annual report)"}
    skips = con.execute("SELECT reason, count(*) FROM crawl_log WHERE event = 'skipped' AND reason IN "
                        "('infographic', 'interpretation', 'notice', 'other_report') GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    assert len(skips) == 4
    assert (f"{sum(n for _, n in skips)} items skipped as not reports: "
            + ", ".join(f"{n} {words[r]}" for r, n in skips)) in s
    assert "1 portal(s) blocked (HTTP 412 JavaScript challenge" in s
    assert "1 link(s) disallowed by robots.txt" in s and "1 dead link(s)" in s
    assert "1 duplicate: one report at two URLs, archived once" in s
    db = tmp / "demo.db"
    n = sqlite3.connect(db).execute("SELECT count(*) FROM reports").fetchone()[0]
    assert f"  {n} reports in demo.db:" in s


def test_warnings_are_collected_into_the_summary(demo):
    _, r = demo
    assert "WARNING" not in r.stderr and "WARNING" not in r.stdout, r.stderr[-2000:]
    s = summary_block(r.stdout)
    head = re.search(r"warnings during the crawl \((\d+)\):", s)
    assert head, s
    warn = s[head.start():]
    listed = [ln for ln in warn.splitlines()[1:] if ln.startswith("  warning: ")]
    assert len(listed) == int(head.group(1)) >= 4    # a loaded machine may add a retry or a timeout
    assert "portal sample-blocked is behind a JavaScript challenge" in warn
    assert "P020240126553048.pdf" in warn and "could not be read" in warn
    assert "portal sample-frame: malformed link" in warn                 # a bad link, logged alone
    assert "portal sample-endless: column" in warn and "XXGK_MAX_LIST_PAGES" in warn
    # nothing of the per-portal part is a warning
    assert all(ln.startswith("sample-") for ln in r.stdout[:r.stdout.index("\nsummary (")].splitlines()[1:])


def test_unreadable_count_matches_the_archive(demo):
    tmp, r = demo
    con = sqlite3.connect(tmp / "demo.db")
    rows = con.execute("SELECT count(*) FROM reports WHERE kind IN ('unreadable', 'image_only')").fetchone()[0]
    files = con.execute("SELECT count(*) FROM attachments WHERE status = 'downloaded' AND parsed_kind IN "
                        "('unreadable', 'image_only') AND role IS NOT 'report'").fetchone()[0]
    assert files == 1
    assert f"  {rows + files} unreadable:" in summary_block(r.stdout)


def test_files_are_where_gitignore_keeps_them_and_the_hint_serves_the_demo(demo):
    tmp, r = demo
    assert (tmp / "demo.db.files").is_dir() and any((tmp / "demo.db.files").rglob("*.pdf"))
    patterns = [p.strip() for p in (REPO / ".gitignore").read_text("utf-8").splitlines()
                if p.strip() and not p.startswith("#")]
    for name in ("demo.db", "demo.db.files"):
        assert any(fnmatch.fnmatch(name, p.rstrip("/")) for p in patterns), name
    assert r.stdout.rstrip().endswith("browse it: xxgk serve --db demo.db")
    # `xxgk serve` without --db next to the demo archive names the command that serves it
    s = xxgk("serve", cwd=tmp)
    assert s.returncode == 2 and "xxgk serve --db demo.db" in s.stderr and "Traceback" not in s.stderr


@needs("libreoffice")
def test_without_libreoffice_the_doc_is_named_unreadable_and_reparse_reads_it_later(tmp_path):
    """The demo's DOC-only report, crawled with LibreOffice hidden from PATH, is counted and
    named as unreadable for lack of LibreOffice; once it is back, `xxgk reparse` reads it."""
    from crawler import doctor

    bare = tmp_path / "bin"
    bare.mkdir()
    for d in os.environ["PATH"].split(os.pathsep):   # the same PATH minus soffice / libreoffice
        for prog in Path(d).glob("*") if Path(d).is_dir() else []:
            if prog.name not in doctor.BY_KEY["libreoffice"].programs and not (bare / prog.name).exists():
                (bare / prog.name).symlink_to(prog)
    r = xxgk("demo", "--db", "demo.db", cwd=tmp_path, env={"PATH": str(bare)})
    assert r.returncode == 0, r.stderr[-3000:]
    s = summary_block(r.stdout)
    assert re.search(r"  2 unreadable:\n    report http://127\.0\.0\.1:\d+/\S+\.doc: DOC not read: LibreOffice "
                     r"\(soffice\) is not installed", s), s
    assert "`xxgk doctor --install` installs the missing tool, then `xxgk reparse --db demo.db`" in s
    rp = xxgk("reparse", "--db", "demo.db", cwd=tmp_path)
    assert rp.returncode == 0 and "1 unreadable or not read for lack of a tool (1 of them now readable)" in rp.stdout
    kind, = sqlite3.connect(tmp_path / "demo.db").execute(
        "SELECT kind FROM reports WHERE url LIKE '%.doc'").fetchone()
    assert kind == "report"
