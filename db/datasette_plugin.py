"""Datasette plugin: Chinese search for the archive.

Registered by ``xxgk serve`` (and, through the ``datasette`` entry point in
pyproject.toml, by any ``datasette`` run where this package is installed).

* ``escape_fts(q)`` — the function Datasette's search box and ``?_search=``
  run the query through — is replaced, for queries containing CJK characters,
  by :func:`db.chinese.fts_query`, so 复, 复议 and 依申请公开 match the bigram
  index as substrings.  Queries without CJK behave exactly as before.
* ``chinese_fts_query(q)`` and ``chinese_tokens(text)`` are available in SQL
  (the ranked-search canned queries use the first).
"""
from __future__ import annotations

from datasette import hookimpl
from datasette.utils import escape_fts as _datasette_escape_fts

from .chinese import fts_query, has_cjk, index_tokens


def chinese_escape_fts(query):
    if query is None:
        return None
    if has_cjk(query):
        return fts_query(query)
    return _datasette_escape_fts(query)


# trylast: run after Datasette's own prepare_connection, which registers escape_fts
@hookimpl(trylast=True)
def prepare_connection(conn):
    conn.create_function("escape_fts", 1, chinese_escape_fts, deterministic=True)
    conn.create_function("chinese_fts_query", 1, fts_query, deterministic=True)
    conn.create_function("chinese_tokens", 1, index_tokens, deterministic=True)
