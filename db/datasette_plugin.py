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
* Limits (arbitrary SQL stays available, bounded): ``bound_connection`` caps the size of
  any string or blob a query makes (``MAX_VALUE_MB``) and, under ``xxgk serve``, SQLite's
  heap (``PRAGMA hard_heap_limit``, ``HEAP_LIMIT_MB``), so a query that would take GBs
  fails at once with an error; ``asgi_wrapper`` answers a response larger than
  ``MAX_RESPONSE_MB`` with 413 and any write (POST, PUT, PATCH, DELETE) with 405.
  ``sql_time_limit_ms`` is a setting of ``xxgk serve`` (db/cli.py).
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
from collections import OrderedDict
from pathlib import Path
from urllib.parse import parse_qs, quote

from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.utils import escape_sqlite

from . import chinese, search, search_index
from .schema import register_functions


@hookimpl
def prepare_connection(conn, database, datasette):
    _attach_search_file(conn, database, datasette)
    register_functions(conn)
    bound_connection(conn)
    conn.create_function("chinese_long_match", 1, chinese.long_match, deterministic=True)
    conn.create_function("chinese_short_match", 1, chinese.short_match, deterministic=True)
    conn.create_function("chinese_fold", 1, chinese.fold, deterministic=True)


def _attach_search_file(conn, database, datasette) -> None:
    """The archive's search index file (db/search_index.py), read-only as Datasette opens the
    archive (immutable when the archive is): every connection, so the search tables resolve."""
    path = search_index.main_path(conn)
    if not path or search_index.is_attached(conn) or not Path(search_index.search_path(path)).exists():
        return
    db = datasette.databases.get(database) if datasette is not None else None
    mode = "immutable=1" if db is not None and not db.is_mutable else "mode=ro"
    search_index.attach(conn, f"file:{quote(search_index.search_path(path))}?{mode}")


# ---------------------------------------------------------------- limits (xxgk serve)
MAX_VALUE_MB = 64         # largest string or blob a query may make (raw pages are stored compressed)
HEAP_LIMIT_MB = 0         # SQLite's heap for the whole process; xxgk serve sets it (0: not set)
MAX_RESPONSE_MB = 64      # a larger response is refused with 413
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def bound_connection(conn) -> None:
    """Bound what one query can allocate: strings and blobs (per connection) and, when
    HEAP_LIMIT_MB is set, SQLite's heap (process-wide; SQLITE_NOMEM past it)."""
    try:
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_MB << 20)
    except AttributeError:   # Python < 3.11: the heap limit alone
        pass
    if HEAP_LIMIT_MB:
        conn.execute(f"PRAGMA hard_heap_limit = {int(HEAP_LIMIT_MB) << 20}")


def _plain(status: int, message: str):
    body = json.dumps({"ok": False, "error": message, "status": status}).encode()
    return ({"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json; charset=utf-8"),
                         (b"content-length", str(len(body)).encode())]},
            {"type": "http.response.body", "body": body})


@hookimpl
def asgi_wrapper(datasette):
    """Read-only and bounded responses: writes answer 405, oversized responses 413."""
    limit = MAX_RESPONSE_MB << 20

    def wrap(app):
        async def bounded(scope, receive, send):
            if scope.get("type") != "http":
                return await app(scope, receive, send)
            if scope.get("method", "GET").upper() not in READ_METHODS:
                start, body = _plain(405, "the archive is read-only: writes are not accepted")
                await send({**start, "headers": start["headers"] + [(b"allow", b"GET, HEAD, OPTIONS")]})
                await send(body)
                return
            held = []       # the start message, held until the size of the body is known
            sent = [0, False]    # bytes sent, whether the response was cut

            async def bounded_send(message):
                if sent[1]:
                    return
                if message["type"] == "http.response.start":
                    held.append(message)
                    return
                if message["type"] != "http.response.body":
                    return await send(message)
                chunk = message.get("body", b"")
                if held:
                    start = held.pop()
                    if len(chunk) > limit:
                        sent[1] = True
                        refused, body = _plain(413, f"response larger than {MAX_RESPONSE_MB} MB: "
                                                    "ask for fewer rows or shorter values")
                        await send(refused)
                        await send(body)
                        return
                    await send(start)
                sent[0] += len(chunk)
                if sent[0] > limit:   # a streamed response (CSV): cut at the limit
                    sent[1] = True
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    return
                await send(message)

            scope = await _broad_scope(datasette, scope)
            await app(scope, receive, bounded_send)
            if held:
                await send(held.pop())
        return bounded

    return wrap


# ---------------------------------------------------------------- the search box of a table
# A condition in the page query, the row count and every facet query would look the index
# up three or more times per page view. Here the matching versions are found once per request
# (_probe), their keys once (_lookup_sql), and the page, count and facets are restricted to exactly that
# set (_plan: every row up to the largest key at search time, the keys looked up, a byte
# per key, or all but these keys). Same rows, one index lookup.
_SPARSE = 4  # under 1/4 of the table: look the keys up; else scan and test each row
# (a search broader than the exact limit is tested row by row instead: see _probe)


def _plan(hits: int, total: int, max_pk: int) -> str:
    """How the page, count and facets are restricted to the hits: "none", "all" (every row
    up to the largest key), "few" (keys looked up), "bitmap" (keys no sparser than one in
    eight: a byte per key), "most" (all but these keys) or "some" (these keys, tested)."""
    if not hits:
        return "none"
    if hits == total:
        return "all"
    if hits * _SPARSE < total:
        return "few"
    if max_pk <= 8 * total + 1024:
        return "bitmap"
    return "most" if hits * 2 > total else "some"


def _bitmap(max_pk: int, keys: list[int], dense: bool) -> bytes:
    """Byte ``k - 1`` is 1 when key ``k`` (1..max_pk) is a hit; ``keys`` are the hits, or
    when ``dense`` the keys that are not."""
    bits = bytearray(b"\x01" * max_pk if dense else max_pk)
    mark = 0 if dense else 1
    for key in keys:
        if 1 <= key <= max_pk:
            bits[key - 1] = mark
    return bytes(bits)


def _lookup_sql(table: str, pk: str, hit_sql: str) -> str:
    """The matching keys found by the condition itself (through an index), then counted."""
    t, k = escape_sqlite(table), escape_sqlite(pk)
    return f"""with hits(id) as materialized (select {k} from {t} where {hit_sql})
select (select count(*) from hits), (select json_group_array(id) from (select id from hits order by id))"""


# The matching keys of recent searches, per table and query, while the file is unchanged:
# the next page, another facet or the same search again costs no index lookup. A commit
# changes the file's header (rollback journal: its change counter) or its WAL (appended
# frames; a WAL started over gets new salts in its header), so the key changes with it.
_CACHE: "OrderedDict[tuple, object]" = OrderedDict()
CACHE_SIZE = 32


def _file_state(path: str | None) -> tuple | None:
    if not path:
        return None
    state = []
    for p, head in ((path, 100), (path + "-wal", 32)):
        try:
            with open(p, "rb") as f:
                st = os.fstat(f.fileno())
                state.append((st.st_ino, st.st_size, st.st_mtime_ns, f.read(head)))
        except OSError:
            state.append(None)
    return tuple(state)


async def _cached(db, key: tuple, compute):
    """``await compute()``, kept while the file is unchanged (see _CACHE)."""
    state = _file_state(db.path)
    key = (db.path, state, *key)
    if state is not None and key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    result = await compute()
    if state is not None and _file_state(db.path) == state:  # nothing committed meanwhile
        _CACHE[key] = result
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


async def _table_size(db, table: str, pk: str, exact: bool = True) -> tuple[int, int]:
    """(rows, largest key) of a table. ``exact=False``: the rows as ANALYZE last counted them
    (sqlite_stat1) when there is such a count — counting 6 million sections takes a third of
    a second, the statistics nothing — else counted."""
    t, k = escape_sqlite(table), escape_sqlite(pk)

    async def compute():
        if not exact:
            try:
                stat = (await db.execute("select stat from sqlite_stat1 where tbl = ? limit 1", [table])).first()
            except Exception:   # no sqlite_stat1 (never analyzed)
                stat = None
            if stat and stat[0]:
                top = (await db.execute(f"select coalesce(max({k}), 0) from {t}")).first()[0]
                return int(str(stat[0]).split()[0]), int(top)
        row = (await db.execute(f"select count(*), coalesce(max({k}), 0) from {t}")).first()
        return int(row[0]), int(row[1])
    return await _cached(db, ("size", table, pk, exact), compute)


async def _search_keys(db, table: str, pk: str, hit: str, params: dict) -> tuple:
    """(hits, rows, largest key, keys as JSON: the hits, or when more than half the rows
    match the rows that do not). The rows are counted only when the hits are not clearly a
    small part of them (by ANALYZE's count): for a few hits the keys are looked up whatever
    the exact number of rows (_plan "few")."""
    async def compute():
        hits, keys = (await db.execute(_lookup_sql(table, pk, hit), params)).first()
        total, max_pk = await _table_size(db, table, pk, exact=False)
        if hits * _SPARSE * 2 >= total:
            total, max_pk = await _table_size(db, table, pk)
        if hits * 2 > total:
            keys = json.dumps(sorted(set(range(1, max_pk + 1)) - set(json.loads(keys)))) \
                if max_pk <= 8 * total + 1024 else json.dumps([
                    r[0] for r in await db.execute(
                        f"select {escape_sqlite(pk)} from {escape_sqlite(table)} where {escape_sqlite(pk)} "
                        "not in (select value from json_each(:k)) order by 1", {"k": keys})])
        return hits, total, max_pk, keys
    return await _cached(db, ("keys", table, pk, hit, tuple(sorted(params.items()))), compute)


# ---------------------------------------------------------------- searches that stop early
# A search reads the index from the newest version down (db.search.probe_parts) and stops after
# EXACT_LIMIT matching versions: at most SEARCH_EXACT_MIN, or SEARCH_EXACT_SHARE of all
# versions when that is more. A search that stops before the limit is exact: its keys are
# known, and the page, its row count and its facets are restricted to them. A broader one
# (a term most reports contain) is tested row by row as the page is read
# (db.search.lazy_report_hit; for sections, their own text):
# the page's rows are found after a few tests, whatever the order, filters or page asked
# for; the rows are not counted and there are no facets (every match would have to be read),
# and the page says so. The cost of a search is therefore bounded by the limit, not by the
# archive's size (bench/archive.py measures it at 1,000,000 reports).
SEARCH_EXACT_MIN = 2000
SEARCH_EXACT_SHARE = 0.02
_TABLE_PATH = re.compile(r"^/(?P<db>[^/]+)/(?P<table>[^/]+?)(?:\.json)?$")


#: the cost of testing one version on a search table by rowid, and of reading one match of a
#: range of it, in microseconds (measured: bench/archive.py): a version set is tested the
#: cheaper way
PER_ROW_US = 500
PER_MATCH_US = 1.5


async def _probe(db, query: str) -> dict:
    """{"broad": bool, "limit": n, "versions": [...] (exact: every matching version, those
    waiting for the index included)}.

    One search table (terms of one length): its stream, stopped at the limit. Two (terms of
    both lengths): both streams, each stopped at the limit. When one of them is complete, its
    versions are tested on the other table. When neither is, the newest matches of the first
    are tested on the other: if the query still matches at least SEARCH_EXACT_SHARE of those
    versions the search is broad; else (two common terms that seldom occur together) both are
    read whole and intersected — exact, and the slowest case."""
    async def rows(sql, params):
        # one JSON array, not a row per version: Datasette makes a Python row of each (a
        # stream of 20,000 versions took 35 ms that way, 6 ms as one value)
        found = (await db.execute(f"select json_group_array(version_id) from ({sql})", params)).first()[0]
        return json.loads(found)

    async def compute():
        parts, params = search.probe_parts(query)
        if not parts:
            return {"broad": False, "limit": 0, "versions": []}
        newest = (await db.execute("select coalesce(max(id), 0) from versions")).first()[0]
        limit = max(SEARCH_EXACT_MIN, int(SEARCH_EXACT_SHARE * newest))
        p = {**params, "xxgk_limit": limit + 1}
        streams = [await rows(part[0], p) for part in parts]
        broad = {"broad": True, "limit": limit, "versions": None}
        if len(parts) == 1:
            if len(streams[0]) > limit:
                return broad
            versions = streams[0]
        else:
            complete = [i for i, st in enumerate(streams) if len(st) <= limit]
            if complete:
                i = min(complete, key=lambda k: len(streams[k]))
                versions = await _matching(rows, parts[1 - i], streams[1 - i], streams[i], params)
            else:
                # the newest matches of the first part, tested on the second
                sample = streams[0]
                both = await _matching(rows, parts[1], streams[1], sample, params)
                if len(both) >= SEARCH_EXACT_SHARE * (sample[0] - sample[-1] + 1):
                    return broad
                # intersected by SQLite: a quarter of a million versions per term is common
                versions = await rows(f"{parts[0][3]} intersect {parts[1][3]}", params)
        # a pending version is tested on its text (the index may hold an older one)
        waiting = set(await rows(search.PENDING_IDS_SQL, {}))
        versions = [v for v in versions if v not in waiting] if waiting else versions
        versions += [r[0] for r in await db.execute(search.pending_matches(), params)]
        return {"broad": False, "limit": limit, "versions": sorted(set(versions))}
    return await _cached(db, ("probe", query), compute)


async def _matching(rows, part: tuple, stream: list[int], versions: list[int], params: dict) -> list[int]:
    """Those of ``versions`` (newest first) that match ``part`` too, whose newest matches are
    ``stream``: each tested by rowid, or the part's matches in their range read at once —
    whichever costs less by the density of ``stream``."""
    if not versions:
        return []
    lo, hi = versions[-1], versions[0]
    density = len(stream) / max(1, stream[0] - stream[-1] + 1) if stream else 0.0
    if len(versions) * PER_ROW_US <= density * (hi - lo + 1) * PER_MATCH_US:
        return await rows(part[2], {**params, "xxgk_ids": json.dumps(versions)})
    matching = set(await rows(part[1], {**params, "xxgk_lo": lo, "xxgk_hi": hi}))
    return [v for v in versions if v in matching]


def _search_request(datasette, scope) -> tuple | None:
    """(database, table, config, query) of a table page or its JSON with ?_search= on a table
    whose metadata has xxgk_search (raw mode excluded: an FTS5 expression is evaluated whole)."""
    if scope.get("type") != "http":
        return None
    m = _TABLE_PATH.match(scope.get("path", ""))
    if not m or m["db"] not in datasette.databases:
        return None
    args = parse_qs((scope.get("query_string") or b"").decode("latin-1"), keep_blank_values=True)
    query = (args.get("_search") or [""])[0]
    conf = (datasette.table_metadata(m["db"], m["table"]) or {}).get("xxgk_search")
    if not query or not conf:
        return None
    if (args.get("_searchmode") or [conf.get("searchmode")])[0] == "raw":
        return None
    return m["db"], m["table"], conf, query


async def _broad_scope(datasette, scope) -> dict:
    """The request's scope with its search probed (scope["xxgk_probe"]); a broad search's
    query string gets _nocount=1&_nofacet=1, which Datasette reads before any filter."""
    found = _search_request(datasette, scope)
    if not found:
        return scope
    database, _table, _conf, query = found
    probed = await _probe(datasette.get_database(database), query)
    scope = dict(scope, xxgk_probe=(query, probed))
    if probed["broad"]:
        qs = scope.get("query_string") or b""
        scope["query_string"] = qs + (b"&" if qs else b"") + b"_nocount=1&_nofacet=1"
    return scope


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
        db = datasette.get_database(database)
        description = f'search matches "{search_text}"'
        if raw:
            hit, params = search.raw_hit(search_text)
        else:
            probed = request.scope.get("xxgk_probe")
            if not probed or probed[0] != search_text:
                probed = (search_text, await _probe(db, search_text))
            probed = probed[1]
            if probed["broad"]:
                if conf["target"] == "reports":
                    where, params = search.lazy_report_hit(search_text, escape_sqlite(table))
                else:
                    # a section that contains every term belongs to a version that does:
                    # its own text is the whole test
                    where, params = search.section_text_condition(search_text)
                description += (f" (a broad search: more than {probed['limit']:,} versions match; rows are "
                                 "tested as the page is read, not counted, and there are no facets — "
                                 "add a term or a filter to narrow it)")
                return FilterArguments([where], params, human_descriptions=[description],
                                       extra_context=context)
            hit = "version_id in (select value from json_each(:xxgk_versions))"
            params = {"xxgk_versions": json.dumps(probed["versions"])}
            if conf["target"] == "sections":
                text, text_params = search.section_text_condition(search_text)
                hit, params = f"{hit} and {text}", {**params, **text_params}
        hits, total, max_pk, keys = await _search_keys(db, table, pk, hit, params)
        k = escape_sqlite(pk)
        extra = {"_xxgk_max": max_pk}
        plan = _plan(hits, total, max_pk)
        if plan == "none":
            where = "0"
        elif plan == "all":  # every row up to the largest key at search time
            where = f"+{k} <= :_xxgk_max"
        elif plan == "few":  # look them up by key
            where = f"{k} in (select value from json_each(:_xxgk_keys))"
        elif plan == "bitmap":
            # one byte per key up to the largest, tested with substr() (a BLOB is indexed
            # by byte: no lookup per row, about a third of the time of `in`)
            where = f"+{k} between 1 and :_xxgk_max and substr(:_xxgk_bits, +{k}, 1) = x'01'"
            extra["_xxgk_bits"] = _bitmap(max_pk, json.loads(keys), dense=hits * 2 > total)
        elif plan == "most":  # all but these keys
            where = f"+{k} <= :_xxgk_max and +{k} not in (select value from json_each(:_xxgk_keys))"
        else:  # these keys, looked up (sections: reading every row would read all the text)
            where = f"{k} in (select value from json_each(:_xxgk_keys))"
        if plan in ("few", "most", "some"):
            extra["_xxgk_keys"] = keys
        return FilterArguments(
            [where], extra,
            human_descriptions=[description], extra_context=context,
        )

    return inner
