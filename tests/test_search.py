"""Chinese search (db/chinese.py, db/search.py): exactly the reports and sections that contain
every term, for fixed and random 1- to 6-character queries on the corpus, in SQL, through
Datasette's own ?_search= (the search box) and through the ranked canned queries.

The reference is plain Python: NFKC + lower case, then substring tests (``_norm``). The search
folds the compatibility characters that become letters or digits (Ｆ２ -> f2, ① -> 1) and
treats full-width punctuation (，（）：) and ASCII punctuation as the same, as NFKC does; it
does not fold other compatibility punctuation (⑴ -> (1), ㈠ -> (一)), so queries with
punctuation are compared with the search's documented semantics (``_norm_search``), which
test_fullwidth_punctuation_matches_ascii checks against NFKC on the corpus.
"""
from __future__ import annotations

import asyncio
import json
import random
import re
import sqlite3
import unicodedata

import lxml.html
import pytest
from hypothesis import given, settings, strategies as st

from db import chinese, search
from db.search_index import INSERT_SHORT_SQL, INSERT_TEXT_SQL, SEARCH_TABLES_SQL, search_rows
from db.store import Archive

FIXED_QUERIES = ["复", "诉", "年", "复议", "诉讼", "公开", "申请", "依申请公开", "政务服务大厅",
                 "行政复议", "政府信息公开", "主动公开政府信息", "2023年", "１２３４５", "12345", "三安全一稳定",
                 "app", "APP", "ＡＰＰ", "政务app", "２０２３年", "复议 诉讼", "公开 依申请公开", "旧版独有",
                 "新版独有", "ＡＰＰ 复议"]
_CJK = re.compile(r"[\u3400-\u9fff]")
HEADINGS = ["总体情况", "主动公开政府信息情况", "收到和处理政府信息公开申请情况",
            "政府信息公开行政复议、行政诉讼情况", "存在的主要问题及改进情况", "其他需要报告的事项"]
# synthetic reports: full-width and upper-case letters and digits, and a report with two versions
EXTRA = {
    "fullwidth": ("柘城县政务ＡＰＰ２０２３年度报告", "柘城县数据局",
                  ["本年度政务ＡＰＰ上线，２０２３年受理Ｅｍａｉｌ申请１２３４５件。", "行政复议０件。"]),
    "upper": ("某县政务APP报告", None, ["政务APP和微信公众号同步发布，依申请公开事项12345件。"]),
}
TWO_VERSIONS = ("某县人民政府两版报告", "某县人民政府",
                ["旧版独有的文字：第一版。依申请公开工作平稳。"],
                ["新版独有的文字：第二版。依申请公开工作平稳。"])


def _norm(s: str) -> str:
    return unicodedata.normalize("NFKC", s).lower()


def _norm_search(s: str) -> str:
    """The search's folding, written from its definition: a character whose NFKC form is made
    of letters and digits becomes that form, full-width punctuation (U+FF01-FF5E) becomes
    ASCII; everything is lower-cased."""
    out = []
    for ch in s:
        n = unicodedata.normalize("NFKC", ch)
        folds = n != ch and n and (all(c.isalnum() for c in n) or 0xFF01 <= ord(ch) <= 0xFF5E)
        out.append(n if folds else ch)
    return "".join(out).lower()


def _norm_letters(s: str) -> str:
    """The folding of indexed text: compatibility letters and digits only, then lower case."""
    out = []
    for ch in s:
        n = unicodedata.normalize("NFKC", ch)
        out.append(n if n != ch and n and all(c.isalnum() for c in n) else ch)
    return "".join(out).lower()


def _punct(q: str) -> bool:
    """Whether the query has a character other than letters and digits (punctuation): only
    such queries can find different texts under NFKC and under the search's folding (⑴)."""
    return not all(c.isalnum() for c in q)


def _sql_lower(s: str) -> str:
    """SQLite's lower(): ASCII letters only."""
    return "".join(c.lower() if c.isascii() else c for c in s)


def _has(text: str, q: str, norm=_norm) -> bool:
    terms = norm(q).replace('"', " ").split()
    t = norm(text or "")
    return bool(terms) and all(term in t for term in terms)


def _ref_norm(q):
    return _norm_search if _punct(q) else _norm


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


def _record(i, title, agency, chunks):
    return {"title": title, "agency": agency, "kind": "report", "report_year": 2016 + i % 8,
            "publish_date": None if i % 5 == 0 else f"{2017 + i % 8}-0{1 + i % 9}-1{i % 10}",
            "sections": [{"number": n + 1, "heading": HEADINGS[n] if n < len(HEADINGS) and (i + n) % 3 else None,
                          "text": c} for n, c in enumerate(chunks)]}


def _fill(archive, docs):
    """Store the corpus (one section per 8 paragraph blocks), the synthetic reports, and a
    report in two versions (its old version's sections stay searchable as sections)."""
    for i, (name, (title, text)) in enumerate(docs.items()):
        blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()] or [text]
        chunks = [" ".join(blocks[j:j + 8]) for j in range(0, len(blocks), 8)]
        archive.store(_record(i, title, None, chunks), text.encode(), {"url": f"file:///corpus/{name}"})
    for i, (name, (title, agency, chunks)) in enumerate(EXTRA.items()):
        archive.store(_record(i, title, agency, chunks), title.encode(), {"url": f"http://x/{name}"})
    title, agency, old, new = TWO_VERSIONS
    for n, chunks in enumerate((old, new)):
        archive.store(_record(3, title, agency, chunks), f"v{n}".encode(), {"url": "http://x/two"})


@pytest.fixture(scope="module")
def corpus_archive(tmp_path_factory, shared_dir):
    path = tmp_path_factory.mktemp("search") / "search.db"
    archive = Archive(path)
    docs = corpus_texts(shared_dir)
    _fill(archive, docs)
    archive.flush_index()
    assert archive.db.execute("SELECT count(*) FROM search_pending").fetchone()[0] == 0
    return archive, docs


def _path(archive):
    return archive.db.conn.execute("PRAGMA database_list").fetchone()[2]


def _random_queries(docs, n=200, seed=7, source=str):
    """Substrings of the corpus texts as they are (what a user copies; or of ``source(text)``),
    1 to 6 characters, starting and ending on a CJK character."""
    rng = random.Random(seed)
    texts = [source(t) for _, t in docs.values()]
    out = []
    while len(out) < n:
        t = rng.choice(texts)
        length = rng.randint(1, 6)
        i = rng.randrange(0, max(1, len(t) - length))
        q = t[i:i + length]
        if q and _CJK.match(q[0]) and _CJK.match(q[-1]) and not re.search(r"\s", q):
            out.append(q)
    return out


def _sections_text(archive) -> dict[int, tuple[int, str]]:
    """section id -> (version id, heading + newline + text): what a section search tests."""
    return {sid: (vid, f"{h or ''}\n{t or ''}") for sid, vid, h, t in archive.db.execute(
        "SELECT id, version_id, heading, text FROM sections")}


def _version_texts(archive) -> dict[int, str]:
    """version id -> its title, agency and sections, one per line (what a report search tests)."""
    heads = {vid: (t, a) for vid, t, a in archive.db.execute(
        "SELECT v.id, coalesce(json_extract(v.record, '$.title'), r.title), "
        "coalesce(json_extract(v.record, '$.agency'), a.name) FROM versions v "
        "JOIN reports r ON r.id = v.report_id LEFT JOIN agencies a ON a.id = r.agency_id")}
    secs: dict[int, list[str]] = {}
    for vid, text in _sections_text(archive).values():
        secs.setdefault(vid, []).append(text)
    return {vid: "\n".join([t or "", a or "", *secs.get(vid, [])]) for vid, (t, a) in heads.items()}


def _expected(archive, q, norm=_norm):
    """Ids of the sections (of every version) that contain every term of q."""
    return {sid for sid, (_, text) in _sections_text(archive).items() if _has(text, q, norm)}


def _expected_reports(archive, q, norm=_norm):
    """Ids of the reports whose current version contains every term of q."""
    texts = _version_texts(archive)
    return {rid for rid, vid in archive.db.execute("SELECT id, version_id FROM reports")
            if _has(texts[vid], q, norm)}


def _sql_hits(archive, q):
    hit, params = search.section_hit(q)
    rows = [r[0] for r in archive.db.execute(f"SELECT id FROM sections WHERE {hit}", params)]
    assert len(rows) == len(set(rows)), q
    return set(rows)


def _sql_report_hits(archive, q):
    hit, params = search.report_hit(q)
    rows = [r[0] for r in archive.db.execute(f"SELECT id FROM reports WHERE {hit}", params)]
    assert len(rows) == len(set(rows)), q
    return set(rows)


def test_corpus_archive_shape(corpus_archive):
    """What the other tests rely on: one index row per version, sections.fold set exactly for
    the sections SQL's lower() cannot fold, a report with an old version."""
    archive, docs = corpus_archive
    db = archive.db
    n_versions = db["versions"].count
    assert n_versions == len(docs) + len(EXTRA) + 2 == db["reports"].count + 1
    for table in ("search_text", "search_short"):
        assert [r[0] for r in db.execute(f"SELECT rowid FROM {table} ORDER BY 1")] == \
            [r[0] for r in db.execute("SELECT id FROM versions ORDER BY 1")], table
    folds = {sid: f for sid, f in db.execute("SELECT id, fold FROM sections")}
    # 1 where folding the text (letters and digits; control characters other than whitespace
    # become spaces) and lower-casing differs from SQL's lower(); punctuation is not folded in
    # the text (queries try both spellings)
    want = {sid: int(re.sub(r"[\x00-\x08\x0e-\x1b\x7f]", " ", _norm_letters(text)) != _sql_lower(text))
            for sid, (_, text) in _sections_text(archive).items()}
    assert folds == want
    assert 0 < sum(folds.values()) < len(folds)


def test_fixed_queries_exact(corpus_archive):
    archive, _ = corpus_archive
    for q in FIXED_QUERIES:
        assert _sql_hits(archive, q) == _expected(archive, q), q
        assert _sql_report_hits(archive, q) == _expected_reports(archive, q), q
    # the queries find something, in sections and reports alike
    for q in ("复议", "政务服务大厅", "依申请公开", "app", "２０２３年", "复议 诉讼", "旧版独有", "新版独有"):
        assert _expected(archive, q), q
    # full-width and plain letters and digits, upper and lower case, match each other
    assert _sql_hits(archive, "ＡＰＰ") == _sql_hits(archive, "app") == _sql_hits(archive, "APP")
    assert len(_sql_report_hits(archive, "政务app")) >= 2  # 政务ＡＰＰ and 政务APP
    assert _sql_hits(archive, "１２３４５") == _sql_hits(archive, "12345")
    # an old version's sections are found, its report is not (it matches by its current version)
    assert _sql_hits(archive, "旧版独有") and not _sql_report_hits(archive, "旧版独有")
    assert _sql_report_hits(archive, "旧版独有 依申请公开") == set()
    assert len(_sql_report_hits(archive, "新版独有 依申请公开")) == 1
    # terms in the title or agency match reports, not sections
    assert _sql_report_hits(archive, "柘城县数据局") and not _sql_hits(archive, "柘城县数据局")
    # every term must occur: in the same section for sections, anywhere for reports
    both = _sql_hits(archive, "复议 诉讼")
    assert both == _sql_hits(archive, "复议") & _sql_hits(archive, "诉讼")
    assert _sql_report_hits(archive, "复议 诉讼") == _sql_report_hits(archive, "复议") & _sql_report_hits(archive, "诉讼")
    assert _sql_hits(archive, "") == set() == _sql_report_hits(archive, "  ")


def test_random_queries_exact(corpus_archive):
    archive, docs = corpus_archive
    queries = _random_queries(docs)
    assert {len(q) for q in queries} == {1, 2, 3, 4, 5, 6}
    with_punct = [q for q in queries if _punct(q)]
    assert with_punct and len(with_punct) < len(queries) // 4
    for q in queries:
        want = _expected(archive, q, _ref_norm(q))
        assert want, q  # a substring of the corpus
        assert _sql_hits(archive, q) == want, q
        assert _sql_report_hits(archive, q) == _expected_reports(archive, q, _ref_norm(q)), q


def test_fullwidth_punctuation_matches_ascii(corpus_archive):
    """Full-width punctuation (，（）：；％) and ASCII punctuation match each other, in either
    direction, as NFKC makes them the same: the corpus spells 条第(一 both ways."""
    archive, docs = corpus_archive
    texts = {sid: text for sid, (_, text) in _sections_text(archive).items()}
    ascii_paren = {sid for sid, t in texts.items() if "条第(一" in t}
    wide_paren = {sid for sid, t in texts.items() if "条第（一" in t}
    assert ascii_paren and wide_paren  # the corpus has both spellings
    both = ascii_paren | wide_paren
    assert _sql_hits(archive, "条第(一") == _sql_hits(archive, "条第（一") == both == _expected(archive, "条第(一")
    assert _sql_report_hits(archive, "的,只计") == _expected_reports(archive, "的,只计") \
        == _sql_report_hits(archive, "的，只计")
    # random queries, as copied and as typed with ASCII punctuation (NFKC of the text): the
    # search equals NFKC wherever the corpus has no ⑴-like characters in the query's place
    differ = 0
    for q in _random_queries(docs, n=200, seed=3) + _random_queries(docs, n=200, seed=3, source=_norm):
        assert _sql_hits(archive, q) == _expected(archive, q, _norm_search), q
        if _expected(archive, q) != _expected(archive, q, _norm_search):
            assert _punct(q), q
            differ += 1
    assert differ <= 4, differ


ALPHABET = "复议诉讼公开申请大厅政务服 ，。\"abcABC12３ＡＢｃ①"


def _index(text, title):
    conn = sqlite3.connect(":memory:")
    for sql in SEARCH_TABLES_SQL:
        conn.execute(sql)
    long_row, short_row = search_rows(1, title, None, [(None, text)])
    conn.execute(INSERT_TEXT_SQL, long_row)
    conn.execute(INSERT_SHORT_SQL, short_row)
    return conn


def _found(conn, q) -> bool:
    long, short = chinese.long_match(q), chinese.short_match(q)
    parts = ([("SELECT rowid FROM search_text WHERE search_text MATCH ?", long)] if long else []) + \
            ([("SELECT rowid FROM search_short WHERE search_short MATCH ?", short)] if short else [])
    if not parts:
        return False
    rows = conn.execute(" INTERSECT ".join(p for p, _ in parts), [a for _, a in parts]).fetchall()
    assert rows in ([], [(1,)])
    return rows == [(1,)]


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=ALPHABET, max_size=40), title=st.text(alphabet=ALPHABET, max_size=8),
       start=st.integers(0, 40), length=st.integers(1, 6),
       other=st.text(alphabet=ALPHABET, min_size=1, max_size=5))
def test_index_property(text, title, start, length, other):
    """On a fresh in-memory index of one version: any CJK-bounded substring of its text is
    found, and for any query the two tables find the version exactly when contains() says
    its text has every term, which is what the NFKC reference says."""
    conn = _index(text, title)
    full = f"{title}\n\n\n{text}"  # title, agency (none), heading (none) and text, as indexed
    q = text[start:start + length]
    if q and _CJK.match(q[0]) and _CJK.match(q[-1]):
        assert chinese.contains(text, q)
        assert _found(conn, q)
    for query in (q, other):
        want = _has(full, query)  # the alphabet has no ASCII form of its ，: NFKC folds the same
        assert chinese.contains(full, query) == want, query
        assert _found(conn, query) == want, query


def test_trigram_misses_short_queries(corpus_archive):
    """Why search_short: the trigram tokenizer alone cannot match queries shorter than three
    characters."""
    archive, _ = corpus_archive
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
    conn.executemany("INSERT INTO t(rowid, x) VALUES (?, ?)",
                     archive.db.execute("SELECT id, text FROM sections").fetchall())
    assert _expected(archive, "复议")
    assert conn.execute("SELECT count(*) FROM t WHERE t MATCH ?", ('"复议"',)).fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM t WHERE t MATCH ?", ('"依申请公开"',)).fetchone()[0] > 0
    # search_short has a token for every character and pair of characters
    assert archive.db.execute("SELECT count(*) FROM search_short WHERE search_short MATCH ?",
                              (chinese.short_match("复议"),)).fetchone()[0] > 0


def test_sqlite_shell_recipe(corpus_archive):
    """The recipe for the plain sqlite3 shell (no plugin, no SQL functions): a phrase of three
    or more characters in search_text, one or two characters with char(1) in search_short."""
    archive, _ = corpus_archive
    conn = sqlite3.connect(_path(archive))
    conn.execute("ATTACH DATABASE ? AS xxgk_search", (f"{_path(archive)}-search",))   # the index's file
    join = "SELECT r.id FROM {t} JOIN reports r ON r.version_id = {t}.rowid WHERE {t} MATCH "
    long = {r[0] for r in conn.execute(join.format(t="search_text") + "'\"依申请公开\"'")}
    one = {r[0] for r in conn.execute(join.format(t="search_short") + "'\"' || char(1) || '复' || char(1) || '\"'")}
    two = {r[0] for r in conn.execute(join.format(t="search_short") + "'\"复' || char(1) || '议\"'")}
    both = {r[0] for r in conn.execute(
        join.format(t="search_text") + "'\"依申请公开\"' AND search_text.rowid IN "
        "(SELECT rowid FROM search_short WHERE search_short MATCH '\"复' || char(1) || '议\"')")}
    assert long == _expected_reports(archive, "依申请公开") and long
    assert one == _expected_reports(archive, "复") and one
    assert two == _expected_reports(archive, "复议") and two
    assert both == _expected_reports(archive, "依申请公开 复议") and both
    assert two < one
    conn.close()


def _datasette(path):
    from datasette.app import Datasette

    from db.cli import metadata_for, register_plugin

    register_plugin()
    return Datasette([str(path)], metadata=metadata_for(path))


async def _get_all(ds, url, params):
    """Every row of a table page (following next_url), and the first page's JSON."""
    rows, first = [], None
    params = {**params, "_shape": "objects", "_size": "max"}
    while url:
        r = await ds.client.get(url, params=params)
        assert r.status_code == 200, r.text
        data = r.json()
        first = first or data
        rows += data["rows"]
        url, params = data.get("next_url"), None
        if url:
            url = "/" + url.split("//", 1)[-1].split("/", 1)[-1]
    return rows, first


async def _search(ds, db, table, q, **extra):
    rows, _ = await _get_all(ds, f"/{db}/{table}.json", {"_search": q, **extra})
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)), q
    return set(ids)


def test_datasette_search_box(corpus_archive):
    archive, docs = corpus_archive
    ds = _datasette(_path(archive))
    queries = FIXED_QUERIES + _random_queries(docs, n=40, seed=11)

    async def run():
        for q in queries:
            norm = _ref_norm(q)
            assert await _search(ds, "search", "sections", q) == _expected(archive, q, norm), q
            assert await _search(ds, "search", "reports", q) == _expected_reports(archive, q, norm), q
        # the search box: the HTML page shows the hits for 复议, and the query in the box
        r = await ds.client.get("/search/sections", params={"_search": "复议"})
        assert r.status_code == 200 and "复议" in r.text and 'value="复议"' in r.text
        r = await ds.client.get("/search/reports", params={"_search": "复议"})
        assert r.status_code == 200 and 'name="_search"' in r.text and "search matches &#34;复议&#34;" in r.text
        n = len(_expected_reports(archive, "复议"))
        assert f"{n} row{'s' if n != 1 else ''} where search matches" in r.text
    asyncio.run(run())


def test_search_box_same_as_plain_sql(corpus_archive):
    """The plugin's page rows, row count and facet counts are what plain SQL gives for the
    reference set of keys: for a rare term (keys looked up), a dense one (most rows match:
    "all but these keys"), two terms, raw mode (an FTS5 expression on search_text: whole
    versions) and a query without hits."""
    from db import datasette_plugin

    archive, _ = corpus_archive
    ds = _datasette(_path(archive))
    db = archive.db
    n_reports, n_sections = db["reports"].count, db["sections"].count
    versions = _version_texts(archive)
    order = {"reports": ("publish_date", "publish_date DESC, id"), "sections": ("id", "id")}
    facets = {"reports": ["report_year"], "sections": ["number", "heading"]}

    def reference(table, q, mode):
        if mode == "raw":  # whole versions whose text has the phrase
            vids = {v for v, text in versions.items() if _has(text, "依申请")}
            return {i for i, v in db.execute(f"SELECT id, version_id FROM {table}") if v in vids}
        return _expected_reports(archive, q) if table == "reports" else _expected(archive, q)

    def plain(table, keys):
        k = json.dumps(sorted(keys))
        where = f"id IN (SELECT value FROM json_each('{k}'))"
        col, by = order[table]
        rows = db.execute(f"SELECT {col}, id FROM {table} WHERE {where} ORDER BY {by}").fetchall()
        fr = {col: [tuple(r) for r in db.execute(
            f"SELECT {col} AS value, count(*) AS count FROM {table} WHERE {where} AND {col} IS NOT NULL "
            "GROUP BY value ORDER BY count DESC, value LIMIT 30")] for col in facets[table]}
        return [r[0] for r in rows], {r[-1] for r in rows}, len(keys), fr

    async def page(table, params):
        rows, first = await _get_all(ds, f"/search/{table}.json", params)
        # the rows in the table's order (Datasette leaves the order of equal publish_date open)
        return ([row[order[table][0]] for row in rows], {row["id"] for row in rows},
                first["filtered_table_rows_count"],
                {k: [(f["value"], f["count"]) for f in v["results"]] for k, v in first["facet_results"].items()})

    async def run():
        seen = set()
        for q, mode in (("政务服务大厅", None), ("年", None), ("公开", None), ("复议 诉讼", None),
                        ("ＡＰＰ", None), ('"依申请"', "raw"), ("zzzz没有这个词", None)):
            for table in ("reports", "sections"):
                keys = reference(table, q, mode)
                params = {"_search": q, **({"_searchmode": mode} if mode else {})}
                got = await page(table, params)
                assert got == plain(table, keys), (q, table)
                total = n_reports if table == "reports" else n_sections
                max_pk = db.execute(f"SELECT max(id) FROM {table}").fetchone()[0]
                seen.add((table, datasette_plugin._plan(len(keys), total, max_pk)))
                if table == "reports" and q == "年":
                    assert len(keys) * 2 > total
                if q == "zzzz没有这个词":
                    assert got == ([], set(), 0, {c: [] for c in facets[table]})
        # every path of the plugin was taken: no hits, every row, few keys looked up, a bitmap
        # (reports: ids are dense), all but these keys and these keys (sections: ids are not)
        assert {("reports", "none"), ("reports", "few"), ("reports", "bitmap"), ("sections", "none"),
                ("sections", "few"), ("sections", "most"), ("sections", "some")} <= seen, seen
        # raw mode matches whole versions: sections without the phrase too
        raw = await page("sections", {"_search": '"依申请"', "_searchmode": "raw"})
        assert raw[1] > _expected(archive, "依申请")
    asyncio.run(run())


@pytest.mark.parametrize("exact_min,share,per_row", [(3, 0.0, 0.001), (3, 0.0, 10 ** 9), (3, 0.99, 0.001), (10 ** 6, 0.0, 1)])
def test_broad_search_reads_the_page_row_by_row(corpus_archive, monkeypatch, exact_min, share, per_row):
    """Whatever the limits, every page followed to the end gives exactly the rows of the
    exact search, in the table's order. A search broader than the exact limit (here: more
    than ``exact_min`` matching versions; for two search tables, a sample of their common
    matches at least ``share`` of the versions) is not collected first but tested row by row
    as the page is read: not counted, no facets, and the page says why. Queries with terms of
    both lengths take each path: one table's matches complete and tested on the other row by
    row (per_row) or by reading it whole; both broad and dense (broad); both broad but seldom
    together (share 0.99: read whole and intersected, exact)."""
    from db import datasette_plugin

    archive, _ = corpus_archive
    ds = _datasette(_path(archive))
    monkeypatch.setattr(datasette_plugin, "SEARCH_EXACT_MIN", exact_min)
    monkeypatch.setattr(datasette_plugin, "SEARCH_EXACT_SHARE", share)
    monkeypatch.setattr(datasette_plugin, "PER_ROW_US", per_row)
    datasette_plugin._CACHE.clear()
    order = {"reports": "publish_date", "sections": "id"}

    async def run():
        kinds = set()
        for q in ("公开", "年", "复议 诉讼", "ＡＰＰ", "依申请公开", "依申请公开 年", "政务服务大厅 复",
                  "信息公开 诉讼", "年度报告 zz"):
            for table in ("reports", "sections"):
                expected = _expected_reports(archive, q) if table == "reports" else _expected(archive, q)
                rows, first = await _get_all(ds, f"/search/{table}.json", {"_search": q, "_size": "7"})
                assert {row["id"] for row in rows} == expected, (q, table)
                assert len(rows) == len(expected)
                col = order[table]
                got = [row[col] or "" for row in rows]   # Datasette puts NULL dates last
                assert got == sorted(got, reverse=table == "reports"), (q, table)
                if first["filtered_table_rows_count"] is None:
                    kinds.add("broad")
                    assert first["facet_results"] == {}
                    assert "a broad search" in first["human_description_en"]
                else:
                    kinds.add("exact")
                    assert first["filtered_table_rows_count"] == len(expected), (q, table)
                    assert "a broad search" not in first["human_description_en"]
        # small limits make the common queries broad; a limit above the archive, none
        assert kinds == ({"exact"} if exact_min > 10 ** 5 else {"exact", "broad"}), kinds
    asyncio.run(run())


def test_pending_versions_are_found(tmp_path, seed_record):
    """Versions stored but not indexed yet (search_pending) are found by both searches, in SQL
    and through Datasette; after flush_index() they are found once, from the index."""
    path = tmp_path / "pending.db"
    archive = Archive(path)
    archive.index_batch = 10 ** 6
    archive.index_delay = 10 ** 6
    docs = {"seed.txt": (seed_record["title"], "\n\n".join(
        f"{s.get('heading') or ''}\n{s.get('text') or ''}" for s in seed_record["sections"]))}
    _fill(archive, docs)
    db = archive.db
    pending = {r[0] for r in db.execute("SELECT version_id FROM search_pending")}
    assert pending == {r[0] for r in db.execute("SELECT id FROM versions")} and len(pending) == 5
    queries = ["复议", "复", "依申请公开", "ＡＰＰ", "app 12345", "旧版独有", "新版独有", "政务 复议",
               "托里县政务服务中心", "柘城县数据局", "zzzz没有"]
    want = {q: (_expected_reports(archive, q), _expected(archive, q)) for q in queries}
    assert all(want[q][0] for q in ("复议", "app 12345", "新版独有", "柘城县数据局"))
    assert want["旧版独有"] == (set(), want["旧版独有"][1]) and want["旧版独有"][1]
    # nothing is in the index yet
    for q in ("复议", "依申请公开"):
        for table, match in (("search_text", chinese.long_match(q)), ("search_short", chinese.short_match(q))):
            if match:
                assert db.execute(f"SELECT count(*) FROM {table} WHERE {table} MATCH ?", (match,)).fetchone()[0] == 0

    def check_sql():
        for q in queries:
            assert (_sql_report_hits(archive, q), _sql_hits(archive, q)) == want[q], q

    async def check_datasette():
        ds = _datasette(path)
        for q in queries:
            got = (await _search(ds, "pending", "reports", q), await _search(ds, "pending", "sections", q))
            assert got == want[q], q

    check_sql()
    asyncio.run(check_datasette())
    assert archive.flush_index() == 5
    assert db.execute("SELECT count(*) FROM search_pending").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM search_short WHERE search_short MATCH ?",
                      (chinese.short_match("复议"),)).fetchone()[0] == len(want["复议"][0])
    check_sql()
    asyncio.run(check_datasette())
    archive.close()


@pytest.mark.parametrize("q", ["复", "县", "复议", "依申请公开", "复议 依申请公开", "政务app"])
def test_canned_search_queries(corpus_archive, q):
    """search_reports: the reports that match, best (lowest BM25) first; search_sections:
    sections that contain every term, with the right version flag and an excerpt."""
    archive, _ = corpus_archive
    ds = _datasette(_path(archive))
    sections = _sections_text(archive)
    current = {vid for (vid,) in archive.db.execute("SELECT version_id FROM reports")}
    numbers = {(vid, n): sid for sid, vid, n in archive.db.execute("SELECT id, version_id, number FROM sections")}

    async def run():
        r = await ds.client.get("/search/search_reports.json", params={"q": q, "_shape": "objects"})
        assert r.status_code == 200, r.text
        rows = r.json()["rows"]
        want = _expected_reports(archive, q)
        assert want
        if len(want) < 200:
            assert {row["report_id"] for row in rows} == want
        else:
            assert len(rows) == 200 and {row["report_id"] for row in rows} < want
        assert len(rows) == len({row["report_id"] for row in rows})
        # best first: relevance is −BM25, higher is better (rounded; empty for queries of 1- and
        # 2-character terms only, search_short has no positions)
        scores = [row["relevance"] or 0 for row in rows]
        assert scores == sorted(scores, reverse=True) and all(s >= 0 for s in scores)
        # where the terms occur: every term marked in the snippet
        for row in rows:
            marked = re.findall("\u27e6(.*?)\u27e7", row["snippet"])
            assert marked and {chinese.fold(m).lower() for m in marked} <= {chinese.fold(t).lower() for t in q.split()} | {
                t.lower() for t in q.split()}, (q, row["snippet"])
        if max(len(t) for t in q.split()) < 3:  # no BM25: the query in the title first, then the newest
            assert {row["relevance"] for row in rows} == {None}
            hit = [q.lower() in (row["title"] or "").lower() for row in rows]
            assert hit == sorted(hit, reverse=True), q
            if q == "县":  # titles with and without it: the order is tested, not vacuous
                assert any(hit) and not all(hit)
            for flag in (True, False):
                dates = [row["publish_date"] for row, h in zip(rows, hit) if h == flag]
                assert dates == sorted([d for d in dates if d], reverse=True) + [d for d in dates if not d], q
        r = await ds.client.get("/search/search_sections.json", params={"q": q, "_shape": "objects"})
        assert r.status_code == 200, r.text
        rows = r.json()["rows"]
        want = _expected(archive, q)
        got = [numbers[(row["version_id"], row["number"])] for row in rows]
        assert len(got) == len(set(got))
        if len(want) < 200:
            assert set(got) == want
        else:
            assert len(got) == 200 and set(got) < want
        for row, sid in zip(rows, got):
            assert _has(sections[sid][1], q), (q, row)
            assert row["current_version"] == (row["version_id"] in current)
            text = sections[sid][1].split("\n", 1)[1]
            if " " not in q and q in text:
                assert f"\u27e6{q}\u27e7" in row["snippet"], (q, row["snippet"])
        scores = [row["relevance"] or 0 for row in rows]
        assert scores == sorted(scores, reverse=True)
        if q == "依申请公开":  # also in both versions of the report stored twice
            assert {row["current_version"] for row in rows} == {0, 1}
    asyncio.run(run())


def test_search_cache_is_never_stale(tmp_path, monkeypatch):
    """The plugin keeps the keys of recent searches while the file is unchanged: the same search
    again (another page, another facet) is not searched again, and any commit — a new report,
    the index flush — is seen by the next request."""
    from db import datasette_plugin

    path = tmp_path / "cache.db"
    archive = Archive(path)
    archive.index_batch = archive.index_delay = 10 ** 6

    def report(i, text):
        rec = {"title": f"某县第{i}号政府信息公开工作年度报告", "kind": "report",
               "sections": [{"number": 1, "heading": "总体情况", "text": text}]}
        return archive.store(rec, text.encode(), {"url": f"http://example.invalid/{i}.html"}).report_id

    first = report(1, "本年度收到行政复议申请2件。")
    second = report(2, "本年度未发生诉讼。")
    searched = []
    real = datasette_plugin.search.probe_parts
    monkeypatch.setattr(datasette_plugin.search, "probe_parts", lambda *a: searched.append(a) or real(*a))
    datasette_plugin._CACHE.clear()
    ds = _datasette(path)

    async def run():
        assert await _search(ds, "cache", "reports", "复议") == {first}
        n = len(searched)
        assert n >= 1
        # the same search again, and with a facet: no new search
        assert await _search(ds, "cache", "reports", "复议") == {first}
        assert await _search(ds, "cache", "reports", "复议", _facet="report_year") == {first}
        assert len(searched) == n
        # a commit (a new report, still waiting for the index): seen at once
        third = report(3, "行政复议决定维持1件。")
        assert await _search(ds, "cache", "reports", "复议") == {first, third}
        assert len(searched) == n + 1
        # the index flush is a commit too; results stay the same, found from the index now
        assert archive.flush_index() == 3
        assert await _search(ds, "cache", "reports", "复议") == {first, third}
        assert len(searched) == n + 2
        fourth = report(4, "行政诉讼0件。")
        assert await _search(ds, "cache", "reports", "诉讼") == {second, fourth}
    asyncio.run(run())
    archive.close()


def test_row_count_from_stale_statistics_never_changes_results(tmp_path, monkeypatch):
    """The plugin takes a table's row count from ANALYZE's statistics when the hits are clearly
    few (counting millions of sections costs a third of a second); statistics that are wrong —
    taken before most reports were stored — still give exactly the matching rows and count."""
    from db import datasette_plugin

    path = tmp_path / "stale.db"
    archive = Archive(path)

    def report(i, text):
        rec = {"title": f"某县第{i}号政府信息公开工作年度报告", "kind": "report",
               "sections": [{"number": 1, "heading": "总体情况", "text": text}]}
        return archive.store(rec, text.encode(), {"url": f"http://example.invalid/{i}.html"}).report_id

    rare = {report(0, "本年度收到行政复议申请2件。")}
    report(1, "本年度未发生诉讼。")
    archive.flush_index()
    archive.db.execute("ANALYZE")                       # statistics of 2 reports ...
    for i in range(2, 60):                              # ... then 58 more stored
        rid = report(i, "行政复议决定维持1件。" if i % 10 == 0 else "主动公开信息。")
        if i % 10 == 0:
            rare.add(rid)
    archive.close()
    counted = []   # the tables whose rows were counted (not taken from the statistics)
    real = datasette_plugin._table_size

    async def spy(db, table, pk, exact=True):
        if exact:
            counted.append(table)
        return await real(db, table, pk, exact)
    monkeypatch.setattr(datasette_plugin, "_table_size", spy)

    async def run(ds, name):
        for table in ("reports", "sections"):
            datasette_plugin._CACHE.clear()
            rows, first = await _get_all(ds, f"/{name}/{table}.json", {"_search": "复议"})
            got = {row["id"] for row in rows} if table == "reports" else {row["report_id"] for row in rows}
            assert got == rare, table
            assert first["filtered_table_rows_count"] == len(rare)

    # statistics of 2 reports: 6 hits are not clearly few, so the rows are counted
    asyncio.run(run(_datasette(path), "stale"))
    assert set(counted) == {"reports", "sections"}
    # statistics taken now: 6 hits of 60 reports (and of their sections) are few, nothing counted
    fresh = tmp_path / "fresh.db"
    conn = sqlite3.connect(path)
    conn.execute("ANALYZE")
    conn.execute(f"VACUUM INTO '{fresh}'")
    conn.execute("ATTACH DATABASE ? AS xxgk_search", (f"{path}-search",))
    conn.execute(f"VACUUM xxgk_search INTO '{fresh}-search'")   # a copy of an archive is both files
    conn.close()
    counted.clear()
    asyncio.run(run(_datasette(fresh), "fresh"))
    assert counted == []
