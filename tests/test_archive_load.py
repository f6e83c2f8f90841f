"""`xxgk load`: saved files and folders into the archive, idempotently, with the hand-checked numbers."""
from __future__ import annotations

import json
import sqlite3

import pytest

from crawler.cli import main
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
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    assert main(["load", str(tmp_path / "x.pdf"), "--db", str(tmp_path / "a.db")]) == 0
    assert "skipping" in capsys.readouterr().err


def test_serve_missing_db(tmp_path, capsys):
    assert main(["serve", "--db", str(tmp_path / "nope.db")]) == 2
    assert "no such archive" in capsys.readouterr().err
