"""Datasette plugin: the pages a journalist or researcher reads (issue 15).

Registered by ``xxgk serve`` next to :mod:`db.datasette_plugin` (and by the ``datasette`` entry
point ``xxgk_pages``); Jinja templates in ``db/pages/templates/`` (Datasette finds a plugin
package's ``templates`` folder).

* ``/report/{id}``: one report (db/pages/report.py)
* ``/report/{id}/original/{version_id}``: the archived bytes, for a sandboxed frame
* ``/agency/{id}``: one agency across years, tables 3 and 4 side by side (db/pages/compare.py)
* ``render_cell``: a report's title (table ``reports``) and every ``report_id`` in a table or
  query link to ``/report/{id}``; an ``agency_id`` to ``/agency/{id}``
* ``/regions``: every region with agencies in the archive (linked from the home page)
* ``/region/{code}``: a region's agencies by year, late or missing reports, one year's figures
"""
from __future__ import annotations

from datasette import hookimpl
from markupsafe import Markup, escape

from . import compare, report


@hookimpl
def register_routes():
    return [
        (r"^/report/(?P<id>\d+)$", report.report_page),
        (r"^/report/(?P<id>\d+)/original/(?P<version>\d+)$", report.original_page),
        (r"^/agency/(?P<id>\d+)$", compare.agency_page),
        (r"^/region/(?P<code>\d{6})$", compare.region_page),
        (r"^/regions$", compare.regions_page),
    ]


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if value is None or isinstance(value, (bytes, float)):
        return None
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
