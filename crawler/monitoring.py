"""Crawl health: checks run after every crawl, in the spirit of spidermon's monitors.

After a crawl closes (:class:`crawler.extensions.CrawlRunExtension`, or
``xxgk store-worker`` for a distributed crawl) :func:`after_crawl` compares the run's
per-portal summary (``stats["xxgk/portals"]``) with the last earlier run that crawled
the same portal, and stores what fired in ``crawl_runs.alerts`` (JSON) and
``crawl_runs.alert_count``. ``xxgk crawl --fail-on-alert`` exits 1 when any fired;
the canned query ``crawl_health`` in ``metadata.json`` lists them in Datasette.

Checks (each alert is ``{check, portal, message, value, threshold}``):

``crawl_ended``        the crawl did not finish (``finish_reason`` other than ``finished``)
``workers_lost``       a distributed crawl lost a worker (its work was requeued and finished)
``blocked``            a portal answered with a JavaScript challenge (recorded, never bypassed)
``no_lists``           no list page of a portal could be read
``stopped_yielding``   a portal that yielded reports (new or unchanged) in its previous
                       run yields none now — the portal moved, changed layout or broke
``no_reports``         a portal yields no report and never did (a registry problem)
``list_shrank``        a portal's lists name fewer articles than in its previous run,
                       by more than ``XXGK_ALERT_SHRINK`` (default 0.2 = 20 %)
``error_rate``         dead links and failed downloads of a portal over
                       ``XXGK_ALERT_ERROR_RATE`` (default 0.25) of what its lists named
``list_capped``        a column hit ``XXGK_MAX_LIST_PAGES`` or the portal its
                       ``XXGK_PORTAL_TIME_BUDGET`` (an endless 下一页 chain?): the rest is
                       unread (crawl_log event ``capped`` says which)
``sublists_empty``     a column page linked sub-lists (one per year, per department or
                       township, an iframe) and the crawl followed them, but none named an
                       article (a list layout the crawler does not read?)
``column_emptied``     a report column whose pages named articles in the portal's previous
                       run names none now (per column: ``column_links``, below)
``block_rate``         the share of blocked portals over ``XXGK_ALERT_BLOCK_RATE``
                       (default 0.2) — many portals blocking at once means *we* look like
                       a bot (rate, User-Agent, address), not that one portal changed

The per-portal summary (``spider.portal_summary()``, ``stats["xxgk/portals"][id]``)
---------------------------------------------------------------------------------
One set of names: the spider (:mod:`crawler.spiders.base`, :mod:`crawler.spiders.navigation`)
sets them; these checks, :func:`portal_status`, the ``portals`` table (:mod:`db.portals`,
via :func:`crawler.extensions.portal_records`), the crawl summary and the distributed merge
(:func:`crawler.distributed.merge_stats`) read them. Counts (ints):

``reports``, ``unchanged``, ``skipped``, ``dead``, ``robots`` (article links by outcome),
``fresh`` (of the unchanged, those not requested at all: validated recently), ``lists`` (list pages read), ``blocked``, ``refused``, ``malformed``,
``article_pages`` (further pages of split articles)
``capped``            columns stopped by the page cap, plus 1 when the time budget stopped the portal
``sublists``          sub-list links found on column pages and followed
``sublist_links``     article links those sub-lists' pages named
``unreachable``       home or list pages that failed to download (DNS, connection, timeout,
                      HTTP error after retries); ``robots_pages`` those robots.txt disallows

and:

``column_links``      ``{column URL: article links its pages and sub-lists named}`` — every
                      column read, 0 included (the ``column_emptied`` check)
``status``            one of ``db.portals.STATUSES`` (ok / no_column / unreachable / blocked /
                      robots); ``status_reason`` why
``platform``          fingerprinted, else the registry's
``columns``           ``[{url, how, via}]``: every column and sub-list read or found, how it was
                      found (``registry``, ``link text: …``, ``platform path: …``, ``year: …``,
                      ``subcolumn: …``, ``agency: …``, ``iframe``, ``search``, or the how an
                      earlier crawl found and the archive remembered) and the page that linked it
``how_found``         in one phrase (``registry``, ``archive (…)``, else the first column's how)

"What the lists named" is a portal's article links by outcome: reports fetched,
unchanged (304, same bytes, or validated recently and not requested: ``fresh`` is a part of
``unchanged``, never added to it), skipped by title, dead, disallowed by robots.txt.
"Yielded" is reports + unchanged.
"""
from __future__ import annotations

import json
from typing import Any

from db.portals import STATUSES

DEFAULTS = {"XXGK_ALERT_SHRINK": 0.2, "XXGK_ALERT_ERROR_RATE": 0.25, "XXGK_ALERT_BLOCK_RATE": 0.2}
LISTED_KEYS = ("reports", "unchanged", "skipped", "dead", "robots")   # "fresh" is counted in "unchanged"


def _setting(settings, name: str) -> float:
    if settings is None:
        return DEFAULTS[name]
    try:
        v = settings.get(name) if hasattr(settings, "get") else None
        return float(v) if v not in (None, "") else DEFAULTS[name]
    except (TypeError, ValueError):
        return DEFAULTS[name]


def listed(s: dict) -> int:
    """Article links a portal's lists named in one run (see the module docstring)."""
    return sum(int(s.get(k) or 0) for k in LISTED_KEYS)


def yielded(s: dict) -> int:
    return int(s.get("reports") or 0) + int(s.get("unchanged") or 0)


def portal_status(s: dict) -> tuple[str, str]:
    """(status, reason) of a portal from its per-portal summary: the spider's own verdict
    (``status``, ``status_reason``), else — a summary without one, e.g. of an older run —
    read from the counts: ``ok`` (a column read), ``blocked``, ``unreachable``, ``robots``
    or ``no_column`` (``db.portals.STATUSES``)."""
    if s.get("status") in STATUSES:
        return s["status"], s.get("status_reason") or ""
    if s.get("blocked"):
        return "blocked", "JavaScript challenge (HTTP 412/521 or a challenge page)"
    if s.get("lists"):
        return "ok", f"{s['lists']} list pages read, {yielded(s)} reports listed"
    if s.get("unreachable"):
        return "unreachable", s.get("unreachable_reason") or "no answer"
    if s.get("robots_pages"):
        return "robots", "robots.txt disallows the home or column pages"
    if s.get("refused") and not s.get("dead"):
        return "unreachable", "every request refused by the crawler's guard (another site or a private address)"
    if s.get("dead"):
        return "no_column", "the column page answered with an HTTP error"
    return "no_column", "no report column found from the home page"


def alert(check: str, portal: str | None, message: str, value: Any = None, threshold: Any = None) -> dict:
    return {"check": check, "portal": portal, "message": message, "value": value, "threshold": threshold}


def check(stats: dict, previous: dict[str, dict] | None = None, settings=None) -> list[dict]:
    """The alerts for one run: *stats* are its Scrapy stats with ``xxgk/portals``;
    *previous* maps portal id → that portal's summary in its last earlier run."""
    previous = previous or {}
    shrink = _setting(settings, "XXGK_ALERT_SHRINK")
    error_rate = _setting(settings, "XXGK_ALERT_ERROR_RATE")
    block_rate = _setting(settings, "XXGK_ALERT_BLOCK_RATE")
    out: list[dict] = []
    reason = stats.get("finish_reason")
    if reason not in (None, "finished"):
        out.append(alert("crawl_ended", None, f"crawl ended: {reason}", reason, "finished"))
    lost = stats.get("xxgk/distributed/workers_lost") or []
    if lost:
        out.append(alert("workers_lost", None,
                         f"{len(lost)} crawler worker(s) stopped mid-crawl ({', '.join(lost)}); their requests "
                         "were finished by the others, their counts are from their last heartbeat", len(lost), 0))
    portals: dict[str, dict] = stats.get("xxgk/portals") or {}
    for pid, s in sorted(portals.items()):
        before = previous.get(pid) or {}
        if s.get("blocked"):
            out.append(alert("blocked", pid, f"{pid}: blocked by a JavaScript challenge", s.get("blocked"), 0))
            continue
        if not s.get("lists"):
            status, why = portal_status(s)
            out.append(alert("no_lists", pid, f"{pid}: no list page could be read ({status}: {why})", 0, 1))
        cols_before = before.get("column_links") or {}
        cols_now = s.get("column_links") or {}
        for col, n_before_col in sorted(cols_before.items()):
            if int(n_before_col or 0) > 0 and s.get("lists") and int(cols_now.get(col) or 0) == 0:
                out.append(alert("column_emptied", pid,
                                 f"{pid}: column {col} names no article, {n_before_col} in its previous run",
                                 0, int(n_before_col)))
        if not yielded(s):
            if yielded(before):
                out.append(alert("stopped_yielding", pid,
                                 f"{pid}: no report found, {yielded(before)} in its previous run",
                                 0, yielded(before)))
            elif s.get("lists"):
                out.append(alert("no_reports", pid, f"{pid}: no report found", 0, 1))
        n_now, n_before = listed(s), listed(before)
        if n_before and n_now < (1 - shrink) * n_before:
            out.append(alert("list_shrank", pid,
                             f"{pid}: its lists name {n_now} articles, {n_before} in its previous run "
                             f"(-{1 - n_now / n_before:.0%}, threshold {shrink:.0%})",
                             n_now, round((1 - shrink) * n_before, 1)))
        if s.get("capped"):
            out.append(alert("list_capped", pid, f"{pid}: stopped by the list page cap or its time budget "
                             "(see crawl_log event 'capped')", int(s["capped"]), 0))
        if int(s.get("sublists") or 0) > 0 and not int(s.get("sublist_links") or 0):
            out.append(alert("sublists_empty", pid,
                             f"{pid}: {s['sublists']} sub-lists linked from its column pages followed, none named "
                             "an article (a list layout the crawler does not read?)", 0, int(s["sublists"])))
        errors = int(s.get("dead") or 0)
        if n_now and errors / n_now > error_rate:
            out.append(alert("error_rate", pid,
                             f"{pid}: {errors} of {n_now} listed articles dead or failing "
                             f"({errors / n_now:.0%} > {error_rate:.0%})", round(errors / n_now, 3), error_rate))
    n_blocked = sum(1 for s in portals.values() if s.get("blocked"))
    if len(portals) >= 2 and n_blocked / len(portals) > block_rate:
        out.append(alert("block_rate", None,
                         f"{n_blocked} of {len(portals)} portals blocked ({n_blocked / len(portals):.0%} > "
                         f"{block_rate:.0%}): check the crawl rate, User-Agent and address",
                         round(n_blocked / len(portals), 3), block_rate))
    return out


def previous_summaries(db, run_id: int | None, portals, limit: int = 500) -> dict[str, dict]:
    """For each portal, its summary in the most recent finished run before *run_id*
    that crawled it (runs often cover a subset: ``-a region=``, ``-a portal=``)."""
    wanted = set(portals)
    out: dict[str, dict] = {}
    sql = "SELECT stats FROM crawl_runs WHERE finished IS NOT NULL AND stats IS NOT NULL"
    params: tuple = ()
    if run_id is not None:
        sql += " AND id < ?"
        params = (run_id,)
    for (raw,) in db.execute(sql + f" ORDER BY id DESC LIMIT {int(limit)}", params).fetchall():
        try:
            st = json.loads(raw)
        except (TypeError, ValueError):
            continue
        if st.get("finish_reason") not in (None, "finished"):
            continue   # an interrupted run says nothing about a portal's size
        for pid, s in (st.get("xxgk/portals") or {}).items():
            if pid in wanted and pid not in out:
                out[pid] = s
        if len(out) == len(wanted):
            break
    return out


def after_crawl(db, run_id: int | None, stats: dict, settings=None) -> list[dict]:
    """Run the checks for a finished run and store them in its ``crawl_runs`` row.
    *db* is a sqlite_utils Database or sqlite3 connection of the archive."""
    prev = previous_summaries(db, run_id, (stats.get("xxgk/portals") or {}).keys())
    alerts = check(stats, prev, settings)
    if run_id is not None:
        conn = getattr(db, "conn", db)
        with conn:
            conn.execute("UPDATE crawl_runs SET alerts = ?, alert_count = ? WHERE id = ?",
                         (json.dumps(alerts, ensure_ascii=False), len(alerts), run_id))
    return alerts


def messages(alerts: list[dict]) -> list[str]:
    return [a["message"] for a in alerts]
