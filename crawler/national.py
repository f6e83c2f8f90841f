"""The national registry: ``crawler/portals.csv`` built from two public lists of portal URLs.

Inputs (copied unchanged into ``crawler/data/``; ``crawler/data/SOURCE.md`` describes them):

``county-portals.csv``          2,841 county-level divisions (GB/T 2260 code, name, prefecture,
                                province, ``url_a``, ``url_b``, ``hosts_agree``)
``city-province-portals.csv``   367 province- and prefecture-level governments (same columns
                                and ``level``)

List A is the "中国千县政府网" page of DiamonWoo/Laosheng.top (``fuwu/qianxian.md``, commit
960d764); list B is anyi-econ/china-public-debt ``data/website-gov.ts`` (commit 9b01b30).
Every row of the registry cites both in ``source`` (with the URL each list gives).

Rules (:func:`build`):

* ``hosts_agree = same`` (both lists name the same host): ``base_url`` is the agreed root URL,
  platform ``auto`` (fingerprinted and its column discovered at crawl time), enabled.
* ``diff`` / ``one source``: kept, **disabled**, ``base_url`` empty, the candidates in
  ``notes`` — a person checks and enables the row (``xxgk portals set ID base_url=URL`` and
  ``xxgk portals enable ID``).
* Known errors of the lists (:data:`KNOWN_ERRORS`): a URL shown to be another place's is
  dropped from the candidates and the other one becomes ``base_url`` — still disabled, as
  nobody has checked it; old codes are replaced by the current GB/T 2260 code.
* Rows already in the registry keep their ``id``, columns, platform, params, notes and
  ``source`` (the list citation is appended); a government row (not ``department``) is merged
  with the national row of the same code, and gets the national ``base_url`` only where it
  had none. Department rows and rows of codes the lists lack stay as they are.

No URL is invented: a ``base_url`` is one both lists (or, after a known error, the one
remaining list) give; a column URL is one discovery found on the portal or a person gave.

Rebuild (reproducible: the committed ``crawler/portals.csv`` is its output)::

    python -m crawler.national            # writes crawler/portals.csv
    python -m crawler.national --check    # exit 1 when crawler/portals.csv differs
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from crawler import portals as registry
from crawler.portals import Portal, netloc

DATA = Path(__file__).with_name("data")
COUNTY_CSV = DATA / "county-portals.csv"
CITY_CSV = DATA / "city-province-portals.csv"

LIST_A = "list A (DiamonWoo/Laosheng.top fuwu/qianxian.md@960d764)"
LIST_B = "list B (anyi-econ/china-public-debt data/website-gov.ts@9b01b30)"
GOVERNMENT_LEVELS = {"province", "city", "county", "district"}

# code -> (new code or None, which list is wrong ('a'/'b') or None, note); from crawler/data/SOURCE.md
KNOWN_ERRORS: dict[str, tuple[str | None, str | None, str]] = {
    "510402": (None, "a", "list A gives a Tianjin host (known error, crawler/data/SOURCE.md)"),
    "510403": (None, "a", "list A gives a Tianjin host (known error, crawler/data/SOURCE.md)"),
    "310107": (None, "b", "list B gives Zhoushan's putuo.gov.cn; Shanghai 普陀区 is shpt.gov.cn "
                          "(known error, crawler/data/SOURCE.md)"),
    "540422": ("540481", None, "both lists carry the old code 540422; 米林市 is 540481 "
                               "(crawler/data/SOURCE.md)"),
    "540530": ("540581", None, "both lists carry the old code 540530; 错那市 is 540581 "
                               "(crawler/data/SOURCE.md)"),
}


def _level(row: dict) -> str:
    lv = row.get("level")
    if lv == "province":
        return "province"
    if lv == "prefecture":
        return "city"
    name = row["name"]
    if name.endswith("区") and not name.endswith(("林区", "特区")):
        return "district"
    return "county"


def _citation(row: dict) -> str:
    a, b = (row.get("url_a") or "").strip(), (row.get("url_b") or "").strip()
    return f"{LIST_A}: {a or '—'}; {LIST_B}: {b or '—'}"


def national_portal(row: dict) -> Portal:
    """The registry row of one row of the two lists (see the module docstring)."""
    code = row["gb2260_code"].strip()
    agree = row["hosts_agree"].strip()
    a, b = (row.get("url_a") or "").strip(), (row.get("url_b") or "").strip()
    new_code, wrong, error_note = KNOWN_ERRORS.get(code, (None, None, ""))
    notes: list[str] = []
    base, enabled = "", False
    if agree == "same":
        base, enabled = row["portal_url"].strip(), True
    elif wrong:
        base = b if wrong == "a" else a
        notes.append(f"lists disagree; {error_note}; {base} unchecked: check by hand, then enable")
    elif agree == "diff":
        notes.append(f"lists disagree (A {a or '—'}, B {b or '—'}): check by hand, set base_url, then enable")
    else:
        notes.append(f"one source only (A {a or '—'}, B {b or '—'}): check by hand, set base_url, then enable")
    if new_code:
        notes.append(error_note)
    reach = (row.get("reachable_2026_04_26") or "").strip()
    if reach == "none":
        notes.append("list B's probe of 2026-04-26 got no answer (often a firewall that blocks scripts)")
    code = new_code or code
    return Portal(region_code=code, id=code, name=row["name"].strip(), level=_level(row), base_url=base,
                  platform="auto", columns=[], params={}, source=_citation(row), enabled=enabled,
                  notes="; ".join(notes))


def read_lists(county_csv: Path = COUNTY_CSV, city_csv: Path | None = CITY_CSV) -> list[Portal]:
    out: list[Portal] = []
    for path in (city_csv, county_csv):
        if path is None:
            continue
        with open(path, newline="", encoding="utf-8") as fh:
            out += [national_portal(r) for r in csv.DictReader(fh) if (r.get("gb2260_code") or "").strip()]
    return out


def merge(national: list[Portal], existing: list[Portal]) -> list[Portal]:
    """National rows merged with the rows already registered (see the module docstring)."""
    by_code = {p.region_code: p for p in national}
    merged_codes: set[str] = set()
    kept: list[Portal] = []
    for old in existing:
        nat = by_code.get(old.region_code) if old.level in GOVERNMENT_LEVELS else None
        if nat is None or old.region_code in merged_codes or old.id in {n.id for n in national if n is not nat}:
            kept.append(old)
            continue
        merged_codes.add(old.region_code)
        p = Portal(**{**old.__dict__, "columns": list(old.columns), "params": dict(old.params)})
        if old.source and nat.source not in old.source:
            p.source = f"{old.source}; {nat.source}"
        elif not old.source:
            p.source = nat.source
        if not p.base_url and nat.base_url:
            p.base_url = nat.base_url
            p.enabled = nat.enabled
            p.notes = "; ".join(x for x in (old.notes, "base_url from the national lists" +
                                            ("" if nat.enabled else f" ({nat.notes})")) if x)
        elif p.base_url and nat.base_url and netloc(p.base_url) != netloc(nat.base_url):
            p.notes = "; ".join(x for x in (old.notes, f"the national lists name {nat.base_url}") if x)
        kept.append(p)
    out = [p for p in national if p.region_code not in merged_codes]
    # registered rows first, then the lists in code order (provinces and cities before counties)
    return kept + sorted(out, key=lambda p: (p.region_code[2:] != "0000", p.region_code[4:] != "00", p.region_code))


def build(county_csv: Path = COUNTY_CSV, city_csv: Path | None = CITY_CSV,
          existing: list[Portal] | None = None) -> list[Portal]:
    portals = merge(read_lists(county_csv, city_csv), existing or [])
    problems = check(portals)
    if problems:
        raise ValueError("; ".join(problems[:5]))
    return portals


def rebuild(existing: list[Portal], county_csv: Path = COUNTY_CSV, city_csv: Path | None = CITY_CSV) -> list[Portal]:
    """Build again over a registry that already holds the lists' rows: a row exactly as the
    lists give it is rebuilt; one a person registered or edited is kept and merged."""
    fresh = {p.id: p for p in read_lists(county_csv, city_csv)}
    own = [p for p in existing if fresh.get(p.id) != p]
    return build(county_csv, city_csv, own)


def check(portals: list[Portal]) -> list[str]:
    """What makes a registry unusable: duplicate ids, duplicate government codes, an enabled
    row without a citation or URL, an enabled row whose lists disagree."""
    problems = []
    seen: dict[str, str] = {}
    gov_codes: dict[str, str] = {}
    for p in portals:
        if p.id in seen:
            problems.append(f"duplicate id {p.id}")
        seen[p.id] = p.region_code
        if p.level in GOVERNMENT_LEVELS:
            if p.region_code in gov_codes:
                problems.append(f"code {p.region_code} registered twice ({gov_codes[p.region_code]}, {p.id})")
            gov_codes[p.region_code] = p.id
        if p.enabled and not p.source:
            problems.append(f"{p.id} enabled without a source")
        if p.enabled and not (p.base_url or p.columns):
            problems.append(f"{p.id} enabled without a URL")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m crawler.national", description=__doc__.split("\n\n")[0])
    ap.add_argument("--county", type=Path, default=COUNTY_CSV, help="county list (default crawler/data/county-portals.csv)")
    ap.add_argument("--city", type=Path, default=CITY_CSV, help="province/prefecture list")
    ap.add_argument("--registry", type=Path, default=registry.DEFAULT_REGISTRY,
                    help="the registry to merge into and write (default crawler/portals.csv)")
    ap.add_argument("--check", action="store_true", help="only check that REGISTRY is what the build gives")
    ns = ap.parse_args(argv)
    existing = registry.load(ns.registry) if ns.registry.exists() else []
    built = registry.dumps(rebuild(existing, ns.county, ns.city))
    if ns.check:
        same = ns.registry.exists() and ns.registry.read_text(encoding="utf-8") == built
        print(f"{ns.registry}: {'up to date' if same else 'differs from the build'}")
        return 0 if same else 1
    ns.registry.write_text(built, encoding="utf-8")
    print(f"{ns.registry}: {built.count(chr(10)) - 1} portals")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
