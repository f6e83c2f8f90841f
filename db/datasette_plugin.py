"""Datasette plugin: Chinese search for the archive.

Registered by ``xxgk serve`` (and, through the ``datasette`` entry point in
pyproject.toml, by any ``datasette`` run where this package is installed).

* ``filters_from_request``: the search box and ``?_search=`` of tables whose metadata has
  ``"xxgk_search": {"target": "reports"}`` (or ``"sections"``) search the archive's two
  trigram tables (:mod:`db.search`), reading them once per request (see below).
  ``?_searchmode=raw`` passes an FTS5 expression to ``search_text`` as it is.
* SQL functions for canned queries and SQL users: ``chinese_long_match(q)`` and
  ``chinese_short_match(q)`` (the MATCH expressions for ``search_text`` and
  ``search_short``, NULL when the query has no such term), ``chinese_contains(text, q)``,
  ``chinese_fold(text)`` and ``chinese_needs_fold(text)``.
"""
from __future__ import annotations

from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.utils import escape_sqlite

from . import chinese, search
from .schema import register_functions


@hookimpl
def prepare_connection(conn):
    register_functions(conn)
    conn.create_function("chinese_long_match", 1, chinese.long_match, deterministic=True)
    conn.create_function("chinese_short_match", 1, chinese.short_match, deterministic=True)
    conn.create_function("chinese_fold", 1, chinese.fold, deterministic=True)


# ---------------------------------------------------------------- the search box of a table
# A condition in the page query, the row count and every facet query would look the index
# up three or more times per page view. Here the matching rows are found once, in one pass
# over the table, and the page, count and facets are restricted to that exact set of keys
# (or, when most rows match, to "every row up to the largest key at search time except
# these"), passed as a JSON parameter. Same rows, one index lookup.
_SPARSE = 50  # under 1/50 of the table: look the keys up; else scan an index and test membership
_TARGETS = {"reports": search.report_hit, "sections": search.section_hit}


def _hit_sql(table: str, pk: str, hit_sql: str) -> str:
    """One pass over the table: SQLite reads the search index once into a temporary
    b-tree, then tests every row's condition against it."""
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
        search_text = request.args.get("_search")
        context = {"supports_search": True, "search": search_text or ""}
        if not search_text:
            return FilterArguments([], extra_context=context)
        pk = conf.get("pk", "id")
        raw = request.args.get("_searchmode", conf.get("searchmode")) == "raw"
        hit, params = search.raw_hit(search_text) if raw else _TARGETS[conf["target"]](search_text)
        db = datasette.get_database(database)
        hits, total, max_pk, keys = (await db.execute(_hit_sql(table, pk, hit), params)).first()
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
            human_descriptions=[f'search matches "{search_text}"'], extra_context=context,
        )

    return inner
