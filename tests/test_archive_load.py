"""`xxgk load`: saved files and folders into the archive, idempotently, with the hand-checked numbers."""
from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from crawler.cli import main
from db import schema, search
from db.store import iter_cells

pytest.importorskip("pipelines")


def _dump(path):
    conn = sqlite3.connect(path)
    try:
        return [line for line in conn.iterdump()]
    finally:
        conn.close()


def test_load_folders_twice_and_numbers(tmp_path, shared_dir, capsys):
    db = tmp_path / "archive.db"
    paths = [str(shared_dir / "seed"), str(shared_dir / "corpus/labelled")]
    assert main(["load", *paths, "--db", str(db)]) == 0
    out = capsys.readouterr()
    assert "4 new" in out.out
    assert "skipping" in out.err and "001.pdf" in out.err  # one line per skipped file
    first = _dump(db)
    assert main(["load", *paths, "--db", str(db)]) == 0
    assert "4 unchanged" in capsys.readouterr().out
    assert _dump(db) == first  # loading the same files twice changes nothing

    conn = sqlite3.connect(db)
    pairs = [(shared_dir / "seed/tuoli-2023-report.txt", shared_dir / "seed/tuoli-2023-report.expected.json")]
    pairs += [(p.with_name(p.name.replace(".expected.json", ".txt")), p)
              for p in sorted((shared_dir / "corpus/labelled").glob("*.expected.json"))]
    for txt, exp in pairs:
        want = {(t, r, k): v for t, r, k, v, _, _ in iter_cells(json.loads(exp.read_text("utf-8")))}
        got = {(t, r, k): v for t, r, k, v in conn.execute(
            "SELECT table_name, row_key, col_key, value FROM cells c JOIN reports r ON r.version_id = c.version_id "
            "WHERE r.url = ?", (txt.resolve().as_uri(),))}
        assert {k: got.get(k) for k in want} == want, txt.name
    seed = conn.execute("SELECT title, clicks, report_year FROM reports WHERE url LIKE '%tuoli%'").fetchone()
    assert seed == ("托里县政务服务中心2023年政府信息公开工作年度报告", 433, 2023)


def test_load_errors(tmp_path, capsys):
    assert main(["load", str(tmp_path / "missing"), "--db", str(tmp_path / "a.db")]) == 2
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "x.pdf").write_bytes(b"%PDF")   # a named file is parsed whatever its name: refused as parse does
    assert main(["load", str(tmp_path / "x.pdf"), "--db", str(tmp_path / "a.db")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "refused" in err and "x.pdf: PDF damaged" in err


def test_serve_missing_db(tmp_path, capsys):
    assert main(["serve", "--db", str(tmp_path / "nope.db")]) == 2
    assert "no such archive" in capsys.readouterr().err


def test_load_takes_original_url_from_sidecars(tmp_path, shared_dir, capsys):
    """A sidecar NAME.source.json or a manifest.json (in the folder or above) gives the URL."""
    seed = (shared_dir / "seed/tuoli-2023-report.txt").read_bytes()
    corpus = tmp_path / "corpus"
    (corpus / "docs").mkdir(parents=True)
    (corpus / "labelled").mkdir()
    (corpus / "docs/a.txt").write_bytes(seed)
    (corpus / "manifest.json").write_text(json.dumps(
        [{"file": "docs/a.txt", "source": {"original_url": "http://www.example.gov.cn/a.html"}}]), "utf-8")
    (corpus / "labelled/b.txt").write_bytes(seed + b"\n")
    (corpus / "labelled/b.source.json").write_text(json.dumps({"original_url": "http://x.gov.cn/b.htm"}), "utf-8")
    (corpus / "labelled/c.txt").write_bytes(seed + b"\n\n")
    (corpus / "labelled/c.source.json").write_text(json.dumps({"source": {"repo": "r", "path": "p"}}), "utf-8")
    db = tmp_path / "a.db"
    assert main(["load", str(corpus), "--db", str(db)]) == 0
    assert "3 new" in capsys.readouterr().out
    urls = {r[0] for r in sqlite3.connect(db).execute("SELECT url FROM reports")}
    assert urls == {"http://www.example.gov.cn/a.html", "http://x.gov.cn/b.htm",
                    (corpus / "labelled/c.txt").resolve().as_uri()}
    # loading again (or a folder below the manifest) changes nothing
    assert main(["load", str(corpus / "docs"), "--db", str(db)]) == 0
    assert "1 unchanged" in capsys.readouterr().out


def test_reparse_applies_a_new_parser_without_recrawling(tmp_path, shared_dir, capsys):
    from pipelines import PARSER_VERSION

    db = tmp_path / "a.db"
    assert main(["load", str(shared_dir / "seed"), "--db", str(db)]) == 0
    conn = sqlite3.connect(db)
    conn.execute("ATTACH DATABASE ? AS xxgk_search", (f"{db}-search",))   # the search index's file
    want = conn.execute("SELECT * FROM cells ORDER BY 1, 2, 3, 4, 5").fetchall()
    sections = conn.execute("SELECT id, number, heading, text FROM sections ORDER BY id").fetchall()
    # as an older parser left it: other version, fewer cells, no sections, no checks
    with conn:
        conn.execute("UPDATE versions SET parser_version = '0.9'")
        conn.execute("DELETE FROM cells WHERE table_name = 'applications'")
        conn.execute("UPDATE cells SET value = value + 1")
        conn.execute("DELETE FROM sections")
        conn.execute("DELETE FROM checks")
        conn.execute("UPDATE reports SET title = 'old title', check_status = NULL")
        # and an index that no longer matches the text (plain sqlite3: trigram is built in)
        for name in ("search_text", "search_short"):
            conn.execute(f"INSERT INTO {name}({name}) VALUES ('delete-all')")
    assert conn.execute("SELECT count(*) FROM search_short WHERE search_short MATCH ?",
                        ('"复\x01议"',)).fetchone()[0] == 0
    conn.close()
    capsys.readouterr()
    assert main(["reparse", "--db", str(db)]) == 0
    assert "1 version(s) re-parsed" in capsys.readouterr().out
    conn = sqlite3.connect(db)
    conn.execute("ATTACH DATABASE ? AS xxgk_search", (f"{db}-search",))
    assert conn.execute("SELECT * FROM cells ORDER BY 1, 2, 3, 4, 5").fetchall() == want
    assert conn.execute("SELECT id, number, heading, text FROM sections ORDER BY id").fetchall() == sections
    assert conn.execute("SELECT parser_version FROM versions").fetchall() == [(PARSER_VERSION,)]
    assert conn.execute("SELECT title FROM reports").fetchone()[0] == "托里县政务服务中心2023年政府信息公开工作年度报告"
    assert conn.execute("SELECT count(*) FROM checks").fetchone()[0] > 0
    assert conn.execute("SELECT count(*) FROM versions").fetchone()[0] == 1  # no new version
    # the search index follows the new sections and title (rebuilt after re-parsing)
    vid = conn.execute("SELECT version_id FROM reports").fetchone()[0]
    assert conn.execute("SELECT rowid FROM search_short WHERE search_short MATCH '\"复' || char(1) || '议\"'"
                        ).fetchall() == [(vid,)]
    assert conn.execute("SELECT rowid FROM search_text WHERE search_text MATCH '\"政务服务中心\"'"
                        ).fetchall() == [(vid,)]
    assert conn.execute("SELECT rowid FROM search_text WHERE title MATCH '\"old title\"'").fetchall() == []
    assert conn.execute("SELECT count(*) FROM search_pending").fetchone()[0] == 0
    db_ = schema.connect(db)  # with the search's SQL functions
    hit, params = search.section_hit("复议")
    hits = {r[0] for r in db_.execute(f"SELECT id FROM sections WHERE {hit}", params)}
    assert hits == {s[0] for s in sections if "复议" in f"{s[2] or ''}\n{s[3] or ''}"}
    assert hits
    hit, params = search.report_hit("政务服务中心 复议")
    assert db_.execute(f"SELECT count(*) FROM reports WHERE {hit}", params).fetchone()[0] == 1
    db_.close()
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    # nothing left to do
    assert main(["reparse", "--db", str(db)]) == 0
    assert "0 version(s) re-parsed" in capsys.readouterr().out


def _xxgk(*args):
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], capture_output=True, timeout=120)


def test_load_stays_in_its_folder_and_stores_only_what_parse_accepts(tmp_path, shared_dir, capsys):
    """issue 13/14: `xxgk load` = `xxgk parse` + store, inside the folders it is given."""
    import os
    import random

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd.txt").write_text("root:x:0:0:root:/root:/bin/bash\n", "utf-8")
    (outside / "secret.txt").write_bytes((shared_dir / "seed/tuoli-2023-report.txt").read_bytes())
    folder = tmp_path / "in"
    folder.mkdir()
    good = folder / "good.txt"
    good.write_bytes((shared_dir / "seed/tuoli-2023-report.txt").read_bytes())
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.html").write_bytes(b"  \n\t ")
    (folder / "random.html").write_bytes(random.Random(14).randbytes(5000))
    (folder / "link-out.txt").symlink_to(outside / "secret.txt")
    (folder / "passwd.txt").symlink_to(outside / "passwd.txt")
    (folder / "dir-out").symlink_to(outside, target_is_directory=True)
    (folder / "link-in.txt").symlink_to(good)       # inside: the same file, loaded once
    os.mkfifo(folder / "fifo.txt")
    db = tmp_path / "a.db"
    assert main(["load", str(folder), "--db", str(db)]) == 1
    out, err = capsys.readouterr()
    refused = [ln for ln in err.splitlines() if "refused" in ln]
    names = {"empty.txt": "empty file", "blank.html": "empty file", "random.html": "not a report document",
             "link-out.txt": "symbolic link out of", "passwd.txt": "symbolic link out of",
             "dir-out": "symbolic link out of", "fifo.txt": "not a regular file"}
    assert len(refused) == len(names), err
    for name, why in names.items():
        assert any(f"{name}:" in ln and why in ln for ln in refused), (name, err)
    assert "1 new" in out and "7 refused" in out
    conn = sqlite3.connect(db)
    assert [r[0] for r in conn.execute("SELECT url FROM reports")] == [good.resolve().as_uri()]
    raw = b"".join(bytes(r[0]) for r in conn.execute("SELECT raw FROM versions"))
    assert b"root:x:0" not in raw


def test_load_and_parse_refuse_the_same(tmp_path, shared_dir):
    """Each input: `xxgk parse` fails exactly when `xxgk load` refuses it (and stores nothing)."""
    import random

    cases = {
        "seed.txt": (shared_dir / "seed/tuoli-2023-report.txt").read_bytes(),
        "empty.html": b"",
        "random.txt": random.Random(1).randbytes(3000),
        "broken.pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        "broken.docx": b"PK\x03\x04" + b"\x00" * 60,
        "page.html": "<html><body><p>某县人民政府关于开展2024年度工作的通知</p></body></html>".encode(),
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        parsed = _xxgk("parse", str(path))
        db = tmp_path / f"{name}.db"
        loaded = _xxgk("load", str(path), "--db", str(db))
        n = sqlite3.connect(db).execute("SELECT count(*) FROM reports").fetchone()[0]
        if parsed.returncode == 0:
            assert loaded.returncode == 0 and n == 1, (name, loaded.stderr)
        else:
            assert loaded.returncode == 1 and n == 0, (name, loaded.stderr)
            reason = parsed.stderr.decode().strip().split(": ", 2)[-1]
            assert reason in loaded.stderr.decode(), (name, parsed.stderr, loaded.stderr)
    assert _xxgk("parse", str(tmp_path / "seed.txt")).returncode == 0
    assert _xxgk("parse", str(tmp_path / "random.txt")).returncode != 0


def test_devices_and_size_limits(tmp_path, monkeypatch, capsys):
    """`/dev/zero` is refused unread (parse and load); a file over the download limit too."""
    import time

    from crawler import settings
    from pipelines import cli as parse_cli

    assert parse_cli.MAX_FILE_BYTES == settings.DOWNLOAD_MAXSIZE   # "size limits as for downloads"
    t0 = time.monotonic()
    out = _xxgk("parse", "/dev/zero")
    assert out.returncode == 2 and b"not a regular file" in out.stderr
    assert main(["load", "/dev/zero", "--db", str(tmp_path / "a.db")]) == 1
    assert "/dev/zero: not a regular file" in capsys.readouterr().err
    assert time.monotonic() - t0 < 60
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 2048)
    monkeypatch.setattr(parse_cli, "MAX_FILE_BYTES", 1024)
    assert main(["load", str(big), "--db", str(tmp_path / "a.db")]) == 1
    assert "over the 1,024-byte limit" in capsys.readouterr().err


def test_reparse_reads_what_a_newly_installed_tool_can_read(tmp_path, monkeypatch, capsys):
    """A DOC stored while LibreOffice was missing (PATH without soffice) is unreadable; `xxgk
    reparse` leaves it, saying it waits for LibreOffice; once the tool is there (PATH back),
    it re-parses it without --all, says so, and the report is a report with its tables."""
    from pipelines import parse_document
    from tests.tools import require

    require("libreoffice")
    from db.store import Archive

    doc = (Path(__file__).parent / "fixtures/attachments/report_003.doc").read_bytes()
    real_path = os.environ["PATH"]
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))      # LibreOffice "not installed"
    record = parse_document(doc, url="http://www.example.gov.cn/2024/report.doc")
    assert record["kind"] == "unreadable" and "LibreOffice" in record["warnings"][0]
    db = tmp_path / "a.db"
    with Archive(db) as archive:
        archive.store(record, doc, {"url": "http://www.example.gov.cn/2024/report.doc",
                                    "fetched_at": "2025-02-01T00:00:00+00:00", "content_type": "application/msword"})
    assert main(["reparse", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "0 version(s) re-parsed" in out and "1 version(s) still wait for LibreOffice" in out

    monkeypatch.setenv("PATH", real_path)                         # now installed
    assert main(["reparse", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert ("1 version(s) re-parsed with parser" in out and "0 from another parser version" in out
            and "1 unreadable or not read for lack of a tool (1 of them now readable)" in out), out
    conn = sqlite3.connect(db)
    kind, title, year = conn.execute("SELECT kind, title, report_year FROM reports").fetchone()
    assert kind == "report" and year == 2024 and title
    assert conn.execute("SELECT count(*) FROM cells").fetchone()[0] > 50
    assert conn.execute("SELECT count(*) FROM versions").fetchone()[0] == 1
    assert main(["reparse", "--db", str(db)]) == 0                # nothing left
    assert "0 version(s) re-parsed" in capsys.readouterr().out




def test_a_file_the_archive_cannot_store_is_refused_and_the_load_goes_on(tmp_path, shared_dir, capsys,
                                                                          monkeypatch):
    """A store that fails for one file (here: made to raise for it): that file is refused with
    one line, nothing of it stored, and the next file is loaded."""
    from db.store import Archive

    src = (shared_dir / "seed/tuoli-2023-report.txt").read_text("utf-8")
    (tmp_path / "a.txt").write_text(src, "utf-8")
    (tmp_path / "b.txt").write_text(src.replace("托里县政务服务中心", "托里县人民政府"), "utf-8")
    real_store = Archive.store

    def store(self, record, raw, meta=None):
        if meta and meta["url"].endswith("/a.txt"):
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        return real_store(self, record, raw, meta)

    monkeypatch.setattr(Archive, "store", store)
    db = tmp_path / "x.db"
    assert main(["load", str(tmp_path), "--db", str(db)]) == 1
    out, err = capsys.readouterr()
    assert "1 new" in out and "1 refused" in out
    assert [ln for ln in err.splitlines() if "refused" in ln] == [
        f"xxgk load: refused {tmp_path / 'a.txt'}: OverflowError: Python int too large to convert to SQLite INTEGER"]
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT url FROM reports").fetchall() == [((tmp_path / "b.txt").resolve().as_uri(),)]
    assert conn.execute("SELECT count(DISTINCT report_id) FROM cells").fetchone()[0] == 1


def test_loading_twice_a_second_apart_changes_nothing(tmp_path, shared_dir, capsys):
    """The register refresh after a load keeps unchanged rows as they were (loaded_at of
    registry_portals too), so a second load of the same file later changes nothing."""
    import time

    db = tmp_path / "a.db"
    assert main(["load", str(shared_dir / "seed"), "--db", str(db)]) == 0
    first = _dump(db)
    time.sleep(1.1)
    assert main(["load", str(shared_dir / "seed"), "--db", str(db)]) == 0
    assert "1 unchanged" in capsys.readouterr().out
    assert _dump(db) == first
