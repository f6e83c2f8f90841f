"""One agency per body: agencies identified by their region and their normalised name.

The same government publishes as 洪泽区人民政府 one year and 淮安市洪泽区人民政府 the next;
a portal writes 县政府办公室 where the report says 县政府办. :func:`identity_key` reduces a
name to what identifies the body inside its region:

* the chain of region names it starts with (江苏省淮安市洪泽区, also short forms 新疆, 淮安)
  is dropped, once the agency is linked to a region (``agencies.linked_region_code``, from its
  name or its portal's registry row: db/regions.py — never from a loose name match);
* with no region in the name, a leading 市 / 县 / 区 / 旗 (the region's own level word:
  市林业局 is the city's 林业局) is dropped;
* 人民政府 → 政府, 办公室 → 办, whitespace, quotes and brackets removed.

Key: ``<linked_region_code>|<normalised name>``; no key without a linked region.

:func:`merge_agencies` (run by ``db.register.refresh`` through the cross-year checks, after the
agencies are linked) groups agencies by key. The lowest id of a group is the body; every
other member gets ``merged_into`` = that id and the body's ``entity_key``, so coverage, the
cross-year checks and the comparison pages see one publisher. Each merge is a row of
``agency_merges`` (who, into whom, the key, when); :func:`unmerge` undoes one (the agency
keeps its own ``entity_key`` again) and records ``undone_at``, and a later refresh leaves that
pair apart. ``agency_aliases`` keeps every spelling seen, with the agency row it came from.
Reports keep their ``agency_id`` (the spelling they were published under).
"""
from __future__ import annotations

import re

from . import figures, regions
from .clock import now_iso

_STRIP = re.compile(r"[\s\u3000\"'“”‘’「」『』()（）\[\]【】·・,，、]")
_LEVEL_WORD = "省市县区旗州盟"


def normalise(rest: str) -> str:
    t = _STRIP.sub("", rest or "")
    t = t.replace("人民政府", "政府").replace("办公室", "办")
    return t


def identity_key(name: str | None, linked_region_code: str | None) -> str | None:
    """``<region>|<normalised name>`` of an agency linked to a region, else None."""
    if not name or not linked_region_code:
        return None
    codes, rest = regions.parse_region(_STRIP.sub("", name))
    related = {c for c in codes if regions.is_within(linked_region_code, c) or c == linked_region_code}
    if codes and not related:
        # the name names a region other than the one it is linked to: keep it whole
        rest = name
    elif not codes:
        t = _STRIP.sub("", name)
        rest = t[1:] if len(t) > 2 and t[0] in _LEVEL_WORD else t
    norm = normalise(rest)
    return f"{linked_region_code}|{norm}" if norm else None


def create_tables(db) -> None:
    have = set(db["agencies"].columns_dict)
    for col in ("identity_key", "merged_into"):
        if col not in have:
            db.execute(f"ALTER TABLE agencies ADD COLUMN {col} {'INTEGER' if col == 'merged_into' else 'TEXT'}")
    db.execute("CREATE INDEX IF NOT EXISTS agencies_identity_key ON agencies(identity_key)")
    db.execute("""CREATE TABLE IF NOT EXISTS agency_aliases (
        name TEXT NOT NULL, region_code TEXT NOT NULL DEFAULT '',
        agency_id INTEGER NOT NULL REFERENCES agencies(id), identity_key TEXT, first_seen TEXT,
        PRIMARY KEY (name, region_code))""")
    db.execute("""CREATE TABLE IF NOT EXISTS agency_merges (
        id INTEGER PRIMARY KEY, agency_id INTEGER NOT NULL REFERENCES agencies(id),
        into_agency_id INTEGER NOT NULL REFERENCES agencies(id), identity_key TEXT,
        reason TEXT, merged_at TEXT, undone_at TEXT)""")
    db.execute("CREATE INDEX IF NOT EXISTS agency_merges_agency ON agency_merges(agency_id, into_agency_id)")
    # one row per body, with every spelling it published under
    db.execute("DROP VIEW IF EXISTS publishers")
    db.execute("""CREATE VIEW publishers AS
        SELECT b.id AS agency_id, b.name, b.level, b.linked_region_code AS region_code, rg.full_name AS region,
          (SELECT group_concat(name, ' / ') FROM (SELECT DISTINCT a.name FROM agencies a
             WHERE a.id = b.id OR a.merged_into = b.id)) AS spellings,
          (SELECT count(*) FROM reports r JOIN agencies a ON a.id = r.agency_id
             WHERE a.id = b.id OR a.merged_into = b.id) AS reports,
          b.identity_key
        FROM agencies b LEFT JOIN regions rg ON rg.code = b.linked_region_code
        WHERE b.merged_into IS NULL""")


def merge_agencies(db, agency_ids=None) -> int:
    """Key the agencies (all, or ``agency_ids``), record their spellings, and merge each group
    of one key into its lowest id (see the module docstring). Returns the merges added."""
    conn = db.conn
    sql = "SELECT id, name, region_code, linked_region_code FROM agencies"
    rows = conn.execute(sql).fetchall() if agency_ids is None else [
        r for i in sorted(set(agency_ids)) for r in conn.execute(sql + " WHERE id = ?", (i,)).fetchall()]
    keys = set()
    now = now_iso()
    for agency_id, name, code, linked in rows:
        key = identity_key(name, linked)
        conn.execute("UPDATE agencies SET identity_key = ? WHERE id = ?", (key, agency_id))
        conn.execute("INSERT OR IGNORE INTO agency_aliases(name, region_code, agency_id, identity_key, first_seen) "
                     "VALUES (?, ?, ?, ?, ?)", (name, code or "", agency_id, key, now))
        conn.execute("UPDATE agency_aliases SET identity_key = ? WHERE agency_id = ?", (key, agency_id))
        if key:
            keys.add(key)
    undone = {(a, b) for a, b in conn.execute(
        "SELECT agency_id, into_agency_id FROM agency_merges WHERE undone_at IS NOT NULL")}
    added = 0
    for key in sorted(keys):
        members = [r for r in conn.execute(
            "SELECT id, entity_key, merged_into FROM agencies WHERE identity_key = ? ORDER BY id", (key,))]
        if len(members) < 2:
            continue
        body_id, body_entity, _ = members[0]
        for agency_id, entity, merged_into in members[1:]:
            if (agency_id, body_id) in undone:
                continue
            if merged_into != body_id:
                conn.execute("INSERT INTO agency_merges(agency_id, into_agency_id, identity_key, reason, merged_at) "
                             "VALUES (?, ?, ?, ?, ?)",
                             (agency_id, body_id, key, "same region and normalised name", now))
                added += 1
            conn.execute("UPDATE agencies SET merged_into = ?, entity_key = ? WHERE id = ?",
                         (body_id, body_entity, agency_id))
    return added


def unmerge(db, agency_id: int) -> bool:
    """Undo the merge of ``agency_id``: it is its own publisher again (recorded, and kept apart
    by later refreshes). False when it was not merged."""
    conn = db.conn
    row = conn.execute("SELECT merged_into FROM agencies WHERE id = ?", (agency_id,)).fetchone()
    if not row or row[0] is None:
        return False
    conn.execute("UPDATE agency_merges SET undone_at = ? WHERE agency_id = ? AND into_agency_id = ? "
                 "AND undone_at IS NULL", (now_iso(), agency_id, row[0]))
    conn.execute("UPDATE agencies SET merged_into = NULL WHERE id = ?", (agency_id,))
    regions.link_agencies(db, [agency_id])  # its own entity_key again
    figures.refresh_agencies(db, [agency_id])  # its reports count as its own publisher's
    return True
