"""Chinese search: no false negatives for 1-, 2- and 4+-character queries on the corpus,
in SQL and through Datasette's own ?_search= (the search box)."""
from __future__ import annotations

import asyncio
import random
import re
import unicodedata

import lxml.html
import pytest
from hypothesis import given, settings, strategies as st

from db.chinese import fts_query, index_tokens
from db.store import Archive

FIXED_QUERIES = ["复", "诉", "年", "复议", "诉讼", "公开", "申请", "依申请公开", "政务服务大厅",
                 "行政复议", "政府信息公开", "主动公开政府信息", "2023年", "12345", "三安全一稳定"]
_CJK = re.compile(r"[\u3400-\u9fff]")


def _norm(s: str) -> str:
    return unicodedata.normalize("NFKC", s).lower()


def corpus_texts(shared) -> dict[str, tuple[str, str]]:
    """name -> (title, text) for every text document in shared/ (seed, labelled, docs)."""
    out = {}
    for p in sorted((shared / "corpus").rglob("*")):
        if p.suffix == ".txt":
            text = p.read_text("utf-8", errors="replace")
        elif p.suffix == ".html":
            doc = lxml.html.fromstring(p.read_bytes())
            for bad in doc.xpath("//script|//style"):
                bad.drop_tree()
            text = doc.text_content()
        else:
            continue
        title = next((ln.strip() for ln in text.splitlines() if _CJK.search(ln)), p.stem)[:80]
        out[p.name] = (title, text)
    seed = shared / "seed/tuoli-2023-report.txt"
    text = seed.read_text("utf-8")
    out[seed.name] = ("托里县政务服务中心2023年政府信息公开工作年度报告", text)
    return out


@pytest.fixture(scope="module")
def corpus_archive(tmp_path_factory, shared_dir):
    path = tmp_path_factory.mktemp("search") / "search.db"
    archive = Archive(path)
    docs = corpus_texts(shared_dir)
    for name, (title, text) in docs.items():
        # one section per paragraph block, so results are finer than whole documents
        blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()] or [text]
        chunks = [" ".join(blocks[i:i + 8]) for i in range(0, len(blocks), 8)]
        rec = {"title": title, "agency": None, "kind": "report",
               "sections": [{"number": i + 1, "heading": None, "text": c} for i, c in enumerate(chunks)]}
        archive.store(rec, text.encode(), {"url": f"file:///corpus/{name}"})
    archive.flush_index()
    return archive, docs


def _random_queries(docs, n=200, seed=7):
    rng = random.Random(seed)
    texts = [_norm(t) for _, t in docs.values()]
    out = []
    while len(out) < n:
        t = rng.choice(texts)
        length = rng.randint(1, 6)
        i = rng.randrange(0, max(1, len(t) - length))
        q = t[i:i + length]
        # Chinese matches as substrings; Latin letters and digits as whole words: so a random
        # query must start and end on a CJK character
        if q and _CJK.match(q[0]) and _CJK.match(q[-1]) and not re.search(r"\s", q):
            out.append(q)
    return out


def _expected(archive, q):
    nq = _norm(q)
    return {sid for sid, text in archive.db.execute("SELECT id, text FROM sections")
            if nq in _norm(text or "")}


def _expected_reports(archive, q):
    nq = _norm(q)
    return {rid for rid, title, agency, text in archive.db.execute(
        "SELECT r.id, r.title, a.name, (SELECT group_concat(s.text, ' ') FROM sections s "
        "WHERE s.version_id = r.version_id) FROM reports r LEFT JOIN agencies a ON a.id = r.agency_id")
        if any(nq in _norm(x or "") for x in (title, agency, text))}


def _sql_hits(archive, q):
    return {r[0] for r in archive.db.execute(
        "SELECT rowid FROM sections_fts WHERE sections_fts MATCH ?", (fts_query(q),))}


def test_fixed_queries_no_false_negatives(corpus_archive):
    archive, _ = corpus_archive
    for q in FIXED_QUERIES:
        want = _expected(archive, q)
        got = _sql_hits(archive, q)
        assert want <= got, (q, len(want - got))
        if all(_CJK.match(c) for c in q):
            assert got == want, q  # pure Chinese: exact substring semantics
    assert _expected(archive, "复议") and _expected(archive, "政务服务大厅") and _expected(archive, "依申请公开")


def test_random_queries_no_false_negatives(corpus_archive):
    archive, docs = corpus_archive
    queries = _random_queries(docs)
    assert {len(q) for q in queries} == {1, 2, 3, 4, 5, 6}
    for q in queries:
        want = _expected(archive, q)
        got = _sql_hits(archive, q)
        assert want <= got, q
        assert want, q


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="复议诉讼公开申请大厅政务服 ，。abc12３", max_size=40),
       start=st.integers(0, 40), length=st.integers(1, 6))
def test_tokenizer_property(text, start, length):
    """Any CJK-bounded substring of any text matches it (checked on a fresh in-memory index)."""
    import sqlite3

    q = text[start:start + length]
    if not q.strip() or not _CJK.match(q[0]) or not _CJK.match(q[-1]) or " " in q:
        return
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(x, prefix='1')")
    conn.execute("INSERT INTO t(rowid, x) VALUES (1, ?)", (index_tokens(text),))
    assert conn.execute("SELECT rowid FROM t WHERE t MATCH ?", (fts_query(q),)).fetchall() == [(1,)]


def test_trigram_misses_short_queries(corpus_archive):
    """Why not the trigram tokenizer: it cannot match queries shorter than three characters."""
    import sqlite3

    archive, _ = corpus_archive
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
    conn.executemany("INSERT INTO t(rowid, x) VALUES (?, ?)",
                     archive.db.execute("SELECT id, text FROM sections").fetchall())
    assert _expected(archive, "复议")
    assert conn.execute("SELECT count(*) FROM t WHERE t MATCH ?", ('"复议"',)).fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM t WHERE t MATCH ?", ('"依申请公开"',)).fetchone()[0] > 0


def _datasette(path):
    from datasette.app import Datasette

    from db.cli import metadata_for, register_plugin

    register_plugin()
    return Datasette([str(path)], metadata=metadata_for(path))


async def _search(ds, db, table, q, col="id"):
    ids, url = set(), f"/{db}/{table}.json"
    params = {"_search": q, "_shape": "objects", "_size": "max", "_col": col}
    while url:
        r = await ds.client.get(url, params=params)
        assert r.status_code == 200, r.text
        data = r.json()
        ids |= {row[col] if col in row else row["id"] for row in data["rows"]}
        url, params = (data.get("next_url"), None)
        if url:
            url = url.split("//", 1)[-1].split("/", 1)[-1]
            url = "/" + url
    return ids


def test_datasette_search_box(corpus_archive):
    archive, docs = corpus_archive
    path = archive.db.conn.execute("PRAGMA database_list").fetchone()[2]
    ds = _datasette(path)
    db = "search"
    queries = FIXED_QUERIES + _random_queries(docs, n=40, seed=11)

    async def run():
        for q in queries:
            want = _expected(archive, q)
            got = await _search(ds, db, "sections", q)
            assert want <= got, q
            want_r = _expected_reports(archive, q)
            got_r = await _search(ds, db, "reports", q)
            assert want_r <= got_r, q
        # the search box: HTML page shows the hits for 复议
        r = await ds.client.get(f"/{db}/sections", params={"_search": "复议"})
        assert r.status_code == 200 and "复议" in r.text
        # ranked search canned query
        r = await ds.client.get(f"/{db}/search_reports.json", params={"q": "复议", "_shape": "objects"})
        rows = r.json()["rows"]
        assert rows and [row["score"] for row in rows] == sorted(row["score"] for row in rows)
        r = await ds.client.get(f"/{db}/search_sections.json", params={"q": "依申请公开", "_shape": "objects"})
        assert r.json()["rows"]
    asyncio.run(run())


def test_sqlite_shell_recipe(corpus_archive):
    """The README's recipe for the plain sqlite3 shell (no plugin): bigram phrase, or prefix for one character."""
    archive, _ = corpus_archive
    import sqlite3

    path = archive.db.conn.execute("PRAGMA database_list").fetchone()[2]
    conn = sqlite3.connect(path)
    two = {r[0] for r in conn.execute("SELECT rowid FROM sections_fts WHERE sections_fts MATCH '\"复议\"'")}
    four = {r[0] for r in conn.execute(
        "SELECT rowid FROM sections_fts WHERE sections_fts MATCH '\"依申 申请 请公 公开\"'")}
    one = {r[0] for r in conn.execute("SELECT rowid FROM sections_fts WHERE sections_fts MATCH '复*'")}
    assert two == _expected(archive, "复议") and four == _expected(archive, "依申请公开")
    assert one == _expected(archive, "复")


def test_search_box_same_rows_as_datasette_default(corpus_archive):
    """The plugin's one-lookup search (metadata "xxgk_search") returns exactly the rows, row
    count and facet counts that Datasette's own ``fts_table`` search returns: for a rare term
    (keys looked up), a common one (most rows match: "all but these keys") and raw mode."""
    from datasette.app import Datasette

    from db.cli import metadata_for, register_plugin

    archive, _ = corpus_archive
    path = archive.db.conn.execute("PRAGMA database_list").fetchone()[2]
    register_plugin()
    meta = metadata_for(path)
    plain = metadata_for(path)
    tables = plain["databases"]["search"]["tables"]
    for name, fts, pk in (("reports", "versions_fts", "version_id"), ("sections", "sections_fts", "id")):
        del tables[name]["xxgk_search"]
        tables[name].update(fts_table=fts, fts_pk=pk)
    ours, theirs = Datasette([str(path)], metadata=meta), Datasette([str(path)], metadata=plain)
    n_reports = archive.db["reports"].count

    async def page(ds, table, params):
        r = await ds.client.get(f"/search/{table}.json", params={**params, "_size": "max", "_shape": "objects"})
        assert r.status_code == 200, r.text
        d = r.json()
        return ([row["id"] for row in d["rows"]], d["filtered_table_rows_count"],
                {k: [(f["value"], f["count"]) for f in v["results"]] for k, v in d["facet_results"].items()})

    async def run():
        seen_dense = False
        for q, mode in (("复议", None), ("年", None), ("的", None), ("政务服务大厅", None), ("复议 诉讼", None),
                        ('"复议"', "raw"), ("zzzz没有这个词", None)):
            for table in ("reports", "sections"):
                params = {"_search": q, **({"_searchmode": mode} if mode else {})}
                a, b = await page(ours, table, params), await page(theirs, table, params)
                assert a == b, (q, table)
                if table == "reports" and a[1] * 2 > n_reports:
                    seen_dense = True
        assert seen_dense
        r = await ours.client.get("/search/reports", params={"_search": "复议"})
        assert r.status_code == 200 and 'name="_search"' in r.text and 'search matches &#34;复议&#34;' in r.text
    asyncio.run(run())
