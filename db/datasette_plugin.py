"""Datasette plugin: Chinese search for the archive.

Registered by ``xxgk serve`` (and, through the ``datasette`` entry point in
pyproject.toml, by any ``datasette`` run where this package is installed).

* ``escape_fts(q)`` — the function Datasette's search box and ``?_search=``
  run the query through — is replaced, for queries containing CJK characters,
  by :func:`db.chinese.fts_query`, so 复, 复议 and 依申请公开 match the bigram
  index as substrings.  Queries without CJK behave exactly as before.
* ``chinese_fts_query(q)`` and ``chinese_tokens(text)`` are available in SQL
  (the ranked-search canned queries use the first).
* ``filters_from_request``: the search box of tables whose metadata has
  ``"xxgk_search"`` (``reports``, ``sections``) reads the index once per request
  (see below) instead of once per page, count and facet query.
"""
from __future__ import annotations

from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.utils import escape_fts as _datasette_escape_fts, escape_sqlite

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


# ---------------------------------------------------------------- the search box of a table
# Datasette's own ?_search= puts ``pk IN (SELECT rowid FROM fts WHERE fts MATCH ...)`` into
# the page query, the row count and every facet query, so a common term ("年", "信息公开")
# is looked up in the index three or more times per page view. A table whose metadata has
# ``"xxgk_search": {"ids": SQL}`` (SQL: the primary keys, = rowid, of the rows matching the
# FTS5 expression ``:match``) is searched here instead: the index is read once, and the
# page, count and facets are restricted to that exact set of keys (or, when most rows
# match, to "every row up to the largest key at search time except these"), passed as a
# JSON parameter. Same rows, same semantics, one index lookup.
# ``"hit": SQL`` instead of ``"ids"`` (a condition on a row, see _hit_sql) does the same in one
# pass over the table (``reports``, whose index rowids are version ids, not report ids).
_SPARSE = 50  # under 1/50 of the table: look the keys up; else scan an index and test membership


def _search_sql(table: str, pk: str, ids_sql: str) -> str:
    t, k = escape_sqlite(table), escape_sqlite(pk)
    return f"""with hits(id) as materialized ({ids_sql}),
  n(hits, total, max_pk) as (select (select count(*) from hits), (select count(*) from {t}),
                                    (select max({k}) from {t}))
select hits, total, max_pk,
  case when hits * 2 > total
    then (select json_group_array({k}) from {t} where {k} not in (select id from hits))
    else (select json_group_array(id) from (select distinct id from hits order by id)) end
from n"""


def _hit_sql(table: str, pk: str, hit_sql: str) -> str:
    """One pass over the table for ``"hit": SQL`` (a condition on a row, true when it
    matches ``:match``): SQLite reads the index once into a temporary b-tree, then tests
    every row against it. Cheaper than materialising the matching keys and testing them
    again when the keys are not the index's rowids (``reports``: version ids)."""
    t, k = escape_sqlite(table), escape_sqlite(pk)
    return f"""select count(*) filter (where h), count(*), max({k}),
  case when count(*) filter (where h) * 2 > count(*)
    then json_group_array({k}) filter (where not h) else json_group_array({k}) filter (where h) end
from (select {k}, ({hit_sql}) as h from {t} order by {k})"""


@hookimpl(trylast=True)
def filters_from_request(request, database, table, datasette):
    async def inner():
        conf = (datasette.table_metadata(database, table) or {}).get("xxgk_search")
        if not conf:
            return None
        search = request.args.get("_search")
        context = {"supports_search": True, "search": search or ""}
        if not search:
            return FilterArguments([], extra_context=context)
        pk = conf.get("pk", "id")
        raw = request.args.get("_searchmode", conf.get("searchmode")) == "raw"
        match = search if raw else chinese_escape_fts(search)
        db = datasette.get_database(database)
        sql = _hit_sql(table, pk, conf["hit"]) if "hit" in conf else _search_sql(table, pk, conf["ids"])
        hits, total, max_pk, keys = (await db.execute(sql, {"match": match})).first()
        k = escape_sqlite(pk)
        if not hits:
            where = "0"
        elif hits * 2 > total:
            where = (f"+{k} <= :_xxgk_max and +{k} not in "
                     "(select value from json_each(:_xxgk_keys))")
        else:
            where = (f"{'' if hits * _SPARSE < total else '+'}{k} in "
                     "(select value from json_each(:_xxgk_keys))")
        return FilterArguments(
            [where], {"_xxgk_keys": keys, "_xxgk_max": max_pk},
            human_descriptions=[f'search matches "{search}"'], extra_context=context,
        )

    return inner
