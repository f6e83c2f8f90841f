"""One call after storing: regions, registry, agency links, cross-year checks and text reuse.

    from db.register import refresh
    refresh(archive_or_db_or_path, registry="crawler/portals.csv")   # after a load or a crawl
    refresh(archive, agency_id=12)                                   # after storing one report

``xxgk load`` calls it with ``crawler/portals.csv`` and the agencies of the reports it stored; a
crawl should call it once when it closes, with the registry it crawled
(``crawler/sample_portals/portals.csv`` for ``xxgk demo``) and the agencies it stored:

    refresh(archive, registry=portals_csv, agency_ids=stored_agency_ids)

Without ``agency_ids`` every publisher is rechecked (a few seconds per 10,000 reports) and the
coverage tables are rebuilt; with them, only those publishers' cross-year checks and coverage
rows, and their regions' rows (``db.coverage.refresh``).
"""
from __future__ import annotations

from pathlib import Path

from . import coverage, figures, regions
from .crossyear import _database, run_cross_year_checks

DEFAULT_REGISTRY = Path(__file__).resolve().parent.parent / "crawler" / "portals.csv"


def refresh(db, registry: "str | Path | None" = None, agency_id: int | None = None, *,
            agency_ids=None, **kwargs) -> dict:
    """Load the regions (when missing or outdated) and ``registry`` (if given), link agencies,
    run the cross-year checks and bring the coverage tables up to date: of all publishers, or
    only of those of ``agency_id`` / ``agency_ids`` (what a load or crawl just stored: cheap on
    a large archive)."""
    db = _database(db)
    with db.atomic():
        regions.load_regions(db)
        coverage.default_settings(db)
        portals = coverage.load_registry(db, registry) if registry and Path(registry).exists() else 0
    result = run_cross_year_checks(db, agency_id, agency_ids=agency_ids, **kwargs)
    ids = None if agency_id is None and agency_ids is None else [agency_id, *(agency_ids or ())]
    figures.refresh_agencies(db, ids)
    result.update(coverage.refresh(db, ids))
    result["registry_portals"] = portals
    return result
