"""Searching the archive: a user's query -> SQL over the two search tables.

The search tables (:mod:`db.chinese`) have one row per stored version. A query's terms of
three or more characters are looked up in ``search_text``, shorter ones in
``search_short``; a version matches when it has every term. Versions stored but not
indexed yet (listed in ``search_pending``; the index is written in batches) are tested
directly on their text, so nothing committed is ever missing from a search; the index's rows
of a pending version (the text a re-parse replaced, until the indexer deletes them) are not
read.

* :func:`version_condition` — a condition on a version id: that version matches;
* :func:`report_hit` — a condition on a ``reports`` row: its current version matches;
* :func:`section_hit` — a condition on a ``sections`` row: its version matches and the
  section itself (heading and text) contains every term;
* :func:`raw_hit` — rows whose version matches a raw FTS5 expression over ``search_text``
  (``?_searchmode=raw``).

Each returns ``(sql, params)``; the parameters are named ``xxgk_*``. The Datasette plugin
(:mod:`db.datasette_plugin`) uses them for the search box of ``reports`` and ``sections``;
the ranked canned queries in ``metadata.json`` spell the same SQL out.
"""
from __future__ import annotations

from . import chinese

# text of a version not yet indexed: title, agency and sections, one per line, as indexed
# (db.search_index.search_rows and _version_heads compose the same text in Python)
PENDING_TEXT_SQL = """coalesce(json_extract(v.record, '$.title'), r.title, '') || char(10) ||
  coalesce(json_extract(v.record, '$.agency'), a.name, '') || char(10) ||
  coalesce((select group_concat(coalesce(s.heading, '') || char(10) || coalesce(s.text, ''), char(10))
            from (select heading, text from sections where version_id = v.id order by id) s), '')"""

# a section's own text, as SQL's lower() sees it
_SECTION_TEXT = "lower(coalesce(heading, '') || char(10) || coalesce(text, ''))"


def _pending_sql() -> str:
    # CROSS JOIN keeps search_pending (small, usually empty) the outer loop: statistics
    # taken while it was empty can make the planner scan every version instead
    return ("select v.id from search_pending p cross join versions v on v.id = p.version_id "
            "join reports r on r.id = v.report_id left join agencies a on a.id = r.agency_id "
            f"where chinese_contains({PENDING_TEXT_SQL}, :xxgk_q)")


#: the versions waiting for the index (their rows in it, if any, are an older text)
PENDING_IDS_SQL = "select version_id from search_pending"


def _index_sql(long: str | None, short: str | None) -> list[str]:
    parts = []
    if long:
        parts.append("select rowid from search_text where search_text match :xxgk_long")
    if short:
        parts.append("select rowid from search_short where search_short match :xxgk_short")
    return parts


def version_condition(query: str | None, column: str = "version_id") -> tuple[str, dict]:
    """A condition on ``column`` (a version id): that version contains every term. Written
    as membership tests: a UNION or INTERSECT of the index lookups would de-duplicate up to
    every version, which costs more than the lookups for common terms."""
    long, short = chinese.long_match(query), chinese.short_match(query)
    params = {"xxgk_q": query or "", "xxgk_long": long, "xxgk_short": short}
    parts = _index_sql(long, short)
    if not parts:
        return "0", params
    indexed = " and ".join(f"{column} in ({p})" for p in parts)
    return f"(({indexed} and {column} not in ({PENDING_IDS_SQL})) or {column} in ({_pending_sql()}))", params


def report_hit(query: str | None) -> tuple[str, dict]:
    return version_condition(query)


def section_text_condition(query: str | None) -> tuple[str, dict]:
    """A condition on a ``sections`` row: the section itself (heading and text) contains each
    term (in one of its spellings, :func:`db.chinese.variants`): tested with SQL's ``instr`` on
    its lower-cased text, or in Python (``chinese_contains``) for the few sections whose
    folding SQL cannot do (``sections.fold`` = 1)."""
    params = {"xxgk_q": query or ""}
    ts = chinese.terms(query)
    if not ts:
        return "0", params
    literal = []
    for i, term in enumerate(ts):
        spellings = chinese.variants(term)
        params.update({f"xxgk_t{i}_{j}": v for j, v in enumerate(spellings)})
        literal.append("(" + " or ".join(f"instr({_SECTION_TEXT}, :xxgk_t{i}_{j}) > 0"
                                         for j in range(len(spellings))) + ")")
    literal = " and ".join(literal)
    folded = "fold = 1 and chinese_contains(coalesce(heading, '') || char(10) || coalesce(text, ''), :xxgk_q)"
    return f"(({literal}) or ({folded}))", params


def section_hit(query: str | None) -> tuple[str, dict]:
    """The section's version matches (:func:`version_condition`), and the section itself
    contains each term (:func:`section_text_condition`)."""
    cond, params = version_condition(query)
    text, text_params = section_text_condition(query)
    if text == "0":
        return "0", params
    return f"{cond} and {text}", {**params, **text_params}


def raw_hit(expression: str) -> tuple[str, dict]:
    """Rows (reports or sections) whose version matches an FTS5 expression over search_text."""
    return ("version_id in (select rowid from search_text where search_text match :xxgk_raw)",
            {"xxgk_raw": expression})


# ---------------------------------------------------------------- searches that stop early
def probe_parts(query: str | None) -> tuple[list[tuple[str, str, str, str]], dict]:
    """The index reads of a query, one per search table it needs: ``(stream, within, test,
    every)``, each SQL selecting one column, ``version_id``. ``stream``: that table's
    matching versions, newest first, at most ``:xxgk_limit`` (-1: all; the index is read from
    the highest rowid down and stops at the limit, so a term found in every report costs no
    more than a rare one); ``within``: its matching versions with rowids from ``:xxgk_lo`` to
    ``:xxgk_hi`` (a range read: FTS5 seeks to it); ``test``: which of the versions in the JSON
    array ``:xxgk_ids`` match (each looked up by rowid: for a few); ``every``: all its matching
    versions, in no order (a compound SELECT such as INTERSECT can take it as it is). A query
    with terms of both lengths has two parts; no term, none."""
    long, short = chinese.long_match(query), chinese.short_match(query)
    params = {"xxgk_q": query or "", "xxgk_long": long, "xxgk_short": short}
    parts = []
    for table, expr in (("search_text", ":xxgk_long"), ("search_short", ":xxgk_short")):
        if params[expr[1:]] is None:
            continue
        every = f"select rowid as version_id from {table} where {table} match {expr}"
        parts.append((
            f"{every} order by rowid desc limit :xxgk_limit",
            f"{every} and rowid between :xxgk_lo and :xxgk_hi",
            f"select value as version_id from json_each(:xxgk_ids) where exists (select 1 from {table} "
            f"where {table} match {expr} and {table}.rowid = value)",
            every,
        ))
    return parts, params


def pending_matches() -> str:
    """SQL: the versions waiting for the index (search_pending) that contain every term."""
    return _pending_sql()


def lazy_report_hit(query: str | None, table: str = "reports") -> tuple[str, dict]:
    """A condition on a ``reports`` row tested row by row (its version looked up in the index
    by rowid): for a query most reports match, a page read in any order finds its rows after
    a few tests, where collecting every match first would read the whole index."""
    long, short = chinese.long_match(query), chinese.short_match(query)
    params = {"xxgk_q": query or "", "xxgk_long": long, "xxgk_short": short}
    tests = []
    if long:
        tests.append("exists (select 1 from search_text where search_text match :xxgk_long "
                     f"and search_text.rowid = {table}.version_id)")
    if short:
        tests.append("exists (select 1 from search_short where search_short match :xxgk_short "
                     f"and search_short.rowid = {table}.version_id)")
    if not tests:
        return "0", params
    return (f"(({' and '.join(tests)} and {table}.version_id not in ({PENDING_IDS_SQL})) "
            f"or {table}.version_id in ({_pending_sql()}))", params)
