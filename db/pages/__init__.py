"""Datasette plugin: the pages a journalist or researcher reads (issue 15).

Registered by ``xxgk serve`` next to :mod:`db.datasette_plugin` (and by the ``datasette`` entry
point ``xxgk_pages``); Jinja templates in ``db/pages/templates/`` (Datasette finds a plugin
package's ``templates`` folder).

* ``/report/{id}``: one report (db/pages/report.py)
* ``/report/{id}/original/{version_id}``: the archived bytes, for a sandboxed frame
"""
from __future__ import annotations

from datasette import hookimpl

from . import report


@hookimpl
def register_routes():
    return [
        (r"^/report/(?P<id>\d+)$", report.report_page),
        (r"^/report/(?P<id>\d+)/original/(?P<version>\d+)$", report.original_page),
    ]
