"""Datasette plugin: the pages a journalist or researcher reads (issue 15).

Registered by ``xxgk serve`` next to :mod:`db.datasette_plugin` (and by the ``datasette`` entry
point ``xxgk_pages``); Jinja templates in ``db/pages/templates/`` (Datasette finds a plugin
package's ``templates`` folder).

* ``/report/{id}``: one report (db/pages/report.py)
* ``/report/{id}/original/{version_id}``: the archived bytes, for a sandboxed frame
* ``/agency/{id}``: one agency across years, tables 3 and 4 side by side (db/pages/compare.py)
* ``render_cell``: a report's title (table ``reports``) and every ``report_id`` in a table or
  query link to ``/report/{id}``; an ``agency_id`` to ``/agency/{id}``
* ``chinese_snippet(text, q)`` for SQL (db/snippet.py), a ``snippet`` column rendered with
  its terms highlighted; ``/-/xxgk.css`` (column widths); table pages fold their column
  descriptions under one line
* ``/regions``: every region with agencies in the archive (linked from the home page)
* ``/region/{code}``: a region's agencies by year, late or missing reports, one year's figures
"""
from __future__ import annotations

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from .. import snippet as _snippet
from . import compare, report

CSS = """
/* the reports table: the title readable on one line at 1400 px */
body.table-reports td.col-title { min-width: 26em; }
body.query td.col-title, body.query td.col-agency { min-width: 12em; }
body.query td.col-url { max-width: 16em; overflow-wrap: anywhere; }
body.table-reports td.col-url, body.table-reports td.col-source { max-width: 14em; overflow-wrap: anywhere; }
td.col-snippet { min-width: 28em; }
mark { background: #ffe066; padding: 0 1px; }
details.column-descriptions-wrap summary { cursor: pointer; color: #555; margin: 0.5em 0; }
"""

# the column descriptions of a table page, folded away under one line (without script they
# stay as Datasette prints them)
FOLD_COLUMNS_JS = """
document.querySelectorAll('dl.column-descriptions').forEach(function (dl) {
  var d = document.createElement('details'); d.className = 'column-descriptions-wrap';
  var s = document.createElement('summary'); s.textContent = 'Column descriptions';
  dl.parentNode.insertBefore(d, dl); d.appendChild(s); d.appendChild(dl);
});
"""


@hookimpl
def register_routes():
    return [
        (r"^/report/(?P<id>\d+)$", report.report_page),
        (r"^/report/(?P<id>\d+)/original/(?P<version>\d+)$", report.original_page),
        (r"^/agency/(?P<id>\d+)$", compare.agency_page),
        (r"^/region/(?P<code>\d{6})$", compare.region_page),
        (r"^/regions$", compare.regions_page),
        (r"^/-/xxgk\.css$", css),
    ]


async def css(request):
    return Response(CSS, content_type="text/css; charset=utf-8", headers={"Cache-Control": "max-age=600"})


@hookimpl
def extra_css_urls():
    return ["/-/xxgk.css"]


@hookimpl
def extra_body_script(template):
    return FOLD_COLUMNS_JS if template == "table.html" else None


@hookimpl
def prepare_connection(conn):
    conn.create_function("chinese_snippet", 2, _snippet.snippet, deterministic=True)


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if value is None or isinstance(value, (bytes, float)):
        return None
    if column == "snippet" and isinstance(value, str):
        # the search terms, marked by db.snippet, highlighted; everything else escaped
        html = str(escape(value)).replace(_snippet.OPEN, "<mark>").replace(_snippet.CLOSE, "</mark>")
        return Markup(html)
    if column == "report_id" and table != "reports" and str(value).isdigit():
        return Markup(f'<a href="/report/{int(value)}" title="the report page">{int(value)}</a>')
    if column == "agency_id" and table != "agencies" and str(value).isdigit():
        return Markup(f'<a href="/agency/{int(value)}" title="the agency across years">{int(value)}</a>')
    if table == "reports" and column == "title" and row is not None:
        try:
            rid = row["id"]
        except (KeyError, IndexError, TypeError):
            return None
        if rid is not None:
            return Markup(f'<a href="/report/{int(rid)}">{escape(value)}</a>')
    return None
